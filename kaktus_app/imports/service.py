"""Imports of CSV / XLSX files into customers, contacts, leads, opportunities, products and tickets.

The flow a user follows: upload (the file is read, its format, encoding and separator detected, the
first rows previewed), map the columns to fields (suggested from the header, including the column
names other CRMs export), choose what a duplicate does (skip / update / create, matched by e-mail,
phone or normalised name), a dry run (every row validated and matched, nothing stored), the import
(in chunks, each committed with its progress, so a progress bar can follow), the error report, and
undo of the whole import.

Every value goes through the module's own service (the same validation, permissions and defaults as
a form); customers, contacts and leads are then stored in bulk (one INSERT per chunk, audited and on
their timelines), the others one by one. A row that fails never stops the others: its errors are kept
as ImportIssue rows. Imports queue no per-record webhooks (an import of 100,000 rows would flood
every subscriber); the import itself is in the audit trail.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, select

from kaktus_app.auth import audit, permissions
from kaktus_app.auth.models import User
from kaktus_app.auth.service import Actor
from kaktus_app.db import ROOT
from kaktus_app.errors import DomainError, NotFound, PermissionDenied, ValidationError
from kaktus_app.i18n import CATALOG, format_datetime, translate, utcnow
from kaktus_app.imports.models import DUPLICATE_ACTIONS, IMPORT_MODULES, ImportIssue, ImportJob, ImportRecord
from kaktus_app.validation import FieldError, normalise_name

IMPORT_FOLDER = ROOT / "data" / "imports"
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
CHUNK = 500
PREVIEW_ROWS = 5
FILE_DAYS = 30  # an uploaded file is kept this long (the error report reads it)
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (",", ";", "\t", "|")
# the permission module of each import
PERMISSION = {"customers": "customers", "contacts": "customers", "leads": "leads", "opportunities": "opportunities", "products": "products", "tickets": "tickets"}
RECORD_TYPE = {"customers": "customer", "contacts": "customer", "leads": "lead", "opportunities": "opportunity", "products": "product", "tickets": "ticket"}


@dataclass(frozen=True)
class Spec:
    """One importable field: its form key, label, how a cell becomes a value, the header names that
    suggest it (besides its own label in both languages)."""

    name: str
    label: str
    kind: str = "text"  # text email phone money date int percent float bool tags choice owner user company customer contact stage
    choices: str = ""  # choice: the label pattern, e.g. customers.segment.{}
    aliases: tuple[str, ...] = ()
    required: bool = False


def _customer_specs(kind_default: str) -> tuple[Spec, ...]:
    return (
        Spec("name", "common.name", required=True, aliases=("company name", "account name", "organization name", "organisation", "company", "full name", "display name", "nama", "nama perusahaan", "name")),
        Spec("kind", "customers.kind", "choice", "customers.kind.{}", ("type", "account type", "is a company", "company type", "jenis")),
        Spec("company_id", "customers.company", "company", aliases=("company", "account", "account name", "organization", "parent company", "works for", "perusahaan")),
        Spec("industry", "customers.industry", aliases=("industry", "sector", "industri")),
        Spec("segment", "customers.segment", "choice", "customers.segment.{}", ("segment", "customer segment", "segmen")),
        Spec("tags", "common.tags", "tags", aliases=("tags", "labels", "categories", "tag", "label")),
        Spec("street", "customers.street", aliases=("street", "address", "street address", "billing street", "mailing street", "address 1", "alamat", "jalan")),
        Spec("city", "common.city", aliases=("city", "town", "billing city", "mailing city", "kota", "kabupaten")),
        Spec("province", "customers.province", aliases=("province", "state", "state/region", "billing state", "mailing state", "region", "provinsi")),
        Spec("postal_code", "customers.postal_code", aliases=("zip", "zip code", "postal code", "postcode", "billing zip", "mailing zip", "kode pos", "postal")),
        Spec("latitude", "customers.latitude", "float", aliases=("latitude", "lat", "lintang")),
        Spec("longitude", "customers.longitude", "float", aliases=("longitude", "lng", "lon", "long", "bujur")),
        Spec("phone", "common.phone", "phone", aliases=("phone", "phone number", "office phone", "work phone", "business phone", "telephone", "telepon", "no telp", "telp")),
        Spec("mobile", "customers.mobile", "phone", aliases=("mobile", "mobile phone", "cell", "cell phone", "mobile phone number", "hp", "no hp", "ponsel", "whatsapp")),
        Spec("email", "common.email", "email", aliases=("email", "e-mail", "email address", "primary email", "email 1", "work email", "surel")),
        Spec("website", "customers.website", aliases=("website", "web site", "url", "homepage", "situs")),
        Spec("npwp", "customers.npwp", aliases=("npwp", "tax id", "vat", "tax number", "vat number")),
        Spec("department", "customers.department", aliases=("department", "departemen", "divisi")),
        Spec("person_in_charge", "customers.person_in_charge", aliases=("person in charge", "pic", "contact person", "penanggung jawab")),
        Spec("job_title", "customers.job_title", aliases=("job title", "title", "job position", "position", "jabatan")),
        Spec("owner_id", "common.owner", "owner", aliases=("owner", "salesperson", "assigned to", "account owner", "contact owner", "record owner", "user", "sales person", "pemilik", "tenaga penjual")),
        Spec("notes", "customers.notes", aliases=("notes", "description", "internal notes", "comment", "comments", "catatan")),
        Spec("profile_needs", "customers.profile_needs", aliases=("needs", "kebutuhan")),
        Spec("profile_preferences", "customers.profile_preferences", aliases=("preferences", "preferensi")),
        Spec("profile_history", "customers.profile_history", aliases=("history", "riwayat")),
    )


SPECS: dict[str, tuple[Spec, ...]] = {
    "customers": _customer_specs("company"),
    "contacts": _customer_specs("person"),
    "leads": (
        Spec("title", "leads.field.title", required=True, aliases=("title", "lead name", "subject", "opportunity", "topic", "lead", "judul", "nama prospek")),
        Spec("contact_name", "leads.contact_name", aliases=("contact name", "contact", "full name", "name", "first name", "nama kontak")),
        Spec("company_name", "leads.company", aliases=("company", "company name", "account name", "organization", "organisation", "perusahaan")),
        Spec("customer_id", "leads.customer", "customer", aliases=("customer", "existing customer", "pelanggan")),
        Spec("email", "common.email", "email", aliases=("email", "e-mail", "email address", "surel")),
        Spec("phone", "common.phone", "phone", aliases=("phone", "phone number", "mobile", "mobile phone", "work phone", "telephone", "telepon", "hp", "no hp")),
        Spec("city", "common.city", aliases=("city", "town", "primary address city", "kota")),
        Spec("source", "leads.source", "choice", "leads.source.{}", ("source", "lead source", "origin", "sumber")),
        Spec("expected_revenue", "leads.expected_revenue", "money", aliases=("expected revenue", "revenue", "amount", "annual revenue", "deal value", "opportunity amount", "value", "nilai", "pendapatan")),
        Spec("memo", "leads.memo", aliases=("memo", "notes", "description", "internal notes", "catatan")),
        Spec("owner_id", "common.owner", "owner", aliases=("owner", "salesperson", "assigned to", "lead owner", "user", "pemilik")),
        Spec("tags", "common.tags", "tags", aliases=("tags", "labels", "tag")),
    ),
    "opportunities": (
        Spec("name", "sales.name", required=True, aliases=("name", "opportunity", "opportunity name", "deal name", "deal", "potential name", "subject", "nama peluang")),
        Spec("customer_id", "sales.customer", "customer", aliases=("customer", "account", "account name", "company", "organization", "organization name", "pelanggan")),
        Spec("expected_revenue", "sales.revenue", "money", aliases=("expected revenue", "revenue", "amount", "deal amount", "value", "nilai")),
        Spec("probability", "sales.probability", "int", aliases=("probability", "probability (%)", "probabilitas")),
        Spec("expected_closing", "sales.expected_closing", "date", aliases=("expected closing", "close date", "expected close date", "closing date", "deadline", "tanggal tutup")),
        Spec("stage_id", "sales.stage", "stage", aliases=("stage", "sales stage", "deal stage", "pipeline stage", "tahap")),
        Spec("priority", "sales.priority", "int", aliases=("priority", "prioritas")),
        Spec("owner_id", "common.owner", "owner", aliases=("owner", "salesperson", "assigned to", "deal owner", "opportunity owner", "user", "pemilik")),
        Spec("tags", "common.tags", "tags", aliases=("tags", "labels", "tag")),
        Spec("memo", "sales.memo", aliases=("memo", "notes", "description", "internal notes", "catatan")),
    ),
    "products": (
        Spec("code", "catalog.code", required=True, aliases=("code", "internal reference", "default code", "product code", "sku", "item code", "part number", "kode")),
        Spec("name", "catalog.name", required=True, aliases=("name", "product", "product name", "item", "nama", "nama produk")),
        Spec("category", "catalog.category", "choice", "catalog.category.{}", ("category", "product category", "kategori")),
        Spec("uom", "catalog.uom", "choice", "catalog.uom.{}", ("uom", "unit", "unit of measure", "usage unit", "satuan")),
        Spec("description", "catalog.description", aliases=("description", "sales description", "deskripsi")),
        Spec("sale_price", "catalog.sale_price", "money", required=True, aliases=("sale price", "sales price", "price", "unit price", "list price", "harga", "harga jual")),
        Spec("cost", "catalog.cost", "money", aliases=("cost", "cost price", "purchase price", "standard price", "harga pokok", "biaya")),
        Spec("tax_rate", "catalog.tax", "percent", aliases=("tax", "tax rate", "vat", "customer taxes", "pajak", "ppn")),
        Spec("active", "catalog.active", "bool", aliases=("active", "is active", "status", "aktif")),
    ),
    "tickets": (
        Spec("title", "hd.field.title", required=True, aliases=("title", "subject", "summary", "ticket title", "judul", "subjek")),
        Spec("description", "hd.field.description", aliases=("description", "details", "body", "message", "deskripsi")),
        Spec("company_id", "hd.col.customer", "company", aliases=("customer", "company", "account", "account name", "organization", "pelanggan", "perusahaan")),
        Spec("contact_id", "hd.field.contact_id", "contact", aliases=("contact", "contact name", "contact email", "requester", "customer email", "kontak")),
        Spec("category", "hd.field.category", "choice", "helpdesk.category.{}", ("category", "type", "ticket type", "kategori")),
        Spec("priority", "hd.field.priority", "choice", "helpdesk.priority.{}", ("priority", "severity", "prioritas")),
        Spec("channel", "hd.field.channel", "choice", "helpdesk.channel.{}", ("channel", "source", "origin", "kanal")),
        Spec("assignee_id", "hd.field.assignee_id", "user", aliases=("assignee", "assigned to", "agent", "owner", "petugas")),
        Spec("tags", "common.tags", "tags", aliases=("tags", "labels", "tag")),
    ),
}
# what a duplicate is matched on, per module (tickets: every row is a new ticket)
MATCH_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("email", "phone", "name"), "contacts": ("email", "phone", "name"), "leads": ("email", "phone", "name"),
    "opportunities": ("name",), "products": ("code", "name"), "tickets": (),
}
BULK = ("customers", "contacts", "leads")  # stored one INSERT per chunk; the others one by one


def _norm_header(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(re.split(r"[^a-z0-9%/]+", text)).strip()


def _choice_values(pattern: str) -> dict[str, str]:
    """Every way a choice may be written -> its code: the code itself and its label in both languages."""
    prefix, suffix = pattern.split("{}")
    out: dict[str, str] = {}
    for key, pair in CATALOG.items():
        if key.startswith(prefix) and key.endswith(suffix) and len(key) > len(prefix) + len(suffix):
            code = key[len(prefix): len(key) - len(suffix) or None]
            if "." in code:
                continue
            out[_norm_header(code)] = code
            out[_norm_header(code.replace("_", " "))] = code
            for label in pair:
                out.setdefault(_norm_header(label), code)
    return out


# -------------------------------------------------------------------------------------- reading files


@dataclass
class Table:
    header: list[str]
    rows: Iterator[list]


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines] if lines else [0]
        # the separator that splits every line into the same number (> 1) of cells
        score = min(counts) if counts and min(counts) > 1 and len(set(counts[:5])) == 1 else (1 if counts and min(counts) > 1 else 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def detect(path: Path, file_format: str) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file: UTF-8 with or without BOM, else Windows-1252; the separator
    (comma, semicolon, tab or bar) that splits the first lines evenly."""
    if file_format != "csv":
        return "", ""
    raw = path.read_bytes()[: 256 * 1024]
    for encoding in ENCODINGS:
        try:
            sample = raw.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start > len(raw) - 4:  # a character cut by the sample's end
                sample = raw[: exc.start].decode(encoding)
                break
    else:
        raise DomainError("imports.error.encoding")
    return encoding, _sniff_delimiter(sample)


