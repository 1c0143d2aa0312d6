"""Parsing and normalising of what people type, shared by every service.

Each ``parse_*`` returns the clean value or raises ``FieldError`` carrying a translation key; a
service collects those per field and raises one ``ValidationError`` so the form can show every
message at its field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from kaktus_app.i18n import jakarta_to_utc, to_money

LEGAL_FORMS = {"pt", "cv", "ud", "tbk", "persero", "pd", "fa", "koperasi", "yayasan", "ltd", "inc", "co"}


class FieldError(Exception):
    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


class Errors:
    """Collects field errors: ``with errors.field("email"): value = parse_email(raw)``."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.params: dict[str, dict] = {}

    def check(self, field: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FieldError as exc:
            if field not in self.errors:
                self.errors[field], self.params[field] = exc.key, exc.params
            return None

    def add(self, field: str, key: str) -> None:
        self.errors.setdefault(field, key)

    def raise_if_any(self) -> None:
        if self.errors:
            from kaktus_app.errors import ValidationError

            raise ValidationError(dict(self.errors), field_params=dict(self.params))


def clean_text(value: str | None, *, required: bool = False, max_length: int = 200) -> str:
    text = (value or "").strip()
    if required and not text:
        raise FieldError("error.required")
    if len(text) > max_length:
        raise FieldError("error.too_long", max=max_length)
    return text


def parse_email(value: str | None, *, required: bool = False) -> str:
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError("error.required")
        return ""
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError("error.email_invalid") from exc
    return result.normalized.lower()


def parse_phone(value: str | None, *, required: bool = False) -> str:
    """Normalise to E.164 (+62...). Accepts 0812-..., 62812..., +62 812..., (021) 844 8205."""
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError("error.required")
        return ""
    if re.search(r"[A-Za-z]", text):
        raise FieldError("error.phone_invalid")
    digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("62"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "ID")
    except phonenumbers.NumberParseException as exc:
        raise FieldError("error.phone_invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise FieldError("error.phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65_536)
def format_phone(e164: str) -> str:
    """Show +6281234567890 as +62 812-3456-7890 (international format). Cached: every list row shows
    one, and parsing with phonenumbers is most of a row's cost."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, "ID"), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def parse_money(value, *, required: bool = False, allow_negative: bool = False) -> Decimal:
    """Parse IDR typed the Indonesian way (1.500.000 or 1.500.000,50), plainly (1500000) or as a number."""
    if isinstance(value, (int, Decimal)):
        amount = to_money(value)
    else:
        text = str(value or "").strip().replace("Rp", "").replace("rp", "").replace(" ", "")
        if not text:
            if required:
                raise FieldError("error.required")
            return Decimal("0.00")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d{1,2})?", text) or re.fullmatch(r"-?\d+,\d{1,2}", text):
            text = text.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d{1,2})?", text):
            text = text.replace(",", "")
        try:
            amount = to_money(Decimal(text))
        except (InvalidOperation, ValueError) as exc:
            raise FieldError("error.number_invalid") from exc
    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        raise FieldError("error.number_invalid")
    if amount < 0 and not allow_negative:
        raise FieldError("error.amount_negative")
    return amount


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None, range_key: str = "") -> int:
    text = str(value if value is not None else "").strip().removesuffix("%").strip()
    if not re.fullmatch(r"-?\d+", text):
        raise FieldError("error.number_invalid")
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise FieldError(range_key or "error.number_invalid")
    return number


def parse_date(value, *, required: bool = False) -> date | None:
    """ISO (2026-11-24, as an <input type=date> sends) or dd/mm/yyyy."""
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            raise FieldError("error.required")
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError("error.date_invalid")


def parse_local_datetime(value, *, required: bool = False) -> datetime | None:
    """A Jakarta wall time as typed (2026-11-24T14:30 from <input type=datetime-local>) -> aware UTC."""
    if isinstance(value, datetime):
        return jakarta_to_utc(value)
    text = str(value or "").strip()
    if not text:
        if required:
            raise FieldError("error.required")
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d"):
        try:
            return jakarta_to_utc(datetime.strptime(text, fmt))
        except ValueError:
            continue
    raise FieldError("error.datetime_invalid")


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str) -> str:
    """Lower-case, accents and punctuation stripped, legal forms (PT, CV, Tbk...) dropped.

    Used for search prefixes and duplicate detection: "PT. KITA" -> "kita".
    """
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = [w for w in _NOT_WORD.split(text) if w and w not in LEGAL_FORMS]
    return " ".join(words)


def parse_tags(value) -> list[str]:
    """Tags typed as "a, b" (or a list) -> sorted unique lower-case list."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    tags = {re.sub(r"\s+", " ", str(t)).strip().lower() for t in items}
    return sorted(t[:40] for t in tags if t)


def tags_to_db(tags: list[str]) -> str:
    """Stored as ",a,b," so a tag filter is ``LIKE '%,a,%'`` on one column."""
    return f",{','.join(tags)}," if tags else ""


def tags_from_db(value: str | None) -> list[str]:
    return [t for t in (value or "").split(",") if t]


def phone_search_prefix(text: str) -> str | None:
    """The start of an E.164 number that a typed search means ("0812 34" -> "+628123"), or None:
    fewer than four digits, or letters in the text (a name, not a number)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4 or re.search(r"[A-Za-z]", text):
        return None
    return "+" + ("62" + digits[1:] if digits.startswith("0") else digits)


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix`` (for index range
    scans, in code point order: SQLite's BINARY, PostgreSQL's "C"): its last character raised by
    one, "kita" -> "kitb". (An ASCII prefix keeps an ASCII bound, which the driver sends as is.)"""
    kept = prefix.rstrip(chr(0x10FFFF))
    if not kept:
        return prefix + chr(0x10FFFF)
    last = ord(kept[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters
        last = 0xE000
    return kept[:-1] + chr(last)


def _decimal_text(value) -> Decimal:
    """A plain decimal typed either way: 1,5 / 1.5 / 1.000 (thousands) / 10%."""
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    text = str(value if value is not None else "").strip().removesuffix("%").strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise FieldError("error.number_invalid")
    return Decimal(text)


def parse_percent(value, *, default: str = "0") -> Decimal:
    """A percentage 0–100 with at most two decimals ("11", "7,5", "10%"); empty means ``default``."""
    if value is None or str(value).strip() == "":
        return Decimal(default).quantize(Decimal("0.01"))
    number = _decimal_text(value)
    if number < 0 or number > 100:
        raise FieldError("error.percent_range")
    if number != number.quantize(Decimal("0.01")):
        raise FieldError("error.too_many_decimals")
    return number.quantize(Decimal("0.01"))


def parse_quantity(value, *, required: bool = True) -> Decimal:
    """A quantity above zero with at most two decimals (50, 2,5, 1.000)."""
    if value is None or str(value).strip() == "":
        if required:
            raise FieldError("error.required")
        return Decimal("1.00")
    number = _decimal_text(value)
    if number <= 0:
        raise FieldError("error.quantity_positive")
    if number >= Decimal("1e9"):
        raise FieldError("error.number_invalid")
    if number != number.quantize(Decimal("0.01")):
        raise FieldError("error.too_many_decimals")
    return number.quantize(Decimal("0.01"))
