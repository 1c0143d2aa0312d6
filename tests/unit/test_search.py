"""Global search in the top bar: customers, contacts, leads, opportunities by name, e-mail, phone."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlmodel import select

from kaktus_app import prepared
from kaktus_app.auth.models import Profile
from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.sales.models import Opportunity, Stage
from kaktus_app.search.service import search
from kaktus_app.validation import normalise_name


def _customer(session, name, **kw):
    c = Customer(name=name, name_norm=normalise_name(name), **kw)
    session.add(c)
    session.flush()
    return c


def test_finds_customers_by_name_email_and_phone(seeded, dewi):
    kita = _customer(seeded, "PT. KITA", email="info@kita.co.id", phone="+62215550101", city="Jakarta Pusat")
    yeyen = _customer(seeded, "Yeyen Hartati", kind="person", company_id=kita.id, mobile="+6281234567890")
    _customer(seeded, "CV Kitab Suci", email="halo@kitab.id")
    seeded.commit()

    by_name = search(seeded, dewi, "kita")
    assert [h["name"] for h in by_name["customers"]][:2] == ["PT. KITA", "CV Kitab Suci"]
    assert by_name["customers"][0]["href"] == f"/customers/{kita.id}"

    assert [h["id"] for h in search(seeded, dewi, "info@kita")["customers"]] == [kita.id]
    assert [h["id"] for h in search(seeded, dewi, "0812-3456")["customers"]] == [yeyen.id]
    assert [h["id"] for h in search(seeded, dewi, "021 555 0101")["customers"]] == [kita.id]


def test_finds_leads_and_opportunities_and_ignores_one_letter(seeded, dewi):
    stage = seeded.exec(select(Stage).order_by(Stage.sequence)).first()
    seeded.add(Lead(title="Nasi box 300 pax", company_name="PT. KITA", owner_id=dewi.id))
    seeded.add(Opportunity(name="Nasi box rapat tahunan", stage_id=stage.id, expected_revenue=Decimal("15000000")))
    seeded.commit()

    hits = search(seeded, dewi, "nasi box")
    assert [h["name"] for h in hits["leads"]] == ["Nasi box 300 pax"]
    assert [h["name"] for h in hits["opportunities"]] == ["Nasi box rapat tahunan"]
    assert search(seeded, dewi, "n") == {"customers": [], "leads": [], "opportunities": []}


# ------------------------------------------------------------------ any word of a name (migration 0010)


def _names(hits) -> list[str]:
    return [h["name"] for h in hits]


def _stage(session):
    return session.exec(select(Stage).order_by(Stage.sequence)).first()


def test_a_word_in_the_middle_of_a_name_is_found_by_its_beginning(seeded, dewi):
    _customer(seeded, "PT. Kaktus Berduri")
    _customer(seeded, "CV. Sinar Wijaya Abadi")
    _customer(seeded, "Wijaya Kusuma")
    _customer(seeded, "UD. Sinar Jaya")
    seeded.commit()

    assert _names(search(seeded, dewi, "berd")["customers"]) == ["PT. Kaktus Berduri"]
    assert _names(search(seeded, dewi, "Berduri")["customers"]) == ["PT. Kaktus Berduri"]
    # the start of the whole name first, then the other names by name
    assert _names(search(seeded, dewi, "wijaya")["customers"]) == ["Wijaya Kusuma", "CV. Sinar Wijaya Abadi"]
    # every typed word must begin a word of the name, in any order
    assert _names(search(seeded, dewi, "sinar wij")["customers"]) == ["CV. Sinar Wijaya Abadi"]
    assert _names(search(seeded, dewi, "wij sinar")["customers"]) == ["CV. Sinar Wijaya Abadi"]
    assert _names(search(seeded, dewi, "abadi, sinar")["customers"]) == ["CV. Sinar Wijaya Abadi"]
    assert search(seeded, dewi, "sinar berd")["customers"] == []
    # the beginning of a word only: not the inside of one
    assert search(seeded, dewi, "duri")["customers"] == []
    assert search(seeded, dewi, "aya")["customers"] == []
    # the legal form is no word of the name; alone it is still typed as a beginning
    assert _names(search(seeded, dewi, "CV Sinar")["customers"]) == ["UD. Sinar Jaya", "CV. Sinar Wijaya Abadi"]
    assert _names(search(seeded, dewi, "sinar", limit=1)["customers"]) == ["UD. Sinar Jaya"]


def test_diacritics_case_and_long_words(seeded, dewi):
    stage = _stage(seeded)
    _customer(seeded, "Kopi Café Ñandú")
    _customer(seeded, "PT. Sumber Sejahtera Makmur")
    seeded.add(Lead(title="Katering Crème Brûlée", owner_id=dewi.id))
    seeded.add(Opportunity(name="Prasmanan Hôtel Indonesia", stage_id=stage.id, expected_revenue=Decimal("1")))
    seeded.commit()

    for typed in ("cafe", "CAFÉ", "café", "nandu", "ÑAN"):
        assert _names(search(seeded, dewi, typed)["customers"]) == ["Kopi Café Ñandú"], typed
    assert _names(search(seeded, dewi, "brulee creme")["leads"]) == ["Katering Crème Brûlée"]
    assert _names(search(seeded, dewi, "hotel")["opportunities"]) == ["Prasmanan Hôtel Indonesia"]
    # words longer than the prefix index: the whole word matches, a longer one does not
    assert _names(search(seeded, dewi, "sejahtera")["customers"]) == ["PT. Sumber Sejahtera Makmur"]
    assert _names(search(seeded, dewi, "sejahteram")["customers"]) == []
    assert _names(search(seeded, dewi, "sumber sejahtera makmur")["customers"]) == ["PT. Sumber Sejahtera Makmur"]


def test_contacts_leads_and_opportunities_by_any_word(seeded, dewi):
    stage = _stage(seeded)
    company = _customer(seeded, "PT. Kaktus Berduri")
    _customer(seeded, "Yeyen Hartati Wibowo", kind="person", company_id=company.id)
    seeded.add(Lead(title="Snack box rapat", company_name="CV. Sinar Wijaya", contact_name="Budi Santoso", owner_id=dewi.id))
    seeded.add(Lead(title="Tumpeng ulang tahun", owner_id=dewi.id))
    seeded.add(Opportunity(name="Nasi box rapat tahunan", stage_id=stage.id, expected_revenue=Decimal("1")))
    seeded.add(Opportunity(name="Prasmanan pernikahan", stage_id=stage.id, expected_revenue=Decimal("1")))
    seeded.commit()

    assert _names(search(seeded, dewi, "hartati")["customers"]) == ["Yeyen Hartati Wibowo"]
    hits = search(seeded, dewi, "rapat")
    assert _names(hits["leads"]) == ["Snack box rapat"]
    assert _names(hits["opportunities"]) == ["Nasi box rapat tahunan"]
    assert _names(search(seeded, dewi, "wijaya")["leads"]) == ["Snack box rapat"]  # by its company name
    assert _names(search(seeded, dewi, "santo snack")["leads"]) == ["Snack box rapat"]  # contact and title
    assert _names(search(seeded, dewi, "tahun")["leads"]) == ["Tumpeng ulang tahun"]
    assert _names(search(seeded, dewi, "tahun")["opportunities"]) == ["Nasi box rapat tahunan"]


def test_title_starts_come_first_and_the_limit_holds(seeded, dewi):
    stage = _stage(seeded)
    for title in ("Nasi box 50 pax", "Snack dan nasi box", "Nasi kuning", "Paket nasi box 100 pax"):
        seeded.add(Lead(title=title, owner_id=dewi.id))
        seeded.add(Opportunity(name=title, stage_id=stage.id, expected_revenue=Decimal("1")))
    for n in range(7):
        _customer(seeded, f"Toko Berkah {n}")
    _customer(seeded, "Berkah Abadi")
    seeded.commit()

    hits = search(seeded, dewi, "nasi box")
    # the title's start first (by title), then the newest with every word
    assert _names(hits["leads"]) == ["Nasi box 50 pax", "Paket nasi box 100 pax", "Snack dan nasi box"]
    assert _names(hits["opportunities"]) == ["Nasi box 50 pax", "Paket nasi box 100 pax", "Snack dan nasi box"]
    customers = search(seeded, dewi, "berkah", limit=3)["customers"]
    assert _names(customers) == ["Berkah Abadi", "Toko Berkah 0", "Toko Berkah 1"]
    assert len(search(seeded, dewi, "berkah")["customers"]) == 5


def test_common_words_walk_the_name_index_with_the_same_results(seeded, dewi, monkeypatch):
    from kaktus_app.search import text

    for name in ("Sinar Jaya", "Jaya Abadi", "Mitra Jaya Makmur", "Karya Sinar Jaya", "Jayakarta Prima", "Bumi Raya", "CV. Sumber Sejahtera"):
        _customer(seeded, name)
    seeded.commit()
    from kaktus_app.customers import service as customers

    typed_words = ("jaya", "sinar jaya", "jaya mak", "raya", "sejahtera", "zzz")
    expected = {typed: search(seeded, dewi, typed)["customers"] for typed in typed_words}
    listed = {typed: customers.list_customers(seeded, dewi, search=typed, page_size=2) for typed in typed_words}
    monkeypatch.setattr(text, "DENSE", 1)  # every word counts as common: pages walk the name index
    monkeypatch.setattr(text, "COUNT_WALK_SHARE", 0.0)  # and so do the counts
    seeded.info.pop("word_search", None)
    assert {typed: search(seeded, dewi, typed)["customers"] for typed in typed_words} == expected
    assert {typed: customers.list_customers(seeded, dewi, search=typed, page_size=2) for typed in typed_words} == listed
    assert _names(expected["jaya"]) == ["Jaya Abadi", "Jayakarta Prima", "Karya Sinar Jaya", "Mitra Jaya Makmur", "Sinar Jaya"]
    assert listed["jaya"]["total"] == 5 and [r["name"] for r in listed["jaya"]["rows"]] == ["Jaya Abadi", "Jayakarta Prima"]
    assert _names(expected["sejahtera"]) == ["CV. Sumber Sejahtera"] and expected["zzz"] == []


def test_lists_search_any_word_too(seeded, dewi):
    from kaktus_app.customers import service as customers
    from kaktus_app.leads import service as leads
    from kaktus_app.sales import service as sales

    for name in ("PT. Kaktus Berduri", "CV. Sinar Wijaya Abadi", "Wijaya Kusuma"):
        customers.create_customer(seeded, dewi, {"kind": "company", "name": name, "email": "halo@wijaya.id" if "Kusuma" in name else ""})
    leads.create_lead(seeded, dewi, {"title": "Snack box rapat", "company_name": "CV. Sinar Wijaya", "email": "budi@sinar.id"})
    leads.create_lead(seeded, dewi, {"title": "Tumpeng ulang tahun"})
    sales.create_opportunity(seeded, dewi, {"name": "Nasi box rapat tahunan", "expected_revenue": "1"})
    sales.create_opportunity(seeded, dewi, {"name": "Prasmanan pernikahan", "expected_revenue": "1"})
    seeded.commit()

    page = customers.list_customers(seeded, dewi, search="wijaya")
    assert [r["name"] for r in page["rows"]] == ["CV. Sinar Wijaya Abadi", "Wijaya Kusuma"] and page["total"] == 2
    assert [r["name"] for r in customers.list_customers(seeded, dewi, search="sinar wij")["rows"]] == ["CV. Sinar Wijaya Abadi"]
    assert [r["name"] for r in customers.list_customers(seeded, dewi, search="halo@wij")["rows"]] == ["Wijaya Kusuma"]
    assert customers.list_customers(seeded, dewi, search="erduri")["total"] == 0
    assert [r["title"] for r in leads.list_leads(seeded, dewi, search="wijaya")["rows"]] == ["Snack box rapat"]
    assert [r["title"] for r in leads.list_leads(seeded, dewi, search="tahun")["rows"]] == ["Tumpeng ulang tahun"]
    assert [r["title"] for r in leads.list_leads(seeded, dewi, search="budi@sin")["rows"]] == ["Snack box rapat"]
    assert [r["name"] for r in sales.list_opportunities(seeded, dewi, search="rapat nasi")["rows"]] == ["Nasi box rapat tahunan"]
    board = sales.board(seeded, dewi, search="nikah")
    assert sum(column["count"] for column in board["columns"]) == 0  # "nikah" is inside "pernikahan", no word begins so
    board = sales.board(seeded, dewi, search="pernik")
    assert [c["name"] for column in board["columns"] for c in column["cards"]] == ["Prasmanan pernikahan"]


def test_word_search_keeps_visibility_and_hidden_fields(seeded, admin, dewi, budi):
    from kaktus_app.auth import permissions
    from kaktus_app.customers import service as customers
    from kaktus_app.leads import service as leads
    from kaktus_app.sales import service as sales

    def hide(field: str) -> None:
        profile = seeded.exec(select(Profile).where(Profile.key == "sales")).one()
        permissions.update_profile(seeded, admin, profile.id, json.loads(profile.permissions), {field: "hidden"})
        seeded.info.pop("access", None)

    customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. Kaktus Berduri"})
    leads.create_lead(seeded, dewi, {"title": "Snack box rapat", "company_name": "CV. Sinar Wijaya", "contact_name": "Budi Santoso"})
    sales.create_opportunity(seeded, dewi, {"name": "Nasi box rapat tahunan", "expected_revenue": "1"})
    permissions.set_sharing(seeded, admin, "customers", "private")
    permissions.set_sharing(seeded, admin, "leads", "private")
    seeded.commit()
    seeded.info.pop("visible", None)

    assert search(seeded, budi, "berduri") == {"customers": [], "leads": [], "opportunities": []}
    assert search(seeded, budi, "rapat") == {"customers": [], "leads": [], "opportunities": []}
    assert customers.list_customers(seeded, budi, search="berd")["total"] == 0
    assert leads.list_leads(seeded, budi, search="rapat")["total"] == 0
    assert sales.list_opportunities(seeded, budi, search="rapat")["total"] == 0
    assert _names(search(seeded, dewi, "berd")["customers"]) == ["PT. Kaktus Berduri"]

    # a hidden company or contact name is not searched (the title still is)
    hide("leads.company_name")
    assert search(seeded, dewi, "wijaya")["leads"] == []
    assert search(seeded, dewi, "santoso")["leads"] == []
    assert leads.list_leads(seeded, dewi, search="wijaya")["total"] == 0
    hits = search(seeded, dewi, "snack")["leads"]
    assert _names(hits) == ["Snack box rapat"] and hits[0]["detail"] == ""
    assert [r["title"] for r in leads.list_leads(seeded, dewi, search="snack rap")["rows"]] == ["Snack box rapat"]


def test_the_word_index_follows_inserts_renames_and_deletes(seeded, admin):
    from kaktus_app.customers import service as customers
    from kaktus_app.leads import service as leads
    from kaktus_app.sales import service as sales

    kaktus = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. Kaktus Berduri"})
    lead = Lead(title="Snack box rapat", company_name="CV. Sinar Wijaya")
    deal = Opportunity(name="Nasi box rapat tahunan", stage_id=_stage(seeded).id, expected_revenue=Decimal("1"))
    seeded.add_all([lead, deal])
    seeded.commit()
    old = _customer(seeded, "Toko Kenanga Lama")
    seeded.commit()
    assert _names(search(seeded, admin, "berduri")["customers"]) == ["PT. Kaktus Berduri"]
    assert _names(search(seeded, admin, "kenanga")["customers"]) == ["Toko Kenanga Lama"]
    assert _names(search(seeded, admin, "wijaya rap")["leads"]) == ["Snack box rapat"]

    customers.update_customer(seeded, admin, kaktus.id, {"name": "PT. Kaktus Hijau Lestari"})
    leads.update_lead(seeded, admin, lead.id, {"company_name": "CV. Mawar Merah"})
    sales.update_opportunity(seeded, admin, deal.id, {"name": "Tumpeng syukuran"})
    seeded.commit()
    assert search(seeded, admin, "berduri")["customers"] == []
    assert _names(search(seeded, admin, "hijau")["customers"]) == ["PT. Kaktus Hijau Lestari"]
    assert search(seeded, admin, "wijaya")["leads"] == []
    assert _names(search(seeded, admin, "mawar")["leads"]) == ["Snack box rapat"]
    assert search(seeded, admin, "tahunan")["opportunities"] == []
    assert _names(search(seeded, admin, "syukur")["opportunities"]) == ["Tumpeng syukuran"]
    # a change of other fields leaves the words alone
    customers.update_customer(seeded, admin, kaktus.id, {"city": "Bogor"})
    seeded.commit()
    assert _names(search(seeded, admin, "lestari hij")["customers"]) == ["PT. Kaktus Hijau Lestari"]

    for record in (seeded.get(Customer, old.id), seeded.get(Lead, lead.id), seeded.get(Opportunity, deal.id)):
        seeded.delete(record)
    seeded.commit()
    assert search(seeded, admin, "kenanga")["customers"] == []
    _customer(seeded, "Toko Mawar Syukur")  # takes the deleted customer's id on SQLite: its old words must be gone
    seeded.commit()
    assert search(seeded, admin, "kenanga")["customers"] == []
    assert search(seeded, admin, "mawar syukur") == search(seeded, admin, "mawar")
    assert _names(search(seeded, admin, "mawar")["customers"]) == ["Toko Mawar Syukur"]
    assert search(seeded, admin, "mawar")["leads"] == search(seeded, admin, "syukur")["opportunities"] == []


def test_word_search_objects_exist_and_are_the_only_difference_from_the_models(db_url):
    """Migration 0010's tables, triggers and indexes are no models: the comparison of migrations and
    models leaves them out by name (kaktus_app.search.text.include_name), and nothing else."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect, text
    from sqlmodel import SQLModel

    from kaktus_app import db
    from kaktus_app.search.text import include_name

    with db.get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), SQLModel.metadata) == []
        left_out = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        def left_out_by_name(op) -> bool:
            if op[0] == "remove_column":  # ("remove_column", schema, table, column): migration 0020's stored words
                return not include_name(op[3].name, "column", {"table_name": op[2]})
            return op[0] in ("remove_table", "remove_index") and not include_name(op[1].name, op[0][7:], {})

        assert left_out and all(left_out_by_name(op) for op in left_out)
        if conn.dialect.name == "sqlite":
            # a batch ALTER of these tables in a later migration would drop the triggers silently
            triggers = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            for table in ("customer_fts", "lead_fts", "opportunity_fts"):
                assert {f"{table}_insert", f"{table}_delete", f"{table}_update"} <= triggers
        else:
            indexes = {ix["name"] for table in ("customer", "lead", "opportunity") for ix in inspect(conn).get_indexes(table)}
            assert {"ix_customer_name_words", "ix_lead_title_words", "ix_lead_text_words", "ix_opportunity_name_words"} <= indexes


