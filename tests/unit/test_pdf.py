"""Terbilang and the PDF of documents (read back with pypdf, as a customer's accountant would)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from kaktus_app.documents.pdf import FONT_DIR, render_document
from kaktus_app.documents.terbilang import rupiah_in_words, terbilang


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"), (20, "dua puluh"), (100, "seratus"),
        (101, "seratus satu"), (115, "seratus lima belas"), (1000, "seribu"), (1001, "seribu satu"), (2000, "dua ribu"),
        (11_100, "sebelas ribu seratus"), (100_000, "seratus ribu"), (111_111, "seratus sebelas ribu seratus sebelas"),
        (1_500_000, "satu juta lima ratus ribu"), (1_000_001, "satu juta satu"), (10**9, "satu miliar"), (10**12, "satu triliun"),
        (17_066_250, "tujuh belas juta enam puluh enam ribu dua ratus lima puluh"),
    ],
)
def test_terbilang(number, words):
    assert terbilang(number) == words


def test_terbilang_limits_and_rupiah_rounding():
    assert terbilang(999_999_999_999_999).startswith("sembilan ratus sembilan puluh sembilan triliun")
    for bad in (-1, 10**15):
        with pytest.raises(ValueError):
            terbilang(bad)
    assert rupiah_in_words(Decimal("1500000.50")) == "Satu juta lima ratus ribu satu rupiah"
    assert rupiah_in_words(Decimal("0")) == "Nol rupiah"
    assert rupiah_in_words(Decimal("-2500")) == "Minus dua ribu lima ratus rupiah"


def _doc(lang="id", lines=3, customer="PT. KITA", **extra):
    line = {"description": "Nasi box ayam bakar", "quantity": "50", "uom": "box", "unit_price": "Rp 35.000", "discount": "10%", "tax": "PPN 11%", "subtotal": "Rp 1.575.000"}
    return {
        "lang": lang, "kind": "invoice", "number": "INV/2026/0007", "status": "", "meta": [["Tanggal", "24 Nov 2026"]],
        "company": {"name": "PT. Kaktus Berduri", "address": "Jl. Letjen Suprapto 26", "phone": "021-8448205", "email": "", "npwp": "",
                    "bank_name": "BCA", "bank_account": "523-0123-456", "bank_holder": "PT. Kaktus Berduri"},
        "customer": {"name": customer, "lines": ["Jl. Sudirman 1", "Jakarta Selatan 12190"], "npwp": "", "contact": "Yeyen", "phone": "", "email": ""},
        "lines": [dict(line, description=f"{line['description']} {i}") for i in range(lines)],
        "optional_lines": [dict(line, description="Es teh manis")], "totals": [["Subtotal", "Rp 1.575.000"], ["PPN 11%", "Rp 173.250"], ["Total", "Rp 1.748.250"]],
        "total_in_words": rupiah_in_words(Decimal("1748250")), "payments": [["24 Nov 2026", "Rp 500.000"]], "balance_due": "Rp 1.248.250",
        "notes": "Kirim sebelum jam 11.00", "terms": "", **extra,
    }


def _text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize(("lang", "title", "heading"), [("id", "FAKTUR", "Deskripsi"), ("en", "INVOICE", "Description")])
def test_invoice_pdf_shows_what_the_customer_must_pay(lang, title, heading):
    pages = _text(render_document(_doc(lang)))
    text = pages[0]
    for expected in (title, heading, "INV/2026/0007", "PT. KITA", "Rp 1.748.250", "Rp 1.248.250", "Es teh manis", "523-0123-456",
                     "Satu juta tujuh ratus empat puluh delapan ribu dua ratus lima puluh rupiah"):
        assert expected in text
    assert ("Hal. 1 dari 1" if lang == "id" else "Page 1 of 1") in text


def test_long_documents_continue_with_headings_on_the_next_page():
    pages = _text(render_document(_doc(lines=80, notes="", payments=[], balance_due="")))
    assert len(pages) > 1
    assert "Deskripsi" in pages[1] and f"Hal. 2 dari {len(pages)}" in pages[1]


def test_unusual_names_do_not_break_the_pdf():
    data = render_document(_doc(customer="Kopi Sörensen — Café Ñandú 日本"))
    assert data.startswith(b"%PDF")
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        assert "Kopi Sörensen" in _text(data)[0]
