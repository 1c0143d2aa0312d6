"""Prepared reads (kaktus_app/prepared.py): what the customer list and the global search run on the
driver must give exactly what the ORM gives, see unsaved changes, and never reuse one call's values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlmodel import Session, select

from kaktus_app import db, prepared
from kaktus_app.auth import permissions
from kaktus_app.auth.service import user_names
from kaktus_app.customers.models import Customer
from kaktus_app.customers.service import list_customers
from kaktus_app.prepared import Prepared
from kaktus_app.sales.models import Opportunity, Stage
from kaktus_app.search.service import search
from kaktus_app.validation import normalise_name

DEALS = Prepared(
    lambda shape: select(Opportunity.id, Opportunity.name, Opportunity.expected_revenue, Opportunity.probability, Opportunity.created_at)
    .where(Opportunity.name >= bindparam("lo"), *([Opportunity.expected_revenue >= bindparam("min")] if shape else []))
    .order_by(Opportunity.name)
)


def _customer(session, name, **kw):
    c = Customer(name=name, name_norm=normalise_name(name), **kw)
    session.add(c)
    session.flush()
    return c


def _deal(session, name, revenue):
    stage = session.exec(select(Stage).order_by(Stage.sequence)).first()
    customer = _customer(session, f"Pelanggan {name}")
    deal = Opportunity(
        name=name, customer_id=customer.id, stage_id=stage.id, team_id=stage.team_id, expected_revenue=revenue, probability=30,
        created_at=datetime(2026, 11, 30, 23, 15, tzinfo=UTC),
    )
    session.add(deal)
    session.flush()
    return deal


def test_rows_are_what_the_orm_reads(seeded):
    _deal(seeded, "Nasi box 300 pax", Decimal("4500000.50"))
    _deal(seeded, "Tumpeng ulang tahun", Decimal("1250000.00"))
    seeded.commit()

    fast = DEALS.rows(seeded, True, {"lo": "N", "min": Decimal("1000000")})
    orm = seeded.exec(DEALS.statement(True).params(lo="N", min=Decimal("1000000"))).all()
    assert [tuple(r) for r in fast] == [tuple(r) for r in orm]
    assert fast[0].name == "Nasi box 300 pax"
    assert fast[0].expected_revenue == Decimal("4500000.50") and isinstance(fast[0].expected_revenue, Decimal)
    assert fast[0].created_at == datetime(2026, 11, 30, 23, 15, tzinfo=UTC)


def test_values_of_one_call_are_never_kept_for_the_next(seeded):
    _deal(seeded, "Nasi box 300 pax", Decimal("4500000"))
    _deal(seeded, "Tumpeng ulang tahun", Decimal("1250000"))
    seeded.commit()

    assert [r.name for r in DEALS.rows(seeded, True, {"lo": "A", "min": Decimal("2000000")})] == ["Nasi box 300 pax"]
    assert [r.name for r in DEALS.rows(seeded, True, {"lo": "O", "min": Decimal("0")})] == ["Tumpeng ulang tahun"]
    assert [r.name for r in DEALS.rows(seeded, False, {"lo": "A"})] == ["Nasi box 300 pax", "Tumpeng ulang tahun"]


def test_unsaved_changes_are_read_as_the_orm_would(seeded, admin):
    _customer(seeded, "PT. Belum Disimpan", city="Bogor")  # flushed, not committed
    seeded.add(Customer(name="CV. Masih Baru", name_norm=normalise_name("CV. Masih Baru"), city="Bogor"))  # pending
    assert [h["name"] for h in search(seeded, admin, "masih")["customers"]] == ["CV. Masih Baru"]
    page = list_customers(seeded, admin, city="Bogor")
    assert [r["name"] for r in page["rows"]] == ["PT. Belum Disimpan", "CV. Masih Baru"]


def test_reads_follow_the_session_through_commit_rollback_and_close(seeded, db_url):
    # the driver's connection is kept per transaction: after each end the next read must see the database as the ORM does
    _deal(seeded, "Nasi box kantor", Decimal("1000000"))
    assert [r.name for r in DEALS.rows(seeded, False, {"lo": "N"})] == ["Nasi box kantor"]
    seeded.rollback()
    assert DEALS.rows(seeded, False, {"lo": "N"}) == []  # the rolled-back deal is gone

    _deal(seeded, "Nasi box rapat", Decimal("2000000"))
    seeded.commit()
    with Session(db.get_engine(db_url)) as other:  # another user's change, committed
        _deal(other, "Nasi box seminar", Decimal("3000000"))
        other.commit()
    assert [r.name for r in DEALS.rows(seeded, False, {"lo": "N"})] == ["Nasi box rapat", "Nasi box seminar"]
    seeded.close()
    assert [r.name for r in DEALS.rows(seeded, False, {"lo": "Nasi box s"})] == ["Nasi box seminar"]


def test_each_salesperson_sees_only_their_own_with_the_same_statement(seeded, admin, dewi, budi):
    permissions.set_sharing(seeded, admin, "customers", "private")
    _customer(seeded, "PT. Milik Dewi", city="Depok", owner_id=dewi.id)
    _customer(seeded, "PT. Milik Budi", city="Depok", owner_id=budi.id)
    _customer(seeded, "PT. Tanpa Pemilik", city="Depok")
    seeded.commit()

    # dewi and budi each see one owner's records: the same shape, different values
    assert [r["name"] for r in list_customers(seeded, dewi, city="Depok")["rows"]] == ["PT. Milik Dewi", "PT. Tanpa Pemilik"]
    assert [r["name"] for r in list_customers(seeded, budi, city="Depok")["rows"]] == ["PT. Milik Budi", "PT. Tanpa Pemilik"]
    assert [h["name"] for h in search(seeded, budi, "milik")["customers"]] == ["PT. Milik Budi"]
    assert [h["name"] for h in search(seeded, dewi, "milik")["customers"]] == ["PT. Milik Dewi"]


def test_a_changed_or_deleted_record_is_read_as_the_orm_would(seeded, admin):
    kept = _customer(seeded, "PT. Nama Lama", city="Bogor")
    seeded.commit()
    kept.name, kept.name_norm = "PT. Nama Baru", normalise_name("PT. Nama Baru")  # changed, not flushed
    assert [h["name"] for h in search(seeded, admin, "nama baru")["customers"]] == ["PT. Nama Baru"]
    seeded.delete(kept)  # deleted, not flushed
    assert search(seeded, admin, "nama baru")["customers"] == []


def test_search_lists_each_customer_once_up_to_the_limit(seeded, admin):
    # "Jaya ..." match both by the start of the name and by a word; "... Jaya" only by a word
    for name in ("Jaya Abadi", "Jaya Makmur", "Sinar Jaya", "Toko Jaya", "Warung Jaya", "Dapur Jaya", "Jaya Baru"):
        _customer(seeded, name)
    seeded.commit()
    names = [h["name"] for h in search(seeded, admin, "jaya")["customers"]]
    assert names == ["Jaya Abadi", "Jaya Baru", "Jaya Makmur", "Dapur Jaya", "Sinar Jaya"]
    assert len(search(seeded, admin, "jaya", limit=10)["customers"]) == 7


def test_owner_names_of_a_page(seeded, dewi, budi):
    assert user_names(seeded, [dewi.id, None, budi.id, dewi.id, 987654]) == {dewi.id: "Dewi Lestari", budi.id: "Budi Santoso"}
    assert user_names(seeded, [None]) == {}


def test_tracing_shows_the_sql_a_list_sends(seeded, admin):
    _customer(seeded, "PT. Jejak", city="Bandung", owner_id=admin.id)
    with prepared.tracing() as traced:
        list_customers(seeded, admin, city="Bandung")
    sqls = [sql for sql, _ in traced]
    # the count, the cities that start with the typed one, the page (each city in name order), the owners' names
    assert len(sqls) == 4 and "count(*)" in sqls[0] and "min(city)" in sqls[1] and "LIMIT" in sqls[2] and "app_user" in sqls[3]
    assert all("Bandung" not in sql for sql in sqls)  # values travel as parameters, never in the SQL
    assert any("Bandung" in str(arguments) for _, arguments in traced)


def test_a_word_search_in_the_list_estimates_its_word_once(seeded, admin, monkeypatch):
    from kaktus_app.search import text as word_search

    # at 1M customers the count's estimate (up to 5% of them) reaches past the page's (1,000): scaled down here
    monkeypatch.setattr(word_search, "COUNT_WALK_SHARE", 0.5)
    monkeypatch.setattr(word_search, "DENSE", 2)
    for i in range(4):
        _customer(seeded, f"CV. Sumber Rejeki {i}", owner_id=admin.id)
    seeded.info.pop("word_search", None)  # a new request's session
    with prepared.tracing() as traced:
        page = list_customers(seeded, admin, search="rejeki")
    assert [r["name"] for r in page["rows"]] == [f"CV. Sumber Rejeki {i}" for i in range(4)]
    # the word index counts the matches (exactly: the word alone is searched; SQLite's FTS5 index,
    # PostgreSQL's customer_word), and that count serves the page's choice; the page, the owners
    index = "customer_fts" if seeded.get_bind().dialect.name == "sqlite" else "customer_word"
    assert len(traced) == 3 and index in traced[0][0]
    # with anything else searched too (a number may be a phone): the number of customers, how common
    # the word is (one estimate serves the count and the page), the count, the page, the owners
    _customer(seeded, "Toko 4242 Rejeki", owner_id=admin.id)
    seeded.info.pop("word_search", None)
    with prepared.tracing() as traced:
        assert list_customers(seeded, admin, search="4242")["total"] == 1
    assert len(traced) == 5


def test_the_count_of_a_word_search_is_what_the_list_holds(seeded, admin, dewi, budi, monkeypatch):
    # counted from the word index when the word alone is searched, row by row with anything else: the same numbers
    permissions.set_sharing(seeded, admin, "customers", "private")
    for i in range(7):
        _customer(seeded, f"Warung Jaya {i}", city="Bogor" if i < 3 else "Depok", owner_id=dewi.id if i % 2 else budi.id)
    _customer(seeded, "PT. Jayakarta Boga", city="Bogor", owner_id=dewi.id)  # "jaya" begins a word of it
    _customer(seeded, "CV. Surya Abadi", city="Bogor", owner_id=dewi.id)
    seeded.commit()
    seeded.info.pop("word_search", None)

    page = list_customers(seeded, admin, search="jaya", page_size=5)
    assert (page["total"], page["pages"], len(page["rows"])) == (8, 2, 5)
    assert list_customers(seeded, admin, search="jaya", city="Bogor")["total"] == 4
    assert list_customers(seeded, admin, search="warung jaya")["total"] == 7
    assert list_customers(seeded, dewi, search="jaya")["total"] == 4  # her own three Warung Jaya and Jayakarta
    assert list_customers(seeded, budi, search="jaya")["total"] == 4
    _customer(seeded, "Toko Jaya Baru", owner_id=budi.id)  # not committed yet: counted, as the page shows it
    assert list_customers(seeded, admin, search="jaya")["total"] == 9

    # a common word walks the name index (on PostgreSQL finding the page's ids first): the same pages and hits
    from kaktus_app.search import text as word_search

    def pages(actor):
        seeded.info.pop("word_search", None)
        return [[r["name"] for r in list_customers(seeded, actor, search="jaya", page=p, page_size=4)["rows"]] for p in (1, 2, 3)]

    def hits(actor):
        seeded.info.pop("word_search", None)
        return [h["name"] for h in search(seeded, actor, "jaya", limit=10)["customers"]]

    usual = (pages(admin), pages(dewi), hits(admin), hits(budi))
    monkeypatch.setattr(word_search, "DENSE", 2)
    assert (pages(admin), pages(dewi), hits(admin), hits(budi)) == usual
    assert usual[0] == [["PT. Jayakarta Boga", "Toko Jaya Baru", "Warung Jaya 0", "Warung Jaya 1"], ["Warung Jaya 2", "Warung Jaya 3", "Warung Jaya 4", "Warung Jaya 5"], ["Warung Jaya 6"]]
    assert usual[1][0] == ["PT. Jayakarta Boga", "Warung Jaya 1", "Warung Jaya 3", "Warung Jaya 5"]


def test_a_city_filter_pages_by_name_across_the_cities_it_matches(seeded, admin, dewi, budi, monkeypatch):
    # "Ban" matches Bandung, Bandung Barat and Bantul: each city is read in name order and the page
    # is the first of their union; it must be what one sorted read of the whole range gives
    from kaktus_app.customers import service as customers

    permissions.set_sharing(seeded, admin, "customers", "private")
    towns = {"Bandung": ["Sari Rasa", "Abadi", "Mulia"], "Bandung Barat": ["Citra", "Bumi"], "Bantul": ["Dapur Ibu", "Anugerah"], "Bogor": ["Aa Catering"]}
    for i, (city, names) in enumerate((c, n) for c, ns in towns.items() for n in ns):
        _customer(seeded, f"CV. {names}", city=city, owner_id=dewi.id if i % 2 else budi.id)
    seeded.commit()
    by_name = sorted(f"CV. {n}" for c, ns in towns.items() if c.startswith("Ban") for n in ns)

    def pages(actor, **kw):
        return [[r["name"] for r in list_customers(seeded, actor, city="Ban", page=p, page_size=3, **kw)["rows"]] for p in (1, 2, 3)]

    union = (pages(admin), pages(admin, desc=True), pages(dewi), pages(admin, segment="retail"))
    monkeypatch.setattr(customers, "CITY_BRANCHES", 2)  # more cities than that: one sorted read
    assert (pages(admin), pages(admin, desc=True), pages(dewi), pages(admin, segment="retail")) == union
    assert union[0] == [by_name[:3], by_name[3:6], by_name[6:]]
    assert union[1] == [by_name[::-1][:3], by_name[::-1][3:6], by_name[::-1][6:]]
    assert union[2] == [["CV. Abadi", "CV. Citra", "CV. Dapur Ibu"]] * 3  # dewi's own, one page (a later page shows the last)
    assert union[3] == [[], [], []]
    assert list_customers(seeded, admin, city="Bandung")["total"] == 5
