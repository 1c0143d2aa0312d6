"""Data out: vCard and iCalendar."""

MESSAGES = {
    "integration.vcard_label": ("{count} contacts as vCard", "{count} kontak sebagai vCard"),
    "integration.calendar_name": ("Kaktus CRM — {name}", "Kaktus CRM — {name}"),
    "integration.export_vcard": ("Contacts as vCard", "Kontak sebagai vCard"),
    "integration.export_vcard_hint": (
        "The contacts (people) of the filtered list, for a phone or an address book",
        "Kontak (orang) dari daftar yang difilter, untuk ponsel atau buku alamat",
    ),
    "integration.download_ics": ("Calendar (.ics)", "Kalender (.ics)"),
    "integration.calendar_feed": (
        "Subscribe in your calendar app: {url}?key=<your API key> (create a key under API keys)",
        "Langganan di aplikasi kalender: {url}?key=<kunci API Anda> (buat kunci di menu Kunci API)",
    ),
    "integration.export": ("Export", "Ekspor"),
    "integration.export_csv": ("CSV (Excel, ;)", "CSV (Excel, ;)"),
    "integration.export_xlsx": ("Excel workbook (.xlsx)", "Buku kerja Excel (.xlsx)"),
    "integration.export_label": ("{count} rows", "{count} baris"),
    "integration.error.export_unknown": ("This list cannot be exported.", "Daftar ini tidak dapat diekspor."),
    "integration.sheet.customers": ("Customers", "Pelanggan"),
    "integration.sheet.leads": ("Leads", "Prospek"),
    "integration.sheet.opportunities": ("Opportunities", "Peluang"),
    "integration.sheet.tickets": ("Tickets", "Tiket"),
}
