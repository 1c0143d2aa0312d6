"""Activities: scheduling rules, Jakarta day buckets, done + next in one step, timelines, home counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from kaktus_app.activities import service
from kaktus_app.activities.models import Activity
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError, ValidationError
from kaktus_app.i18n import to_jakarta, utcnow
from kaktus_app.leads.models import Lead
from kaktus_app.sales.models import Opportunity, Stage


def local(delta: timedelta) -> str:
    return to_jakarta(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def records(seeded, dewi):
    stage = seeded.exec(select(Stage).order_by(Stage.sequence)).first()
    customer = Customer(name="PT. KITA", name_norm="kita", owner_id=dewi.id)
    seeded.add(customer)
    seeded.flush()
    lead = Lead(title="Nasi box", owner_id=dewi.id, customer_id=customer.id)
    seeded.add(lead)
    seeded.flush()
    opp = Opportunity(name="Nasi box 300 pax", customer_id=customer.id, lead_id=lead.id, stage_id=stage.id, owner_id=dewi.id, expected_revenue=Decimal("15000000"))
    seeded.add(opp)
    seeded.commit()
    return customer, lead, opp


def test_schedule_validates_every_field(seeded, dewi, records):
    customer, lead, _ = records
    with pytest.raises(ValidationError) as bad:
        service.schedule_activity(seeded, dewi, {"kind": "party", "summary": "", "due_at": "31/02/2026 99:99"})
    assert set(bad.value.errors) == {"kind", "summary", "due_at", "record"}
    with pytest.raises(ValidationError) as two:
        service.schedule_activity(seeded, dewi, {"summary": "x", "due_at": local(timedelta(hours=2)), "customer_id": customer.id, "lead_id": lead.id})
    assert set(two.value.errors) == {"record"}
    with pytest.raises(ValidationError):
        service.schedule_activity(seeded, dewi, {"summary": "x", "due_at": local(timedelta(hours=2)), "customer_id": 9999})
    assert seeded.exec(select(Activity)).all() == []


def test_due_time_typed_in_jakarta_is_stored_in_utc(seeded, dewi, records):
    customer, _, _ = records
    activity = service.schedule_activity(seeded, dewi, {"summary": "Telepon", "due_at": "2026-12-01T09:00", "customer_id": customer.id})
    assert (activity.due_at.hour, activity.due_at.utcoffset().total_seconds()) == (2, 0)


def test_buckets_follow_jakarta_days(seeded, dewi, budi, records):
    customer, _, _ = records
    now_local = to_jakarta(utcnow())
    end_of_day = now_local.replace(hour=23, minute=59)
    minutes_left = int((end_of_day - now_local).total_seconds() // 60)
    plan = [("overdue", timedelta(hours=-3)), ("upcoming", timedelta(days=2))]
    if minutes_left > 2:
        plan.append(("today", timedelta(minutes=minutes_left - 1)))
    for name, delta in plan:
        service.schedule_activity(seeded, dewi, {"summary": name, "due_at": local(delta), "customer_id": customer.id})
    service.schedule_activity(seeded, dewi, {"summary": "for budi", "due_at": local(timedelta(hours=1)), "customer_id": customer.id, "assignee_id": budi.id})
    seeded.commit()
    for name, _delta in plan:
        rows = service.my_activities(seeded, dewi, bucket=name)["rows"]
        assert [r["summary"] for r in rows] == [name]
    overdue = service.my_activities(seeded, dewi, bucket="overdue")["rows"][0]
    assert overdue["overdue"] is True and overdue["href"] == f"/customers/{customer.id}"
    assert service.bucket_counts(seeded, dewi)["upcoming"] == 1


def test_mark_done_and_schedule_the_next_in_one_step(seeded, dewi, records):
    _, _, opp = records
    first = service.schedule_activity(seeded, dewi, {"kind": "call", "summary": "Konfirmasi", "due_at": local(timedelta(hours=-1)), "opportunity_id": opp.id})
    service.mark_done(seeded, dewi, first.id, outcome="interested", note="Minta tasting", next_activity={"kind": "meeting", "summary": "Tasting", "due_at": local(timedelta(days=3))})
    seeded.commit()
    done = seeded.get(Activity, first.id)
    assert done.done and done.outcome == "interested" and "tasting" in done.note.lower()
    follow = seeded.exec(select(Activity).where(Activity.summary == "Tasting")).one()
    assert (follow.opportunity_id, follow.kind, follow.done) == (opp.id, "meeting", False)
    with pytest.raises(DomainError) as twice:
        service.mark_done(seeded, dewi, first.id)
    assert twice.value.key == "activities.error.already_done"
    nxt = service.next_activity_by_opportunity(seeded, [opp.id])
    assert nxt[opp.id]["summary"] == "Tasting" and nxt[opp.id]["overdue"] is False


def test_a_bad_follow_up_leaves_the_first_activity_open(seeded, dewi, records):
    _, _, opp = records
    first = service.schedule_activity(seeded, dewi, {"summary": "Konfirmasi", "due_at": local(timedelta(hours=1)), "opportunity_id": opp.id})
    seeded.commit()
    with pytest.raises(ValidationError):
        service.mark_done(seeded, dewi, first.id, next_activity={"summary": "Tasting", "due_at": "bukan tanggal"})
    seeded.rollback()
    assert seeded.get(Activity, first.id).done is False


def test_log_call_and_notes(seeded, dewi, records):
    customer, _, _ = records
    call = service.log_call(seeded, dewi, {"outcome": "reached", "note": "Setuju harga", "customer_id": customer.id})
    assert call.done and call.kind == "call"
    with pytest.raises(ValidationError):
        service.log_call(seeded, dewi, {"outcome": "", "customer_id": customer.id})
    with pytest.raises(DomainError):
        service.add_note(seeded, dewi, "customer", customer.id, "   ")
    service.add_note(seeded, dewi, "customer", customer.id, "Suka menu pedas <b>level 3</b>")
    seeded.commit()
    titles = [(e["title"], e["body"]) for e in service.timeline(seeded, dewi, "customer", customer.id)]
    assert ("Note", "Suka menu pedas <b>level 3</b>") in titles


def test_customer_timeline_includes_its_deals_and_planned_first(seeded, dewi, records):
    customer, lead, opp = records
    service.schedule_activity(seeded, dewi, {"summary": "Meeting on deal", "due_at": local(timedelta(days=1)), "opportunity_id": opp.id})
    service.log(seeded, dewi, "opportunity", opp.id, "won", "sales.timeline.won")
    service.log(seeded, dewi, "lead", lead.id, "created", "leads.timeline.created", title="Nasi box")
    seeded.commit()
    timeline = service.timeline(seeded, dewi, "customer", customer.id)
    assert timeline[0]["planned"] and "Meeting on deal" in timeline[0]["title"]
    titles = [e["title"] for e in timeline]
    assert "Marked won" in titles and "Lead Nasi box created" in titles
    opp_titles = [e["title"] for e in service.timeline(seeded, dewi, "opportunity", opp.id)]
    assert "Lead Nasi box created" in opp_titles
    assert service.timeline(seeded, dewi, "customer", customer.id, lang="id")[1]["title"] in ("Ditandai menang", "Prospek Nasi box dibuat")


def test_home_counts_match_the_data(seeded, dewi, records):
    customer, _, opp = records
    service.schedule_activity(seeded, dewi, {"summary": "late", "due_at": local(timedelta(hours=-2)), "customer_id": customer.id})
    seeded.commit()
    counts = service.counts_for_home(seeded, dewi)
    assert counts["overdue"] == 1
    assert (counts["open_opportunities"], counts["open_revenue"], counts["open_leads"]) == (1, "Rp 15.000.000", 1)
