"""Names of the list exports added for activities, products, quotations / sales orders and invoices:
the worksheet and the download's file name (``integration.sheet.<module>``, as export_list reads them)."""

MESSAGES = {
    "integration.sheet.activities": ("Activities", "Aktivitas"),
    "integration.sheet.products": ("Products", "Produk"),
    "integration.sheet.quotations": ("Quotations and orders", "Penawaran dan pesanan"),
    "integration.sheet.invoices": ("Invoices", "Faktur"),
}