def test_the_word_search_migration_goes_down_and_up_again(tmp_path, seeded, dewi, db_url):
    """0010 backfills the index from the rows already there, and its downgrade removes it all."""
    from alembic.config import Config

    from alembic import command
    from tests.conftest import ROOT

    _customer(seeded, "CV. Sinar Wijaya Abadi")
    seeded.commit()
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", db_url)
    seeded.close()
    try:
        command.downgrade(cfg, "0009")
        _customer(seeded, "PT. Kaktus Berduri")  # written while there is no word index
        seeded.commit()
    finally:
        command.upgrade(cfg, "head")
    assert _names(search(seeded, dewi, "wij")["customers"]) == ["CV. Sinar Wijaya Abadi"]
    assert _names(search(seeded, dewi, "berd")["customers"]) == ["PT. Kaktus Berduri"]


def test_the_deal_list_searched_by_a_common_word_pages_and_counts_as_any_search(seeded, admin, dewi, monkeypatch):
    # a common word: counted in the word index and, recent first, found by walking the deals newest
    # first; a rare one, another order or another filter: the usual way. The user sees the same.
    from datetime import UTC, datetime, timedelta

    from kaktus_app.sales import service as sales
    from kaktus_app.search import text as word_search

    stage = _stage(seeded)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(12):
        seeded.add(Opportunity(name=f"Katering Jaya {i:02d}", stage_id=stage.id, team_id=stage.team_id, owner_id=dewi.id if i % 3 else admin.id,
                               expected_revenue=Decimal(1000000 + i), updated_at=start + timedelta(hours=i)))
    seeded.add(Opportunity(name="Snack box Wijaya", stage_id=stage.id, team_id=stage.team_id, updated_at=start + timedelta(days=2)))
    seeded.commit()
    newest_first = [f"Katering Jaya {i:02d}" for i in reversed(range(12))]

    def listed(**kw):
        seeded.info.pop("word_search", None)  # a new request
        page = sales.list_opportunities(seeded, admin, search="jaya", page_size=5, **kw)
        return page["total"], [r["name"] for r in page["rows"]]

    usual = [listed(page=p) for p in (1, 2, 3)]
    filtered = [listed(owner_id=dewi.id, page=p) for p in (1, 2)] + [listed(state="open")]
    if seeded.get_bind().dialect.name == "postgresql":
        # the pages walk the order testing each deal's stored words (migration 0020), or not
        monkeypatch.setattr(word_search, "PG_WALK_ROWS", 0)
        with prepared.tracing() as traced:
            assert [listed(page=p) for p in (1, 2, 3)] == usual
        assert not any("name_words LIKE ALL (%(w_like)s" in sql for sql, _ in traced)
        monkeypatch.undo()
        with prepared.tracing() as traced:
            assert [listed(page=p) for p in (1, 2, 3)] == usual
        assert any("WHERE name_words LIKE ALL (%(w_like)s" in sql for sql, _ in traced)
    monkeypatch.setattr(word_search, "DENSE", 3)  # "jaya" is now common: the pages walk
    with prepared.tracing() as traced:
        walked = [listed(page=p) for p in (1, 2, 3)]
    if seeded.get_bind().dialect.name == "sqlite":
        assert sum("opportunity.id + 0 IN" in sql for sql, _ in traced) == 3
    assert usual == walked == [(12, newest_first[:5]), (12, newest_first[5:10]), (12, newest_first[10:])]
    with prepared.tracing() as traced:  # other filters: counted as usual, and the pages walk too
        assert [listed(owner_id=dewi.id, page=p) for p in (1, 2)] + [listed(state="open")] == filtered
    if seeded.get_bind().dialect.name == "sqlite":
        assert sum("opportunity.id + 0 IN" in sql for sql, _ in traced) == 3
    assert filtered[0] == (8, [n for i, n in zip(reversed(range(12)), newest_first, strict=True) if i % 3][:5])
    assert listed(sort="name", desc=False) == (12, sorted(newest_first)[:5])
    assert listed(owner_id=dewi.id)[0] == 8  # another filter: counted row by row
    assert sales.list_opportunities(seeded, admin, search="jaya 07")["total"] == 1
    assert sales.list_opportunities(seeded, admin, search="wijaya")["total"] == 1  # "jaya" does not begin "wijaya"


