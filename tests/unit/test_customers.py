"""Customers: validation, duplicates, the paginated list, saved filters."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kaktus_app.activities.models import TimelineEntry
from kaktus_app.customers import service
from kaktus_app.customers.models import Customer
from kaktus_app.errors import PermissionDenied, ValidationError


def _kita(session, actor, **extra):
    data = {"kind": "company", "name": "PT. KITA", "email": "info@kita.co.id", "phone": "021-5550101", "city": "Jakarta Pusat", "province": "DKI Jakarta", "segment": "corporate", "tags": "catering, Halal"}
    return service.create_customer(session, actor, data | extra)


def test_create_normalises_and_records_on_timeline(seeded, dewi):
    kita = _kita(seeded, dewi, npwp="012345678901000", postal_code="10510")
    seeded.commit()
    assert kita.phone == "+62215550101"
    assert kita.name_norm == "kita"
    assert kita.tags == ",catering,halal,"
    assert kita.npwp == "01.234.567.8-901.000"
    assert kita.owner_id == dewi.id
    entry = seeded.exec(select(TimelineEntry).where(TimelineEntry.record_type == "customer", TimelineEntry.record_id == kita.id)).one()
    assert entry.message_key == "customers.timeline.created"


def test_every_bad_field_is_reported_and_nothing_is_saved(seeded, dewi):
    with pytest.raises(ValidationError) as bad:
        service.create_customer(
            seeded, dewi, {"name": " ", "email": "yeyen@", "phone": "12", "npwp": "123", "postal_code": "1234", "latitude": "95", "segment": "aliens"}
        )
    assert set(bad.value.errors) == {"name", "email", "phone", "npwp", "postal_code", "latitude", "segment"}
    assert bad.value.errors["npwp"] == "customers.error.npwp"
    assert seeded.exec(select(Customer)).all() == []


def test_contact_works_for_a_company_and_not_for_itself(seeded, dewi):
    kita = _kita(seeded, dewi)
    yeyen = service.create_customer(seeded, dewi, {"kind": "person", "name": "Yeyen", "company_id": str(kita.id), "mobile": "0812-3456-7890"})
    seeded.commit()
    record = service.get_customer(seeded, dewi, kita.id)
    assert [c["name"] for c in record["contacts"]] == ["Yeyen"]
    with pytest.raises(ValidationError) as bad:
        service.update_customer(seeded, dewi, kita.id, {"company_id": str(kita.id)})
    assert bad.value.errors == {"company_id": "customers.error.company"}
    with pytest.raises(ValidationError):
        service.create_customer(seeded, dewi, {"kind": "person", "name": "X", "company_id": str(yeyen.id)})


def test_update_shows_old_and_new_values_on_the_timeline(seeded, dewi):
    from kaktus_app.activities import service as activities

    kita = _kita(seeded, dewi)
    city = kita.city
    seeded.info["actor"] = dewi
    service.update_customer(seeded, dewi, kita.id, {"city": "Jakarta Timur", "name": "PT. KITA"})
    seeded.commit()
    changes = [item for item in activities.timeline(seeded, dewi, "customer", kita.id) if item["kind"] == "updated"]
    # the new city also moved the customer to Jakarta Timur's coordinates (from the gazetteer)
    assert len(changes) == 1 and changes[0]["title"].startswith("Changed: City") and changes[0]["who"] == "Dewi Lestari"
    assert changes[0]["body"].splitlines()[0] == f"City: {city or '—'} → Jakarta Timur"


def test_duplicates_by_email_phone_and_close_name(seeded, dewi):
    kita = _kita(seeded, dewi)
    seeded.commit()
    assert service.find_duplicates(seeded, email="INFO@kita.co.id")[0]["reason"] == "email"
    assert service.find_duplicates(seeded, phone="(021) 555-0101")[0]["id"] == kita.id
    by_name = service.find_duplicates(seeded, name="PT Kita")
    assert [d["id"] for d in by_name] == [kita.id] and by_name[0]["reason"] == "name"
    assert service.find_duplicates(seeded, name="PT Kitab Suci Nusantara Jaya") == []
    assert service.find_duplicates(seeded, name="PT. KITA", exclude_id=kita.id) == []


def _many(session, dewi, budi):
    rows = [
        ("Alfa Catering", "corporate", "Bandung", dewi, "catering"),
        ("Bravo Hotel", "hospitality", "Jakarta Selatan", budi, "prasmanan"),
        ("Charlie School", "education", "Jakarta Pusat", dewi, "snack-box"),
        ("Delta Dinas", "government", "Bogor", budi, "catering"),
        ("Echo Events", "event_organiser", "Jakarta Barat", dewi, "wedding, catering"),
    ]
    for index, (name, segment, city, owner, tags) in enumerate(rows):
        province = "DKI Jakarta" if city.startswith("Jakarta") else "Jawa Barat"
        service.create_customer(session, owner, {"name": name, "segment": segment, "city": city, "province": province, "tags": tags, "email": f"x{index}@{name.split()[0].lower()}.id"})
    session.commit()


def test_list_filters_sorts_and_paginates(seeded, dewi, budi):
    _many(seeded, dewi, budi)
    page1 = service.list_customers(seeded, dewi, page_size=2)
    assert [r["name"] for r in page1["rows"]] == ["Alfa Catering", "Bravo Hotel"]
    assert (page1["total"], page1["pages"]) == (5, 3)
    page3 = service.list_customers(seeded, dewi, page=3, page_size=2)
    assert [r["name"] for r in page3["rows"]] == ["Echo Events"]
    by_city_desc = service.list_customers(seeded, dewi, sort="city", desc=True)
    assert by_city_desc["rows"][0]["city"] == "Jakarta Selatan"
    assert [r["name"] for r in service.list_customers(seeded, dewi, segment="education")["rows"]] == ["Charlie School"]
    assert {r["name"] for r in service.list_customers(seeded, dewi, city="Jakarta")["rows"]} == {"Bravo Hotel", "Charlie School", "Echo Events"}
    assert {r["name"] for r in service.list_customers(seeded, dewi, owner_id="me")["rows"]} == {"Alfa Catering", "Charlie School", "Echo Events"}
    assert {r["name"] for r in service.list_customers(seeded, dewi, tag="catering")["rows"]} == {"Alfa Catering", "Delta Dinas", "Echo Events"}
    assert [r["name"] for r in service.list_customers(seeded, dewi, search="bra")["rows"]] == ["Bravo Hotel"]
    assert [r["name"] for r in service.list_customers(seeded, dewi, search="x3@delta")["rows"]] == ["Delta Dinas"]


def test_search_by_phone_and_capped_count(seeded, dewi, monkeypatch):
    _kita(seeded, dewi)
    _many(seeded, dewi, dewi)
    assert [r["name"] for r in service.list_customers(seeded, dewi, search="021 5550")["rows"]] == ["PT. KITA"]
    monkeypatch.setattr(service, "COUNT_CAP", 3)
    result = service.list_customers(seeded, dewi)
    assert result["total"] == 3 and result["total_capped"] is True


def test_saved_filters_default_own_and_shared(seeded, dewi, budi):
    service.ensure_default_filters(seeded)
    service.ensure_default_filters(seeded)
    _many(seeded, dewi, budi)
    names = [f["name"] for f in service.list_saved_filters(seeded, dewi)]
    assert names == ["Jakarta catering", "My customers"]
    jakarta = next(f for f in service.list_saved_filters(seeded, dewi) if f["name"] == "Jakarta catering")
    hits = service.list_customers(seeded, dewi, **jakarta["criteria"])
    assert [r["name"] for r in hits["rows"]] == ["Echo Events"]

    own = service.save_filter(seeded, dewi, "Bandung", {"city": "Bandung", "segment": ""})
    seeded.commit()
    assert "Bandung" in [f["name"] for f in service.list_saved_filters(seeded, dewi)]
    assert "Bandung" not in [f["name"] for f in service.list_saved_filters(seeded, budi)]
    with pytest.raises(PermissionDenied):
        service.delete_saved_filter(seeded, budi, own.id)
    service.delete_saved_filter(seeded, dewi, own.id)
    with pytest.raises(ValidationError):
        service.save_filter(seeded, dewi, "  ", {})


def test_too_long_text_says_how_long_it_may_be(seeded, dewi):
    with pytest.raises(ValidationError) as bad:
        service.create_customer(seeded, dewi, {"kind": "company", "name": "PT. Panjang", "city": "x" * 81})
    assert bad.value.messages("en") == {"city": "Too long (at most 80 characters)."}
    assert bad.value.messages("id") == {"city": "Terlalu panjang (maksimal 80 karakter)."}


def test_a_list_sorted_by_a_value_many_rows_share_orders_them_within_it(seeded, admin, dewi):
    # Customers of one segment by name, leads of one status by date, deals of one stage by their
    # last change (each in the sort's direction): the orders the indexes of migration 0018 hold.
    from datetime import UTC, datetime, timedelta

    from kaktus_app.leads import service as leads
    from kaktus_app.leads.models import Lead
    from kaktus_app.sales import service as sales
    from kaktus_app.sales.models import Opportunity, Stage
    from kaktus_app.validation import normalise_name

    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i, (name, segment) in enumerate([("Delta", "retail"), ("Alfa", "retail"), ("Charlie", "corporate"), ("Bravo", "retail"), ("Echo", "corporate")]):
        seeded.add(Customer(name=name, name_norm=normalise_name(name), segment=segment, owner_id=dewi.id, created_at=start + timedelta(days=-i)))
        seeded.add(Lead(title=f"Lead {name}", status="open" if i % 2 else "lost", owner_id=dewi.id, created_at=start + timedelta(hours=i)))
    stages = seeded.exec(select(Stage).order_by(Stage.sequence)).all()[:2]
    for i, name in enumerate(["Deal A", "Deal B", "Deal C", "Deal D"]):
        seeded.add(Opportunity(name=name, stage_id=stages[i % 2].id, team_id=stages[0].team_id, owner_id=dewi.id, updated_at=start + timedelta(hours=3 - i)))
    seeded.commit()

    def names(rows, key="name"):
        return [r[key] for r in rows]

    assert names(service.list_customers(seeded, dewi, sort="segment")["rows"]) == ["Charlie", "Echo", "Alfa", "Bravo", "Delta"]
    assert names(service.list_customers(seeded, dewi, sort="segment", desc=True)["rows"]) == ["Delta", "Bravo", "Alfa", "Echo", "Charlie"]
    assert names(service.list_customers(seeded, dewi, sort="created_at")["rows"]) == ["Echo", "Bravo", "Charlie", "Alfa", "Delta"]
    assert names(leads.list_leads(seeded, dewi, sort="status", desc=True)["rows"], "title") == ["Lead Bravo", "Lead Alfa", "Lead Echo", "Lead Charlie", "Lead Delta"]
    assert names(leads.list_leads(seeded, dewi, sort="status", desc=False)["rows"], "title") == ["Lead Delta", "Lead Charlie", "Lead Echo", "Lead Alfa", "Lead Bravo"]
    assert names(sales.list_opportunities(seeded, dewi, sort="stage", desc=False)["rows"]) == ["Deal C", "Deal A", "Deal D", "Deal B"]
