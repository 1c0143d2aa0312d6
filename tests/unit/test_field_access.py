"""Field-level access on every module: a hidden field is blank in reads, lists, cards, timelines and
search and keeps its stored value on save; a read-only field refuses a change at the field; record
visibility also guards writes and PDFs (another team's quotation is "not found")."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from kaktus_app.activities import service as activities
from kaktus_app.auth import permissions
from kaktus_app.auth.models import Profile
from kaktus_app.customers import service as customers
from kaktus_app.documents import service as documents
from kaktus_app.errors import NotFound, PermissionDenied, ValidationError
from kaktus_app.i18n import utcnow
from kaktus_app.leads import service as leads
from kaktus_app.sales import service as sales
from kaktus_app.search import service as search


def _restrict(session, admin, profile_key: str, fields: dict, permissions_change: dict | None = None) -> None:
    profile = session.exec(select(Profile).where(Profile.key == profile_key)).one()
    current = json.loads(profile.permissions)
    permissions.update_profile(session, admin, profile.id, {**current, **(permissions_change or {})}, fields)
    session.info.pop("access", None)
    session.info.pop("visible", None)


def test_every_form_field_of_every_module_can_be_restricted():
    assert set(permissions.FIELDS) >= {"customers", "leads", "opportunities", "activities", "products", "quotations"}
    assert {"email", "phone", "npwp", "city", "notes", "profile_needs"} <= set(permissions.FIELDS["customers"])
    assert {"expected_revenue", "probability", "memo"} <= set(permissions.FIELDS["opportunities"])
    for module, fields in permissions.FIELDS.items():
        assert "name" not in fields and "owner_id" not in fields, module


def test_hidden_customer_fields_are_blank_everywhere_and_kept_on_save(seeded, admin, dewi):
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "email": "info@kita.co.id", "phone": "021-5551234", "city": "Jakarta Pusat", "owner_id": str(dewi.id)})
    _restrict(seeded, admin, "sales", {"customers.email": "hidden", "customers.phone": "hidden", "customers.city": "hidden"})

    record = customers.get_customer(seeded, dewi, kita.id)
    assert record["email"] == "" and record["phone"] == "" and record["phone_display"] == "" and record["city"] == ""
    row = next(r for r in customers.list_customers(seeded, dewi)["rows"] if r["id"] == kita.id)
    assert row["email"] == "" and row["phone"] == "" and row["city"] == ""
    # filtering or sorting by a hidden field would reveal it: ignored
    assert customers.list_customers(seeded, dewi, city="Bandung")["total"] == customers.list_customers(seeded, dewi)["total"]
    # search neither matches on nor shows a hidden field
    assert search.search(seeded, dewi, "info@kita")["customers"] == []
    assert customers.list_customers(seeded, dewi, search="info@kita")["total"] == 0
    assert customers.list_customers(seeded, admin, search="info@kita")["total"] == 1
    hit = search.search(seeded, dewi, "PT. KITA")["customers"][0]
    assert hit["detail"] == ""

    # the form never had the hidden values: saving what it shows keeps the stored ones
    customers.update_customer(seeded, dewi, kita.id, {**record, "industry": "Catering"})
    stored = customers.get_customer(seeded, admin, kita.id)
    assert stored["email"] == "info@kita.co.id" and stored["city"] == "Jakarta Pusat" and stored["industry"] == "Catering"


def test_read_only_fields_refuse_a_change_at_the_field(seeded, admin, dewi):
    _restrict(seeded, admin, "sales", {"leads.source": "readonly", "opportunities.probability": "readonly", "customers.segment": "readonly"})
    lead = leads.create_lead(seeded, admin, {"title": "Tumpeng 50 pax", "source": "web", "expected_revenue": "5.000.000", "owner_id": str(dewi.id)})
    with pytest.raises(ValidationError) as refused:
        leads.create_lead(seeded, dewi, {"title": "Snack", "source": "referral"})
    assert refused.value.errors == {"source": "error.field_readonly"}
    with pytest.raises(ValidationError) as refused:
        leads.update_lead(seeded, dewi, lead.id, {"source": "referral"})
    assert refused.value.errors == {"source": "error.field_readonly"}
    leads.update_lead(seeded, dewi, lead.id, {"source": "web", "memo": "called back"})  # unchanged: fine

    opp = sales.create_opportunity(seeded, dewi, {"name": "Prasmanan 200 pax", "expected_revenue": "20.000.000"})
    with pytest.raises(ValidationError) as refused:
        sales.update_opportunity(seeded, dewi, opp.id, {"probability": "90"})
    assert refused.value.errors == {"probability": "error.field_readonly"}
    sales.update_opportunity(seeded, dewi, opp.id, {"expected_revenue": "25.000.000"})
    assert sales.get_opportunity(seeded, admin, opp.id)["expected_revenue"] == "25000000"

    with pytest.raises(ValidationError) as refused:
        customers.create_customer(seeded, dewi, {"kind": "company", "name": "CV. Segmen", "segment": "government"})
    assert refused.value.errors == {"segment": "error.field_readonly"}


def test_hidden_deal_revenue_leaves_lists_cards_and_column_sums(seeded, admin, dewi):
    opp = sales.create_opportunity(seeded, dewi, {"name": "Snack box 300", "expected_revenue": "9.000.000"})
    lead = leads.create_lead(seeded, dewi, {"title": "Coffee break", "expected_revenue": "3.000.000"})
    _restrict(seeded, admin, "sales", {"opportunities.expected_revenue": "hidden", "leads.expected_revenue": "hidden"})

    record = sales.get_opportunity(seeded, dewi, opp.id)
    assert record["expected_revenue"] == "" and record["expected_revenue_label"] == "" and record["weighted_label"] == ""
    assert record["probability"] != ""
    row = next(r for r in sales.list_opportunities(seeded, dewi)["rows"] if r["id"] == opp.id)
    assert row["revenue"] == "" and row["weighted"] == ""
    board = sales.board(seeded, dewi)
    column = next(c for c in board["columns"] if any(card["id"] == opp.id for card in c["cards"]))
    card = next(card for card in column["cards"] if card["id"] == opp.id)
    assert card["revenue"] == "" and column["sum_expected_label"] == "" and column["count"] >= 1
    assert leads.get_lead(seeded, dewi, lead.id)["expected_revenue_label"] == ""
    assert next(r for r in leads.list_leads(seeded, dewi)["rows"] if r["id"] == lead.id)["revenue"] == ""
    # sorting by the hidden column falls back to the default order
    assert sales.list_opportunities(seeded, dewi, sort="expected_revenue")["rows"] == sales.list_opportunities(seeded, dewi)["rows"]

    # saving the form (which has no revenue field) keeps the stored revenue
    sales.update_opportunity(seeded, dewi, opp.id, {"name": "Snack box 350", "expected_revenue": ""})
    assert sales.get_opportunity(seeded, admin, opp.id)["expected_revenue"] == "9000000"
    # the manager still sees it
    assert sales.get_opportunity(seeded, admin, opp.id)["expected_revenue_label"] == "Rp 9.000.000"


def test_timeline_says_a_hidden_field_changed_without_its_values(seeded, admin, dewi):
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "npwp": "01.234.567.8-901.000", "owner_id": str(dewi.id)})
    seeded.commit()
    customers.update_customer(seeded, admin, kita.id, {"npwp": "02.345.678.9-012.000", "city": "Bekasi"})
    seeded.commit()
    _restrict(seeded, admin, "sales", {"customers.npwp": "hidden"})
    bodies = "\n".join(item["body"] for item in activities.timeline(seeded, dewi, "customer", kita.id) if item["kind"] == "updated")
    assert "Bekasi" in bodies
    assert "02.345.678.9-012.000" not in bodies and "01.234.567.8-901.000" not in bodies and "•••" in bodies
    admin_bodies = "\n".join(item["body"] for item in activities.timeline(seeded, admin, "customer", kita.id))
    assert "02.345.678.9-012.000" in admin_bodies


def test_activity_notes_hidden_and_activities_follow_their_sharing_rule(seeded, admin, dewi, budi):
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA"})
    due = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    act = activities.schedule_activity(seeded, dewi, {"kind": "call", "summary": "Call Yeyen", "due_at": due, "note": "budget is 20 juta", "customer_id": str(kita.id)})
    _restrict(seeded, admin, "sales", {"activities.note": "hidden"})
    items = [i for i in activities.timeline(seeded, budi, "customer", kita.id) if i["activity_id"] == act.id]
    assert items and "20 juta" not in items[0]["body"]
    assert "20 juta" in activities.timeline(seeded, admin, "customer", kita.id)[0]["body"]

    # private activities: budi no longer sees dewi's call, and cannot mark it done by id
    permissions.set_sharing(seeded, admin, "activities", "private")
    seeded.info.pop("visible", None)
    assert [i for i in activities.timeline(seeded, budi, "customer", kita.id) if i["activity_id"] == act.id] == []
    with pytest.raises(NotFound):
        activities.mark_done(seeded, budi, act.id)
    activities.mark_done(seeded, dewi, act.id)

    # a profile without the "create" action on activities may not schedule one
    _restrict(seeded, admin, "marketing", {}, {"activities": ["read"]})
    from kaktus_app.auth.models import User
    from kaktus_app.auth.service import actor_for

    marketing = actor_for(User(id=dewi.id, username="m", full_name="M", role="marketing", team_id=None))
    with pytest.raises(PermissionDenied):
        activities.schedule_activity(seeded, marketing, {"kind": "call", "summary": "x", "due_at": due, "customer_id": str(kita.id)})


def test_another_teams_quotation_is_not_found_for_writes_and_pdfs(seeded, admin, dewi, budi):
    from kaktus_app.demo import load_catalog

    load_catalog(seeded)
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA"})
    quote = documents.create_quotation(seeded, dewi, {"customer_id": str(kita.id)})
    seeded.commit()
    permissions.set_sharing(seeded, admin, "quotations", "private")
    seeded.info.pop("visible", None)
    with pytest.raises(NotFound):
        documents.update_quotation(seeded, budi, quote.id, {"note": "mine now"})
    with pytest.raises(NotFound):
        documents.order_pdf(seeded, budi, quote.id)
    with pytest.raises(NotFound):
        documents.mark_sent(seeded, budi, quote.id)
    documents.update_quotation(seeded, dewi, quote.id, {"note": "for Yeyen"})


def test_hidden_quotation_terms_are_blank_and_kept(seeded, admin, dewi):
    from kaktus_app.demo import load_catalog

    load_catalog(seeded)
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA"})
    quote = documents.create_quotation(seeded, dewi, {"customer_id": str(kita.id), "note": "special price"})
    _restrict(seeded, admin, "sales", {"quotations.note": "hidden", "quotations.payment_terms": "readonly"})
    page = documents.get_order(seeded, dewi, quote.id)
    assert page["note"] == "" and page["payment_terms"] != ""
    documents.update_quotation(seeded, dewi, quote.id, {"note": "", "validity_date": page["validity_date"]})
    assert documents.get_order(seeded, admin, quote.id)["note"] == "special price"
    with pytest.raises(ValidationError) as refused:
        documents.update_quotation(seeded, dewi, quote.id, {"payment_terms": "immediate" if page["payment_terms"] != "immediate" else "30_days"})
    assert refused.value.errors == {"payment_terms": "error.field_readonly"}
