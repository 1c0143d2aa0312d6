"""The customer's segment / province / city copied onto its deals, leads and activities (migration
0014) stay equal to the customer's whatever writes the rows: forms, a change of customer, an edit of
the customer, lead conversion, bulk inserts, raw SQL. The dashboard's segment and region filters
read these copies, so a stale copy would show a manager wrong figures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from kaktus_app.activities import service as activities
from kaktus_app.activities.models import Activity
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import Customer
from kaktus_app.demo import generate_scale
from kaktus_app.i18n import utcnow
from kaktus_app.leads import service as leads
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import Opportunity

COPY = "customer_segment, customer_province, customer_city"


def _copy(session, table: str, row_id: int) -> tuple:
    return tuple(session.execute(text(f"SELECT {COPY} FROM {table} WHERE id = :id"), {"id": row_id}).one())


def _company(session, admin, name: str, segment: str, city: str, province: str) -> Customer:
    return customers.create_customer(
        session,
        admin,
        {"name": name, "kind": "company", "segment": segment, "city": city, "province": province},
    )


def _due() -> str:
    return (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")


def test_new_records_carry_their_customers_segment_and_region(seeded, admin):
    s = seeded
    kita = _company(s, admin, "PT. KITA", "corporate", "Bandung", "Jawa Barat")
    lead = leads.create_lead(s, admin, {"title": "Nasi box 300 pax", "customer_id": kita.id, "source": "web"})
    deal = sales.create_opportunity(
        s, admin, {"name": "Tumpeng HUT", "customer_id": kita.id, "expected_revenue": "4500000"}
    )
    on_customer = activities.schedule_activity(
        s, admin, {"kind": "call", "summary": "Call Yeyen", "due_at": _due(), "customer_id": kita.id}
    )
    on_deal = activities.schedule_activity(
        s, admin, {"kind": "meeting", "summary": "Tasting", "due_at": _due(), "opportunity_id": deal.id}
    )
    on_lead = activities.schedule_activity(
        s, admin, {"kind": "email", "summary": "Menu", "due_at": _due(), "lead_id": lead.id}
    )
    typed = leads.create_lead(
        s, admin, {"title": "Walk-in order", "contact_name": "Bu Ani", "source": "walk_in"}
    )
    s.commit()
    region = ("corporate", "Jawa Barat", "Bandung")
    assert _copy(s, "lead", lead.id) == region
    assert _copy(s, "opportunity", deal.id) == region
    assert _copy(s, "activity", on_customer.id) == region
    assert _copy(s, "activity", on_deal.id) == region  # through its deal
    assert _copy(s, "activity", on_lead.id) == ("", "", "")  # a lead's activity has no customer
    assert _copy(s, "lead", typed.id) == ("", "", "")


def test_editing_the_customer_or_moving_a_deal_to_another_customer_updates_every_copy(seeded, admin):
    s = seeded
    kita = _company(s, admin, "PT. KITA", "corporate", "Bandung", "Jawa Barat")
    other = _company(s, admin, "CV. Sumber Rejeki", "hospitality", "Surabaya", "Jawa Timur")
    deal = sales.create_opportunity(
        s, admin, {"name": "Prasmanan 200", "customer_id": kita.id, "expected_revenue": "9000000"}
    )
    call = activities.schedule_activity(
        s, admin, {"kind": "call", "summary": "Follow up", "due_at": _due(), "opportunity_id": deal.id}
    )
    lead = leads.create_lead(
        s, admin, {"title": "Coffee break", "customer_id": kita.id, "source": "referral"}
    )
    s.commit()

    customers.update_customer(
        s, admin, kita.id, {"segment": "government", "city": "Kota Bogor", "province": "Jawa Barat"}
    )
    s.commit()
    moved = ("government", "Jawa Barat", "Kota Bogor")
    assert _copy(s, "opportunity", deal.id) == moved and _copy(s, "lead", lead.id) == moved
    assert _copy(s, "activity", call.id) == moved

    sales.update_opportunity(s, admin, deal.id, {"customer_id": other.id})
    s.commit()
    assert _copy(s, "opportunity", deal.id) == ("hospitality", "Jawa Timur", "Surabaya")
    assert _copy(s, "activity", call.id) == ("hospitality", "Jawa Timur", "Surabaya")
    assert _copy(s, "lead", lead.id) == moved  # the lead stays with PT. KITA

    # a change written by plain SQL (as a script or another tool would) is followed too
    s.execute(text("UPDATE customer SET segment = 'retail' WHERE id = :id"), {"id": other.id})
    s.commit()
    assert _copy(s, "activity", call.id) == ("retail", "Jawa Timur", "Surabaya")


def test_a_converted_lead_gives_its_deal_and_history_the_customers_values(seeded, admin):
    s = seeded
    kita = _company(s, admin, "PT. KITA", "corporate", "Bandung", "Jawa Barat")
    lead = leads.create_lead(
        s,
        admin,
        {
            "title": "Snack box 500",
            "contact_name": "Yeyen",
            "company_name": "PT. Baru Jaya",
            "source": "phone",
        },
    )
    call = activities.schedule_activity(
        s, admin, {"kind": "call", "summary": "Ask the date", "due_at": _due(), "lead_id": lead.id}
    )
    s.commit()
    linked = leads.convert_lead(s, admin, lead.id, customer_mode="link", customer_id=kita.id)
    s.commit()
    assert _copy(s, "opportunity", linked) == ("corporate", "Jawa Barat", "Bandung")
    assert _copy(s, "lead", lead.id) == ("corporate", "Jawa Barat", "Bandung")
    moved = s.execute(
        text("SELECT opportunity_id, lead_id FROM activity WHERE id = :id"), {"id": call.id}
    ).one()
    if moved.opportunity_id == linked:  # the lead's history moves to the deal
        assert _copy(s, "activity", call.id) == ("corporate", "Jawa Barat", "Bandung")


def test_bulk_generated_data_has_exact_copies_everywhere(seeded):
    s = seeded
    generate_scale(s, 200)
    s.commit()
    stale = {
        table: s.execute(
            text(
                f"SELECT COUNT(*) FROM {table} t JOIN customer c ON c.id = t.customer_id "
                "WHERE t.customer_segment <> c.segment OR t.customer_province <> c.province OR t.customer_city <> c.city"
            )
        ).scalar_one()
        for table in ("opportunity", "lead", "activity")
    }
    via_deal = s.execute(
        text(
            "SELECT COUNT(*) FROM activity a JOIN opportunity o ON o.id = a.opportunity_id JOIN customer c ON c.id = o.customer_id "
            "WHERE a.customer_id IS NULL AND (a.customer_segment <> c.segment OR a.customer_province <> c.province)"
        )
    ).scalar_one()
    assert stale == {"opportunity": 0, "lead": 0, "activity": 0} and via_deal == 0
    filled = s.execute(text("SELECT COUNT(*) FROM opportunity WHERE customer_segment <> ''")).scalar_one()
    assert filled > 0
    # the copies are not model fields: forms, the API and exports never see them
    assert "customer_segment" not in Opportunity.model_fields and "customer_city" not in Activity.model_fields


def test_the_copy_triggers_exist_at_head(session):
    """A later SQLite batch migration that rebuilds one of these tables would drop its triggers
    silently (and the copies would go stale): they must all be there at head."""
    if session.get_bind().dialect.name == "sqlite":
        names = set(session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kaktus_%copy%'")).scalars())
        assert len(names) == 8, names
    else:
        rows = set(session.execute(text("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'kaktus_%copy%'")).all())
        assert {table for _name, table in rows} == {"opportunity", "lead", "activity", "customer"} and len(rows) == 5, rows