def test_the_lead_list_searched_by_a_common_word_shows_what_the_usual_reads_show(seeded, admin, dewi, monkeypatch):
    # A word in nearly every lead ("pax"): the count joins the word's matches to their leads until the
    # cap and adds the leads found by e-mail alone; the page walks the list's order looking each lead
    # up in the word index (SQLite) or testing each lead's words up to a budget, reading the matches
    # after all when the walk comes back short (PostgreSQL). Every filter, order and page shows
    # exactly what reading every match shows.
    from datetime import UTC, datetime, timedelta

    from kaktus_app.leads import service as leads
    from kaktus_app.search import text as word_search

    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(14):
        seeded.add(Lead(title=f"Nasi box {50 * (i % 4 + 1)} pax #{i}", status="lost" if i % 5 == 0 else "open", source="web" if i % 2 else "referral",
                        owner_id=dewi.id if i % 3 else admin.id, expected_revenue=Decimal(1000000 + 7 * i % 5), created_at=start + timedelta(hours=i),
                        company_name=f"PT. Catering {i}"))
    seeded.add(Lead(title="Tumpeng", email="paxton@example.com", owner_id=dewi.id, created_at=start))  # found by e-mail alone
    seeded.add(Lead(title="Snack box", company_name="CV. Paxi", owner_id=admin.id, created_at=start - timedelta(days=1)))  # "paxi" begins with "pax"
    seeded.add(Lead(title="Coffee break 30 orang", owner_id=admin.id, created_at=start + timedelta(days=1)))
    seeded.add(Lead(title="Prasmanan 20 orang", owner_id=admin.id, created_at=start + timedelta(days=2)))  # a short walk for admin's newest
    seeded.commit()
    cases = [
        dict(), dict(page=2), dict(page=4), dict(status="lost"), dict(status="converted"), dict(source="web", status="open"),
        dict(owner_id=dewi.id), dict(sort="title", desc=False), dict(sort="status"), dict(sort="expected_revenue", page=2),
    ]

    def listed(actor, search="pax", **kw):
        seeded.info.pop("word_search", None)  # a new request
        page = leads.list_leads(seeded, actor, search=search, page_size=4, **kw)
        return page["total"], page["total_capped"], [r["title"] for r in page["rows"]]

    assert listed(admin, status="converted") == (0, False, [])
    assert listed(admin, page=4) == (16, False, ["Nasi box 100 pax #1", "Tumpeng", "Nasi box 50 pax #0", "Snack box"])
    statements = []
    for cap in (6, 100):  # the words' matches reach the cap (then joined to the leads), or not
        monkeypatch.setattr(leads, "COUNT_CAP", cap)
        monkeypatch.setattr(word_search, "DENSE", 1000)
        monkeypatch.setattr(word_search, "PG_WALK_ROWS", 0)
        monkeypatch.setattr(leads, "LIKE_COUNT_SHARE", 2.0)  # never counted by each lead's stored words
        usual = [listed(actor, **kw) for actor in (admin, dewi) for kw in cases]
        monkeypatch.setattr(leads, "LIKE_COUNT_SHARE", 0.25)
        monkeypatch.setattr(word_search, "DENSE", 3)  # "pax" is now common
        for walk_rows, plain_rows in ((2000, 2_000_000), (5, 0)):  # a walk that finds the page, or one often short of it (and a count of the matches gathered first)
            monkeypatch.setattr(word_search, "PG_WALK_ROWS", walk_rows)
            monkeypatch.setattr(word_search, "PLAIN_COUNT_ROWS", plain_rows)
            with prepared.tracing() as traced:
                common = [listed(actor, **kw) for actor in (admin, dewi) for kw in cases]
            statements += [sql for sql, _ in traced]
            assert common == usual
        assert usual[0] == ((6, True) if cap == 6 else (16, False)) + (["Nasi box 100 pax #13", "Nasi box 50 pax #12", "Nasi box 200 pax #11", "Nasi box 150 pax #10"],)
    if seeded.get_bind().dialect.name == "sqlite":
        assert any("EXISTS (SELECT" in sql for sql in statements) and any("JOIN lead ON" in sql for sql in statements)
    else:
        counts = [sql for sql in statements if "count(*)" in sql]
        assert any(") AS walked" in sql for sql in statements) and any("text_words LIKE ALL (%(w_like)s" in sql for sql in counts)
        assert any("ANY(ARRAY" in sql for sql in counts) and any("ANY(ARRAY" not in sql for sql in counts)
    assert listed(admin, search="pax 13") == (1, False, ["Nasi box 100 pax #13"])
    assert listed(admin, search="paxt")[2] == ["Tumpeng"]