def _cell(value):
    if isinstance(value, str):
        return value.replace("\xa0", " ").strip()
    return value


def read_table(path: Path, file_format: str, encoding: str = "utf-8-sig", delimiter: str = ",") -> Table:
    """The header and a stream of (row number as a spreadsheet counts it, cells); XLSX cells keep
    their numbers and dates. Blank rows are skipped (their numbers too)."""
    if file_format == "csv":
        handle = path.open("r", encoding=encoding or "utf-8-sig", newline="")
        reader = csv.reader(handle, delimiter=delimiter or ",")
        header = next(reader, None)
        if header is None:
            handle.close()
            raise DomainError("imports.error.empty")

        def rows_csv():
            with handle:
                for number, row in enumerate(reader, start=2):
                    if any(c.strip() for c in row):
                        yield number, [_cell(c) for c in row]

        return Table([_cell(h) for h in header], rows_csv())
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a real XLSX (renamed file, damaged zip)
        raise DomainError("imports.error.unreadable") from exc
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    header = next(it, None)
    if header is None:
        book.close()
        raise DomainError("imports.error.empty")
    header = ["" if h is None else str(_cell(h)) for h in header]
    while header and not header[-1]:
        header.pop()

    def rows_xlsx():
        try:
            for number, row in enumerate(it, start=2):
                cells = ["" if c is None else _cell(c) for c in row[: len(header)]]
                if any(str(c).strip() for c in cells):
                    yield number, cells
        finally:
            book.close()

    return Table(header, rows_xlsx())


