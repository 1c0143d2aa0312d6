"""PDF of a quotation, sales order, invoice or credit note (fpdf2, no network).

``render_document(doc)`` takes a dict of already formatted strings (see ``documents.service``) and
returns the PDF bytes (A4): letterhead, title and number, meta data, customer block, lines (the table
continues on the next page with its headings), optional items, totals, the total in words, payments,
balance due, notes, terms, bank details and "Hal. X dari Y" with the number in the footer of every page.

The renderer does no arithmetic and translates only its own fixed labels (``LABELS``). With DejaVu Sans
installed every character prints; without it the core Helvetica font is used and characters outside
latin-1 become "?".
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
GREEN = (22, 101, 52)
GREY = (110, 110, 110)
INK = (30, 30, 30)
LIGHT = (235, 243, 237)
BADGE = (236, 236, 236)
MIN_SIZE = 6.0  # smallest font size a number is shrunk to before it is allowed to wrap

LABELS = {
    "id": {
        "quotation": "PENAWARAN HARGA",
        "sales_order": "PESANAN PENJUALAN",
        "invoice": "FAKTUR",
        "credit_note": "NOTA KREDIT",
        "to": "Kepada",
        "no": "No",
        "description": "Deskripsi",
        "qty": "Qty",
        "unit": "Satuan",
        "unit_price": "Harga satuan",
        "discount": "Diskon",
        "tax": "Pajak",
        "subtotal": "Subtotal",
        "optional": "Item opsional (tidak termasuk total)",
        "in_words": "Terbilang",
        "payments": "Pembayaran diterima",
        "balance_due": "Sisa tagihan",
        "notes": "Catatan",
        "terms": "Syarat dan ketentuan",
        "pay_to": "Pembayaran ke",
        "bank": "Bank",
        "account": "No. rekening",
        "holder": "Atas nama",
        "page": "Hal. {page} dari {pages}",
        "npwp": "NPWP",
        "contact": "Up.",
    },
    "en": {
        "quotation": "QUOTATION",
        "sales_order": "SALES ORDER",
        "invoice": "INVOICE",
        "credit_note": "CREDIT NOTE",
        "to": "To",
        "no": "No",
        "description": "Description",
        "qty": "Qty",
        "unit": "Unit",
        "unit_price": "Unit price",
        "discount": "Discount",
        "tax": "Tax",
        "subtotal": "Subtotal",
        "optional": "Optional items (not in the total)",
        "in_words": "In words",
        "payments": "Payments received",
        "balance_due": "Balance due",
        "notes": "Notes",
        "terms": "Terms and conditions",
        "pay_to": "Payment to",
        "bank": "Bank",
        "account": "Account number",
        "holder": "Account holder",
        "page": "Page {page} of {pages}",
        "npwp": "NPWP",
        "contact": "Attn.",
    },
}

# The lines table: key in the line dict (None = running number), heading label, width in mm, alignment.
COLUMNS = (
    (None, "no", 8.0, "C"),
    ("description", "description", 50.0, "L"),
    ("quantity", "qty", 13.0, "R"),
    ("uom", "unit", 16.0, "L"),
    ("unit_price", "unit_price", 26.5, "R"),
    ("discount", "discount", 17.0, "R"),
    ("tax", "tax", 18.0, "L"),
    ("subtotal", "subtotal", 31.5, "R"),
)
CELL_PADDING = (1.2, 1.0)  # mm, vertical and horizontal (CSS order)

# Right-hand column (meta data, totals, payments): starts at RIGHT_X, label then value.
RIGHT_X = 110.0
RIGHT_LABEL_W = 50.0
RIGHT_VALUE_W = 35.0
META_LABEL_W = 36.0
META_VALUE_W = 49.0

_ASCII = {
    "—": "-",
    "–": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "*",
    "€": "EUR",
}


class _Pdf(FPDF):
    def __init__(self, labels: dict, number: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.labels, self.number = labels, number
        regular, bold, oblique = (
            FONT_DIR / name for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
        )
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            # No oblique file: the words in italics print upright instead.
            self.add_font("Body", "I", str(oblique if oblique.exists() else regular))
            self.family = "Body"
        else:
            self.family = "helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages("{nb}")

    @property
    def content_bottom(self) -> float:
        return self.h - self.b_margin

    def text_of(self, value) -> str:
        text = "" if value is None else str(value)
        if not self.unicode:
            for char, plain in _ASCII.items():
                text = text.replace(char, plain)
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def font(self, size: float, style: str = "", color=INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)

    def fitting_size(self, text: str, width: float, size: float, style: str = "") -> float:
        """The largest font size <= size (down to MIN_SIZE) at which text fits in width on one line."""
        # Measured without changing the current font: table cells take the current font as their style.
        needed = self._measure(text, size, style)
        if needed <= width or needed == 0:
            return size
        return max(MIN_SIZE, size * width / needed * 0.98)

    def _measure(self, text: str, size: float, style: str) -> float:
        previous = (self.font_family, self.font_style, self.font_size_pt)
        self.set_font(self.family, style, size)
        try:
            return self.get_string_width(text)
        finally:
            if previous[0]:
                self.set_font(*previous)

    def fit_cell(
        self, width: float, height: float, value, size: float, style: str = "", color=INK, **kwargs
    ) -> None:
        """A one-line cell whose text shrinks (rather than overflows) when it is too long."""
        text = self.text_of(value)
        self.font(self.fitting_size(text, width - 2 * self.c_margin, size, style), style, color)
        self.cell(width, height, text, **kwargs)

    def ensure_space(self, height: float) -> None:
        """Start a new page unless height mm still fit above the bottom margin."""
        if self.get_y() + height > self.content_bottom:
            self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_draw_color(210, 210, 210)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.font(7.5, color=GREY)
        page = self.labels["page"].format(page=self.page_no(), pages="{nb}")
        self.cell(self.epw / 2, 6, self.text_of(self.number))
        self.cell(self.epw / 2, 6, self.text_of(page), align="R")


def _letterhead(pdf: _Pdf, company: dict) -> None:
    pdf.font(16, "B", GREEN)
    pdf.multi_cell(0, 7.5, pdf.text_of(company.get("name")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(8.5, color=GREY)
    contact = "   ".join(part for part in (company.get("phone"), company.get("email")) if part)
    for line in (company.get("address"), contact, f"NPWP {company['npwp']}" if company.get("npwp") else ""):
        if line:
            pdf.multi_cell(0, 4.2, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)


def _title_and_meta(pdf: _Pdf, doc: dict, labels: dict) -> None:
    top = pdf.get_y()
    left_w = RIGHT_X - pdf.l_margin - 3
    pdf.fit_cell(
        left_w,
        8,
        labels.get(doc.get("kind"), labels["quotation"]),
        15,
        "B",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    number = pdf.text_of(doc.get("number"))
    status = pdf.text_of(doc.get("status")).strip()
    pdf.font(11, "B", GREEN)
    number_w = min(pdf.get_string_width(number) + 2 * pdf.c_margin, left_w)
    pdf.fit_cell(number_w, 6.5, number, 11, "B", GREEN)
    if status:
        # A small grey label next to the number ("Draft", "Paid", "Cancelled", ...).
        pdf.font(7.5, "B", GREY)
        badge_w = min(pdf.get_string_width(status) + 4, max(left_w - number_w - 3, 10))
        pdf.set_fill_color(*BADGE)
        pdf.set_draw_color(190, 190, 190)
        pdf.set_line_width(0.2)
        x, y = pdf.get_x() + 2, pdf.get_y() + 1.2
        pdf.rect(x, y, badge_w, 4.2, style="DF", round_corners=True, corner_radius=1)
        pdf.set_xy(x, y)
        pdf.fit_cell(badge_w, 4.2, status, 7.5, "B", GREY, align="C")
    pdf.set_xy(pdf.l_margin, pdf.get_y())
    pdf.ln(6.5)
    left_bottom = pdf.get_y()

    pdf.set_y(top + 1)
    for label, value in doc.get("meta") or []:
        pdf.set_x(RIGHT_X)
        pdf.fit_cell(META_LABEL_W, 4.8, label, 8.5, "", GREY)
        pdf.font(8.5, "B")
        pdf.multi_cell(META_VALUE_W, 4.8, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)


def _customer(pdf: _Pdf, customer: dict, labels: dict) -> None:
    pdf.font(8.5, color=GREY)
    pdf.cell(0, 5, pdf.text_of(labels["to"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(11, "B")
    pdf.multi_cell(120, 5.5, pdf.text_of(customer.get("name")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(9)
    lines = [line for line in customer.get("lines") or [] if line]
    if customer.get("contact"):
        lines.append(f"{labels['contact']} {customer['contact']}")
    contact = "   ".join(part for part in (customer.get("phone"), customer.get("email")) if part)
    if contact:
        lines.append(contact)
    if customer.get("npwp"):
        lines.append(f"{labels['npwp']} {customer['npwp']}")
    for line in lines:
        pdf.multi_cell(120, 4.6, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _lines_table(pdf: _Pdf, lines: list[dict], labels: dict, font_size: float = 8.5) -> None:
    widths = tuple(width for _, _, width, _ in COLUMNS)
    aligns = tuple(align for _, _, _, align in COLUMNS)
    pdf.font(font_size)
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255, 255, 255)  # the table takes the current fill colour for its unshaded rows
    heading_style = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=GREEN)
    inner = [width - 2 * CELL_PADDING[1] for width in widths]
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=aligns,
        headings_style=heading_style,
        line_height=font_size * 0.55,
        first_row_as_headings=True,
        repeat_headings=1,
        borders_layout="HORIZONTAL_LINES",
        cell_fill_color=LIGHT,
        cell_fill_mode="ROWS",
        padding=CELL_PADDING,
        v_align="M",
    ) as table:
        row = table.row()
        for index, (_, label, _, _) in enumerate(COLUMNS):
            text = pdf.text_of(labels[label])
            size = pdf.fitting_size(text, inner[index], font_size, "B")
            row.cell(text, style=FontFace(size_pt=size) if size < font_size else None)
        for number, line in enumerate(lines, start=1):
            row = table.row()
            for index, (key, _, _, _) in enumerate(COLUMNS):
                text = pdf.text_of(number if key is None else line.get(key))
                style = None
                if key != "description":
                    # Amounts, quantities and units shrink to stay on one line instead of wrapping mid-number.
                    size = pdf.fitting_size(text, inner[index], font_size)
                    style = FontFace(size_pt=size) if size < font_size else None
                row.cell(text, style=style)
    pdf.font(font_size)
    pdf.ln(3)


def _right_row(
    pdf: _Pdf, label, value, size: float, style: str = "", fill: bool = False, height: float = 5.0
) -> None:
    pdf.set_x(RIGHT_X)
    if fill:
        pdf.set_fill_color(*LIGHT)
    pdf.fit_cell(RIGHT_LABEL_W, height, label, size, style, fill=fill)
    pdf.fit_cell(
        RIGHT_VALUE_W, height, value, size, style, align="R", fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _totals(pdf: _Pdf, doc: dict, labels: dict) -> None:
    rows = doc.get("totals") or []
    # The totals stay together, with at least the start of the words under them.
    pdf.ensure_space(5 * max(len(rows) - 1, 0) + 6 + 14)
    for index, (label, value) in enumerate(rows):
        last = index == len(rows) - 1
        _right_row(
            pdf, label, value, 10 if last else 9, "B" if last else "", fill=last, height=6 if last else 5
        )
    if doc.get("total_in_words"):
        pdf.ln(2)
        pdf.font(8.5, color=GREY)
        pdf.cell(0, 4.5, pdf.text_of(labels["in_words"] + ":"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.font(9, "I")
        pdf.multi_cell(0, 4.8, pdf.text_of(doc["total_in_words"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    payments = doc.get("payments") or []
    if payments or doc.get("balance_due"):
        pdf.ln(2)
        pdf.ensure_space((5 + 5 * len(payments) if payments else 0) + (6 if doc.get("balance_due") else 0))
    if payments:
        pdf.set_x(RIGHT_X)
        pdf.fit_cell(
            RIGHT_LABEL_W + RIGHT_VALUE_W,
            5,
            labels["payments"],
            8.5,
            "",
            GREY,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        for when, amount in payments:
            _right_row(pdf, when, amount, 9)
    if doc.get("balance_due"):
        _right_row(pdf, labels["balance_due"], doc["balance_due"], 10, "B", height=6)
    pdf.ln(4)


def _paragraph(pdf: _Pdf, title: str, body) -> None:
    body = pdf.text_of(body).strip()
    if not body:
        return
    pdf.ensure_space(5 + 4.5 * 2)  # never a heading alone at the bottom of a page
    pdf.font(9, "B")
    pdf.cell(0, 5, pdf.text_of(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(8.5)
    pdf.multi_cell(0, 4.5, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _bank(pdf: _Pdf, company: dict, labels: dict) -> None:
    rows = [
        (key, company.get(field))
        for key, field in (("bank", "bank_name"), ("account", "bank_account"), ("holder", "bank_holder"))
    ]
    rows = [(key, value) for key, value in rows if value]
    if not (company.get("bank_name") or company.get("bank_account")):
        return
    box_w, label_w = 100.0, 32.0
    height = 6 + 4.8 * len(rows) + 2
    pdf.ensure_space(2 + height)  # the box is drawn around its content, so it never spans two pages
    pdf.ln(2)
    top = pdf.get_y()
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.3)
    pdf.rect(pdf.l_margin, top, box_w, height)
    pdf.set_x(pdf.l_margin + 2)
    pdf.fit_cell(box_w - 4, 6, labels["pay_to"], 9, "B", GREEN, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for key, value in rows:
        pdf.set_x(pdf.l_margin + 2)
        pdf.fit_cell(label_w, 4.8, labels[key], 8.5, "", GREY)
        pdf.fit_cell(box_w - 4 - label_w, 4.8, value, 9, "B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(top + height)


def render_document(doc: dict) -> bytes:
    """The PDF (A4) of a quotation, sales order, invoice or credit note; see the module docstring."""
    labels = LABELS.get(doc.get("lang") or "id", LABELS["id"])
    company = doc.get("company") or {}
    pdf = _Pdf(labels, str(doc.get("number") or ""))
    pdf.set_title(pdf.text_of(doc.get("number")))
    pdf.set_subject(pdf.text_of(labels.get(doc.get("kind"), "")))
    pdf.set_author(pdf.text_of(company.get("name")))
    pdf.set_creator("Kaktus CRM")
    pdf.add_page()
    _letterhead(pdf, company)
    _title_and_meta(pdf, doc, labels)
    _customer(pdf, doc.get("customer") or {}, labels)
    _lines_table(pdf, doc.get("lines") or [], labels)
    if doc.get("optional_lines"):
        pdf.ensure_space(5 + 7 + 7)
        pdf.font(8.5, "B", GREY)
        pdf.cell(0, 5, pdf.text_of(labels["optional"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _lines_table(pdf, doc["optional_lines"], labels, font_size=8)
    _totals(pdf, doc, labels)
    _paragraph(pdf, labels["notes"], doc.get("notes"))
    _paragraph(pdf, labels["terms"], doc.get("terms"))
    _bank(pdf, company, labels)
    return bytes(pdf.output())