def test_the_customer_list_counts_one_word_from_the_words_of_names(seeded, admin, monkeypatch):
    # PostgreSQL counts a list searched by one word in customer_word (migration 0019), kept by a
    # trigger; the total is what counting the rows gives, capped or not, after renames and deletes too
    from sqlalchemy import text as sql

    from kaktus_app.customers import service as customers
    from kaktus_app.search import text as word_search

    postgres = seeded.get_bind().dialect.name == "postgresql"
    made = {name: _customer(seeded, name) for name in ("Sinar Jaya", "Jaya Abadi", "Jaya Jayakarta", "CV. Wijaya Kusuma", "Jakarta Boga", "Jakarta Jakartaku", "Bumi Raya")}
    seeded.commit()

    def listed(typed):
        seeded.info.pop("word_search", None)  # a new request
        page = customers.list_customers(seeded, admin, search=typed, page_size=2)
        return page["total"], page["total_capped"], [r["name"] for r in page["rows"]]

    def counted_rows(typed):
        with monkeypatch.context() as m:
            m.setattr(word_search, "_customer_word_count", lambda *a: None)
            return listed(typed)

    typed_words = ("jaya", "ja", "jayak", "jakarta", "wijaya", "kusuma", "raya", "zzz")
    with prepared.tracing() as traced:
        assert {t: listed(t) for t in typed_words} == {t: counted_rows(t) for t in typed_words}
    assert listed("jaya") == (3, False, ["Jaya Abadi", "Jaya Jayakarta"]) and listed("ja")[0] == 5  # "wijaya" is no "jaya" word
    assert any("customer_word" in statement for statement, _ in traced) == postgres
    if postgres:  # "jakarta": 3 rows of 2 customers; up to 3 rows, they repeat one: the rows are counted instead
        assert word_search._customer_word_count(seeded, "jakarta", 3) is None and word_search._customer_word_count(seeded, "jakarta", 4) == 2
    for cap in (1, 2, 3):  # capped: as many customers as the cap (each "jaya" row one customer), or rows that repeat one ("ja": Jaya Jayakarta)
        monkeypatch.setattr(customers, "COUNT_CAP", cap)
        assert {t: listed(t) for t in typed_words} == {t: counted_rows(t) for t in typed_words}
        assert listed("jaya")[:2] == ((cap, True) if cap < 3 else (3, False))
    monkeypatch.undo()

    customers.update_customer(seeded, admin, made["Jaya Abadi"].id, {"name": "Sentosa Abadi"})
    seeded.delete(seeded.get(Customer, made["Sinar Jaya"].id))
    seeded.commit()
    assert listed("jaya") == counted_rows("jaya") == (1, False, ["Jaya Jayakarta"]) and listed("sentosa")[0] == 1
    if postgres:
        words = seeded.execute(sql("SELECT word FROM customer_word WHERE customer_id = :id ORDER BY word"), {"id": made["Jaya Abadi"].id}).scalars().all()
        assert words == ["abadi", "sentosa"]
        assert seeded.execute(sql("SELECT count(*) FROM customer_word WHERE customer_id = :id"), {"id": made["Sinar Jaya"].id}).scalar() == 0


