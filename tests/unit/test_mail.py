"""Inbound e-mail: real .eml files (tests/unit/fixtures/mail/) filed on the contact whose address
matches, a lead for an unknown sender (or unmatched when the setting is off, then filed by hand), a
reply appended to a ticket, threads by References and by subject, a Message-ID stored once,
attachments with non-ASCII names and their limits, the IMAP poller with a fake mailbox, and who may
do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from kaktus_app import db
from kaktus_app.activities import service as activities
from kaktus_app.activities.models import Activity
from kaktus_app.auth import permissions
from kaktus_app.auth.models import AuditLog, Profile, User
from kaktus_app.auth.service import actor_for
from kaktus_app.customers.models import Customer
from kaktus_app.errors import DomainError, NotFound, PermissionDenied
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.helpdesk.models import Ticket, TicketAttachment, TicketMessage
from kaktus_app.i18n import translate
from kaktus_app.leads.models import Lead
from kaktus_app.mail import service
from kaktus_app.mail.models import InboundAttachment, InboundMessage
from kaktus_app.portal.models import PortalUser
from tests.async_run import run_async

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
PDF_NAME = "Menu Pernikahan – Ibu Siti.pdf"  # RFC 2231 in the file
PNG_NAME = "Denah Gedung – lantai 2 (Ümmi).png"  # RFC 2047 encoded word in the file


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture(autouse=True)
def _fresh_poller_memory():
    service._unreadable.clear()
    yield
    service._unreadable.clear()


@pytest.fixture
def rina(seeded):
    return actor_for(seeded.exec(select(User).where(User.username == "rina")).one())


@pytest.fixture
def world(seeded, dewi, budi):
    """Customers as Kaktus Berduri has them: a logistics company with its contact Siti, a snack
    buyer (a company with an e-mail), and PT. KITA whose contact Yeyen uses the portal."""
    sinar = Customer(name="PT. Sinar Abadi Logistik", name_norm="sinar abadi logistik", email="info@sinarabadilogistik.co.id", owner_id=dewi.id)
    wijaya = Customer(name="CV. Sinar Wijaya Abadi", name_norm="sinar wijaya abadi", email="pesanan@sinarwijaya.co.id", owner_id=budi.id)
    kita = Customer(name="PT. KITA", name_norm="kita", owner_id=dewi.id)
    seeded.add_all([sinar, wijaya, kita])
    seeded.flush()
    siti = Customer(kind="person", name="Siti Rahmawati", name_norm="siti rahmawati", company_id=sinar.id, email="sitirahmawati@sinarabadilogistik.co.id", owner_id=dewi.id)
    yeyen = Customer(kind="person", name="Yeyen", name_norm="yeyen", company_id=kita.id, email="yeyen@kita.co.id", owner_id=dewi.id)
    joko = Customer(kind="person", name="Joko Widodo", name_norm="joko widodo", company_id=kita.id, email="joko@kita.co.id", owner_id=dewi.id)
    seeded.add_all([siti, yeyen, joko])
    seeded.flush()
    seeded.add(PortalUser(email="yeyen@kita.co.id", full_name="Yeyen", contact_id=yeyen.id, company_id=kita.id, email_verified=True))
    seeded.commit()
    return SimpleNamespace(sinar=sinar, wijaya=wijaya, kita=kita, siti=siti, yeyen=yeyen, joko=joko)


def late_delivery_ticket(session, rina, world) -> Ticket:
    ticket = helpdesk.create_ticket(session, rina, {
        "title": "Nasi box datang terlambat", "description": "Pesanan 120 box datang jam 13.00", "company_id": str(world.kita.id),
        "contact_id": str(world.yeyen.id), "category": "delivery", "priority": "high",
    })
    assert ticket.number == "TK-00001"  # the fixtures' subjects name this ticket
    return ticket


# ------------------------------------------------------------------------------------ contacts


def test_mail_from_a_known_contact_goes_on_its_timeline_with_its_files(seeded, dewi, world):
    message = service.receive(seeded, dewi, eml("contact_with_attachments.eml"))

    assert message.outcome == "contact" and message.customer_id == world.siti.id  # SitiRahmawati@SinarAbadiLogistik.co.id, any case
    assert message.from_address == "sitirahmawati@sinarabadilogistik.co.id" and message.from_name == "Siti Rahmawati"
    assert message.sent_at.astimezone(UTC) == datetime(2026, 12, 1, 2, 15, tzinfo=UTC)  # 09:15 WIB
    activity = seeded.get(Activity, message.activity_id)
    assert activity.kind == "email" and activity.done and activity.customer_id == world.siti.id and activity.assignee_id == dewi.id
    # the contact's page and its company's page show it
    for record_id in (world.siti.id, world.sinar.id):
        entry = next(e for e in activities.timeline(seeded, dewi, "customer", record_id) if e["activity_id"] == activity.id)
        assert entry["title"] == "E-mail: Menu untuk acara pernikahan"
        assert f"📎 {PDF_NAME}" in entry["body"] and PNG_NAME in entry["body"]
        assert "300 tamu" in entry["body"]
    # the files, by their real names, downloadable as they were sent
    detail = service.get_message(seeded, dewi, message.id, "id")
    assert [a["filename"] for a in detail["attachments"]] == [PDF_NAME, PNG_NAME]
    assert detail["href"] == f"/customers/{world.siti.id}" and detail["link_label"] == "Siti Rahmawati"
    assert detail["sent_label"] == "1 Des 2026 09:15"  # Jakarta time, in Indonesian
    name, content_type, data = service.attachment_file(seeded, dewi, detail["attachments"][0]["id"])
    assert (name, content_type) == (PDF_NAME, "application/pdf") and data.startswith(b"%PDF-1.4")
    png = service.attachment_file(seeded, dewi, detail["attachments"][1]["id"])
    assert png[1] == "image/png" and png[2].startswith(b"\x89PNG\r\n\x1a\n")


def test_html_only_mail_is_read_as_text_and_matches_a_company(seeded, budi, world):
    message = service.receive(seeded, budi, eml("html_only.eml"))

    assert message.outcome == "contact" and message.customer_id == world.wijaya.id  # Pesanan@SinarWijaya.co.id
    assert message.body == "Yth. Kaktus Berduri,\n\nKami konfirmasi pesanan snack box untuk Sabtu:\n\n• 150 box kue & kopi\n• 20 box buah segar\n\nTerima kasih,\nBagian Pembelian"
    for hidden in ("alert", "dicuri", "color: red", "<", "tracker.example", "Konfirmasi\n"):
        assert hidden not in message.body  # no script, style, tags or tracking pixel, never HTML
    # without a Message-ID header the message gets a stable one from its bytes
    assert message.message_id.endswith("@kaktus.invalid>")
    again = service.receive_file(seeded, budi, "konfirmasi.eml", eml("html_only.eml"))
    assert again["duplicate"] and again["id"] == message.id


def test_the_same_message_twice_is_stored_once(seeded, dewi, world):
    first = service.receive_file(seeded, dewi, "menu.eml", eml("contact_with_attachments.eml"), "en")
    second = service.receive_file(seeded, dewi, "menu (1).eml", eml("contact_with_attachments_again.eml"), "en")  # another Received line

    assert not first["duplicate"] and second["duplicate"] and second["id"] == first["id"]
    assert second["outcome"] == "contact" and second["link_label"] == "Siti Rahmawati"
    assert count(seeded, InboundMessage) == 1 and count(seeded, InboundAttachment) == 2
    assert count(seeded, Activity, Activity.customer_id == world.siti.id) == 1  # one line on the timeline, not two


# --------------------------------------------------------------------------------------- leads


def test_mail_from_an_unknown_sender_makes_a_lead(seeded, dewi, world):
    message = service.receive(seeded, dewi, eml("unknown_sender_qp.eml"))

    assert message.outcome == "lead"
    lead = seeded.get(Lead, message.lead_id)
    assert lead.title == "Pesan nasi box 200 porsi – acara kantor"  # the encoded-word subject, decoded
    assert lead.contact_name == "Ratna Sari – Notaris" and lead.email == "ratna.sari@gmail.com"
    assert lead.source == service.LEAD_SOURCE and lead.owner_id == dewi.id and lead.status == "open"
    assert "nasi box 200 porsi untuk acara kantor tanggal 12 Desember 2026 – menu ayam bakar" in lead.memo  # quoted-printable, soft breaks joined
    titles = [e["title"] for e in activities.timeline(seeded, dewi, "lead", lead.id)]
    assert "E-mail: Pesan nasi box 200 porsi – acara kantor" in titles
    assert translate("leads.timeline.created", title=lead.title) in titles
    row = service.list_messages(seeded, dewi, outcome="lead")["rows"][0]
    assert (row["href"], row["link_label"], row["outcome_label"]) == (f"/leads/{lead.id}", lead.title, "Lead")


def test_a_bounce_never_becomes_a_lead(seeded, dewi, world):
    message = service.receive(seeded, None, eml("bounce.eml"), source="imap")  # MAILER-DAEMON, Auto-Submitted

    assert message.outcome == "unmatched" and count(seeded, Lead) == 0
    assert message.body.startswith("This is the mail system at host mx.example.net.")


def test_the_mailbox_makes_leads_for_the_owner_the_settings_name(seeded, admin, budi, world):
    service.update_mail_settings(seeded, admin, {"create_leads": True, "lead_owner_id": str(budi.id)})

    message = service.receive(seeded, None, eml("unknown_sender_qp.eml"), source="imap")

    lead = seeded.get(Lead, message.lead_id)
    assert lead.owner_id == budi.id and message.source == "imap" and message.created_by_id is None
    assert seeded.get(Activity, message.activity_id).assignee_id == budi.id


def test_a_reply_in_the_thread_goes_to_the_same_lead(seeded, dewi, world):
    first = service.receive(seeded, dewi, eml("unknown_sender_qp.eml"))
    reply = service.receive(seeded, dewi, eml("unknown_sender_reply.eml"))  # References: the first one

    assert reply.thread_id == first.id == first.thread_id
    assert reply.outcome == "lead" and reply.lead_id == first.lead_id
    assert count(seeded, Lead) == 1  # no second lead for the same conversation
    detail = service.get_message(seeded, dewi, reply.id)
    assert [m["id"] for m in detail["thread"]] == [first.id, reply.id]
    assert [e["title"] for e in activities.timeline(seeded, dewi, "lead", first.lead_id)].count("E-mail: Re: Pesan nasi box 200 porsi – acara kantor") == 1


def test_a_reply_without_references_threads_by_subject_from_the_same_sender(seeded, dewi, world):
    first = service.receive(seeded, dewi, eml("contact_with_attachments.eml"))
    second = service.receive(seeded, dewi, eml("thread_by_subject.eml"))  # "Balas: Menu untuk acara pernikahan"
    other = service.receive(seeded, dewi, eml("html_only.eml"))

    assert second.thread_id == first.id and other.thread_id == other.id
    rows = {r["id"]: r for r in service.list_messages(seeded, dewi)["rows"]}
    assert rows[first.id]["thread_count"] == rows[second.id]["thread_count"] == 2 and rows[other.id]["thread_count"] == 1
    assert [r["id"] for r in service.list_messages(seeded, dewi, thread_id=first.id)["rows"]] == [second.id, first.id]


def test_with_lead_creation_off_unknown_mail_waits_and_is_filed_by_hand(seeded, admin, dewi, world):
    service.update_mail_settings(seeded, admin, {"create_leads": False})

    message = service.receive(seeded, dewi, eml("unknown_sender_qp.eml"))

    assert message.outcome == "unmatched" and count(seeded, Lead) == 0
    page = service.list_messages(seeded, dewi, outcome="unmatched")
    assert [r["id"] for r in page["rows"]] == [message.id] and page["rows"][0]["can_file"]
    assert page["counts"] == {"contact": 0, "lead": 0, "ticket": 0, "unmatched": 1}
    with pytest.raises(DomainError) as missing:
        service.file_message(seeded, dewi, message.id, "")
    assert (missing.value.field, missing.value.key) == ("customer_id", "mail.error.customer_required")

    service.file_message(seeded, dewi, message.id, world.sinar.id)

    assert message.outcome == "contact" and message.customer_id == world.sinar.id
    entry = next(e for e in activities.timeline(seeded, dewi, "customer", world.sinar.id) if e["activity_id"] == message.activity_id)
    assert entry["title"] == "E-mail: Pesan nasi box 200 porsi – acara kantor" and "✉ Ratna Sari – Notaris <ratna.sari@gmail.com>" in entry["body"]
    assert service.get_message(seeded, dewi, message.id)["href"] == f"/customers/{world.sinar.id}"
    with pytest.raises(DomainError) as again:
        service.file_message(seeded, dewi, message.id, world.wijaya.id)
    assert again.value.key == "mail.error.already_filed"


def test_mail_filed_on_a_deleted_lead_can_be_filed_again(seeded, dewi, world):
    from kaktus_app.leads import service as leads

    message = service.receive(seeded, dewi, eml("unknown_sender_qp.eml"))
    leads.delete_lead(seeded, dewi, message.lead_id)  # the mail log never blocks a delete

    row = service.list_messages(seeded, dewi)["rows"][0]
    assert row["gone"] and row["href"] == "" and row["link_label"] == "The record was deleted" and row["can_file"]
    service.file_message(seeded, dewi, message.id, world.sinar.id)
    assert message.outcome == "contact"


# ------------------------------------------------------------------------------------- tickets


def test_a_reply_to_a_ticket_is_appended_to_its_conversation(seeded, dewi, rina, world):
    ticket = late_delivery_ticket(seeded, rina, world)
    helpdesk.add_message(seeded, rina, ticket.id, "Mohon kirimkan foto pesanan yang terlambat.", public=True)
    helpdesk.set_status(seeded, rina, ticket.id, "waiting")

    message = service.receive(seeded, dewi, eml("ticket_reply.eml"))  # "Re: [TK-00001] ..." from Yeyen (portal user)

    assert message.outcome == "ticket" and message.ticket_id == ticket.id and message.customer_id == world.yeyen.id
    detail = helpdesk.ticket_detail(seeded, rina, ticket.id)
    reply = detail["messages"][-2]
    assert reply["kind"] == "reply" and reply["from_customer"] and reply["author_name"] == "Yeyen"
    assert reply["body"] == "Ini foto nasi box yang datang jam 13.00, sudah dingin."  # the quoted mail below is left out
    assert [f["filename"] for f in reply["attachments"]] == ["foto nasi box.jpg"]  # the .exe is not a ticket file...
    assert detail["status"] == "in_progress"  # ...and the customer's answer takes it off "waiting"
    assert [a["filename"] for a in service.get_message(seeded, rina, message.id)["attachments"]] == ["foto nasi box.jpg", "bukan-virus.exe"]
    # the customer sees the reply in the portal too
    assert any(m["body"].startswith("Ini foto nasi box") for m in helpdesk._message_rows(seeded, ticket.id, "en", public_only=True))

    # a colleague answers that mail (In-Reply-To, no ticket number in the subject): the same ticket
    colleague = service.receive(seeded, dewi, eml("ticket_reply_in_reply_to.eml"))

    assert colleague.outcome == "ticket" and colleague.ticket_id == ticket.id and colleague.thread_id == message.id
    last = helpdesk.ticket_detail(seeded, rina, ticket.id)["messages"][-1]
    assert last["kind"] == "reply" and last["is_public"] and last["author_name"] == "✉ Pak Joko" and last["from_customer"]  # shown as the customer's
    assert last["body"] == "Saya atasan Bu Yeyen: mohon pesanan besok dikirim jam 10.00."


def test_mail_about_a_ticket_from_a_stranger_is_an_internal_note(seeded, dewi, rina, world):
    ticket = late_delivery_ticket(seeded, rina, world)

    message = service.receive(seeded, dewi, eml("ticket_reply_stranger.eml"))

    assert message.outcome == "ticket" and message.ticket_id == ticket.id
    note = seeded.get(TicketMessage, message.ticket_message_id)
    assert note.kind == "note" and not note.is_public and "someone@example.net" in note.body
    assert not any("pernah mengalami" in m["body"] for m in helpdesk._message_rows(seeded, ticket.id, "en", public_only=True))  # not in the portal


def test_a_reply_to_a_closed_ticket_reopens_it(seeded, dewi, rina, world):
    ticket = late_delivery_ticket(seeded, rina, world)
    helpdesk.set_status(seeded, rina, ticket.id, "closed")

    service.receive(seeded, dewi, eml("ticket_reply.eml"))

    seeded.refresh(ticket)
    assert ticket.status == "in_progress" and ticket.closed_at is None
    assert count(seeded, TicketAttachment, TicketAttachment.ticket_id == ticket.id) == 1


# --------------------------------------------------------------------------------- attachments


def _mail_with_files(files: list[tuple[str, bytes]]) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Siti Rahmawati <sitirahmawati@sinarabadilogistik.co.id>", "info@kaktusberduri.co.id", "Foto acara"
    mail["Message-ID"] = "<foto-acara@sinarabadilogistik.co.id>"
    mail.set_content("Foto-foto acara kemarin.")
    for name, data in files:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail.as_bytes()


def test_files_over_the_limits_are_listed_not_kept(seeded, dewi, world):
    small = b"%PDF-1.4\n%%EOF\n"
    big = b"%PDF-1.4\n" + b"0" * (service.MAX_ATTACHMENT + 1)
    raw = _mail_with_files([("besar.pdf", big)] + [(f"foto-{i}.pdf", small) for i in range(1, 7)])

    message = service.receive(seeded, dewi, raw)

    detail = service.get_message(seeded, dewi, message.id)
    assert [a["filename"] for a in detail["attachments"]] == [f"foto-{i}.pdf" for i in range(1, 6)]  # 5 files, like a ticket
    assert [s["text"] for s in detail["skipped"]] == ["besar.pdf (5 MB): larger than 5 MB", "foto-6.pdf (1 KB): more than 5 files in the message"]


def test_uploads_that_are_not_mail_are_refused_at_the_field(seeded, dewi, world):
    for name, data, key in (
        ("menu.pdf", eml("contact_with_attachments.eml"), "mail.error.not_eml"),
        ("renamed.eml", eml("not_an_email.eml"), "mail.error.unreadable"),
        ("kosong.eml", b"", "mail.error.empty"),
        ("huge.eml", b"From: a@b.co\r\n\r\n" + b"x" * service.MAX_MESSAGE_BYTES, "mail.error.too_big"),
    ):
        with pytest.raises(DomainError) as refused:
            service.receive_file(seeded, dewi, name, data)
        assert (refused.value.field, refused.value.key) == ("files", key), name
    assert count(seeded, InboundMessage) == 0


def test_a_message_too_big_for_the_mailbox_keeps_its_headers(seeded, dewi, world):
    headers = eml("contact_with_attachments.eml").split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    message = service.receive(seeded, None, headers, source="imap", oversize=48 * 1024 * 1024)

    detail = service.get_message(seeded, dewi, message.id)
    assert message.outcome == "contact" and detail["subject"] == "Menu untuk acara pernikahan" and detail["attachments"] == []
    assert detail["skipped"][0]["text"] == "The message (48 MB) is larger than 35 MB: only its headers were kept; read it in the mailbox."


# ---------------------------------------------------------------------------------------- IMAP


class FakeImap:
    """An IMAP mailbox the way imaplib answers: UID SEARCH / FETCH / STORE."""

    def __init__(self, messages: dict[str, bytes], *, on_store=None):
        self.messages = dict(messages)
        self.seen: set[str] = set()
        self.fetches: list[str] = []
        self.on_store = on_store
        self.selected = None
        self.logged_out = False

    def select(self, mailbox):
        self.selected = mailbox
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            assert args == (None, "UNSEEN")
            unseen = [u for u in self.messages if u not in self.seen]
            return "OK", [" ".join(unseen).encode()]
        if command == "FETCH":
            uid, what = args
            self.fetches.append(what)
            data = self.messages[uid]
            if what == "(RFC822.SIZE)":
                return "OK", [f"1 (UID {uid} RFC822.SIZE {len(data)})".encode()]
            assert "PEEK" in what  # fetching must never mark a message seen by itself
            return "OK", [(f"1 (UID {uid} BODY[] {{{len(data)}}}".encode(), data), b")"]
        if command == "STORE":
            uid, op, flags = args
            assert (op, flags) == ("+FLAGS", "(\\Seen)")
            if self.on_store:
                self.on_store(uid)
            self.seen.add(uid)
            return "OK", [b""]
        raise AssertionError(command)

    def close(self):
        return "OK", [b""]

    def logout(self):
        self.logged_out = True
        return "BYE", [b""]


IMAP = {"host": "imap.kaktusberduri.co.id", "port": 993, "user": "inbox@kaktusberduri.co.id", "password": "rahasia", "folder": "INBOX", "ssl": True, "interval": 60}


def _stored(message_id: str) -> bool:
    with db.session_scope() as other:  # another connection: only committed rows are visible
        return other.exec(select(InboundMessage.id).where(InboundMessage.message_id == message_id)).first() is not None


def test_the_poller_stores_unseen_mail_and_marks_it_seen_only_after_storing(seeded, dewi, world):
    mailbox_ids = {"11": "<menu-siti-001@sinarabadilogistik.co.id>", "12": None, "13": "<CAF=ratna.001@mail.gmail.com>", "14": "<menu-siti-001@sinarabadilogistik.co.id>"}

    def committed_before_seen(uid):
        assert _stored(mailbox_ids[uid]), f"UID {uid} marked seen before it was stored"

    fake = FakeImap(
        {"11": eml("contact_with_attachments.eml"), "12": eml("not_an_email.eml"), "13": eml("unknown_sender_qp.eml"), "14": eml("contact_with_attachments_again.eml")},
        on_store=committed_before_seen,
    )

    result = service.poll_once(db.session_scope, client_factory=lambda settings: fake, settings=IMAP)

    assert (result["stored"], result["duplicates"], result["failed"]) == (2, 1, 1)
    assert fake.seen == {"11", "13", "14"}  # the unreadable one stays unseen for a person to look at
    assert fake.selected == '"INBOX"' and fake.logged_out
    assert "UID 12" in result["error"]
    seeded.expire_all()
    outcomes = dict(seeded.exec(select(InboundMessage.message_id, InboundMessage.outcome)).all())
    assert outcomes == {"<menu-siti-001@sinarabadilogistik.co.id>": "contact", "<CAF=ratna.001@mail.gmail.com>": "lead"}
    assert seeded.exec(select(Lead.owner_id)).one() == seeded.exec(select(User.id).where(User.username == "admin")).one()  # no uploader: the admin
    status = service.imap_status(seeded)
    assert status["last_poll_stored"] == 2 and "UID 12" in status["last_poll_error"]

    again = service.poll_once(db.session_scope, client_factory=lambda settings: fake, settings=IMAP)

    assert (again["stored"], again["duplicates"], again["failed"]) == (0, 0, 0)  # nothing new; the bad one is not re-read


def test_a_message_that_fails_to_store_stays_unseen_and_the_others_go_on(seeded, world):
    fake = FakeImap({"1": eml("contact_with_attachments.eml"), "2": eml("html_only.eml"), "3": eml("unknown_sender_qp.eml")})
    calls = {"n": 0}

    def flaky_sessions():
        calls["n"] += 1
        if calls["n"] == 2:  # the database fails while the second message is stored
            raise RuntimeError("database went away")
        return db.session_scope()

    result = service.poll_once(flaky_sessions, client_factory=lambda settings: fake, settings=IMAP)

    assert (result["stored"], result["failed"]) == (2, 1) and fake.seen == {"1", "3"}
    retry = service.poll_once(db.session_scope, client_factory=lambda settings: fake, settings=IMAP)
    assert retry["stored"] == 1 and fake.seen == {"1", "2", "3"}  # retried next round (not a bad message)


def test_an_unreachable_mailbox_is_reported_not_raised(seeded):
    def refuse(settings):
        raise ConnectionRefusedError("Connection refused")

    result = service.poll_once(db.session_scope, client_factory=refuse, settings=IMAP)

    assert result["stored"] == 0 and "Connection refused" in result["error"]
    assert "rahasia" not in result["error"] and "Connection refused" in service.imap_status(seeded)["last_poll_error"]


def test_the_poller_is_configured_from_the_environment_and_off_by_default():
    assert service.imap_settings({}) is None
    assert service.imap_settings({"KAKTUS_IMAP_HOST": "imap.example.com", "KAKTUS_IMAP_USER": "u", "KAKTUS_IMAP_PASSWORD": "p"}) == {
        "host": "imap.example.com", "port": 993, "user": "u", "password": "p", "folder": "INBOX", "ssl": True, "interval": 60,
    }
    plain = service.imap_settings({"KAKTUS_IMAP_HOST": "imap.example.com", "KAKTUS_IMAP_SSL": "0", "KAKTUS_IMAP_FOLDER": "CRM", "KAKTUS_IMAP_INTERVAL": "300"})
    assert (plain["port"], plain["ssl"], plain["folder"], plain["interval"]) == (143, False, "CRM", 300)


def test_one_worker_at_a_time_polls_the_mailbox(seeded):
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

    assert service.claim_poll(seeded, "host-a:1", 60, now=now)
    assert not service.claim_poll(seeded, "host-b:2", 60, now=now + timedelta(seconds=5))  # a poll is running
    service._record_poll(seeded, now, 60, 3, "")
    assert not service.claim_poll(seeded, "host-b:2", 60, now=now + timedelta(seconds=59))
    assert service.claim_poll(seeded, "host-b:2", 60, now=now + timedelta(seconds=61))  # the next round, whoever comes first
    assert not service.claim_poll(seeded, "host-a:1", 60, now=now + timedelta(seconds=62))
    assert service.claim_poll(seeded, "host-a:1", 60, now=now + timedelta(seconds=61) + service.POLL_LEASE)  # a worker that died frees it


def test_the_settings_page_says_whether_the_poller_is_configured_never_the_password(seeded, admin, monkeypatch):
    assert service.get_mail_settings(seeded, admin)["imap"]["configured"] is False
    monkeypatch.setenv("KAKTUS_IMAP_HOST", "imap.kaktusberduri.co.id")
    monkeypatch.setenv("KAKTUS_IMAP_PASSWORD", "rahasia-sekali")
    monkeypatch.setenv("KAKTUS_IMAP_FOLDER", "CRM")

    imap = service.get_mail_settings(seeded, admin)["imap"]

    assert imap["configured"] and imap["host"] == "imap.kaktusberduri.co.id:993" and imap["folder"] == "CRM"
    assert "rahasia-sekali" not in repr(imap)


# -------------------------------------------------------------------------------- permissions


def test_who_may_upload_read_and_change_the_settings(seeded, admin, dewi, rina, world):
    with pytest.raises(PermissionDenied):  # a support agent reads customers but creates neither leads nor customers
        service.receive_file(seeded, rina, "menu.eml", eml("contact_with_attachments.eml"))
    assert not service.can_upload(seeded, rina) and service.can_upload(seeded, dewi)
    message = service.receive(seeded, dewi, eml("contact_with_attachments.eml"))
    assert [r["id"] for r in service.list_messages(seeded, rina)["rows"]] == [message.id]  # reading needs customers "read"

    with pytest.raises(PermissionDenied):
        service.get_mail_settings(seeded, dewi)
    with pytest.raises(PermissionDenied):
        service.update_mail_settings(seeded, dewi, {"create_leads": False})
    with pytest.raises(DomainError) as bad_owner:
        service.update_mail_settings(seeded, admin, {"create_leads": True, "lead_owner_id": "999"})
    assert bad_owner.value.field == "lead_owner_id"
    service.update_mail_settings(seeded, admin, {"create_leads": False, "lead_owner_id": str(dewi.id)})
    assert service.get_mail_settings(seeded, admin)["create_leads"] is False
    change = seeded.exec(select(AuditLog).where(AuditLog.module == "settings", AuditLog.record_label == "mail settings")).one()
    assert change.user_id == admin.id and "create_leads" in change.changes


def test_mail_on_a_record_a_user_may_not_see_is_not_shown_to_them(seeded, admin, dewi, budi, rina, world):
    ticket = late_delivery_ticket(seeded, rina, world)
    ticket_mail = service.receive(seeded, dewi, eml("ticket_reply.eml"))
    lead_mail = service.receive(seeded, dewi, eml("unknown_sender_qp.eml"))  # a lead owned by dewi
    permissions.set_sharing(seeded, admin, "leads", "private")
    sales = seeded.exec(select(Profile).where(Profile.key == "sales")).one()
    rights = {m: a for m, a in permissions.DEFAULT_PROFILES["sales"][2].items() if m != "tickets"}
    permissions.update_profile(seeded, admin, sales.id, rights, {})

    visible = [r["id"] for r in service.list_messages(seeded, budi)["rows"]]

    assert ticket.id and ticket_mail.id not in visible and lead_mail.id not in visible
    with pytest.raises(NotFound):
        service.get_message(seeded, budi, lead_mail.id)
    assert [r["id"] for r in service.list_messages(seeded, dewi)["rows"]] == [lead_mail.id]  # her own lead, but no tickets right


# --------------------------------------------------------------------------------- the page's state


class FakeUpload:
    """What Reflex hands an upload handler: a name and bytes to read."""

    def __init__(self, name: str, data: bytes):
        self.filename, self.name, self._data = name, name, data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


def _mail_state(actor):
    from reflex.state import State

    from kaktus_app.auth.state import AuthState
    from kaktus_app.mail.state import MailState

    root = State(_reflex_internal_init=True)
    root.get_substate(AuthState.get_full_name().split("."))._actor = actor
    return MailState, root.get_substate(MailState.get_full_name().split("."))


def test_the_page_reports_each_uploaded_file_where_it_was_dropped(seeded, admin, dewi, world):

    MailState, state = _mail_state(dewi)

    async def scenario():
        await MailState.load.fn(state)
        assert state.can_upload and not state.is_admin and state.rows == []
        await MailState.upload.fn(state, [
            FakeUpload("menu.eml", eml("contact_with_attachments.eml")),
            FakeUpload("menu.pdf", b"%PDF-1.4"),
            FakeUpload("renamed.eml", eml("not_an_email.eml")),
            FakeUpload("lagi.eml", eml("contact_with_attachments_again.eml")),
            FakeUpload("ratna.eml", eml("unknown_sender_qp.eml")),
        ])
        assert [(r["name"], r["status"], r["text"]) for r in state.upload_results] == [
            ("menu.eml", "ok", "Filed on the customer's timeline"),
            ("menu.pdf", "error", "Not an .eml file (save the e-mail as .eml from your mail program)."),
            ("renamed.eml", "error", "This is not a readable e-mail message (it has no sender)."),
            ("lagi.eml", "duplicate", "Already received: not stored again"),
            ("ratna.eml", "ok", "Filed on a lead"),
        ]
        assert state.upload_results[0]["href"] == f"/customers/{world.siti.id}"
        assert [r["subject"] for r in state.rows] == ["Pesan nasi box 200 porsi – acara kantor", "Menu untuk acara pernikahan"]
        await MailState.set_outcome.fn(state, "contact")
        assert [r["outcome"] for r in state.rows] == ["contact"] and state.counts == {"contact": 1, "lead": 1, "ticket": 0, "unmatched": 0}
        await MailState.open_message.fn(state, state.rows[0]["id"])
        assert state.detail_open and [a["filename"] for a in state.attachments] == [PDF_NAME, PNG_NAME]
        download = await MailState.download.fn(state, int(state.attachments[0]["id"]))
        assert PDF_NAME in str(download)

    run_async(scenario())


def test_the_page_files_an_unmatched_mail_and_saves_the_settings(seeded, admin, world):

    MailState, state = _mail_state(admin)

    async def scenario():
        await MailState.load.fn(state)
        assert state.is_admin and state.create_leads and state.imap["configured"] == ""
        await MailState.save_settings.fn(state, {"lead_owner_id": ""})  # the box unticked: not in the form
        assert state.create_leads is False
        await MailState.upload.fn(state, [FakeUpload("ratna.eml", eml("unknown_sender_qp.eml"))])
        assert state.upload_results[0]["text"] == "No contact matches the sender: waiting to be filed"
        await MailState.open_message.fn(state, int(state.upload_results[0]["id"]))
        assert state.detail["can_file"] == "1"
        await MailState.file_to_customer.fn(state)  # nothing chosen yet
        assert state.file_error == "Choose the customer to file it on."
        await MailState.set_file_query.fn(state, "sinar abadi")
        assert [c["id"] for c in state.file_choices] == [str(world.sinar.id)]
        MailState.pick_customer.fn(state, str(world.sinar.id))
        await MailState.file_to_customer.fn(state)
        assert state.file_error == "" and state.detail["outcome"] == "contact" and state.detail["href"] == f"/customers/{world.sinar.id}"

    run_async(scenario())


def test_with_two_workers_only_one_polls_each_round(seeded, monkeypatch):
    import asyncio

    monkeypatch.setenv("KAKTUS_IMAP_HOST", "imap.kaktusberduri.co.id")
    polls: list[str] = []
    monkeypatch.setattr(service, "poll_once", lambda *args, **kwargs: polls.append("poll") or {})
    real_sleep = asyncio.sleep
    rounds = {"n": 0}

    async def one_round_each(delay):
        rounds["n"] += 1
        if rounds["n"] > 4:  # two rounds of two workers
            raise asyncio.CancelledError
        await real_sleep(0)

    monkeypatch.setattr(service.asyncio, "sleep", one_round_each)

    async def two_workers():
        results = await asyncio.gather(service.imap_loop(), service.imap_loop(), return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)

    run_async(two_workers())

    assert polls == ["poll"]  # the second worker found the mailbox claimed (and the next round is a minute away)
    seeded.expire_all()
    assert service.settings_row(seeded).poll_claimed_by == service.worker_name()
