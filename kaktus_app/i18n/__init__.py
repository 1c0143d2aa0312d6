"""Translations (English + Bahasa Indonesia) and Indonesian formatting.

Every catalog entry is a pair ``(english, indonesian)``, so both catalogs are complete by
construction. Entries live in ``kaktus_app/i18n/messages/<module>.py`` as ``MESSAGES`` dicts and are
merged here; a key defined twice is an error at import time.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from babel.numbers import format_decimal

LANGUAGES = ("en", "id")
DEFAULT_LANGUAGE = "en"
JAKARTA = ZoneInfo("Asia/Jakarta")
_LOCALES = {"en": "en_GB", "id": "id_ID"}


def _load_catalog() -> dict[str, tuple[str, str]]:
    from kaktus_app.i18n import messages

    catalog: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        for key, pair in module.MESSAGES.items():
            if key in catalog:
                raise RuntimeError(f"translation key {key!r} is defined twice ({info.name})")
            catalog[key] = pair
    return catalog


CATALOG: dict[str, tuple[str, str]] = _load_catalog()


def text_pair(key: str) -> tuple[str, str]:
    """The (english, indonesian) pair for ``key``; an unknown key shows itself, so it is noticed."""
    return CATALOG.get(key, (key, key))


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """The text for ``key`` in ``lang`` with ``{name}`` placeholders filled from ``params``."""
    en, id_ = text_pair(key)
    template = id_ if lang == "id" else en
    if params:
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template
    return template


def normalise_language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


# ----------------------------------------------------------------------------------------- money


def to_money(value) -> Decimal:
    """Round to whole rupiah-cents (2 places, half up); accepts Decimal, int, str or float."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_ONE = Decimal(1)


def format_idr(value) -> str:
    """IDR the Indonesian way: ``Rp 1.500.000`` (no decimals; negative as ``-Rp 1.500``)."""
    if value.__class__ is Decimal and value.is_finite() and value.as_tuple().exponent >= -2:
        # a stored amount (whole cents): rounded once, as the two steps below would (a list row shows two)
        amount = int(value.quantize(_ONE, rounding=ROUND_HALF_UP))
    else:
        amount = int(to_money(value).quantize(_ONE, rounding=ROUND_HALF_UP))
    digits = f"{abs(amount):,}".replace(",", ".")  # Babel's id_ID "#,##0", written directly: every list row shows one
    return f"-Rp {digits}" if amount < 0 else f"Rp {digits}"


def format_idr_short(value) -> str:
    """Compact IDR for cards and charts: Rp 1,5 jt / Rp 2,3 M."""
    amount = to_money(value)
    for threshold, suffix in ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "M"), (Decimal(10) ** 6, "jt")):
        if abs(amount) >= threshold:
            scaled = (amount / threshold).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            text = format_decimal(scaled, format="#,##0.#", locale="id_ID")
            return f"Rp {text} {suffix}"
    return format_idr(amount)


# ------------------------------------------------------------------------------------------ time


def format_number(value) -> str:
    """A plain number the Indonesian way: 1.500.000 or 12,5 ("—" for none)."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    pattern = "#,##0" if number == number.to_integral_value() else "#,##0.##"
    return format_decimal(number, format=pattern, locale="id_ID")


def utcnow() -> datetime:
    """Aware UTC now: every datetime column stores UTC (SQLModel's UTCDateTime)."""
    return datetime.now(UTC)


def to_jakarta(value: datetime) -> datetime:
    """A stored UTC datetime (naive means UTC) as Asia/Jakarta wall time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JAKARTA)


def jakarta_to_utc(value: datetime) -> datetime:
    """A naive Jakarta wall time (as typed in a form) as aware UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=JAKARTA)
    return value.astimezone(UTC)


# Asia/Jakarta has kept UTC+7 (WIB) since 1964: a later UTC time is shown by adding seven hours, a
# quarter of the cost of the zone's own conversion (a list row shows one or two times)
_WIB = timedelta(hours=7)


def _local(value: datetime) -> datetime:
    """``value`` (naive means UTC) with Jakarta's wall time in its fields (its tzinfo not changed on the fast path)."""
    zone = value.tzinfo
    if (zone is None or zone is UTC) and value.year >= 1964:
        return value + _WIB
    return to_jakarta(value)


def format_datetime(value: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """e.g. ``24 Nov 2026 21:00`` in Jakarta time."""
    if value is None:
        return ""
    local = _local(value)
    return f"{_day(local, lang)} {_TWO[local.hour]}:{_TWO[local.minute]}"


def format_date(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """e.g. ``24 Nov 2026`` (``24 Nov 2026`` / ``24 Agu 2026`` in Indonesian)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return _day(value, lang)


# two digits of an hour or a minute, looked up (a format spec costs a time about half a microsecond)
_TWO = tuple(f"{n:02d}" for n in range(60))


def _day(value: date, lang: str) -> str:
    year = value.year if value.year >= 1000 else f"{value.year:04d}"
    return f"{value.day} {_MONTHS[normalise_language(lang)][value.month]} {year}"


# CLDR's abbreviated month names per language, read from Babel once: the dates above are Babel's
# "d MMM yyyy" / "d MMM yyyy HH:mm", written out directly because every list row shows one or two
# (Babel's pattern formatting cost a list page about a third of its time; tests compare the two).
_MONTHS = {
    lang: {month: str(name) for month, name in get_month_names("abbreviated", context="format", locale=locale).items()}
    for lang, locale in _LOCALES.items()
}
