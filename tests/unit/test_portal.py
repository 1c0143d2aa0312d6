"""Customer portal: invitations, sign-up, one-time links, passwords and lockout, sessions kept apart
from staff sessions, and a portal user reaching only their own company's tickets and documents."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from kaktus_app.auth import service as auth_service
from kaktus_app.catalog import service as catalog
from kaktus_app.customers import service as customers
from kaktus_app.documents import service as documents
from kaktus_app.errors import DomainError, NotFound, PermissionDenied, ValidationError
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.i18n import utcnow
from kaktus_app.portal import service
from kaktus_app.portal.models import OutboxMessage, PortalSession, PortalToken, PortalUser

PASSWORD = "kopi-susu-2026"


@pytest.fixture
def firms(seeded, admin):
    """Two customer companies, each with a contact person who has an e-mail address."""
    kita = customers.create_customer(seeded, admin, {"kind": "company", "name": "PT. KITA", "email": "info@kita.co.id", "city": "Jakarta Pusat"})
    lain = customers.create_customer(seeded, admin, {"kind": "company", "name": "CV. LAIN", "email": "info@lain.co.id", "city": "Bandung"})
    yeyen = customers.create_customer(seeded, admin, {"kind": "person", "name": "Yeyen Rahayu", "company_id": str(kita.id), "email": "yeyen@kita.co.id"})
    agus = customers.create_customer(seeded, admin, {"kind": "person", "name": "Agus Salim", "company_id": str(lain.id), "email": "agus@lain.co.id"})
    seeded.commit()
    return {"kita": kita, "lain": lain, "yeyen": yeyen, "agus": agus}


def _token_in(text: str) -> str:
    found = re.search(r"/portal/link/([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def _last_mail(session, to: str) -> OutboxMessage:
    return session.exec(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id.desc())).first()


def _join(session, admin, contact) -> tuple[str, service.PortalActor]:
    """Invite a contact, open the link and choose a password: (browser token, actor)."""
    _user, link = service.invite_contact(session, admin, contact.id)
    token, actor, _purpose = service.redeem_token(session, _token_in(link))
    service.set_password(session, actor, PASSWORD, PASSWORD, session_token=token)
    session.commit()
    return token, actor


@pytest.fixture
def no_mail_pause(monkeypatch):
    monkeypatch.setattr(service, "MAIL_PAUSE", timedelta(0))


# ------------------------------------------------------------------------------ invite and sign in


def test_invite_redeem_set_password_and_login(seeded, admin, firms, monkeypatch):
    monkeypatch.setenv("KAKTUS_PUBLIC_URL", "https://crm.kaktus.test/")
    user, link = service.invite_contact(seeded, admin, firms["yeyen"].id)
    seeded.commit()
    assert link.startswith("https://crm.kaktus.test/portal/link/")
    assert (user.email, user.company_id, user.contact_id, user.email_verified) == ("yeyen@kita.co.id", firms["kita"].id, firms["yeyen"].id, False)
    mail = _last_mail(seeded, "yeyen@kita.co.id")
    assert link in mail.body and mail.sent_at is None  # no SMTP configured: it waits in the outbox
    token = _token_in(link)
    assert seeded.exec(select(PortalToken.token_hash)).one() != token  # only the hash is stored

    browser_token, actor, purpose = service.redeem_token(seeded, token)
    seeded.commit()
    assert purpose == "invite"
    assert (actor.company_id, actor.contact_id, actor.full_name) == (firms["kita"].id, firms["yeyen"].id, "Yeyen Rahayu")
    assert seeded.get(PortalUser, user.id).email_verified
    assert service.resolve_session(seeded, browser_token) == actor
    with pytest.raises(DomainError) as used:
        service.redeem_token(seeded, token)
    assert used.value.key == "portal.error.link_invalid"

    with pytest.raises(ValidationError) as bad:
        service.set_password(seeded, actor, "short", "short", session_token=browser_token)
    assert bad.value.errors == {"new": "users.error.password_short"}
    with pytest.raises(ValidationError) as bad:
        service.set_password(seeded, actor, PASSWORD, PASSWORD + "x", session_token=browser_token)
    assert bad.value.errors == {"repeat": "users.error.password_mismatch"}
    service.set_password(seeded, actor, PASSWORD, PASSWORD, session_token=browser_token)  # fresh from the link: no current password
    seeded.commit()

    with pytest.raises(DomainError) as wrong:
        service.login(seeded, "yeyen@kita.co.id", "not-the-password")
    assert wrong.value.key == "portal.error.invalid_credentials"
    second, again = service.login(seeded, " Yeyen@Kita.co.id ", PASSWORD)
    seeded.commit()
    assert again == actor and second != browser_token
    service.logout(seeded, second)
    seeded.commit()
    assert service.resolve_session(seeded, second) is None
    assert service.resolve_session(seeded, browser_token) == actor


def test_invite_rules_and_a_fresh_link_replaces_the_old(seeded, admin, dewi, firms):
    with pytest.raises(DomainError) as company:
        service.invite_contact(seeded, admin, firms["kita"].id)
    assert company.value.key == "portal.error.not_person"
    loner = customers.create_customer(seeded, admin, {"kind": "person", "name": "Tanpa Kantor", "email": "loner@gmail.com"})
    mute = customers.create_customer(seeded, admin, {"kind": "person", "name": "Tanpa Email", "company_id": str(firms["kita"].id)})
    with pytest.raises(DomainError) as alone:
        service.invite_contact(seeded, admin, loner.id)
    assert alone.value.key == "portal.error.no_company"
    with pytest.raises(DomainError) as silent:
        service.invite_contact(seeded, admin, mute.id)
    assert silent.value.key == "portal.error.no_email"
    with pytest.raises(NotFound):
        service.invite_contact(seeded, admin, 999_999)
    marketing = auth_service.actor_for(
        auth_service.create_user(seeded, username="mia", full_name="Mia Marketing", password="marketing-2026", role="marketing")
    )
    with pytest.raises(PermissionDenied):
        service.invite_contact(seeded, marketing, firms["yeyen"].id)

    status = service.contact_portal_status(seeded, dewi, firms["yeyen"].id)
    assert (status["applies"], status["can_invite"], status["status"]) == (True, True, "none")
    _user, first = service.invite_contact(seeded, dewi, firms["yeyen"].id)
    _again, second = service.invite_contact(seeded, dewi, firms["yeyen"].id)  # re-inviting sends a fresh link
    seeded.commit()
    assert first != second and len(seeded.exec(select(PortalUser)).all()) == 1
    assert service.contact_portal_status(seeded, dewi, firms["yeyen"].id)["status"] == "invited"
    with pytest.raises(DomainError):
        service.redeem_token(seeded, _token_in(first))
    service.redeem_token(seeded, _token_in(second))
    seeded.commit()
    assert service.contact_portal_status(seeded, dewi, firms["yeyen"].id)["status"] == "active"


# ------------------------------------------------------------------------------- sign-up and links


def test_signup_gives_the_same_answer_for_known_and_unknown_addresses(seeded, firms, no_mail_pause):
    assert service.signup(seeded, "Yeyen@KITA.co.id") is None
    assert service.signup(seeded, "stranger@example.com") is None
    assert service.signup(seeded, "info@kita.co.id") is None  # a company's own address is no contact
    seeded.commit()
    users = seeded.exec(select(PortalUser)).all()
    assert [(u.email, u.email_verified, u.password_hash) for u in users] == [("yeyen@kita.co.id", False, "")]
    assert [m.to for m in seeded.exec(select(OutboxMessage))] == ["yeyen@kita.co.id"]
    with pytest.raises(ValidationError) as bad:
        service.signup(seeded, "not an address")
    assert list(bad.value.errors) == ["email"]

    _browser, actor, purpose = service.redeem_token(seeded, _token_in(_last_mail(seeded, "yeyen@kita.co.id").body))
    seeded.commit()
    assert purpose == "verify" and actor.company_id == firms["kita"].id
    assert seeded.get(PortalUser, actor.id).email_verified
    # signing up again only sends a sign-in link to the account that exists
    service.signup(seeded, "yeyen@kita.co.id")
    seeded.commit()
    assert len(seeded.exec(select(PortalUser)).all()) == 1
    _browser, _actor, purpose = service.redeem_token(seeded, _token_in(_last_mail(seeded, "yeyen@kita.co.id").body))
    assert purpose == "magic"


def test_self_service_mail_is_throttled(seeded, firms):
    service.signup(seeded, "yeyen@kita.co.id")
    service.signup(seeded, "yeyen@kita.co.id")
    service.request_magic_link(seeded, "yeyen@kita.co.id")
    seeded.commit()
    assert len(seeded.exec(select(OutboxMessage)).all()) == 1


def test_magic_link_is_one_time_and_expires(seeded, admin, firms, no_mail_pause):
    _join(seeded, admin, firms["yeyen"])
    service.request_magic_link(seeded, "nobody@kita.co.id")
    service.request_magic_link(seeded, "yeyen@kita.co.id")
    seeded.commit()
    assert {m.to for m in seeded.exec(select(OutboxMessage))} == {"yeyen@kita.co.id"}
    token = _token_in(_last_mail(seeded, "yeyen@kita.co.id").body)
    _browser, actor, purpose = service.redeem_token(seeded, token)
    seeded.commit()
    assert purpose == "magic" and actor.email == "yeyen@kita.co.id"
    with pytest.raises(DomainError):
        service.redeem_token(seeded, token)

    service.request_magic_link(seeded, "yeyen@kita.co.id")
    seeded.commit()
    late = _token_in(_last_mail(seeded, "yeyen@kita.co.id").body)
    row = seeded.exec(select(PortalToken).where(PortalToken.used_at.is_(None))).one()
    assert row.expires_at - row.created_at == timedelta(hours=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    seeded.add(row)
    seeded.commit()
    with pytest.raises(DomainError) as expired:
        service.redeem_token(seeded, late)
    assert expired.value.key == "portal.error.link_invalid"
    with pytest.raises(DomainError):
        service.redeem_token(seeded, "made-up-token")


def test_password_reset_link_sets_a_new_password_and_ends_other_sessions(seeded, admin, firms):
    old_browser, actor = _join(seeded, admin, firms["yeyen"])
    service.request_password_reset(seeded, "yeyen@kita.co.id")
    seeded.commit()
    browser, actor, purpose = service.redeem_token(seeded, _token_in(_last_mail(seeded, "yeyen@kita.co.id").body))
    assert purpose == "reset"
    service.set_password(seeded, actor, "teh-manis-2027", "teh-manis-2027", session_token=browser)
    seeded.commit()
    assert service.resolve_session(seeded, old_browser) is None
    assert service.resolve_session(seeded, browser) == actor
    with pytest.raises(DomainError):
        service.login(seeded, "yeyen@kita.co.id", PASSWORD)
    assert service.login(seeded, "yeyen@kita.co.id", "teh-manis-2027")[1] == actor


def test_changing_the_password_later_asks_for_the_current_one(seeded, admin, firms):
    browser, actor = _join(seeded, admin, firms["yeyen"])
    row = seeded.exec(select(PortalSession).where(PortalSession.revoked == False)).one()  # noqa: E712
    row.created_at = utcnow() - timedelta(hours=2)
    seeded.add(row)
    seeded.commit()
    with pytest.raises(ValidationError) as bad:
        service.set_password(seeded, actor, "teh-manis-2027", "teh-manis-2027", session_token=browser)
    assert bad.value.errors == {"current": "users.error.current_wrong"}
    service.set_password(seeded, actor, "teh-manis-2027", "teh-manis-2027", current=PASSWORD, session_token=browser)
    seeded.commit()
    assert service.resolve_session(seeded, browser) == actor  # this session stays


def test_lockout_after_repeated_failures(seeded, admin, firms):
    _join(seeded, admin, firms["yeyen"])
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(DomainError) as wrong:
            service.login(seeded, "yeyen@kita.co.id", "wrong-password")
        assert wrong.value.key == "portal.error.invalid_credentials"
    with pytest.raises(DomainError) as locked:
        service.login(seeded, "yeyen@kita.co.id", PASSWORD)
    assert locked.value.key == "portal.error.locked" and locked.value.params["minutes"] >= 1
    user = seeded.exec(select(PortalUser)).one()
    user.locked_until = utcnow() - timedelta(seconds=1)
    seeded.add(user)
    seeded.commit()
    token, _actor = service.login(seeded, "yeyen@kita.co.id", PASSWORD)
    assert token and seeded.get(PortalUser, user.id).failed_logins == 0


def test_unknown_address_and_no_password_give_the_same_message(seeded, admin, firms):
    service.invite_contact(seeded, admin, firms["yeyen"].id)  # invited, never chose a password
    seeded.commit()
    for email in ("yeyen@kita.co.id", "ghost@kita.co.id"):
        with pytest.raises(DomainError) as refused:
            service.login(seeded, email, PASSWORD)
        assert refused.value.key == "portal.error.invalid_credentials"


# ------------------------------------------------------------------------------ sessions kept apart


def test_staff_and_portal_sessions_never_open_each_other(seeded, admin, firms):
    staff_token, _staff = auth_service.login(seeded, "admin", "kaktus-admin-2026")
    portal_token, _actor = _join(seeded, admin, firms["yeyen"])
    seeded.commit()
    assert service.resolve_session(seeded, staff_token) is None
    assert auth_service.resolve_session(seeded, portal_token) is None
    assert service.resolve_session(seeded, "") is None


def test_a_contact_moved_away_loses_the_portal(seeded, admin, firms):
    token, actor = _join(seeded, admin, firms["yeyen"])
    customers.update_customer(seeded, admin, firms["yeyen"].id, {"company_id": str(firms["lain"].id)})
    seeded.commit()
    assert service.resolve_session(seeded, token).company_id == firms["lain"].id
    customers.update_customer(seeded, admin, firms["yeyen"].id, {"company_id": ""})
    seeded.commit()
    assert service.resolve_session(seeded, token) is None
    with pytest.raises(DomainError):
        service.login(seeded, "yeyen@kita.co.id", PASSWORD)


def test_profile_update(seeded, admin, firms):
    _token, actor = _join(seeded, admin, firms["yeyen"])
    with pytest.raises(ValidationError) as bad:
        service.update_profile(seeded, actor, {"full_name": " ", "phone": "12", "language": "fr"})
    assert set(bad.value.errors) == {"full_name", "phone", "language"}
    updated = service.update_profile(seeded, actor, {"full_name": "Yeyen R.", "phone": "0812-3456-7890", "language": "en"})
    seeded.commit()
    assert (updated.full_name, updated.language) == ("Yeyen R.", "en")
    assert {"phone": "+6281234567890", "company_name": "PT. KITA", "has_password": True}.items() <= service.profile(seeded, updated).items()


# ---------------------------------------------------------------------- only the company's records


def test_another_companys_ticket_is_not_found(seeded, admin, firms):
    _t1, yeyen = _join(seeded, admin, firms["yeyen"])
    _t2, agus = _join(seeded, admin, firms["agus"])
    ticket = helpdesk.portal_create_ticket(seeded, yeyen, {"title": "Nasi kurang", "description": "<script>alert(1)</script> 10 box kurang", "category": "complaint"})
    seeded.commit()
    assert helpdesk.portal_ticket(seeded, yeyen, ticket.id)["description"].startswith("<script>")  # stored as text; the page shows it as text
    assert [r["id"] for r in helpdesk.portal_tickets(seeded, yeyen)["rows"]] == [ticket.id]
    assert helpdesk.portal_tickets(seeded, agus)["rows"] == []
    with pytest.raises(NotFound):
        helpdesk.portal_ticket(seeded, agus, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.portal_reply(seeded, agus, ticket.id, "saya juga")
    with pytest.raises(NotFound):
        helpdesk.portal_set_status(seeded, agus, ticket.id, "closed")


def test_documents_are_the_companys_own_and_drafts_stay_hidden(seeded, admin, firms):
    _t1, yeyen = _join(seeded, admin, firms["yeyen"])
    _t2, agus = _join(seeded, admin, firms["agus"])
    nasi = catalog.create_product(seeded, admin, {"code": "NB-AYAM", "name": "Nasi box ayam bakar", "category": "nasi_box", "uom": "box", "sale_price": "35.000"})
    draft = documents.create_quotation(seeded, admin, {"customer_id": firms["kita"].id})
    documents.add_line(seeded, admin, draft.id, {"product_id": nasi.id, "quantity": "10"})
    order = documents.create_quotation(seeded, admin, {"customer_id": firms["yeyen"].id})  # the contact's document is the company's
    documents.add_line(seeded, admin, order.id, {"product_id": nasi.id, "quantity": "50"})
    documents.mark_sent(seeded, admin, order.id)
    documents.confirm(seeded, admin, order.id)
    invoice = documents.create_invoice(seeded, admin, order.id)
    documents.post_invoice(seeded, admin, invoice.id)
    seeded.commit()

    assert documents_numbers(seeded, yeyen, "quotations") == []
    assert documents_numbers(seeded, yeyen, "orders") == [seeded.get(type(order), order.id).order_number]
    invoices = service.my_documents(seeded, yeyen, "invoices")["rows"]
    assert [r["id"] for r in invoices] == [invoice.id] and invoices[0]["balance_label"] == invoices[0]["total_label"]
    name, pdf = service.document_pdf(seeded, yeyen, "invoice", invoice.id)
    assert pdf.startswith(b"%PDF") and name.endswith(".pdf")
    assert service.document_pdf(seeded, yeyen, "order", order.id)[1].startswith(b"%PDF")
    with pytest.raises(NotFound):
        service.document_pdf(seeded, yeyen, "order", draft.id)  # a draft is not sent to the customer yet
    for kind, doc_id in (("invoice", invoice.id), ("order", order.id), ("order", draft.id), ("invoice", "x")):
        with pytest.raises(NotFound):
            service.document_pdf(seeded, agus, kind, doc_id)
    assert all(service.my_documents(seeded, agus, kind)["rows"] == [] for kind in service.DOCUMENT_KINDS)
    assert [o["value"] for o in service.order_choices(seeded, yeyen)] == [str(order.id)]


def documents_numbers(session, actor, kind: str) -> list[str]:
    return [r["number"] for r in service.my_documents(session, actor, kind)["rows"]]


# ------------------------------------------------------------------------------------------ e-mail


def test_outbox_waits_without_smtp_and_is_delivered_with_it(seeded, admin, firms, monkeypatch):
    service.invite_contact(seeded, admin, firms["yeyen"].id)
    seeded.commit()
    monkeypatch.delenv("KAKTUS_SMTP_HOST", raising=False)
    assert service.deliver_outbox() == 0

    sent: list = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            sent.append(("connect", host, port))

        def ehlo(self):
            pass

        def has_extn(self, name):
            return False

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"], message["Subject"]))

        def quit(self):
            pass

    monkeypatch.setattr(service.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setenv("KAKTUS_SMTP_HOST", "smtp.kaktus.test")
    monkeypatch.setenv("KAKTUS_SMTP_USER", "portal@kaktus.test")
    assert service.deliver_outbox() == 1
    assert sent[0] == ("connect", "smtp.kaktus.test", 587) and sent[-1][:2] == ("send", "yeyen@kita.co.id")
    seeded.expire_all()
    assert seeded.exec(select(OutboxMessage)).one().sent_at is not None
    assert service.deliver_outbox() == 0  # nothing is sent twice


def test_staff_withdraw_access_ends_sessions_and_links(seeded, admin, firms):
    token, actor = _join(seeded, admin, firms["yeyen"])
    _user, link = service.invite_contact(seeded, admin, firms["yeyen"].id)  # an open link as well
    seeded.commit()
    assert service.contact_portal_status(seeded, admin, firms["yeyen"].id)["can_revoke"]
    service.revoke_access(seeded, admin, firms["yeyen"].id)
    seeded.commit()
    assert service.resolve_session(seeded, token) is None
    with pytest.raises(DomainError):
        service.redeem_token(seeded, _token_in(link))
    with pytest.raises(DomainError):
        service.login(seeded, "yeyen@kita.co.id", PASSWORD)
    status = service.contact_portal_status(seeded, admin, firms["yeyen"].id)
    assert (status["status"], status["can_revoke"]) == ("revoked", False)
    with pytest.raises(DomainError) as again:
        service.revoke_access(seeded, admin, firms["yeyen"].id)
    assert again.value.key == "portal.error.no_access"
    # a new invitation gives the access back
    _user, link = service.invite_contact(seeded, admin, firms["yeyen"].id)
    new_token, _actor, _purpose = service.redeem_token(seeded, _token_in(link))
    seeded.commit()
    assert service.resolve_session(seeded, new_token) is not None


def test_a_failed_message_keeps_its_error_and_is_retried(seeded, admin, firms, monkeypatch):
    service.invite_contact(seeded, admin, firms["yeyen"].id)
    seeded.commit()

    class DownSMTP:
        def __init__(self, *args, **kwargs):
            raise OSError("connection refused")

    monkeypatch.setattr(service.smtplib, "SMTP", DownSMTP)
    monkeypatch.setenv("KAKTUS_SMTP_HOST", "smtp.kaktus.test")
    assert service.deliver_outbox() == 0
    seeded.expire_all()
    message = seeded.exec(select(OutboxMessage)).one()
    assert message.sent_at is None and message.error == "connection refused"
    assert service.deliver_outbox() == 0  # a failed message waits for the retry round
    assert service.retry_failed() == 1
    seeded.expire_all()
    assert seeded.exec(select(OutboxMessage)).one().error == ""
