"""Terbilang and the PDF of documents (read back with pypdf, as a customer's accountant would)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from kaktus_app.documents import pdf as pdf_module
from kaktus_app.documents.pdf import FONT_DIR, render_document
from kaktus_app.documents.terbilang import rupiah_in_words, terbilang

HAS_DEJAVU = (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists()
WORDS = "Satu juta tujuh ratus empat puluh delapan ribu dua ratus lima puluh rupiah"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (9, "sembilan"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (115, "seratus lima belas"),
        (200, "dua ratus"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (1100, "seribu seratus"),
        (1111, "seribu seratus sebelas"),
        (2000, "dua ribu"),
        (10_000, "sepuluh ribu"),
        (11_000, "sebelas ribu"),
        (11_100, "sebelas ribu seratus"),
        (100_000, "seratus ribu"),
        (101_000, "seratus satu ribu"),
        (111_111, "seratus sebelas ribu seratus sebelas"),
        (1_000_000, "satu juta"),
        (1_000_001, "satu juta satu"),
        (1_001_000, "satu juta seribu"),
        (1_500_000, "satu juta lima ratus ribu"),
        (10**9, "satu miliar"),
        (2_001_001_001, "dua miliar satu juta seribu satu"),
        (10**12, "satu triliun"),
        (1_000_000_001_000, "satu triliun seribu"),
        (17_066_250, "tujuh belas juta enam puluh enam ribu dua ratus lima puluh"),
        (1_748_250, "satu juta tujuh ratus empat puluh delapan ribu dua ratus lima puluh"),
    ],
)
def test_terbilang(number, words):
    assert terbilang(number) == words


def test_terbilang_limits():
    nines = "sembilan ratus sembilan puluh sembilan"
    assert (
        terbilang(999_999_999_999_999) == f"{nines} triliun {nines} miliar {nines} juta {nines} ribu {nines}"
    )
    assert terbilang(Decimal("12")) == "dua belas"
    for bad in (-1, -1_000, 10**15, 10**18, 1.5, Decimal("2.5"), True):
        with pytest.raises(ValueError):
            terbilang(bad)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (Decimal("0"), "Nol rupiah"),
        (Decimal("0.49"), "Nol rupiah"),
        (Decimal("0.5"), "Satu rupiah"),
        (Decimal("1500000"), "Satu juta lima ratus ribu rupiah"),
        (Decimal("1500000.50"), "Satu juta lima ratus ribu satu rupiah"),
        (Decimal("1500000.49"), "Satu juta lima ratus ribu rupiah"),
        (Decimal("1748250.00"), WORDS),
        (Decimal("-2500"), "Minus dua ribu lima ratus rupiah"),
        (Decimal("-1.5"), "Minus dua rupiah"),
        (Decimal("-0.4"), "Nol rupiah"),
        (1000, "Seribu rupiah"),
    ],
)
def test_rupiah_in_words_rounds_half_up(amount, words):
    assert rupiah_in_words(amount) == words


def test_rupiah_in_words_beyond_999_triliun_raises():
    with pytest.raises(ValueError):
        rupiah_in_words(Decimal("999999999999999.5"))


LINE = {
    "description": "Nasi box ayam bakar",
    "quantity": "50",
    "uom": "box",
    "unit_price": "Rp 35.000",
    "discount": "10%",
    "tax": "PPN 11%",
    "subtotal": "Rp 1.575.000",
}


def _doc(lang="id", kind="invoice", lines=3, customer="PT. KITA", **extra):
    return {
        "lang": lang,
        "kind": kind,
        "number": "INV/2026/0007",
        "status": "Draft",
        "meta": [
            ["Tanggal", "24 Nov 2026"],
            ["Berlaku sampai", "08 Des 2026"],
            ["Syarat pembayaran", "30 hari"],
            ["Sales", "Dewi Lestari"],
        ],
        "company": {
            "name": "PT. Kaktus Berduri",
            "address": "Jl. Letjen Suprapto 26, Cempaka Putih, Jakarta Pusat",
            "phone": "021-8448205",
            "email": "halo@kaktus.co.id",
            "npwp": "01.234.567.8-901.000",
            "bank_name": "Bank Central Asia (BCA)",
            "bank_account": "523-0123-456",
            "bank_holder": "PT. Kaktus Berduri",
        },
        "customer": {
            "name": customer,
            "lines": ["Jl. Sudirman 1", "Jakarta Selatan 12190"],
            "npwp": "",
            "contact": "Yeyen",
            "phone": "0812-1234-5678",
            "email": "",
        },
        "lines": [
            dict(
                LINE,
                description=f"{LINE['description']} {i}",
                discount="10%" if i % 2 else "",
                tax="PPN 11%" if i % 3 else "—",
            )
            for i in range(lines)
        ],
        "optional_lines": [dict(LINE, description="Es teh manis", subtotal="Rp 250.000")],
        "totals": [["Subtotal", "Rp 1.575.000"], ["PPN 11%", "Rp 173.250"], ["Total", "Rp 1.748.250"]],
        "total_in_words": rupiah_in_words(Decimal("1748250")),
        "payments": [["24 Nov 2026", "Rp 500.000"]],
        "balance_due": "Rp 1.248.250",
        "notes": "Kirim sebelum jam 11.00\nHubungi Yeyen di lobi",
        "terms": "Harga termasuk PPN",
        **extra,
    }


def _text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize(
    ("lang", "kind", "title", "heading", "words_label", "bank_label"),
    [
        ("id", "quotation", "PENAWARAN HARGA", "Deskripsi", "Terbilang:", "Pembayaran ke"),
        ("en", "quotation", "QUOTATION", "Description", "In words:", "Payment to"),
        ("id", "sales_order", "PESANAN PENJUALAN", "Harga satuan", "Terbilang:", "Pembayaran ke"),
        ("en", "sales_order", "SALES ORDER", "Unit price", "In words:", "Payment to"),
        ("id", "invoice", "FAKTUR", "Diskon", "Terbilang:", "Pembayaran ke"),
        ("en", "invoice", "INVOICE", "Discount", "In words:", "Payment to"),
        ("id", "credit_note", "NOTA KREDIT", "Satuan", "Terbilang:", "Pembayaran ke"),
        ("en", "credit_note", "CREDIT NOTE", "Unit", "In words:", "Payment to"),
    ],
)
def test_document_pdf_shows_what_the_customer_must_pay(lang, kind, title, heading, words_label, bank_label):
    data = render_document(_doc(lang, kind))
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF")
    assert len(reader.pages) == 1
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (
        595,
        842,
    )  # A4
    assert reader.metadata.title == "INV/2026/0007"
    text = _text(data)[0]
    for expected in (
        title,
        heading,
        "INV/2026/0007",
        "Draft",
        "PT. KITA",
        "Jakarta Selatan 12190",
        "Rp 1.748.250",
        "Rp 1.248.250",
        "Rp 500.000",
        "Es teh manis",
        "Nasi box ayam bakar 2",
        "24 Nov 2026",
        "Dewi Lestari",
        "Bank Central Asia (BCA)",
        "523-0123-456",
        "PT. Kaktus Berduri",
        "NPWP 01.234.567.8-901.000",
        words_label,
        WORDS,
        bank_label,
        "Kirim sebelum jam 11.00",
        "Harga termasuk PPN",
    ):
        assert expected in text, expected
    assert ("Hal. 1 dari 1" if lang == "id" else "Page 1 of 1") in text
    assert ("Item opsional" if lang == "id" else "Optional items") in text


def test_long_documents_continue_with_headings_on_the_next_page():
    pages = _text(render_document(_doc(lines=80, notes="", payments=[], balance_due="")))
    assert len(pages) > 1
    assert "Deskripsi" in pages[1] and "Harga satuan" in pages[1]
    for index, page in enumerate(pages, start=1):
        assert f"Hal. {index} dari {len(pages)}" in page and "INV/2026/0007" in page
    everything = " ".join(pages)
    assert "Nasi box ayam bakar 79" in everything and "Rp 1.748.250" in pages[-1]


def test_long_descriptions_wrap_and_big_amounts_stay_whole():
    description = (
        "Snack box premium isi 4 macam kue basah dan air mineral 330 ml, dalam kemasan ramah lingkungan " * 3
    )
    line = dict(
        LINE, description=description.strip(), unit_price="Rp 1.234.567.890", subtotal="Rp 61.728.394.500"
    )
    text = _text(render_document({**_doc(lines=0), "lines": [line]}))[0]
    assert "kemasan ramah lingkungan" in text
    assert "Rp 1.234.567.890" in text and "Rp 61.728.394.500" in text


def test_empty_notes_terms_payments_and_optional_lines_render():
    doc = _doc(
        "en",
        "quotation",
        notes="",
        terms="",
        payments=[],
        balance_due="",
        optional_lines=[],
        status="",
        total_in_words="",
    )
    text = _text(render_document(doc))[0]
    assert "QUOTATION" in text and "Rp 1.748.250" in text
    for absent in (
        "Notes",
        "Terms and conditions",
        "Payments received",
        "Balance due",
        "Optional items",
        "In words",
        "Draft",
    ):
        assert absent not in text, absent


def test_a_nearly_empty_document_still_renders():
    for doc in (
        {},
        {
            "lang": "xx",
            "kind": "unknown",
            "lines": [],
            "meta": [["Tanggal", None]],
            "customer": {"name": None},
        },
    ):
        data = render_document(doc)
        assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_unusual_names_do_not_break_the_pdf():
    data = render_document(_doc(customer="Kopi Sörensen — Café Ñandú 日本"))
    assert data.startswith(b"%PDF")
    text = _text(data)[0]
    assert "Café Ñandú" in text
    if HAS_DEJAVU:
        assert "Kopi Sörensen —" in text


def test_without_dejavu_falls_back_to_helvetica(monkeypatch):
    monkeypatch.setattr(pdf_module, "FONT_DIR", Path("/nonexistent/fonts"))
    data = render_document(_doc("en", "credit_note", customer="Kopi Sörensen — 日本 “Ñandú”"))
    text = _text(data)[0]
    assert "CREDIT NOTE" in text and "Rp 1.748.250" in text and WORDS in text and "Page 1 of 1" in text
    assert 'Kopi Sörensen - ?? "Ñandú"' in text
    assert b"DejaVu" not in data
