"""Data out in standard formats: contacts as vCard 4.0 and a user's activities as an iCalendar feed,
both through the permission engine, and both over the REST API (the feed with ?key= for calendar apps)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from kaktus_app.activities.models import Activity
from kaktus_app.api import app as api_module
from kaktus_app.api import service as api_service
from kaktus_app.api.ratelimit import RateLimiter
from kaktus_app.auth.models import AuditLog
from kaktus_app.customers import service as customers
from kaktus_app.errors import PermissionDenied
from kaktus_app.i18n import utcnow
from kaktus_app.integration import service


@pytest.fixture
def people(seeded, admin, dewi):
    kita = customers.create_customer(seeded, admin, {"name": "PT. KITA; Jaya, Tbk", "city": "Jakarta Pusat", "owner_id": str(dewi.id)})
    yeyen = customers.create_customer(
        seeded, admin,
        {"kind": "person", "name": "Yeyen Handayani", "company_id": str(kita.id), "email": "yeyen@kita.co.id", "mobile": "0812-3456-7890",
         "job_title": "General Affairs", "street": "Jl. Industri Raya No. 8", "city": "Jakarta Utara", "notes": "Suka dihubungi pagi\nlewat WA", "owner_id": str(dewi.id)},
    )
    bandung = customers.create_customer(seeded, admin, {"kind": "person", "name": "Asep Sunandar", "email": "asep@mail.id", "city": "Bandung", "owner_id": str(dewi.id)})
    seeded.commit()
    return kita, yeyen, bandung


def test_vcard_escapes_folds_and_follows_the_filters(seeded, dewi, people):
    kita, yeyen, _ = people
    name, text = service.contacts_vcard(seeded, dewi, filters={"search": "yeyen"})
    assert name.endswith(".vcf") and text.count("BEGIN:VCARD") == 1
    lines = text.split("\r\n")
    assert "FN:Yeyen Handayani" in lines and "N:Handayani;Yeyen;;;" in lines
    assert "ORG:PT. KITA\\; Jaya\\, Tbk" in lines
    assert "TEL;VALUE=uri;TYPE=cell:tel:+6281234567890" in lines
    assert "NOTE:Suka dihubungi pagi\\nlewat WA" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    everyone = service.contacts_vcard(seeded, dewi, filters={})[1]
    assert everyone.count("BEGIN:VCARD") == 2  # people only; the company is their ORG
    assert service.contacts_vcard(seeded, dewi, filters={"city": "Band"})[1].count("BEGIN:VCARD") == 1
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.detail == "vcf")).first() is not None


def test_vcard_needs_the_export_right_and_leaves_hidden_fields_out(seeded, admin, people):
    from kaktus_app.auth.models import Profile
    from kaktus_app.auth.permissions import update_profile
    from kaktus_app.auth.service import actor_for, create_user

    rina = actor_for(create_user(seeded, username="rina2", full_name="Rina Dua", password="kaktus-rina-2026", role="support"))
    with pytest.raises(PermissionDenied):
        service.contacts_vcard(seeded, rina, filters={})
    profile = seeded.exec(select(Profile).where(Profile.key == "support")).one()
    update_profile(seeded, admin, profile.id, {"customers": ["read", "export"]}, {"customers.email": "hidden", "customers.mobile": "hidden"})
    seeded.info.clear()
    text = service.contacts_vcard(seeded, rina, filters={"search": "yeyen"})[1]
    assert "FN:Yeyen Handayani" in text and "EMAIL" not in text and "tel:" not in text


def test_calendar_feed_has_the_users_own_activities(seeded, admin, dewi, budi, people):
    kita, yeyen, _ = people
    now = utcnow()
    seeded.add_all([
        Activity(kind="meeting", summary="Tasting menu, Senin", customer_id=kita.id, assignee_id=dewi.id, due_at=now + timedelta(days=3), note="Bawa sampel\n3 menu"),
        Activity(kind="call", summary="Konfirmasi pax", assignee_id=dewi.id, due_at=now - timedelta(days=1), done=True, outcome="reached"),
        Activity(kind="call", summary="Budi's call", assignee_id=budi.id, due_at=now + timedelta(days=1)),
        Activity(kind="task", summary="Too old", assignee_id=dewi.id, due_at=now - timedelta(days=200)),
    ])
    seeded.commit()
    text = service.activities_ical(seeded, dewi, now=now)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and text.endswith("\r\n")
    assert text.count("BEGIN:VEVENT") == 2 and "Budi's call" not in text and "Too old" not in text
    assert "SUMMARY:Meeting: Tasting menu\\, Senin — PT. KITA\\; Jaya\\, Tbk" in lines
    assert "DESCRIPTION:Bawa sampel\\n3 menu" in lines
    assert "SUMMARY:✓ Call: Konfirmasi pax" in lines and "DESCRIPTION:Reached" in lines
    start = next(line for line in lines if line.startswith("DTSTART:"))
    assert start.endswith("Z") and len(start) == len("DTSTART:20261205T030000Z")


def test_the_feeds_over_the_api(seeded, dewi, people, monkeypatch):
    monkeypatch.setattr(api_module, "limiter", RateLimiter(redis_url=""))
    plain, _row = api_service.create_api_key(seeded, dewi, "calendar")
    seeded.add(Activity(kind="meeting", summary="Tasting", assignee_id=dewi.id, due_at=utcnow() + timedelta(days=1)))
    seeded.commit()
    with TestClient(api_module.api_app) as client:
        assert client.get("/api/v1/calendar.ics").status_code == 401
        feed = client.get(f"/api/v1/calendar.ics?key={plain}")
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar") and "SUMMARY:Meeting: Tasting" in feed.text
        assert client.get("/api/v1/calendar.ics?key=kaktus_wrong").status_code == 401
        assert client.get(f"/api/v1/contacts.vcf?key={plain}").status_code == 401  # only feeds take the key in the address
        cards = client.get("/api/v1/contacts.vcf?q=yeyen", headers={"Authorization": f"Bearer {plain}"})
        assert cards.status_code == 200 and cards.text.count("BEGIN:VCARD") == 1
        bad = client.get("/api/v1/contacts.vcf?colour=red", headers={"Authorization": f"Bearer {plain}"})
        assert bad.status_code == 422 and "colour" in bad.json()["error"]["fields"]


# ------------------------------------------------------------------------------------ list exports


def _read_csv(path):
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_export_follows_the_lists_filters_order_and_permissions(seeded, admin, dewi, people, tmp_path):
    from pathlib import Path

    name, stored = service.export_list(seeded, dewi, "customers", filters={"kind": "person"}, sort="name", fmt="csv", lang="id", folder=tmp_path)
    rows = _read_csv(Path(tmp_path) / stored)
    assert name.startswith("pelanggan-") and name.endswith(".csv")
    assert rows[0][:3] == ["Nama", "Jenis", "Segmen"]
    assert [r[0] for r in rows[1:]] == ["Asep Sunandar", "Yeyen Handayani"]  # the list's order, every page
    assert rows[1][1] == "Perorangan / kontak"  # codes in words, in the user's language
    desc = service.export_list(seeded, dewi, "customers", filters={"kind": "person"}, sort="name", desc=True, fmt="csv", folder=tmp_path)[1]
    assert [r[0] for r in _read_csv(Path(tmp_path) / desc)[1:]] == ["Yeyen Handayani", "Asep Sunandar"]
    assert seeded.exec(select(AuditLog).where(AuditLog.action == "export", AuditLog.module == "customers", AuditLog.detail == "csv")).first()


def test_export_xlsx_and_hidden_columns_left_out(seeded, admin, dewi, people, tmp_path):
    from pathlib import Path

    from openpyxl import load_workbook

    from kaktus_app.auth.models import Profile
    from kaktus_app.auth.permissions import update_profile

    profile = seeded.exec(select(Profile).where(Profile.key == "sales")).one()
    update_profile(seeded, admin, profile.id, {"customers": ["read", "export"]}, {"customers.email": "hidden"})
    seeded.info.clear()
    _name, stored = service.export_list(seeded, dewi, "customers", filters={"search": "yeyen"}, fmt="xlsx", folder=tmp_path)
    sheet = load_workbook(Path(tmp_path) / stored, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "Email" not in rows[0] and rows[1][0] == "Yeyen Handayani" and len(rows) == 2
    update_profile(seeded, admin, profile.id, {"customers": ["read"]}, {})
    seeded.info.clear()
    with pytest.raises(PermissionDenied):
        service.export_list(seeded, dewi, "customers", filters={}, fmt="csv", folder=tmp_path)


def test_export_of_many_rows_reads_in_batches(seeded, admin, tmp_path, monkeypatch):
    """More rows than a list page and than one batch: all of them, none twice, in order."""
    from pathlib import Path

    from kaktus_app import paging
    from kaktus_app.demo import generate_scale

    generate_scale(seeded, 300, chunk=100)
    seeded.commit()
    seen = []
    original = paging.batches

    def counting(session, query, size=500):
        for chunk in original(session, query, 64):
            seen.append(len(chunk))
            yield chunk

    monkeypatch.setattr("kaktus_app.leads.service.batches", counting)
    _name, stored = service.export_list(seeded, admin, "leads", filters={}, sort="created_at", desc=True, fmt="csv", folder=tmp_path)
    rows = _read_csv(Path(tmp_path) / stored)[1:]
    from kaktus_app.leads.models import Lead

    assert len(rows) == len(seeded.exec(select(Lead.id)).all()) == sum(seen) and max(seen) == 64 and len(seen) > 1


def test_exports_of_opportunities_and_tickets(seeded, admin, dewi, people, tmp_path):
    from pathlib import Path

    from kaktus_app.helpdesk import service as helpdesk
    from kaktus_app.sales import service as sales

    kita = people[0]
    sales.create_opportunity(seeded, admin, {"name": "Nasi box 300 pax", "customer_id": str(kita.id), "expected_revenue": "15000000", "owner_id": str(dewi.id)})
    helpdesk.create_ticket(seeded, admin, {"title": "Kurir telat", "company_id": str(kita.id), "category": "delivery"})
    seeded.commit()
    opp = _read_csv(Path(tmp_path) / service.export_list(seeded, dewi, "opportunities", filters={"state": "open"}, fmt="csv", folder=tmp_path)[1])
    assert opp[1][0] == "Nasi box 300 pax" and "Rp 15.000.000" in opp[1]
    tickets = _read_csv(Path(tmp_path) / service.export_list(seeded, admin, "tickets", filters={"category": "delivery"}, fmt="csv", folder=tmp_path)[1])
    assert tickets[1][1] == "Kurir telat" and tickets[1][2] == kita.name and "Delivery" in tickets[1]


def test_old_export_files_are_removed(tmp_path):
    import os
    import time

    old, fresh = tmp_path / "old-token-abcdefghijklmnop.csv", tmp_path / "new-token-abcdefghijklmnop.csv"
    old.write_text("x")
    fresh.write_text("y")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    service.export_folder(tmp_path)
    assert not old.exists() and fresh.exists()