def test_postgresql_stored_words_are_the_words_of_the_word_index(seeded, admin):
    # Migration 0020's generated columns hold the GIN index's words as text: a row has a word
    # beginning with a token by one exactly when it has by the other, whatever the name holds
    import pytest
    from sqlalchemy import text as sql

    if seeded.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite looks rows up in its FTS5 index: there are no stored words")
    stage = _stage(seeded)
    names = ["Prasmanan Jaya #1994", "Café Señor Ñoño", "NASI-BOX 300pax (Gedung B)", "Tumpeng ß-Straße", "Катеринг Jaya", "  ", "a1b2 c3", "Jaya€jaya"]
    for name in names:
        seeded.add(Opportunity(name=name, stage_id=stage.id, team_id=stage.team_id))
        seeded.add(Lead(title=name, company_name="PT. Kaktus", contact_name="Yeyen"))
    seeded.commit()
    tokens = ["1", "19", "1994", "jaya", "jayajaya", "cafe", "senor", "nono", "nasi", "box", "300pax", "gedung", "b", "strae", "stra", "a1b2", "c3", "kaktus", "yeyen", "zz"]
    for table, column, expression in (("opportunity", "name_words", "kaktus_search_words(name)"), ("lead", "text_words", "kaktus_search_words(title || ' ' || company_name || ' ' || contact_name)"),
                                      ("lead", "title_words", "kaktus_search_words(title)")):
        for token in tokens:
            by_index = set(seeded.execute(sql(f"SELECT id FROM {table} WHERE {expression} @@ to_tsquery('simple', :q)"), {"q": f"{token}:*"}).scalars())
            by_text = set(seeded.execute(sql(f"SELECT id FROM {table} WHERE {column} LIKE :p"), {"p": f"% {token}%"}).scalars())
            assert by_index == by_text, (table, column, token)
    renamed = seeded.exec(select(Opportunity).where(Opportunity.name == "Prasmanan Jaya #1994")).one()
    renamed.name = "Coffee break Sentosa"
    seeded.commit()
    assert seeded.execute(sql("SELECT name_words FROM opportunity WHERE id = :i"), {"i": renamed.id}).scalar() == " coffee break sentosa"