def _open(job: ImportJob, folder: Path | None = None) -> Table:
    path = import_folder(folder) / job.stored_name
    if not path.exists():
        raise DomainError("imports.error.file_gone", days=FILE_DAYS)
    return read_table(path, job.file_format, job.encoding, job.delimiter)


def import_folder(folder: Path | None = None) -> Path:
    path = Path(folder) if folder else IMPORT_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


# -------------------------------------------------------------------------------------- upload + mapping


def _require(session: Session, actor: Actor, module: str) -> None:
    """Importing needs the module's import and create rights."""
    if module not in IMPORT_MODULES:
        raise DomainError("imports.error.module")
    if module not in importable_modules(session, actor):
        raise PermissionDenied("imports.error.not_allowed", module=translate(f"imports.module.{module}"))


def importable_modules(session: Session, actor: Actor) -> list[str]:
    """The modules the actor may import into (the module's import and create rights)."""
    return [m for m in IMPORT_MODULES if permissions.can(session, actor, PERMISSION[m], "import") and permissions.can(session, actor, PERMISSION[m], "create")]


def suggest_mapping(module: str, header: list[str], lang: str = "en") -> dict[str, str]:
    """{column index: field} from the header: a field's own label (English or Indonesian), its name,
    or a column name other CRMs export; each field once, the first column that matches wins. Columns of
    our own exports come back to their fields."""
    wanted: dict[str, str] = {}
    for spec in SPECS[module]:
        names = [spec.name, spec.name.removesuffix("_id"), *CATALOG.get(spec.label, ("", "")), *spec.aliases]
        for name in names:
            wanted.setdefault(_norm_header(name), spec.name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, column in enumerate(header):
        field = wanted.get(_norm_header(column))
        if field and field not in used:
            mapping[str(index)] = field
            used.add(field)
    return mapping


def upload(session: Session, actor: Actor, module: str, file_name: str, data: bytes, *, folder: Path | None = None, lang: str = "en") -> ImportJob:
    """Keep an uploaded file for an import: checks its type and size, detects the encoding and the
    separator, counts its rows and suggests a mapping. Nothing is imported yet."""
    _require(session, actor, module)
    name = Path(file_name or "").name[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ("csv", "xlsx", "txt"):
        raise DomainError("imports.error.format", field="file")
    if not data:
        raise DomainError("imports.error.empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError("imports.error.too_big", field="file", mb=MAX_FILE_BYTES // (1024 * 1024))
    file_format = "xlsx" if ext == "xlsx" else "csv"
    if file_format == "xlsx" and not data.startswith(b"PK"):
        raise DomainError("imports.error.unreadable", field="file")
    stored = f"{secrets.token_urlsafe(18)}.{file_format}"
    _remove_old_files(import_folder(folder))
    path = import_folder(folder) / stored
    path.write_bytes(data)
    try:
        encoding, delimiter = detect(path, file_format)
        table = read_table(path, file_format, encoding, delimiter)
        if not any(str(h).strip() for h in table.header):
            raise DomainError("imports.error.no_header", field="file")
        total = sum(1 for _ in table.rows)
    except DomainError as exc:
        path.unlink(missing_ok=True)
        exc.field = exc.field or "file"
        raise
    except (csv.Error, UnicodeDecodeError) as exc:
        path.unlink(missing_ok=True)
        raise DomainError("imports.error.unreadable", field="file") from exc
    if total == 0:
        path.unlink(missing_ok=True)
        raise DomainError("imports.error.no_rows", field="file")
    if total > MAX_ROWS:
        path.unlink(missing_ok=True)
        raise DomainError("imports.error.too_many_rows", field="file", limit=f"{MAX_ROWS:,}".replace(",", "."))
    job = ImportJob(
        module=module, file_name=name, stored_name=stored, file_format=file_format, encoding=encoding, delimiter=delimiter,
        total_rows=total, mapping=json.dumps(suggest_mapping(module, table.header, lang)),
        match_on=",".join(MATCH_KEYS[module]), created_by_id=actor.id, created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def _remove_old_files(folder: Path) -> None:
    """Uploaded files are kept for the error report for FILE_DAYS days, then removed."""
    import time

    limit = time.time() - FILE_DAYS * 86400
    for path in folder.glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def _job(session: Session, actor: Actor, job_id) -> ImportJob:
    job = session.get(ImportJob, int(job_id)) if str(job_id).isdigit() else None
    if job is None:
        raise NotFound()
    if job.created_by_id != actor.id and not actor.is_admin:
        raise NotFound()
    return job


def preview(session: Session, actor: Actor, job_id, *, folder: Path | None = None, lang: str = "en") -> dict:
    """What the mapping screen shows: the columns with their first values and mapped field, the
    fields to choose from, the duplicate options."""
    job = _job(session, actor, job_id)
    table = _open(job, folder)
    rows = []
    for _number, row in table.rows:
        rows.append(row)
        if len(rows) >= PREVIEW_ROWS:
            break
    table.rows.close()
    mapping = json.loads(job.mapping or "{}")
    columns = [
        {"index": str(i), "name": str(h) or translate("imports.column_n", lang, n=i + 1), "field": mapping.get(str(i), ""),
         "samples": [_text(r[i]) if i < len(r) else "" for r in rows]}
        for i, h in enumerate(table.header)
    ]
    return {
        "job": job_summary(job, lang),
        "columns": columns,
        "fields": [{"value": s.name, "label": translate(s.label, lang) + (" *" if s.required else "")} for s in SPECS[job.module]],
        "match_keys": list(MATCH_KEYS[job.module]),
        "rows": [[_text(c) for c in r] for r in rows],
    }


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if (value.hour or value.minute) else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def set_options(session: Session, actor: Actor, job_id, *, mapping: dict, match_on: list[str], on_duplicate: str) -> ImportJob:
    """Keep the mapping and the duplicate options (checked: every required field mapped, no field
    twice, known match keys)."""
    job = _job(session, actor, job_id)
    if job.status in ("running", "done", "undone"):
        raise DomainError("imports.error.finished")
    specs = {s.name: s for s in SPECS[job.module]}
    clean = {str(k): v for k, v in mapping.items() if v}
    unknown = [v for v in clean.values() if v not in specs]
    if unknown:
        raise DomainError("imports.error.field_unknown", field="mapping", name=unknown[0])
    seen: set[str] = set()
    for field in clean.values():
        if field in seen:
            raise DomainError("imports.error.mapped_twice", field="mapping", name=translate(specs[field].label))
        seen.add(field)
    missing = [s for s in specs.values() if s.required and s.name not in seen]
    if missing:
        raise DomainError("imports.error.required_unmapped", field="mapping", name=", ".join(translate(s.label) for s in missing))
    if on_duplicate not in DUPLICATE_ACTIONS:
        raise DomainError("imports.error.duplicate_action", field="on_duplicate")
    keys = [k for k in match_on if k in MATCH_KEYS[job.module]]
    if job.module == "products" and "code" not in keys:
        keys.insert(0, "code")  # product codes are unique: a known code is always the same product
    if on_duplicate == "update":
        permissions.require(session, actor, PERMISSION[job.module], "update")
    job.mapping, job.match_on, job.on_duplicate = json.dumps(clean), ",".join(keys), on_duplicate
    session.add(job)
    session.flush()
    return job


# -------------------------------------------------------------------------------------- values


class _Lookups:
    """Users, stages and customers by name, loaded once per import (users and stages) or per chunk
    (customers), kept referenced so the services' session.get finds them in the identity map."""

    def __init__(self, session: Session, module: str):
        self.session = session
        self.users = list(session.exec(select(User)))
        self.user_by: dict[str, int] = {}
        for user in self.users:
            for key in (user.username, user.full_name, user.email):
                if key:
                    self.user_by.setdefault(key.strip().lower(), user.id)
        self.stages: dict[str, int] = {}
        if module == "opportunities":
            from kaktus_app.sales.models import Stage

            for stage in session.exec(select(Stage).order_by(Stage.id)):
                self.stages.setdefault(stage.name.strip().lower(), stage.id)
                self.stages.setdefault(str(stage.id), stage.id)
        self.choices: dict[str, dict[str, str]] = {}
        self.customers: dict[tuple[str, str], int | None] = {}  # (kind|"", name_norm or email) -> id
        self.kept: list = []

    def choice(self, pattern: str) -> dict[str, str]:
        if pattern not in self.choices:
            self.choices[pattern] = _choice_values(pattern)
        return self.choices[pattern]

    def load_customers(self, names: set[str], emails: set[str]) -> None:
        """Fetch the customers named (normalised names) or with the e-mails in one chunk."""
        from kaktus_app.customers.models import Customer

        names = {n for n in names if n and ("", n) not in self.customers}
        emails = {e for e in emails if e and ("@", e) not in self.customers}
        for part in _parts(sorted(names)):
            for customer in self.session.exec(select(Customer).where(Customer.name_norm.in_(part)).order_by(Customer.id)):
                self.customers.setdefault(("", customer.name_norm), customer.id)
                if customer.kind == "company":
                    self.customers.setdefault(("company", customer.name_norm), customer.id)
                self.kept.append(customer)
        for part in _parts(sorted(emails)):
            for customer in self.session.exec(select(Customer).where(Customer.email.in_(part)).order_by(Customer.id)):
                self.customers.setdefault(("@", customer.email), customer.id)
                self.kept.append(customer)
        for name in names:
            self.customers.setdefault(("", name), None)
        for email in emails:
            self.customers.setdefault(("@", email), None)

    def remember_customer(self, values: dict, record_id: int) -> None:
        norm = values.get("name_norm") or normalise_name(values.get("name", ""))
        self.customers.setdefault(("", norm), record_id)
        if values.get("kind", "company") == "company":
            self.customers.setdefault(("company", norm), record_id)
        if values.get("email"):
            self.customers.setdefault(("@", values["email"]), record_id)


def _parts(values: list, size: int = 400):
    for start in range(0, len(values), size):
        yield values[start: start + size]


MONTHS = {m: i for i, names in enumerate((
    ("jan", "january", "januari"), ("feb", "february", "februari", "pebruari"), ("mar", "march", "maret"), ("apr", "april"),
    ("may", "mei"), ("jun", "june", "juni"), ("jul", "july", "juli"), ("aug", "august", "agu", "agt", "agustus", "ags"),
    ("sep", "sept", "september"), ("oct", "october", "okt", "oktober"), ("nov", "november", "nop", "nopember"),
    ("dec", "december", "des", "desember"),
), start=1) for m in names}


def parse_any_date(value) -> str:
    """A date as spreadsheets and CRMs write it -> ISO: 2026-12-03, 03/12/2026 (day first, as in
    Indonesia), 03-12-2026, 03.12.2026, "3 Dec 2026" / "3 Des 2026", an ISO timestamp, an Excel date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value or "").strip()
    if not text:
        return ""
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?", text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: [\d:.]+)?", text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -,]*(\d{4})", text):
        d, mo, y = int(m[1]), MONTHS.get(m[2].lower(), 0), int(m[3])
    else:
        raise FieldError("error.date_invalid")
    try:
        return date(y, mo, d).isoformat()
    except ValueError as exc:
        raise FieldError("error.date_invalid") from exc


def _money_text(value) -> str:
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, (int, Decimal)):
        return str(value)
    return str(value or "").replace("IDR", "").replace(" ", "")


def _convert(spec: Spec, value, lookups: _Lookups, row_customers: dict):
    """One cell -> the value the module's service takes (raises FieldError with a clear key)."""
    kind = spec.kind
    if value is None or (isinstance(value, str) and value == ""):
        return ""
    if kind in ("money",):
        return _money_text(value)
    if kind in ("int", "percent"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip().removesuffix("%").strip().replace(",", ".")
        if kind == "percent":  # our own export writes "PPN 11%" or "Tax exempt" / "Bebas pajak"
            if _norm_header(text) in {_norm_header(label) for label in CATALOG.get("catalog.tax_exempt", ())}:
                return "0"
            text = re.sub(r"^[^\d-]+", "", text).strip()
        if kind == "int" and re.fullmatch(r"-?\d+\.0+", text):
            text = text.split(".")[0]
        return text
    if kind == "float":
        return str(value)
    if kind == "date":
        return parse_any_date(value)
    if kind == "bool":
        text = _norm_header(value)
        if text in ("1", "true", "yes", "ya", "y", "active", "aktif", "x"):
            return True
        if text in ("0", "false", "no", "tidak", "n", "inactive", "archived", "nonaktif", "tidak aktif", "diarsipkan"):
            return False
        raise FieldError("imports.error.bool", value=str(value)[:40])
    if kind == "tags":
        return str(value)
    text = _text(value).strip()
    if kind == "choice":
        code = lookups.choice(spec.choices).get(_norm_header(text))
        if code is None:
            raise FieldError("imports.error.choice", value=text[:40])
        return code
    if kind in ("owner", "user"):
        found = lookups.user_by.get(text.lower())
        if found is None:
            raise FieldError("imports.error.user_unknown", value=text[:60])
        return str(found)
    if kind == "stage":
        found = lookups.stages.get(text.lower())
        if found is None:
            raise FieldError("imports.error.stage_unknown", value=text[:60])
        return str(found)
    if kind in ("company", "customer", "contact"):
        found = row_customers.get((spec.name, text))
        if found is None:
            raise FieldError("imports.error.customer_unknown", value=text[:80])
        return str(found)
    return text


def _resolve_customers(specs_by_index: dict[int, Spec], rows: list[tuple[int, list]], lookups: _Lookups) -> dict:
    """The customers named by the chunk's reference columns: {(field, cell text): id}."""
    names: set[str] = set()
    emails: set[str] = set()
    refs: list[tuple[str, str, str]] = []
    for index, spec in specs_by_index.items():
        if spec.kind not in ("company", "customer", "contact"):
            continue
        for _n, row in rows:
            text = _text(row[index]).strip() if index < len(row) else ""
            if not text:
                continue
            if "@" in text and spec.kind == "contact":
                emails.add(text.lower())
                refs.append((spec.name, text, "@"))
            else:
                names.add(normalise_name(text))
                refs.append((spec.name, text, "company" if spec.kind == "company" else ""))
    if not refs:
        return {}
    lookups.load_customers(names, emails)
    out = {}
    for field, text, scope in refs:
        key = ("@", text.lower()) if scope == "@" else (scope, normalise_name(text))
        out[(field, text)] = lookups.customers.get(key)
    return out


# -------------------------------------------------------------------------------------- matching


def _match_values(module: str, values: dict) -> dict[str, str]:
    """A row's value for each match key, normalised as stored (customers, contacts and leads: from
    the validated values, so e-mails and phones compare as the database keeps them)."""
    def words(text) -> str:
        return " ".join(str(text or "").lower().split())

    if module in ("customers", "contacts"):
        out = {"email": values.get("email"), "phone": values.get("phone") or values.get("mobile"), "name": values.get("name_norm") or normalise_name(values.get("name") or "")}
    elif module == "leads":
        out = {"email": values.get("email"), "phone": values.get("phone"), "name": words(values.get("title"))}
    elif module == "opportunities":
        out = {"name": words(values.get("name"))}
    elif module == "products":
        out = {"code": str(values.get("code") or "").strip().upper().replace(" ", "-"), "name": words(values.get("name"))}
    else:
        out = {}
    return {k: v for k, v in out.items() if v}


def _db_matches(session: Session, module: str, keys: list[str], values: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    """Existing records with the chunk's match values: {(key, value): id} (the oldest record wins; a
    customer's phone matches its phone or its mobile)."""
    from kaktus_app.catalog.models import Product
    from kaktus_app.customers.models import Customer
    from kaktus_app.leads.models import Lead
    from kaktus_app.sales.models import Opportunity

    columns = {
        "customers": {"email": [Customer.email], "phone": [Customer.phone, Customer.mobile], "name": [Customer.name_norm]},
        "contacts": {"email": [Customer.email], "phone": [Customer.phone, Customer.mobile], "name": [Customer.name_norm]},
        "leads": {"email": [Lead.email], "phone": [Lead.phone], "name": [func.lower(Lead.title)]},
        "opportunities": {"name": [func.lower(Opportunity.name)]},
        "products": {"code": [Product.code], "name": [func.lower(Product.name)]},
    }.get(module, {})
    model = _model(module)
    found: dict[tuple[str, str], int] = {}
    for key in keys:
        wanted = sorted(values.get(key, ()))
        for column in columns.get(key, ()):
            for part in _parts(wanted):
                for value, record_id in session.exec(select(column, model.id).where(column.in_(part)).order_by(model.id)):
                    if (key, value) not in found or record_id < found[(key, value)]:
                        found[(key, value)] = record_id
    return found


# -------------------------------------------------------------------------------------- running


def _service(module: str):
    if module in ("customers", "contacts"):
        from kaktus_app.customers import service
    elif module == "leads":
        from kaktus_app.leads import service
    elif module == "opportunities":
        from kaktus_app.sales import service
    elif module == "products":
        from kaktus_app.catalog import service
    else:
        from kaktus_app.helpdesk import service
    return service


def _create_one(session: Session, actor: Actor, module: str, data: dict):
    svc = _service(module)
    return {
        "customers": lambda: svc.create_customer(session, actor, data),
        "contacts": lambda: svc.create_customer(session, actor, data),
        "leads": lambda: svc.create_lead(session, actor, data),
        "opportunities": lambda: svc.create_opportunity(session, actor, data),
        "products": lambda: svc.create_product(session, actor, data),
        "tickets": lambda: svc.create_ticket(session, actor, data),
    }[module]()


def _model(module: str):
    from kaktus_app.catalog.models import Product
    from kaktus_app.customers.models import Customer
    from kaktus_app.helpdesk.models import Ticket
    from kaktus_app.leads.models import Lead
    from kaktus_app.sales.models import Opportunity

    return {"customers": Customer, "contacts": Customer, "leads": Lead, "opportunities": Opportunity, "products": Product, "tickets": Ticket}[module]


def _update_one(session: Session, actor: Actor, module: str, record_id: int, data: dict) -> dict:
    """Update a matched record with the row's non-empty values; returns its previous values."""
    svc = _service(module)
    record = session.get(_model(module), record_id)
    if record is None:
        raise NotFound()
    previous = {k: _jsonable(getattr(record, k)) for k in data if hasattr(record, k)}
    {
        "customers": lambda: svc.update_customer(session, actor, record_id, data),
        "contacts": lambda: svc.update_customer(session, actor, record_id, data),
        "leads": lambda: svc.update_lead(session, actor, record_id, data),
        "opportunities": lambda: svc.update_opportunity(session, actor, record_id, data),
        "products": lambda: svc.update_product(session, actor, record_id, data),
    }[module]()
    return previous


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _prepare(session: Session, actor: Actor, module: str, data: dict, owners: dict) -> dict:
    svc = _service(module)
    if module == "leads":
        return svc.prepare_lead(session, actor, data)
    return svc.prepare_customer(session, actor, data, owners=owners)


def _insert(session: Session, actor: Actor, module: str, rows: list[dict]) -> list[int]:
    now = utcnow()
    rows = [{**r, "created_at": now, "updated_at": now} for r in rows]
    if module == "leads":
        return _service(module).insert_leads(session, actor, rows)
    return _service(module).insert_customers(session, actor, rows)


class _Run:
    """One pass over the file (a dry run or the import)."""

    def __init__(self, session: Session, actor: Actor, job: ImportJob, dry_run: bool, folder: Path | None, progress=None):
        self.session, self.actor, self.job, self.dry_run, self.folder = session, actor, job, dry_run, folder
        self.module = job.module
        self.specs = {s.name: s for s in SPECS[job.module]}
        self.mapping = {int(k): self.specs[v] for k, v in json.loads(job.mapping or "{}").items() if v in self.specs}
        self.keys = [k for k in (job.match_on or "").split(",") if k in MATCH_KEYS[job.module]]
        self.lookups = _Lookups(session, job.module)
        # match values of the rows taken so far -> record id (None: created by a dry run; < 0: the
        # position in the chunk's pending bulk insert, -1 first)
        self.seen: dict[tuple[str, str], int | None] = {}
        self.owners: dict = {}
        self.counts = {"processed": 0, "created": 0, "updated": 0, "skipped": 0, "failed": 0}
        self.found: list[ImportIssue] = []
        self.progress = progress

    def issue(self, row_number: int, row: list, field: str, key: str, params: dict | None = None) -> None:
        self.found.append(ImportIssue(
            job_id=self.job.id, row_number=row_number, field=field, message_key=key,
            params=json.dumps(params or {}, ensure_ascii=False, default=str), values=json.dumps([_text(c) for c in row], ensure_ascii=False),
        ))

    def data_of(self, row: list, row_customers: dict, row_number: int) -> dict | None:
        """The row as the module's form would send it; None (and its errors noted) when a cell cannot
        be read (an unknown owner, a date that is no date...)."""
        data: dict = {}
        errors: list[tuple[str, str, dict]] = []
        for index, spec in self.mapping.items():
            value = row[index] if index < len(row) else ""
            try:
                data[spec.name] = _convert(spec, value, self.lookups, row_customers)
            except FieldError as exc:
                errors.append((spec.name, exc.key, exc.params))
        if self.module in ("customers", "contacts"):
            data["kind"] = data.get("kind") or ("person" if self.module == "contacts" else "company")
        if self.module == "tickets":
            data["channel"] = data.get("channel") or "email"
        for field, key, params in errors:
            self.issue(row_number, row, field, key, params)
        if errors:
            self._other_errors(row_number, row, data, {e[0] for e in errors})
            return None
        return data

    def _other_errors(self, row_number: int, row: list, data: dict, known: set[str]) -> None:
        """The row's remaining problems, so the report lists them all at once: the cells that could
        not be read are left out and the rest is validated (stored nothing)."""
        session = self.session
        rest = {k: v for k, v in data.items() if k not in known}
        savepoint = session.begin_nested()
        try:
            if self.module in BULK:
                _prepare(session, self.actor, self.module, rest, {})
            else:
                _create_one(session, self.actor, self.module, rest)
        except ValidationError as exc:
            for field, key in exc.errors.items():
                if field not in known:
                    self.issue(row_number, row, field, key, {**exc.params, **exc.field_params.get(field, {})})
        except Exception:  # noqa: BLE001  (the errors already found are enough)
            pass
        finally:
            savepoint.rollback()

    def fail(self, row_number: int, row: list, exc: Exception) -> None:
        self.counts["failed"] += 1
        if isinstance(exc, ValidationError):
            for field, key in exc.errors.items():
                self.issue(row_number, row, field, key, {**exc.params, **exc.field_params.get(field, {})})
        elif isinstance(exc, DomainError):
            self.issue(row_number, row, exc.field or "", exc.key, exc.params)
        else:
            self.issue(row_number, row, "", "imports.error.database", {"detail": str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})

    def run(self) -> None:
        table = _open(self.job, self.folder)
        chunk: list[tuple[int, list]] = []
        for number, row in table.rows:
            chunk.append((number, row))
            if len(chunk) >= CHUNK:
                self.chunk(chunk)
                chunk = []
        if chunk:
            self.chunk(chunk)

    def _match(self, values: dict, existing: dict) -> tuple[str, str, str, int | None] | None:
        for key in self.keys:
            value = values.get(key)
            if value and (key, value) in self.seen:
                return "file", key, value, self.seen[(key, value)]
            if value and (key, value) in existing:
                return "db", key, value, existing[(key, value)]
        return None

    def chunk(self, rows: list[tuple[int, list]]) -> None:
        session = self.session
        # a write first: the transaction is open before any savepoint (SQLite's driver starts it lazily)
        session.execute(update(ImportJob).where(ImportJob.id == self.job.id).values(processed=self.counts["processed"]))
        row_customers = _resolve_customers(self.mapping, rows, self.lookups)
        parsed: list[tuple[int, list, dict, dict]] = []
        for row_number, row in rows:
            data = self.data_of(row, row_customers, row_number)
            if data is None:
                self.counts["failed"] += 1
                continue
            if self.module in BULK:  # validated first: the match uses the stored (normalised) values
                try:
                    prepared = _prepare(session, self.actor, self.module, data, self.owners)
                except Exception as exc:  # noqa: BLE001  (any failure stays with its row)
                    self.fail(row_number, row, exc)
                    continue
                parsed.append((row_number, row, data, _match_values(self.module, prepared) | {"_prepared": prepared}))
            else:
                parsed.append((row_number, row, data, _match_values(self.module, data)))
        wanted: dict[str, set[str]] = {}
        for *_rest, values in parsed:
            for key in self.keys:
                if key in values:
                    wanted.setdefault(key, set()).add(values[key])
        existing = _db_matches(session, self.module, self.keys, wanted) if self.keys else {}
        self.pending: list[tuple[int, list, dict, dict]] = []  # bulk creates: (row number, row, values to store, match values)
        records: list[dict] = []
        savepoint = session.begin_nested() if self.dry_run else None
        for row_number, row, data, values in parsed:
            match = self._match(values, existing)
            if match is not None and self.job.on_duplicate == "skip":
                self.counts["skipped"] += 1
                self.issue(row_number, row, "", "imports.note.duplicate_skipped" if match[0] == "db" else "imports.note.duplicate_in_file", {})
                continue
            if match is not None and self.job.on_duplicate == "update":
                source, key, value, record_id = match
                if record_id is not None and record_id < 0:  # created by this chunk, not stored yet: store it first
                    records += self._store()
                    record_id = self.seen.get((key, value))
                if record_id is None or record_id < 0:  # a dry run's new record (or one that could not be stored)
                    if record_id is None:
                        self.counts["updated"] += 1
                    continue
                changes = {k: v for k, v in data.items() if v not in ("", None)}
                try:
                    with session.begin_nested():
                        previous = _update_one(session, self.actor, self.module, record_id, changes)
                except Exception as exc:  # noqa: BLE001  (any failure stays with its row)
                    self.fail(row_number, row, exc)
                    continue
                self.counts["updated"] += 1
                if source == "db":
                    records.append(self.record(row_number, record_id, "updated", json.dumps(previous, default=str)))
                continue
            if self.module in BULK:
                self.pending.append((row_number, row, values.pop("_prepared"), values))
                self._remember(values, None if self.dry_run else -len(self.pending))
                self.counts["created"] += 1
                continue
            try:
                with session.begin_nested():
                    record = _create_one(session, self.actor, self.module, data)
            except Exception as exc:  # noqa: BLE001
                self.fail(row_number, row, exc)
                continue
            self.counts["created"] += 1
            self._remember(values, None if self.dry_run else record.id)
            records.append(self.record(row_number, record.id, "created"))
        if self.pending and not self.dry_run:
            records += self._store()
        self.counts["processed"] += len(rows)
        if savepoint is not None:
            savepoint.rollback()  # a dry run keeps nothing but its report
        elif records:
            session.execute(insert(ImportRecord.__table__), records)
        session.add_all(self.found)
        self.found = []
        self._save_progress()

    def record(self, row_number: int, record_id: int, action: str, previous: str = "") -> dict:
        return {"job_id": self.job.id, "row_number": row_number, "record_type": RECORD_TYPE[self.module], "record_id": record_id, "action": action, "previous": previous}

    def _remember(self, values: dict, record_id: int | None) -> None:
        for key in self.keys:
            if values.get(key):
                self.seen[(key, values[key])] = record_id

    def _store(self) -> list[dict]:
        """Insert the chunk's new records at once; when that fails, row by row, so only the rows at
        fault are refused."""
        session, pending = self.session, self.pending
        self.pending = []
        if not pending:
            return []
        try:
            with session.begin_nested():
                ids = _insert(session, self.actor, self.module, [p[2] for p in pending])
            stored = list(zip(pending, ids, strict=True))
        except Exception:  # noqa: BLE001  (one bad row: find it)
            stored = []
            for item in pending:
                try:
                    with session.begin_nested():
                        stored.append((item, _insert(session, self.actor, self.module, [item[2]])[0]))
                except Exception as exc:  # noqa: BLE001
                    self.counts["created"] -= 1
                    self.fail(item[0], item[1], exc)
                    self._remember(item[3], -10**9)  # matches of a refused row match nothing stored
        records = []
        for (row_number, _row, values, matches), record_id in stored:
            self._remember(matches, record_id)
            if self.module in ("customers", "contacts"):
                self.lookups.remember_customer(values, record_id)
            records.append(self.record(row_number, record_id, "created"))
        return records

    def _save_progress(self) -> None:
        from kaktus_app.api import events

        job = self.job
        for key, value in self.counts.items():
            setattr(job, key, value)
        self.session.add(job)
        self.session.flush()
        self.session.info.pop(events.KEY, None)  # imports queue no per-record webhooks
        self.session.commit()
        if self.progress is not None:
            self.progress(dict(self.counts))


def run_job(session: Session, actor: Actor, job_id, *, dry_run: bool, folder: Path | None = None, progress=None) -> dict:
    """Run the dry run or the import of a job; commits after each chunk (its progress, and for an
    import its records), so another session can follow the counts. Returns the job's summary."""
    job = _job(session, actor, job_id)
    _require(session, actor, job.module)
    if job.status in ("running", "done", "undone"):
        raise DomainError("imports.error.finished")
    set_options(session, actor, job.id, mapping=json.loads(job.mapping or "{}"), match_on=(job.match_on or "").split(","), on_duplicate=job.on_duplicate)
    if job.on_duplicate == "update":
        permissions.require(session, actor, PERMISSION[job.module], "update")
    session.exec(delete(ImportIssue).where(ImportIssue.job_id == job.id))
    job.status, job.dry_run, job.started_at, job.finished_at = "running", dry_run, utcnow(), None
    job.processed = job.created = job.updated = job.skipped = job.failed = 0
    session.add(job)
    session.commit()
    runner = _Run(session, actor, job, dry_run, folder, progress)
    try:
        runner.run()
    except Exception:
        session.rollback()
        job = session.get(ImportJob, job.id)
        job.status, job.finished_at = "failed", utcnow()
        session.add(job)
        session.commit()
        raise
    job.status, job.finished_at = ("checked" if dry_run else "done"), utcnow()
    session.add(job)
    if not dry_run:
        audit.record(
            session, actor, "import", PERMISSION[job.module], record_id=job.id,
            label=translate("imports.audit_label", "en", file=job.file_name, created=job.created, updated=job.updated),
            detail=translate(f"imports.module.{job.module}", "en"),
        )
    session.commit()
    return job_summary(job)


def progress_of(session: Session, actor: Actor, job_id, lang: str = "en") -> dict:
    return job_summary(_job(session, actor, job_id), lang)


def job_summary(job: ImportJob, lang: str = "en") -> dict:
    done = job.processed if job.total_rows else 0
    return {
        "id": job.id, "module": job.module, "module_label": translate(f"imports.module.{job.module}", lang), "file_name": job.file_name,
        "total": job.total_rows, "processed": job.processed, "created": job.created, "updated": job.updated, "skipped": job.skipped,
        "failed": job.failed, "status": job.status, "status_label": translate(f"imports.status.{job.status}", lang), "dry_run": job.dry_run,
        "percent": min(100, int(done * 100 / job.total_rows)) if job.total_rows else 0, "on_duplicate": job.on_duplicate,
        "match_on": [k for k in (job.match_on or "").split(",") if k],
        "created_label": format_datetime(job.created_at, lang) if job.created_at else "",
        "finished_label": format_datetime(job.finished_at, lang) if job.finished_at else "",
        "undone": job.undone_at is not None, "can_undo": job.status == "done" and job.undone_at is None,
        "seconds": round((job.finished_at - job.started_at).total_seconds(), 1) if job.finished_at and job.started_at else 0,
    }


def issues(session: Session, actor: Actor, job_id, *, lang: str = "en", limit: int = 100, offset: int = 0) -> dict:
    """The report of the last run: refused rows and skipped duplicates, by row, with the message in
    the user's language, paginated."""
    job = _job(session, actor, job_id)
    specs = {s.name: s for s in SPECS[job.module]}
    total = session.exec(select(func.count(ImportIssue.id)).where(ImportIssue.job_id == job.id)).one()
    rows = session.exec(select(ImportIssue).where(ImportIssue.job_id == job.id).order_by(ImportIssue.row_number, ImportIssue.id).offset(offset).limit(limit)).all()
    return {"total": total, "rows": [_issue_row(i, specs, lang) for i in rows]}


def _issue_row(issue: ImportIssue, specs: dict, lang: str) -> dict:
    params = json.loads(issue.params or "{}")
    spec = specs.get(issue.field)
    return {
        "row": issue.row_number, "field": translate(spec.label, lang) if spec else issue.field,
        "message": translate(issue.message_key, lang, **params), "error": not issue.message_key.startswith("imports.note."),
        "values": json.loads(issue.values or "[]"),
    }


def error_report(session: Session, actor: Actor, job_id, *, lang: str = "en", folder: Path | None = None, source: Path | None = None) -> tuple[str, str]:
    """The report as a CSV file (row, field, message, then the row as it was in the file) in the export
    ``folder`` (``source``: where the imported files are): (download name, stored name)."""
    from kaktus_app.integration.service import export_folder

    job = _job(session, actor, job_id)
    specs = {s.name: s for s in SPECS[job.module]}
    table = _open(job, source)
    header = table.header
    table.rows.close()
    target = export_folder(folder)
    stored = f"{secrets.token_urlsafe(24)}.csv"
    with (target / stored).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([translate("imports.report.row", lang), translate("imports.report.field", lang), translate("imports.report.message", lang), *header])
        query = select(ImportIssue).where(ImportIssue.job_id == job.id).order_by(ImportIssue.row_number, ImportIssue.id)
        from kaktus_app.paging import batches

        for part in batches(session, query):
            for issue in part:
                row = _issue_row(issue, specs, lang)
                writer.writerow([row["row"], row["field"], row["message"], *row["values"]])
    base = Path(job.file_name).stem or "import"
    return f"{base}-{translate('imports.report.file', lang)}.csv", stored


def history(session: Session, actor: Actor, *, lang: str = "en", limit: int = 20) -> list[dict]:
    """The actor's recent imports (an admin sees everybody's)."""
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if not actor.is_admin:
        query = query.where(ImportJob.created_by_id == actor.id)
    names = dict(session.exec(select(User.id, User.full_name)).all()) if actor.is_admin else {}
    return [job_summary(j, lang) | {"user": names.get(j.created_by_id, "")} for j in session.exec(query)]


# -------------------------------------------------------------------------------------- undo


def undo(session: Session, actor: Actor, job_id, *, progress=None) -> dict:
    """Undo a whole import: the records it created are deleted (one still used by a record made since,
    say an opportunity on an imported customer, is kept and counted), the records it updated get their
    previous values back. Commits in chunks. Returns {deleted, restored, kept}."""
    job = _job(session, actor, job_id)
    if job.status != "done" or job.undone_at is not None:
        raise DomainError("imports.error.not_undoable")
    permission = PERMISSION[job.module]
    if job.created:
        permissions.require(session, actor, permission, "delete")
    model = _model(job.module)
    counts = {"deleted": 0, "restored": 0, "kept": 0}
    last = None
    while True:
        query = select(ImportRecord).where(ImportRecord.job_id == job.id).order_by(ImportRecord.id.desc()).limit(CHUNK)
        if last is not None:
            query = query.where(ImportRecord.id < last)
        part = session.exec(query).all()
        if not part:
            break
        last = part[-1].id
        created = [r.record_id for r in part if r.action == "created"]
        if created:
            counts["deleted"] += _delete_created(session, actor, job.module, created, counts)
        for record in part:
            if record.action != "updated":
                continue
            obj = session.get(model, record.record_id)
            if obj is None:
                continue
            for key, value in json.loads(record.previous or "{}").items():
                column = model.__table__.c.get(key)
                if column is None:
                    continue
                if value is not None and column.type.python_type is Decimal:
                    value = Decimal(value)
                elif value is not None and column.type.python_type in (date, datetime) and isinstance(value, str):
                    value = column.type.python_type.fromisoformat(value)
                setattr(obj, key, value)
            if hasattr(obj, "updated_at"):
                obj.updated_at = utcnow()
            session.add(obj)
            counts["restored"] += 1
        session.flush()
        from kaktus_app.api import events

        session.info.pop(events.KEY, None)
        session.commit()
        if progress is not None:
            progress(dict(counts))
    job.undone_at, job.status = utcnow(), "undone"
    session.add(job)
    session.commit()
    return counts


def _delete_created(session: Session, actor: Actor, module: str, ids: list[int], counts: dict) -> int:
    """Delete records this import created (that the actor may see). Customers and leads go in bulk,
    with their activities and timeline, each delete in the audit trail; any still referenced (a lead
    converted since, an opportunity on an imported customer, ...) are kept. The others go one by one
    through their module's delete, which refuses what is in use."""
    from sqlalchemy import insert

    from kaktus_app.activities.models import Activity, TimelineEntry
    from kaktus_app.auth.models import AuditLog

    model = _model(module)
    if module in BULK:
        record_type = RECORD_TYPE[module]
        owners = dict(session.exec(select(model.id, model.owner_id).where(model.id.in_(ids))).all())
        visible = permissions.visible_owner_ids(session, actor, PERMISSION[module])
        present = [i for i in ids if i in owners and (visible is None or owners[i] in visible)]
        counts["kept"] += len([i for i in ids if i in owners]) - len(present)
        column = {"customer": Activity.customer_id, "lead": Activity.lead_id}[record_type]
        free = _unreferenced(session, model, present, ignore=(Activity.__table__,))
        counts["kept"] += len(present) - len(free)
        if free:
            session.exec(delete(Activity).where(column.in_(free)))
            session.exec(delete(TimelineEntry).where(TimelineEntry.record_type == record_type, TimelineEntry.record_id.in_(free)))
            session.exec(delete(model).where(model.id.in_(free)))
            rows = [audit._row(session, "delete", PERMISSION[module], i, "", {}) for i in free]
            for row in rows:
                row["user_id"], row["username"] = actor.id, actor.username
            session.connection().execute(insert(AuditLog.__table__), rows)
        return len(free)
    deleted = 0
    svc = _service(module)
    remove = {"opportunities": "delete_opportunity", "products": "delete_product", "tickets": "delete_ticket"}[module]
    for record_id in ids:
        try:
            with session.begin_nested():
                getattr(svc, remove)(session, actor, record_id)
            deleted += 1
        except NotFound:
            continue
        except DomainError:
            counts["kept"] += 1
    return deleted


def _unreferenced(session: Session, model, ids: list[int], ignore=()) -> list[int]:
    """Of ``ids``, those no row of another table (nor another row of the same table) points at."""
    from sqlmodel import SQLModel

    if not ids:
        return []
    used: set[int] = set()
    target = model.__table__
    for table in SQLModel.metadata.sorted_tables:
        if table in ignore:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is not target:
                continue
            for part in _parts(ids):
                query = select(fk.parent).where(fk.parent.in_(part)).distinct()
                if table is target:  # a company's contacts: only those not removed with it
                    query = query.where(table.c.id.notin_(ids))
                used |= {row[0] for row in session.execute(query)}
    return [i for i in ids if i not in used]
