"""Foundation: migrations, translations, formatting, parsing, login."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from kaktus_app import db
from kaktus_app.auth import service as auth
from kaktus_app.errors import DomainError, ValidationError
from kaktus_app.i18n import CATALOG, format_date, format_datetime, format_idr, format_idr_short, translate
from kaktus_app.search.text import include_name
from kaktus_app.validation import (
    FieldError,
    normalise_name,
    parse_email,
    parse_local_datetime,
    parse_money,
    parse_phone,
)


def test_migrations_build_exactly_the_models_schema(db_url):
    """The schema comes only from Alembic; a model change without a migration fails here."""
    with db.get_engine(db_url).connect() as conn:
        # the word-search objects (FTS5 tables and triggers, GIN indexes) live only in migration 0010
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), SQLModel.metadata)
    assert diff == []


def test_both_catalogs_are_complete():
    missing = [key for key, (en, id_) in CATALOG.items() if not en.strip() or not id_.strip()]
    assert missing == []
    assert translate("nav.customers", "id") == "Pelanggan"
    assert translate("common.page_of", "id", page=2, pages=5) == "Halaman 2 dari 5"


def test_idr_is_formatted_the_indonesian_way():
    assert format_idr(Decimal("1500000")) == "Rp 1.500.000"
    assert format_idr(0) == "Rp 0"
    assert format_idr(Decimal("-2500")) == "-Rp 2.500"
    assert format_idr_short(Decimal("2350000000")) == "Rp 2,4 M"
    assert format_idr_short(Decimal("125000000")) == "Rp 125 jt"
    assert format_idr(Decimal("999.50")) == "Rp 1.000" and format_idr(Decimal("-0.40")) == "Rp 0"
    # an amount with more than cents is rounded to cents first, as it would be stored
    assert format_idr(Decimal("0.495")) == "Rp 1" and format_idr(2499.5) == "Rp 2.500" and format_idr("1500000") == "Rp 1.500.000"
    # written without Babel (every list row shows an amount): the same text as Babel's id_ID pattern
    from babel.numbers import format_decimal

    for amount in (7, 12_345, 1_000_000, 987_654_321_012, 10**15 + 1):
        assert format_idr(Decimal(amount)) == "Rp " + format_decimal(amount, format="#,##0", locale="id_ID")


def test_times_are_stored_utc_and_shown_in_jakarta():
    stored = parse_local_datetime("2026-11-24T14:30")  # typed in Jakarta (UTC+7)
    assert stored.utcoffset().total_seconds() == 0 and stored.hour == 7
    assert format_datetime(stored, "id") == "24 Nov 2026 14:30"
    assert format_date(datetime(2026, 8, 17, 1, 0), "id") == "17 Agu 2026"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("0812-3456-7890", "+6281234567890"), ("62811223344", "+62811223344"), ("(021) 844 8205", "+62218448205"), ("+62 21 8448205", "+62218448205")],
)
def test_phone_numbers_are_normalised_to_e164(typed, stored):
    assert parse_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12", "abc", "0812", "+1 202 555 0100x"])
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(FieldError):
        parse_phone(typed)


def test_money_parsing_accepts_indonesian_formats_and_refuses_negatives():
    assert parse_money("1.500.000") == Decimal("1500000.00")
    assert parse_money("Rp 2.750.000,50") == Decimal("2750000.50")
    assert parse_money("1500000") == Decimal("1500000.00")
    with pytest.raises(FieldError):
        parse_money("-5")
    with pytest.raises(FieldError):
        parse_money("lima juta")


def test_email_and_names():
    assert parse_email(" Yeyen@Kita.co.id ") == "yeyen@kita.co.id"
    with pytest.raises(FieldError):
        parse_email("yeyen@")
    assert normalise_name("PT. KITA") == "kita"
    assert normalise_name("CV Sumber Rejeki, Tbk.") == "sumber rejeki"


def test_login_logout_and_lockout(seeded):
    token, actor = auth.login(seeded, "dewi", "kaktus-dewi-2026")
    seeded.commit()
    assert actor.full_name == "Dewi Lestari"
    assert auth.resolve_session(seeded, token) == actor
    auth.logout(seeded, token)
    seeded.commit()
    assert auth.resolve_session(seeded, token) is None

    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(DomainError) as wrong:
            auth.login(seeded, "budi", "wrong password")
        assert wrong.value.key == "auth.invalid_credentials"
    with pytest.raises(DomainError) as locked:
        auth.login(seeded, "budi", "kaktus-budi-2026")
    assert locked.value.key == "auth.locked"


def test_passwords_are_argon2_hashed(seeded):
    from sqlmodel import select

    from kaktus_app.auth.models import User

    user = seeded.exec(select(User).where(User.username == "admin")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert "kaktus-admin-2026" not in user.password_hash


def test_create_user_validates_every_field(seeded):
    with pytest.raises(ValidationError) as bad:
        auth.create_user(seeded, username="", full_name="", password="short", role="boss", email="nope")
    assert set(bad.value.errors) == {"username", "full_name", "password", "role", "email"}


def test_dates_are_written_exactly_as_babels_pattern_would_write_them():
    """format_date / format_datetime write "d MMM yyyy [HH:mm]" directly: the same text as Babel's
    pattern, for every month and both languages (English "Sept", Indonesian "Agu")."""
    from datetime import UTC, timedelta

    from babel.dates import format_date as babel_date
    from babel.dates import format_datetime as babel_datetime

    from kaktus_app.i18n import JAKARTA

    for lang, locale in (("en", "en_GB"), ("id", "id_ID")):
        for month in range(1, 13):
            for day, hour, minute in ((1, 0, 0), (9, 7, 5), (28, 23, 59)):
                moment = datetime(2026, month, day, hour, minute, tzinfo=UTC)
                local = moment.astimezone(JAKARTA)
                assert format_datetime(moment, lang) == babel_datetime(local, "d MMM yyyy HH:mm", locale=locale)
                assert format_date(moment, lang) == babel_date(local.date(), "d MMM yyyy", locale=locale)
                assert format_date(moment.date() + timedelta(days=1), lang) == babel_date(moment.date() + timedelta(days=1), "d MMM yyyy", locale=locale)
    assert format_date(datetime(2026, 9, 3, 1, 0), "en") == "3 Sept 2026" and format_date(datetime(2026, 8, 17, 1, 0), "id") == "17 Agu 2026"
    # Jakarta's offset was not +7 before 1964; a time in another zone, and a naive one (UTC), are converted too
    from zoneinfo import ZoneInfo

    for moment in (datetime(1950, 6, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))):
        assert format_datetime(moment, "en") == babel_datetime(moment.astimezone(JAKARTA), "d MMM yyyy HH:mm", locale="en_GB")
        assert format_date(moment, "id") == babel_date(moment.astimezone(JAKARTA).date(), "d MMM yyyy", locale="id_ID")
    assert format_datetime(datetime(2026, 12, 31, 20, 15), "id") == "1 Jan 2027 03:15"


def test_a_prefix_range_holds_exactly_the_strings_that_start_with_it():
    # the search and the lists find "starts with" by an index range [prefix, bound)
    from kaktus_app.validation import prefix_upper_bound

    words = ["kita", "kita example", "kitab", "kitb", "kit", "kit a", "kita\uffff", "kita😀 catering", "kitá", "+62812", "+62813", "c4242@example-70.co.id"]
    for prefix in ("kita", "kit", "+62812", "c4242@example", "kitá", "z" + chr(0x10FFFF), chr(0xD7FF)):
        bound = prefix_upper_bound(prefix)
        assert all(w.startswith(prefix) == (prefix <= w < bound) for w in words + [prefix + chr(0x10FFFF), bound]), prefix
        bound.encode()  # a real string the driver can send
    assert prefix_upper_bound("kita") == "kitb"


def test_sqlite_connections_get_the_settings_the_app_relies_on(tmp_path):
    from kaktus_app import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    with engine.connect() as conn:
        settings = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("foreign_keys", "journal_mode", "cache_size")}
    engine.dispose()
    assert settings == {"foreign_keys": 1, "journal_mode": "wal", "cache_size": -db.SQLITE_CACHE_KIB}