def test_the_global_search_by_words_finds_the_same_whether_the_newest_rows_are_walked_or_not(seeded, admin, dewi, monkeypatch):
    # PostgreSQL tests the newest leads and deals first by their stored words, then asks the word
    # index (for the rare tokens, the common ones tested on their rows): the hits are the same
    from kaktus_app.search import service as search_service
    from kaktus_app.search import text as word_search

    stage = _stage(seeded)
    for i in range(30):
        seeded.add(Opportunity(name=f"Prasmanan {'Jaya' if i % 4 == 0 else 'Sentosa'} #{i}", stage_id=stage.id, team_id=stage.team_id, owner_id=dewi.id if i % 2 else admin.id))
        seeded.add(Lead(title=f"Nasi box {10 * i} pax", company_name="CV. Jaya Boga" if i % 5 == 0 else "", owner_id=dewi.id if i % 3 else admin.id))
    seeded.commit()
    typed_words = ("jaya", "1 jaya", "jaya 1", "pax", "2 pax", "box 1", "boga", "sentosa 2", "pax 290", "j", "zz jaya")

    def found(actor):
        return {typed: search(seeded, actor, typed) for typed in typed_words}

    expected = {actor.id: found(actor) for actor in (admin, dewi)}
    for walk_rows in (0, 3, 100_000):  # nothing walked (the index alone), a short walk, every row walked
        monkeypatch.setattr(search_service, "WALK_ROWS", walk_rows)
        assert {actor.id: found(actor) for actor in (admin, dewi)} == expected
    monkeypatch.setattr(search_service, "WALK_ROWS", 0)
    for rare_share in (-1.0, 0.3, 0.6):  # every token asked of the index, or the rarer ones with the others tested on their rows
        monkeypatch.setattr(word_search, "RARE_SHARE", rare_share)
        assert {actor.id: found(actor) for actor in (admin, dewi)} == expected
    # the sample of how common each word is (PostgreSQL) is taken only when the newest rows fell short
    monkeypatch.setattr(search_service, "WALK_ROWS", 100_000)
    samples = []
    monkeypatch.setattr(word_search, "pg_word_params", lambda *a, **k: samples.append(a[1:3]) or word_search.word_params(*a[1:4]))
    assert len(search(seeded, admin, "jaya prasmanan")["opportunities"]) == 5
    walked = seeded.get_bind().dialect.name == "postgresql"
    assert (("opportunity_name", ["jaya", "prasmanan"]) in samples) is not walked
    hits = expected[admin.id]
    assert _names(hits["1 jaya"]["opportunities"])[:2] == [f"Prasmanan Jaya #{i}" for i in (16, 12)]  # the newest first
    assert _names(hits["pax 290"]["leads"]) == ["Nasi box 290 pax"] and hits["zz jaya"]["leads"] == []
    assert all("Jaya" in h["name"] for h in expected[dewi.id]["jaya"]["opportunities"]) and len(expected[dewi.id]["jaya"]["opportunities"]) <= 5


