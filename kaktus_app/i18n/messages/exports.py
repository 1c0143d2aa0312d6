"""Names of the list exports added for activities, products, quotations / sales orders, invoices,
purchase orders and the audit trail: the worksheet and the download's file name
(``integration.sheet.<module>``, as export_list reads them)."""

MESSAGES = {
    "integration.sheet.activities": ("Activities", "Aktivitas"),
    "integration.sheet.products": ("Products", "Produk"),
    "integration.sheet.quotations": ("Quotations and orders", "Penawaran dan pesanan"),
    "integration.sheet.invoices": ("Invoices", "Faktur"),
    "integration.sheet.purchase_orders": ("Purchase orders", "Pesanan pembelian"),
    "integration.sheet.audit": ("Audit trail", "Jejak audit"),
}
