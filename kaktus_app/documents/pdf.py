"""PDF of a quotation, sales order, invoice or credit note (fpdf2, no network).

``render_document(doc)`` takes a dict of already formatted strings (see ``documents.service``) and
returns the PDF bytes: letterhead, title and number, meta data, customer block, lines (the table
continues on the next page with its headings), totals, the total in words, payments, notes, terms,
bank details and "Hal. X dari Y" in the footer.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
GREEN = (22, 101, 52)
GREY = (110, 110, 110)
LIGHT = (235, 243, 237)

LABELS = {
    "id": {
        "quotation": "PENAWARAN HARGA", "sales_order": "PESANAN PENJUALAN", "invoice": "FAKTUR", "credit_note": "NOTA KREDIT",
        "to": "Kepada", "no": "No", "description": "Deskripsi", "qty": "Qty", "unit": "Satuan", "unit_price": "Harga satuan",
        "discount": "Diskon", "tax": "Pajak", "subtotal": "Subtotal", "optional": "Item opsional (tidak termasuk total)",
        "in_words": "Terbilang", "payments": "Pembayaran diterima", "balance_due": "Sisa tagihan", "notes": "Catatan",
        "terms": "Syarat dan ketentuan", "pay_to": "Pembayaran ke", "bank": "Bank", "account": "No. rekening",
        "holder": "Atas nama", "page": "Hal. {page} dari {pages}", "npwp": "NPWP", "contact": "Up.", "phone": "Telp.",
    },
    "en": {
        "quotation": "QUOTATION", "sales_order": "SALES ORDER", "invoice": "INVOICE", "credit_note": "CREDIT NOTE",
        "to": "To", "no": "No", "description": "Description", "qty": "Qty", "unit": "Unit", "unit_price": "Unit price",
        "discount": "Disc.", "tax": "Tax", "subtotal": "Subtotal", "optional": "Optional items (not in the total)",
        "in_words": "In words", "payments": "Payments received", "balance_due": "Balance due", "notes": "Notes",
        "terms": "Terms and conditions", "pay_to": "Payment to", "bank": "Bank", "account": "Account number",
        "holder": "Account holder", "page": "Page {page} of {pages}", "npwp": "NPWP", "contact": "Attn.", "phone": "Phone",
    },
}


class _Pdf(FPDF):
    def __init__(self, labels: dict, number: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.labels, self.number = labels, number
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists()
        if self.unicode:
            self.add_font("Body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("Body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            oblique = FONT_DIR / "DejaVuSans-Oblique.ttf"
            self.add_font("Body", "I", str(oblique if oblique.exists() else FONT_DIR / "DejaVuSans.ttf"))
            self.family = "Body"
        else:
            self.family = "helvetica"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        self.alias_nb_pages("{nb}")

    def text_of(self, value) -> str:
        text = str(value or "")
        if not self.unicode:
            text = text.replace("—", "-").replace("–", "-").replace("−", "-").encode("latin-1", "replace").decode("latin-1")
        return text

    def font(self, size: float, style: str = "", color=(30, 30, 30)) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(7.5, color=GREY)
        page = self.labels["page"].format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, self.text_of(f"{self.number}   ·   {page}"), align="R")


def _letterhead(pdf: _Pdf, company: dict) -> None:
    pdf.font(16, "B", GREEN)
    pdf.cell(0, 8, pdf.text_of(company.get("name")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(8.5, color=GREY)
    contact = "   ".join(part for part in (company.get("phone"), company.get("email")) if part)
    for line in (company.get("address"), contact, f"NPWP {company['npwp']}" if company.get("npwp") else ""):
        if line:
            pdf.cell(0, 4.2, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)


def _title_and_meta(pdf: _Pdf, doc: dict, labels: dict) -> None:
    top = pdf.get_y()
    pdf.font(15, "B")
    pdf.cell(95, 8, pdf.text_of(labels.get(doc.get("kind"), "")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(11, "B", GREEN)
    pdf.cell(95, 6, pdf.text_of(doc.get("number")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.get("status"):
        pdf.font(8.5, color=GREY)
        pdf.cell(95, 5, pdf.text_of(doc["status"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    for label, value in doc.get("meta", []):
        pdf.set_x(115)
        pdf.font(8.5, color=GREY)
        pdf.cell(35, 5, pdf.text_of(label))
        pdf.font(8.5, "B")
        pdf.cell(45, 5, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)


def _customer(pdf: _Pdf, customer: dict, labels: dict) -> None:
    pdf.font(8.5, color=GREY)
    pdf.cell(0, 5, pdf.text_of(labels["to"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(11, "B")
    pdf.multi_cell(110, 5.5, pdf.text_of(customer.get("name")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(9)
    lines = list(customer.get("lines") or [])
    if customer.get("contact"):
        lines.append(f"{labels['contact']} {customer['contact']}")
    contact = "   ".join(part for part in (customer.get("phone"), customer.get("email")) if part)
    if contact:
        lines.append(contact)
    if customer.get("npwp"):
        lines.append(f"{labels['npwp']} {customer['npwp']}")
    for line in lines:
        pdf.cell(0, 4.6, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _lines_table(pdf: _Pdf, lines: list[dict], labels: dict, font_size: float = 8.5) -> None:
    headings = [labels[k] for k in ("no", "description", "qty", "unit", "unit_price", "discount", "tax", "subtotal")]
    widths = (8, 58, 14, 14, 25, 17, 16, 28)
    aligns = ("C", "L", "R", "L", "R", "R", "L", "R")
    pdf.font(font_size)
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.2)
    heading_style = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=GREEN)
    with pdf.table(
        col_widths=widths, text_align=aligns, headings_style=heading_style, line_height=4.8, first_row_as_headings=True,
        repeat_headings=1, borders_layout="HORIZONTAL_LINES", cell_fill_color=LIGHT, cell_fill_mode="ROWS",
        padding=(1.2, 1.2, 1.2, 1.2),
    ) as table:
        row = table.row()
        for heading in headings:
            row.cell(pdf.text_of(heading))
        for index, line in enumerate(lines, start=1):
            row = table.row()
            for value in (index, line.get("description"), line.get("quantity"), line.get("uom"), line.get("unit_price"),
                          line.get("discount"), line.get("tax"), line.get("subtotal")):
                row.cell(pdf.text_of(value))
    pdf.ln(3)


def _totals(pdf: _Pdf, doc: dict, labels: dict) -> None:
    rows = doc.get("totals") or []
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    for index, (label, value) in enumerate(rows):
        last = index == len(rows) - 1
        pdf.set_x(110)
        pdf.font(10 if last else 9, "B" if last else "")
        if last:
            pdf.set_fill_color(*LIGHT)
        pdf.cell(50, 6 if last else 5, pdf.text_of(label), fill=last)
        pdf.cell(35, 6 if last else 5, pdf.text_of(value), align="R", fill=last, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.get("total_in_words"):
        pdf.ln(2)
        pdf.font(8.5, color=GREY)
        pdf.cell(0, 4.5, pdf.text_of(labels["in_words"] + ":"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.font(9, "I")
        pdf.multi_cell(0, 4.8, pdf.text_of(doc["total_in_words"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    payments = doc.get("payments") or []
    if payments:
        pdf.ln(2)
        pdf.font(8.5, color=GREY)
        pdf.set_x(110)
        pdf.cell(85, 5, pdf.text_of(labels["payments"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for when, amount in payments:
            pdf.set_x(110)
            pdf.font(9)
            pdf.cell(50, 5, pdf.text_of(when))
            pdf.cell(35, 5, pdf.text_of(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.get("balance_due"):
        pdf.set_x(110)
        pdf.font(10, "B")
        pdf.cell(50, 6, pdf.text_of(labels["balance_due"]))
        pdf.cell(35, 6, pdf.text_of(doc["balance_due"]), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _paragraph(pdf: _Pdf, title: str, body: str) -> None:
    if not (body or "").strip():
        return
    pdf.font(9, "B")
    pdf.cell(0, 5, pdf.text_of(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(8.5)
    pdf.multi_cell(0, 4.5, pdf.text_of(body.strip()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _bank(pdf: _Pdf, company: dict, labels: dict) -> None:
    if not (company.get("bank_name") or company.get("bank_account")):
        return
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.3)
    top = pdf.get_y()
    pdf.font(9, "B", GREEN)
    pdf.set_x(pdf.l_margin + 2)
    pdf.cell(0, 6, pdf.text_of(labels["pay_to"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for key, value in (("bank", company.get("bank_name")), ("account", company.get("bank_account")), ("holder", company.get("bank_holder"))):
        if value:
            pdf.set_x(pdf.l_margin + 2)
            pdf.font(8.5, color=GREY)
            pdf.cell(32, 4.8, pdf.text_of(labels[key]))
            pdf.font(9, "B")
            pdf.cell(0, 4.8, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.rect(pdf.l_margin, top, 95, pdf.get_y() - top + 2)


def render_document(doc: dict) -> bytes:
    labels = LABELS.get(doc.get("lang", "id"), LABELS["id"])
    pdf = _Pdf(labels, str(doc.get("number") or ""))
    pdf.set_title(pdf.text_of(doc.get("number")))
    pdf.set_author(pdf.text_of((doc.get("company") or {}).get("name")))
    pdf.set_creator("Kaktus CRM")
    pdf.add_page()
    company = doc.get("company") or {}
    _letterhead(pdf, company)
    _title_and_meta(pdf, doc, labels)
    _customer(pdf, doc.get("customer") or {}, labels)
    _lines_table(pdf, doc.get("lines") or [], labels)
    if doc.get("optional_lines"):
        pdf.font(8.5, "B", GREY)
        pdf.cell(0, 5, pdf.text_of(labels["optional"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _lines_table(pdf, doc["optional_lines"], labels, font_size=8)
    _totals(pdf, doc, labels)
    _paragraph(pdf, labels["notes"], doc.get("notes", ""))
    _paragraph(pdf, labels["terms"], doc.get("terms", ""))
    _bank(pdf, company, labels)
    return bytes(pdf.output())
