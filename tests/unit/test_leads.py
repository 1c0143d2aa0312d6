"""Leads: validation, list, and every conversion path (history kept)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from kaktus_app.activities import service as activities
from kaktus_app.activities.models import Activity
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError, ValidationError
from kaktus_app.i18n import to_jakarta, utcnow
from kaktus_app.leads import service
from kaktus_app.leads.models import Lead
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity


@pytest.fixture
def kita(seeded, dewi):
    company = customers.create_customer(seeded, dewi, {"name": "PT. KITA", "email": "info@kita.co.id", "city": "Jakarta Pusat"})
    seeded.commit()
    return company


def _lead(session, actor, **extra):
    data = {"title": "Nasi box 300 pax — PT. KITA", "source": "phone", "expected_revenue": "10.500.000", "memo": "Untuk rapat tahunan"}
    return service.create_lead(session, actor, data | extra)


def test_validation_reports_every_field_and_saves_nothing(seeded, dewi):
    with pytest.raises(ValidationError) as bad:
        service.create_lead(seeded, dewi, {"title": "", "email": "x@", "phone": "abc", "expected_revenue": "-1", "source": "pigeon"})
    assert set(bad.value.errors) == {"title", "email", "phone", "expected_revenue", "source"}
    assert seeded.exec(select(Lead)).all() == []


def test_convert_linking_an_existing_customer_keeps_history(seeded, dewi, kita):
    lead = _lead(seeded, dewi, customer_id=str(kita.id))
    call = activities.schedule_activity(seeded, dewi, {"kind": "call", "summary": "Tanya menu", "due_at": to_jakarta(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "lead_id": lead.id})
    seeded.commit()
    options = service.conversion_options(seeded, dewi, lead.id)
    assert options["matches"][0] == {"id": kita.id, "name": "PT. KITA", "city": "Jakarta Pusat", "reason": "linked"}
    opp_id = service.convert_lead(seeded, dewi, lead.id, action="convert", customer_mode="link", customer_id=kita.id)
    seeded.commit()
    opp = seeded.get(Opportunity, opp_id)
    assert (opp.customer_id, opp.lead_id, str(opp.expected_revenue)) == (kita.id, lead.id, "10500000.00")
    assert "rapat tahunan" in opp.memo
    lead = seeded.get(Lead, lead.id)
    assert (lead.status, lead.opportunity_id) == ("converted", opp_id)
    assert seeded.get(Activity, call.id).opportunity_id == opp_id
    titles = [e["title"] for e in activities.timeline(seeded, dewi, "opportunity", opp_id)]
    assert any("Tanya menu" in t for t in titles)
    assert any("Lead Nasi box 300 pax" in t for t in titles)
    assert any("Converted" in e["title"] for e in activities.timeline(seeded, dewi, "lead", lead.id))
    with pytest.raises(DomainError):
        service.convert_lead(seeded, dewi, lead.id, customer_mode="none")
    with pytest.raises(DomainError):
        service.update_lead(seeded, dewi, lead.id, {"title": "changed"})


def test_convert_creating_company_and_contact(seeded, dewi):
    lead = _lead(seeded, dewi, company_name="CV Sumber Rasa", contact_name="Yeyen", email="yeyen@sumberrasa.id", phone="0812-1111-2222", city="Bekasi")
    opp_id = service.convert_lead(seeded, dewi, lead.id, customer_mode="create")
    seeded.commit()
    opp = seeded.get(Opportunity, opp_id)
    company = seeded.get(Customer, opp.customer_id)
    assert (company.name, company.kind, company.city) == ("CV Sumber Rasa", "company", "Bekasi")
    contact = seeded.exec(select(Customer).where(Customer.company_id == company.id)).one()
    assert (contact.name, contact.kind, contact.email, contact.phone) == ("Yeyen", "person", "yeyen@sumberrasa.id", "+6281211112222")


def test_convert_creating_a_person_only_or_no_customer(seeded, dewi):
    person_lead = _lead(seeded, dewi, contact_name="Ibu Ratna", phone="0813-9999-0000")
    opp = seeded.get(Opportunity, service.convert_lead(seeded, dewi, person_lead.id, customer_mode="create"))
    assert seeded.get(Customer, opp.customer_id).kind == "person"
    bare = _lead(seeded, dewi, title="Snack box 50 pax")
    opp2 = seeded.get(Opportunity, service.convert_lead(seeded, dewi, bare.id, customer_mode="none", opportunity_name="Snack box arisan"))
    assert (opp2.customer_id, opp2.name) == (None, "Snack box arisan")
    with pytest.raises(DomainError) as no_customer:
        service.convert_lead(seeded, dewi, _lead(seeded, dewi).id, customer_mode="link")
    assert no_customer.value.key == "leads.error.choose_customer"


def test_merge_into_an_open_opportunity_of_the_same_customer_only(seeded, dewi, budi, kita):
    other = customers.create_customer(seeded, budi, {"name": "PT. Lain"})
    target = sales.create_opportunity(seeded, dewi, {"name": "Prasmanan KITA", "customer_id": kita.id, "memo": "awal"})
    foreign = sales.create_opportunity(seeded, dewi, {"name": "Lain", "customer_id": other.id})
    closed = sales.create_opportunity(seeded, dewi, {"name": "Closed", "customer_id": kita.id})
    sales.mark_lost(seeded, dewi, closed.id, "other")
    lead = _lead(seeded, dewi, customer_id=str(kita.id))
    for bad_target in (foreign.id, closed.id, None):
        with pytest.raises(DomainError) as refused:
            service.convert_lead(seeded, dewi, lead.id, action="merge", customer_mode="link", customer_id=kita.id, opportunity_id=bad_target)
        assert refused.value.key == "leads.error.merge_target"
    options = service.conversion_options(seeded, dewi, lead.id)
    assert [o["name"] for o in options["opportunities"]] == ["Prasmanan KITA"]
    merged = service.convert_lead(seeded, dewi, lead.id, action="merge", customer_mode="link", customer_id=kita.id, opportunity_id=target.id)
    assert merged == target.id
    assert "awal" in seeded.get(Opportunity, target.id).memo and "rapat tahunan" in seeded.get(Opportunity, target.id).memo
    assert seeded.get(Lead, lead.id).status == "converted"


def test_lost_lead_cannot_be_converted_until_reopened(seeded, dewi):
    lead = _lead(seeded, dewi)
    with pytest.raises(DomainError):
        service.mark_lead_lost(seeded, dewi, lead.id, "")
    service.mark_lead_lost(seeded, dewi, lead.id, "Anggaran tidak ada")
    with pytest.raises(DomainError) as refused:
        service.convert_lead(seeded, dewi, lead.id, customer_mode="none")
    assert refused.value.key == "leads.error.not_open"
    service.reopen_lead(seeded, dewi, lead.id)
    assert service.convert_lead(seeded, dewi, lead.id, customer_mode="none")


def test_suggested_matches_find_pt_kita_when_typed_differently(seeded, dewi, kita):
    lead = _lead(seeded, dewi, company_name="PT Kita")
    assert [m["name"] for m in service.conversion_options(seeded, dewi, lead.id)["matches"]] == ["PT. KITA"]


def test_list_filters_sorts_and_paginates(seeded, dewi, budi):
    for index in range(5):
        service.create_lead(seeded, dewi if index % 2 else budi, {"title": f"Lead {index}", "source": "web" if index < 3 else "referral", "expected_revenue": str(index * 1000)})
    seeded.commit()
    page = service.list_leads(seeded, dewi, sort="title", desc=False, page_size=2, page=2)
    assert [r["title"] for r in page["rows"]] == ["Lead 2", "Lead 3"] and page["pages"] == 3
    assert {r["title"] for r in service.list_leads(seeded, dewi, source="referral")["rows"]} == {"Lead 3", "Lead 4"}
    assert {r["title"] for r in service.list_leads(seeded, dewi, owner_id="me")["rows"]} == {"Lead 1", "Lead 3"}
    assert [r["title"] for r in service.list_leads(seeded, dewi, search="lead 4")["rows"]] == ["Lead 4"]