def test_postgresql_plans_each_word_search_with_its_own_words(seeded):
    # A server-side prepared statement's generic plan cannot tell a rare word from a common one
    # (a deal list searched by "4242" among open deals took 24 ms instead of 2 at 1M): the app's
    # connections plan every statement with its values
    import pytest
    from sqlalchemy import text as sql

    if seeded.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no plan cache of this kind")
    assert seeded.execute(sql("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


def test_the_search_follows_a_change_of_sharing_or_profile_in_the_same_session(seeded, admin, dewi, budi):
    """What a search may read is kept for the session (it runs on every keystroke): a change of
    sharing or of a profile made meanwhile shows at the next keystroke."""
    from kaktus_app.auth import permissions
    from kaktus_app.customers import service as customers

    customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. Kaktus Berduri", "email": "order@berduri.example"})
    seeded.flush()
    assert _names(search(seeded, budi, "berduri")["customers"]) == ["PT. Kaktus Berduri"]
    assert _names(search(seeded, budi, "order@berduri")["customers"]) == ["PT. Kaktus Berduri"]
    profile = seeded.exec(select(Profile).where(Profile.key == "sales")).one()
    permissions.update_profile(seeded, admin, profile.id, json.loads(profile.permissions), {"customers.email": "hidden"})
    assert search(seeded, budi, "order@berduri")["customers"] == []
    permissions.set_sharing(seeded, admin, "customers", "private")
    assert search(seeded, budi, "berduri")["customers"] == []
    assert _names(search(seeded, dewi, "berduri")["customers"]) == ["PT. Kaktus Berduri"]


def test_hits_keep_the_order_of_their_kinds_name_then_words_then_e_mail_and_phone(seeded, dewi):
    """The index ranges (name, e-mail, phone) are read in one statement: the hits still come in the
    order of what they matched, each kind by name, each customer once."""
    _customer(seeded, "Toko Anggrek", email="sari@anggrek.example")
    _customer(seeded, "Apotek Bunga", email="sari@bunga.example")
    _customer(seeded, "Sari Roti", email="sari@roti.example")
    _customer(seeded, "Warung Sarinah")
    _customer(seeded, "0812 Catering", mobile="+6281299990000")
    seeded.commit()
    assert _names(search(seeded, dewi, "sari")["customers"]) == ["Sari Roti", "Warung Sarinah"]
    # the name's start first, then the e-mail addresses by name (Sari Roti once)
    assert _names(search(seeded, dewi, "sari@")["customers"]) == ["Sari Roti", "Apotek Bunga", "Toko Anggrek"]
    assert _names(search(seeded, dewi, "sari@", limit=2)["customers"]) == ["Sari Roti", "Apotek Bunga"]
    assert _names(search(seeded, dewi, "0812 9999")["customers"]) == ["0812 Catering"]
