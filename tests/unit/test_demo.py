"""The Kaktus Berduri demo data and the scale generator used by the benchmarks."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from kaktus_app import db, demo
from kaktus_app.activities.models import Activity
from kaktus_app.customers.models import Customer, SavedFilter
from kaktus_app.i18n import utcnow
from kaktus_app.leads.models import LEAD_SOURCES, Lead
from kaktus_app.sales.models import Opportunity, Stage


def _count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_company_is_complete_and_loads_once(db_url):
    demo.main(["--if-empty"])
    demo.main(["--if-empty"])
    with db.session_scope() as s:
        assert _count(s, Customer, Customer.company_id == None) == 60  # noqa: E711
        assert _count(s, Customer, Customer.company_id != None) == 40  # noqa: E711
        for lat, lon in s.exec(select(Customer.latitude, Customer.longitude).where(Customer.company_id == None)):  # noqa: E711
            assert -11 < lat < 6 and 95 < lon < 141
        assert {row for row in s.exec(select(Customer.city).distinct())} >= {"Jakarta Pusat", "Bandung", "Surabaya", "Medan"}
        for stage in s.exec(select(Stage)):
            assert _count(s, Opportunity, Opportunity.stage_id == stage.id) > 0, stage.name
        assert {row for row in s.exec(select(Opportunity.state).distinct())} == {"open", "won", "lost"}
        assert {row for row in s.exec(select(Lead.source).distinct())} == set(LEAD_SOURCES)
        assert {row for row in s.exec(select(Lead.status).distinct())} == {"open", "lost", "converted"}
        now = utcnow()
        assert _count(s, Activity, Activity.done == False, Activity.due_at < now) > 0  # noqa: E712
        assert _count(s, Activity, Activity.done == False, Activity.due_at > now) > 0  # noqa: E712
        assert _count(s, Activity, Activity.done == True) > 0  # noqa: E712
        assert _count(s, Customer, func.lower(Customer.name_norm).like("kita%")) == 0
        assert {f.name for f in s.exec(select(SavedFilter))} == {"My customers", "Jakarta catering"}
        # the help desk: tickets in every status, a complaint spike, FAQ in both languages, a portal login
        from kaktus_app.auth.service import system_actor, verify_password
        from kaktus_app.helpdesk import service as helpdesk
        from kaktus_app.helpdesk.models import FaqArticle, Ticket
        from kaktus_app.portal.models import PortalUser

        assert {row for row in s.exec(select(Ticket.status).distinct())} == {"new", "in_progress", "waiting", "resolved", "closed"}
        assert {a["label"] for a in helpdesk.complaint_alerts(s)} == {"Food quality", "Nasi box ayam bakar"}
        assert {row for row in s.exec(select(FaqArticle.language).distinct())} == {"en", "id"}
        assert helpdesk.stats(s, system_actor(s))["breaches"] > 0
        portal_user = s.exec(select(PortalUser)).one()
        assert verify_password(demo.PORTAL_DEMO_PASSWORD, portal_user.password_hash) and portal_user.email_verified
        assert s.get(Customer, portal_user.contact_id).company_id == portal_user.company_id


def test_scale_generator_makes_proportional_valid_data(db_url):
    with db.session_scope() as s:
        counts = demo.generate_scale(s, 500, chunk=120)
    assert counts == {"customers": 500, "leads": 150, "opportunities": 100, "activities": 500}
    with db.session_scope() as s:
        assert _count(s, Customer) == 500 and _count(s, Opportunity) == 100 and _count(s, Activity) == 500
        customer_ids = set(s.exec(select(Customer.id)))
        assert set(s.exec(select(Opportunity.customer_id))) <= customer_ids
        assert set(s.exec(select(Activity.customer_id).where(Activity.customer_id != None))) <= customer_ids  # noqa: E711
        stage_ids = set(s.exec(select(Stage.id)))
        assert set(s.exec(select(Opportunity.stage_id))) <= stage_ids
