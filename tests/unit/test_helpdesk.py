"""Help desk: ticket lifecycle and refused transitions, SLA, round-robin assignment, conversation and
notes, merge, attachments, statistics, complaint spikes, FAQ, and what a portal user can reach."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from kaktus_app.auth.models import User
from kaktus_app.auth.service import actor_for, create_user
from kaktus_app.catalog.models import Product
from kaktus_app.customers.models import Customer
from kaktus_app.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from kaktus_app.helpdesk import service
from kaktus_app.helpdesk.models import FaqArticle, SlaPolicy, Ticket, TicketMessage
from kaktus_app.i18n import utcnow
from kaktus_app.portal.models import PortalUser
from kaktus_app.sales.models import SalesTeam

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class Pactor:
    id: int
    email: str
    full_name: str
    company_id: int
    contact_id: int | None
    language: str = "en"


@pytest.fixture
def rina(seeded):
    return actor_for(seeded.exec(select(User).where(User.username == "rina")).one())


@pytest.fixture
def world(seeded, dewi):
    kita = Customer(name="PT. KITA", name_norm="kita", owner_id=dewi.id)
    other = Customer(name="CV. Lain", name_norm="lain", owner_id=dewi.id)
    seeded.add_all([kita, other])
    seeded.flush()
    yeyen = Customer(kind="person", name="Yeyen", name_norm="yeyen", company_id=kita.id, email="yeyen@kita.co.id")
    seeded.add(yeyen)
    seeded.flush()
    portal_user = PortalUser(email="yeyen@kita.co.id", full_name="Yeyen", contact_id=yeyen.id, company_id=kita.id, email_verified=True)
    seeded.add(portal_user)
    seeded.commit()
    return kita, other, yeyen, Pactor(portal_user.id, portal_user.email, "Yeyen", kita.id, yeyen.id)


def new_ticket(session, actor, company, **extra):
    data = {"title": "Nasi box datang terlambat", "description": "Pesanan 120 box datang jam 13.00", "company_id": str(company.id), "category": "delivery", "priority": "high"}
    return service.create_ticket(session, actor, {**data, **extra})


def test_create_validates_and_numbers(seeded, rina, world):
    kita, other, yeyen, _ = world
    with pytest.raises(ValidationError) as exc:
        service.create_ticket(seeded, rina, {"title": " ", "category": "nonsense"})
    assert {"title", "category", "company_id"} <= set(exc.value.errors)
    with pytest.raises(ValidationError) as exc:
        service.create_ticket(seeded, rina, {"title": "x", "company_id": str(other.id), "contact_id": str(yeyen.id)})
    assert exc.value.errors == {"contact_id": "helpdesk.error.contact_company"}
    ticket = new_ticket(seeded, rina, kita, contact_id=str(yeyen.id))
    assert ticket.number == f"TK-{ticket.id:05d}"
    assert ticket.status == "new" and ticket.contact_id == yeyen.id
    # a contact alone finds its company
    by_contact = service.create_ticket(seeded, rina, {"title": "Tanya menu", "contact_id": str(yeyen.id)})
    assert by_contact.company_id == kita.id


def test_lifecycle_and_refused_transitions(seeded, rina, world):
    kita = world[0]
    ticket = new_ticket(seeded, rina, kita)
    service.set_status(seeded, rina, ticket.id, "in_progress", expected_version=ticket.version)
    with pytest.raises(Conflict):
        service.set_status(seeded, rina, ticket.id, "waiting", expected_version=1)
    service.set_status(seeded, rina, ticket.id, "waiting")
    service.set_status(seeded, rina, ticket.id, "resolved")
    assert ticket.resolved_at is not None
    with pytest.raises(DomainError) as exc:
        service.set_status(seeded, rina, ticket.id, "waiting")
    assert exc.value.key == "helpdesk.error.transition"
    service.set_status(seeded, rina, ticket.id, "closed")
    assert ticket.closed_at is not None
    for refused in ("resolved", "new", "waiting", "closed"):
        with pytest.raises(DomainError):
            service.set_status(seeded, rina, ticket.id, refused)
    service.set_status(seeded, rina, ticket.id, "reopen")
    assert ticket.status == "in_progress" and ticket.resolved_at is None and ticket.closed_at is None
    detail = service.ticket_detail(seeded, rina, ticket.id)
    changes = [m["body"] for m in detail["messages"] if m["kind"] == "status"]
    assert changes[0] == "Status: New → In progress"
    assert changes[-1] == "Status: Closed → In progress"


def test_sla_due_times_and_states(seeded, rina, world):
    kita = world[0]
    ticket = new_ticket(seeded, rina, kita, priority="urgent")
    assert ticket.first_response_due - ticket.created_at == timedelta(hours=1)
    assert ticket.resolution_due - ticket.created_at == timedelta(hours=8)
    now = ticket.created_at
    assert service.sla_state(ticket, now) == "due_soon"  # an hour to the first response
    assert service.sla_state(ticket, now + timedelta(hours=2)) == "breached"
    # the policy table is the source; a priority change moves the targets
    policy = seeded.exec(select(SlaPolicy).where(SlaPolicy.priority == "low")).one()
    policy.first_response_hours, policy.resolution_hours = 10, 100
    seeded.add(policy)
    service.update_ticket(seeded, rina, ticket.id, {"priority": "low"})
    assert ticket.resolution_due - ticket.created_at == timedelta(hours=100)
    assert service.sla_state(ticket, now + timedelta(hours=2)) == "ok"
    service.add_message(seeded, rina, ticket.id, "Kami cek ke kurir", public=True)
    service.set_status(seeded, rina, ticket.id, "resolved")
    assert service.sla_state(ticket) == "met"
    # the list filter agrees with the row state
    late = new_ticket(seeded, rina, kita, priority="urgent")
    late.created_at = utcnow() - timedelta(hours=3)
    late.first_response_due, late.resolution_due = service.sla_due(seeded, "urgent", late.created_at)
    seeded.add(late)
    seeded.flush()
    rows = service.list_tickets(seeded, rina, sla="breached")["rows"]
    assert [r["number"] for r in rows] == [late.number] and rows[0]["sla_state"] == "breached"


def test_save_sla_policies_checks_input(seeded, admin, rina):
    data = {f"{p}.{n}": "4" for p in ("low", "normal", "high", "urgent") for n in ("first_response_hours", "resolution_hours")}
    with pytest.raises(PermissionDenied):
        service.save_sla_policies(seeded, rina, data)
    with pytest.raises(ValidationError) as exc:
        service.save_sla_policies(seeded, admin, {**data, "high.first_response_hours": "abc", "low.resolution_hours": "2"})
    assert exc.value.errors == {"high.first_response_hours": "helpdesk.error.hours", "low.resolution_hours": "helpdesk.error.resolution_before_response"}
    service.save_sla_policies(seeded, admin, {**data, "urgent.first_response_hours": "2"})
    assert service.sla_hours(seeded, "urgent") == (2, 4)


def test_round_robin_per_team(seeded, admin, rina, world):
    kita = world[0]
    team = SalesTeam(name="Customer care")
    seeded.add(team)
    seeded.flush()
    rina_user = seeded.get(User, rina.id)
    rina_user.team_id = team.id
    yoga = create_user(seeded, username="yoga", full_name="Yoga Pratama", password="kaktus-yoga-2026", role="support", team_id=team.id)
    create_user(seeded, username="nonaktif", full_name="Tidak Aktif", password="kaktus-non-2026", role="support", team_id=team.id).is_active = False
    seeded.flush()
    assignees = [new_ticket(seeded, admin, kita).assignee_id for _ in range(4)]
    assert assignees == [rina.id, yoga.id, rina.id, yoga.id]
    assert new_ticket(seeded, admin, kita).team_id == team.id
    # a chosen assignee is kept
    assert new_ticket(seeded, admin, kita, assignee_id=str(admin.id)).assignee_id == admin.id


def test_reply_note_and_first_response(seeded, rina, world):
    kita, _, _, yeyen = world
    ticket = new_ticket(seeded, rina, kita)
    with pytest.raises(ValidationError):
        service.add_message(seeded, rina, ticket.id, "   ", public=True)
    service.add_message(seeded, rina, ticket.id, "Catatan: kurir ganti", public=False)
    assert ticket.first_response_at is None and ticket.status == "new"
    service.add_message(seeded, rina, ticket.id, "<script>alert(1)</script> Maaf, kami cek", public=True, attachments=[("foto.png", PNG)])
    assert ticket.first_response_at is not None and ticket.status == "in_progress"
    staff = service.ticket_detail(seeded, rina, ticket.id)
    assert [m["kind"] for m in staff["messages"]] == ["note", "reply", "status"]
    assert staff["messages"][1]["body"].startswith("<script>")  # stored as typed; shown as text by the pages
    assert staff["messages"][2]["body"] == "Status: New → In progress"
    portal = service.portal_ticket(seeded, yeyen, ticket.id)
    assert [m["body"] for m in portal["messages"]] == ["<script>alert(1)</script> Maaf, kami cek", "Status: New → In progress"]
    attachment_id = portal["messages"][0]["attachments"][0]["id"]
    assert service.portal_attachment_file(seeded, yeyen, attachment_id)[0] == "foto.png"


def test_attachment_rules():
    assert service.check_attachment("C:\\tmp\\Bukti Transfer.pdf", b"%PDF-1.7 ...") == ("Bukti Transfer.pdf", "application/pdf")
    for name, data in (("virus.exe", b"MZ\x90\x00"), ("page.html", b"<html><script>"), ("fake.pdf", b"MZ\x90\x00"), ("pic.svg", b"<svg/>"), ("noext", b"%PDF-")):
        with pytest.raises(DomainError) as exc:
            service.check_attachment(name, data)
        assert exc.value.key == "helpdesk.error.attachment_type" and exc.value.field == "attachments"
    with pytest.raises(DomainError) as exc:
        service.check_attachment("big.pdf", b"%PDF-" + b"0" * service.MAX_ATTACHMENT)
    assert exc.value.key == "helpdesk.error.attachment_size"
    macro = io.BytesIO()
    with zipfile.ZipFile(macro, "w") as z:
        z.writestr("[Content_Types].xml", "x")
        z.writestr("word/document.xml", "x")
        z.writestr("word/vbaProject.bin", "x")
    with pytest.raises(DomainError):
        service.check_attachment("macro.docx", macro.getvalue())
    assert service.check_attachment("daftar.csv", b"nama;jumlah\nTumpeng;2\n")[1] == "text/csv"


def test_merge_moves_conversation(seeded, rina, world):
    kita, other, _, _ = world
    first = new_ticket(seeded, rina, kita)
    duplicate = new_ticket(seeded, rina, kita, title="Pengiriman telat lagi")
    service.add_message(seeded, rina, duplicate.id, "Sudah ditelepon", public=False)
    with pytest.raises(DomainError):
        service.merge_tickets(seeded, rina, first.id, first.id)
    with pytest.raises(DomainError):
        service.merge_tickets(seeded, rina, new_ticket(seeded, rina, other).id, first.id)
    service.merge_tickets(seeded, rina, duplicate.id, first.id)
    assert duplicate.status == "closed" and duplicate.merged_into_id == first.id
    bodies = [m["body"] for m in service.ticket_detail(seeded, rina, first.id)["messages"]]
    assert "Sudah ditelepon" in bodies and f"Ticket {duplicate.number} was merged into this one" in bodies
    with pytest.raises(DomainError):
        service.add_message(seeded, rina, duplicate.id, "x", public=True)
    assert service.find_ticket_id(seeded, rina, first.number) == first.id


def test_lists_filters_and_board(seeded, rina, dewi, world):
    kita, other, _, _ = world
    a = new_ticket(seeded, rina, kita, assignee_id=str(rina.id))
    new_ticket(seeded, rina, other, title="Tagihan ganda", category="billing", priority="low", assignee_id=str(dewi.id))
    assert service.list_tickets(seeded, rina, assignee="me")["total"] == 1
    assert [r["title"] for r in service.list_tickets(seeded, rina, search="tagihan")["rows"]] == ["Tagihan ganda"]
    assert [r["id"] for r in service.list_tickets(seeded, rina, search=a.number)["rows"]] == [a.id]
    assert service.list_tickets(seeded, rina, category="billing", priority="low")["total"] == 1
    assert service.list_tickets(seeded, rina, search="kita")["rows"][0]["company_name"] == "PT. KITA"
    columns = {c["status"]: c for c in service.board(seeded, rina)["columns"]}
    assert columns["new"]["count"] == 2 and len(columns["new"]["cards"]) == 2
    assert service.board(seeded, rina, mine=True)["columns"][0]["count"] == 1


def test_sharing_rule_limits_staff_and_marketing_cannot_write(seeded, admin, rina, dewi, world):
    from kaktus_app.auth.permissions import set_sharing

    kita = world[0]
    ticket = new_ticket(seeded, admin, kita, assignee_id=str(rina.id))
    set_sharing(seeded, admin, "tickets", "private")
    with pytest.raises(NotFound):
        service.ticket_detail(seeded, dewi, ticket.id)
    assert service.list_tickets(seeded, dewi)["total"] == 0
    assert service.ticket_detail(seeded, rina, ticket.id)["id"] == ticket.id
    marketing = create_user(seeded, username="mira", full_name="Mira", password="kaktus-mira-2026", role="marketing")
    with pytest.raises(PermissionDenied):
        service.create_ticket(seeded, actor_for(marketing), {"title": "x", "company_id": str(kita.id)})


def test_portal_sees_only_own_company(seeded, rina, world):
    kita, other, _, yeyen = world
    own = service.portal_create_ticket(seeded, yeyen, {"title": "Pengiriman terlambat", "description": "Nasi box belum datang", "category": "delivery"}, [("bukti.png", PNG)])
    assert own.channel == "portal" and own.company_id == kita.id and own.priority == "high"
    foreign = new_ticket(seeded, rina, other)
    assert [r["id"] for r in service.portal_tickets(seeded, yeyen)["rows"]] == [own.id]
    for call in (
        lambda: service.portal_ticket(seeded, yeyen, foreign.id),
        lambda: service.portal_reply(seeded, yeyen, foreign.id, "halo"),
        lambda: service.portal_set_status(seeded, yeyen, foreign.id, "closed"),
        lambda: service.portal_ticket(seeded, yeyen, "abc"),
    ):
        with pytest.raises(NotFound):
            call()
    service.add_message(seeded, rina, own.id, "Internal: kurir sakit", public=False, attachments=[("internal.png", PNG)])
    note_file = seeded.exec(select(TicketMessage).where(TicketMessage.kind == "note")).one()
    from kaktus_app.helpdesk.models import TicketAttachment

    hidden = seeded.exec(select(TicketAttachment).where(TicketAttachment.message_id == note_file.id)).one()
    with pytest.raises(NotFound):
        service.portal_attachment_file(seeded, yeyen, hidden.id)
    detail = service.portal_ticket(seeded, yeyen, own.id)
    assert all(m["kind"] != "note" for m in detail["messages"]) and detail["files"][0]["filename"] == "bukti.png"
    with pytest.raises(ValidationError):
        service.portal_create_ticket(seeded, yeyen, {"title": "", "description": ""})


def test_portal_close_reopen_and_reply(seeded, rina, world):
    kita, _, _, yeyen = world
    ticket = service.portal_create_ticket(seeded, yeyen, {"title": "Tanya harga", "description": "Harga tumpeng?", "category": "question"})
    service.set_status(seeded, rina, ticket.id, "waiting")
    service.portal_reply(seeded, yeyen, ticket.id, "Untuk 50 orang")
    assert ticket.status == "in_progress"
    service.set_status(seeded, rina, ticket.id, "resolved")
    assert service.portal_ticket(seeded, yeyen, ticket.id)["can_reopen"]
    service.portal_set_status(seeded, yeyen, ticket.id, "closed")
    with pytest.raises(DomainError) as exc:
        service.portal_reply(seeded, yeyen, ticket.id, "lagi")
    assert exc.value.field == "body"
    with pytest.raises(DomainError) as exc:  # staff too: a closed ticket is reopened before a reply
        service.add_message(seeded, rina, ticket.id, "Sudah kami kirim", public=True)
    assert exc.value.key == "helpdesk.error.closed"
    service.add_message(seeded, rina, ticket.id, "Catatan setelah ditutup", public=False)
    service.portal_set_status(seeded, yeyen, ticket.id, "reopen")
    assert ticket.status == "in_progress"


def test_stats(seeded, rina, admin, world):
    kita = world[0]
    t1 = new_ticket(seeded, rina, kita, assignee_id=str(rina.id))
    t2 = new_ticket(seeded, rina, kita, category="question", priority="low", assignee_id=str(rina.id))
    t1.created_at = utcnow() - timedelta(hours=10)
    t1.first_response_due, t1.resolution_due = service.sla_due(seeded, "high", t1.created_at)
    seeded.add(t1)
    service.add_message(seeded, rina, t1.id, "Kami proses", public=True)
    service.set_status(seeded, rina, t1.id, "resolved")
    result = service.stats(seeded, admin)
    assert result["created"] == 2 and result["resolved"] == 1 and result["breaches"] == 1  # first response after 10 h (due in 4 h)
    assert result["avg_first_response_hours"] == pytest.approx(10, abs=0.05)
    assert {r["key"]: r["count"] for r in result["open_by_status"]} == {"new": 1, "in_progress": 0, "waiting": 0}
    assert {r["key"]: r["count"] for r in result["open_by_priority"]}["low"] == 1
    assert result["per_agent"][0]["name"] == "Rina Wijaya" and result["per_agent"][0]["open"] == 1
    assert t2.id


def test_complaint_spike(seeded, rina, world):
    kita = world[0]
    product = Product(code="NB-01", name="Nasi box ayam bakar")
    seeded.add(product)
    seeded.flush()
    now = utcnow()

    def complaint(days_ago: float, category="food_quality", product_id=None):
        ticket = new_ticket(seeded, rina, kita, category=category, product_id=str(product_id or ""))
        ticket.created_at = now - timedelta(days=days_ago)
        seeded.add(ticket)

    complaint(10)  # the usual: one a fortnight
    complaint(20, category="question")  # questions are no complaint
    assert service.complaint_alerts(seeded, now=now) == []
    for days in (1, 2, 3):
        complaint(days, product_id=product.id)
    seeded.flush()
    alerts = {(a["kind"], a["key"]): a for a in service.complaint_alerts(seeded, now=now)}
    assert alerts[("category", "food_quality")]["count"] == 3
    assert alerts[("product", str(product.id))]["message"].startswith("3 complaints about the product Nasi box ayam bakar")
    # the same three a week later are the baseline, not a spike
    assert service.complaint_alerts(seeded, now=now + timedelta(days=8)) == []


def test_faq_search_votes_and_views(seeded, admin, rina, dewi):
    category = service.save_faq_category(seeded, admin, None, {"name": "Delivery", "name_id": "Pengiriman", "position": "1"})
    late = service.save_article(seeded, rina, None, {"title": "My delivery is late", "body": "Call **021-8448205** or open a ticket.", "category_id": str(category.id), "language": "en", "published": "on"})
    service.save_article(seeded, rina, None, {"title": "Pesanan terlambat", "body": "Hubungi kami.", "language": "id", "published": "on"})
    draft = service.save_article(seeded, rina, None, {"title": "Late fees (draft)", "body": "tbd", "language": "en"})
    with pytest.raises(ValidationError):
        service.save_article(seeded, rina, None, {"title": "", "body": "", "language": "fr"})
    with pytest.raises(PermissionDenied):
        service.save_article(seeded, dewi, None, {"title": "x", "body": "y"})
    found = service.search_articles(seeded, text="late delivery")
    assert [r["title"] for r in found["rows"]] == ["My delivery is late"]
    assert found["rows"][0]["category_name"] == "Delivery" and "021-8448205" in found["rows"][0]["excerpt"]
    assert [r["title"] for r in service.search_articles(seeded, text="late", published_only=False)["rows"]] == ["My delivery is late", "Late fees (draft)"]
    assert service.search_articles(seeded, language="id")["total"] == 1
    with pytest.raises(NotFound):
        service.get_article(seeded, draft.id)
    assert service.get_article(seeded, late.id, count_view=True, lang="id")["views"] == 1
    assert service.get_article(seeded, late.id, count_view=True)["category_name"] == "Delivery"
    assert service.most_viewed(seeded)[0]["id"] == late.id
    assert service.vote_article(seeded, late.id, "portal:1", True) == {"helpful_yes": 1, "helpful_no": 0}
    assert service.vote_article(seeded, late.id, "portal:1", False) == {"helpful_yes": 0, "helpful_no": 1}
    assert service.vote_article(seeded, late.id, "user:3", True) == {"helpful_yes": 1, "helpful_no": 1}
    ticket_customer = Customer(name="PT. Baca", name_norm="baca")
    seeded.add(ticket_customer)
    seeded.flush()
    ticket = new_ticket(seeded, rina, ticket_customer)
    service.link_article(seeded, rina, ticket.id, late.id)
    assert service.ticket_detail(seeded, rina, ticket.id)["article"] == {"id": late.id, "title": "My delivery is late"}
    service.delete_article(seeded, admin, late.id)
    assert seeded.get(FaqArticle, late.id) is None and seeded.get(Ticket, ticket.id).faq_article_id is None


def test_company_tickets_for_the_customer_page(seeded, rina, world):
    from kaktus_app.auth.models import Profile
    from kaktus_app.auth.permissions import update_profile

    kita, other, _, _ = world
    first = new_ticket(seeded, rina, kita)
    new_ticket(seeded, rina, kita, title="Kedua")
    new_ticket(seeded, rina, other)
    service.set_status(seeded, rina, first.id, "closed")
    summary = service.company_tickets(seeded, rina, kita.id)
    assert (summary["total"], summary["open"]) == (2, 1)
    assert {r["company_name"] for r in summary["rows"]} == {"PT. KITA"}
    # a profile without the tickets read right gets no card
    profile = seeded.exec(select(Profile).where(Profile.key == "support")).one()
    admin_actor = actor_for(seeded.exec(select(User).where(User.username == "admin")).one())
    update_profile(seeded, admin_actor, profile.id, {"customers": ["read"]}, {})
    seeded.info.pop("access", None)
    assert service.company_tickets(seeded, rina, kita.id) is None


def test_the_order_concerned_is_one_of_the_companys(seeded, admin, rina, world):
    from kaktus_app.documents.models import SalesOrder

    kita, other, yeyen_contact, yeyen = world
    today = utcnow().date()
    own = SalesOrder(number="QUO/2026/0001", customer_id=yeyen_contact.id, owner_id=admin.id, state="confirmed", order_number="SO/2026/0001", quote_date=today)
    foreign = SalesOrder(number="QUO/2026/0002", customer_id=other.id, owner_id=admin.id, state="sent", quote_date=today)
    seeded.add_all([own, foreign])
    seeded.flush()
    assert service.company_orders(seeded, admin, kita.id) == [{"value": str(own.id), "label": "SO/2026/0001"}]
    assert service.company_orders(seeded, rina, kita.id) == []  # quotations are shared by team: not hers to list
    ticket = new_ticket(seeded, admin, kita, order_id=str(own.id))
    assert service.ticket_detail(seeded, rina, ticket.id)["order_number"] == "SO/2026/0001"
    with pytest.raises(ValidationError) as exc:  # the portal may only name its own company's orders
        service.portal_create_ticket(seeded, yeyen, {"title": "x", "description": "y", "order_id": str(foreign.id)})
    assert exc.value.errors == {"order_id": "error.not_found"}
