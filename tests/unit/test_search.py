"""Global search in the top bar: customers, contacts, leads, opportunities by name, e-mail, phone."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

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
