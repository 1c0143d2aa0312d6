"""Demo data for PT. Kaktus Berduri, and the scale generator for benchmarks.

    python -m kaktus_app.demo --if-empty      # load the demo company once (make run)
    python -m kaktus_app.demo --print-users   # the demo logins
    python -m kaktus_app.demo --scale 100000  # N customers with proportional leads, deals, activities
"""

from __future__ import annotations

import argparse

from sqlmodel import Session, select

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.models import User
from kaktus_app.sales.models import DEFAULT_STAGES, SalesTeam, Stage

DEMO_USERS = [
    # username, full name, role, password, team
    ("admin", "Administrator Kaktus", "admin", "kaktus-admin-2026", None),
    ("dewi", "Dewi Lestari", "sales", "kaktus-dewi-2026", "Corporate catering"),
    ("budi", "Budi Santoso", "sales", "kaktus-budi-2026", "Events & weddings"),
    ("rina", "Rina Wijaya", "support", "kaktus-rina-2026", None),
    ("sari", "Sari Kusuma", "manager", "kaktus-sari-2026", None),
]


def seed_base(session: Session) -> None:
    """Teams, default pipeline stages, the default profiles and the demo users (idempotent)."""
    from kaktus_app.auth.permissions import ensure_default_profiles, ensure_default_roles
    from kaktus_app.helpdesk.service import ensure_sla_policies

    ensure_default_profiles(session)
    ensure_default_roles(session)
    ensure_sla_policies(session)
    teams = {}
    for name in ("Corporate catering", "Events & weddings"):
        team = session.exec(select(SalesTeam).where(SalesTeam.name == name)).first()
        if team is None:
            team = SalesTeam(name=name)
            session.add(team)
            session.flush()
        teams[name] = team.id
    if session.exec(select(Stage).where(Stage.team_id == None)).first() is None:  # noqa: E711
        for index, (name, probability) in enumerate(DEFAULT_STAGES):
            session.add(Stage(name=name, sequence=(index + 1) * 10, probability=probability, is_won=name == "Won"))
    for username, full_name, role, password, team in DEMO_USERS:
        if session.exec(select(User).where(User.username == username)).first() is None:
            auth_service.create_user(
                session,
                username=username,
                full_name=full_name,
                password=password,
                role=role,
                email=f"{username}@kaktusberduri.co.id",
                team_id=teams.get(team) if team else None,
            )
    session.flush()
    ensure_default_roles(session)


def is_empty(session: Session) -> bool:
    return session.exec(select(User.id)).first() is None


# (city, province, latitude, longitude, postal code prefix, area phone)
CITIES = [
    ("Jakarta Pusat", "DKI Jakarta", -6.1862, 106.8341, "10", "021"),
    ("Jakarta Selatan", "DKI Jakarta", -6.2615, 106.8106, "12", "021"),
    ("Jakarta Barat", "DKI Jakarta", -6.1674, 106.7637, "11", "021"),
    ("Jakarta Timur", "DKI Jakarta", -6.2250, 106.9004, "13", "021"),
    ("Jakarta Utara", "DKI Jakarta", -6.1384, 106.8635, "14", "021"),
    ("Bogor", "Jawa Barat", -6.5971, 106.8060, "16", "0251"),
    ("Depok", "Jawa Barat", -6.4025, 106.7942, "16", "021"),
    ("Tangerang", "Banten", -6.1783, 106.6319, "15", "021"),
    ("Tangerang Selatan", "Banten", -6.2886, 106.7179, "15", "021"),
    ("Bekasi", "Jawa Barat", -6.2383, 106.9756, "17", "021"),
    ("Bandung", "Jawa Barat", -6.9175, 107.6191, "40", "022"),
    ("Surabaya", "Jawa Timur", -7.2575, 112.7521, "60", "031"),
    ("Semarang", "Jawa Tengah", -6.9667, 110.4167, "50", "024"),
    ("Yogyakarta", "DI Yogyakarta", -7.7956, 110.3695, "55", "0274"),
    ("Medan", "Sumatera Utara", 3.5952, 98.6722, "20", "061"),
    ("Makassar", "Sulawesi Selatan", -5.1477, 119.4327, "90", "0411"),
    ("Denpasar", "Bali", -8.6705, 115.2126, "80", "0361"),
    ("Balikpapan", "Kalimantan Timur", -1.2379, 116.8529, "76", "0542"),
    ("Palembang", "Sumatera Selatan", -2.9761, 104.7754, "30", "0711"),
]

# (name, industry, segment, tags)
COMPANIES = [
    ("PT. Sinar Abadi Logistik", "Logistics", "corporate", "catering, corporate, monthly-order"),
    ("PT. Bank Nusantara Sejahtera", "Banking", "corporate", "catering, corporate, halal"),
    ("Kementerian Koperasi dan UKM", "Government", "government", "catering, government, halal"),
    ("Dinas Pendidikan DKI Jakarta", "Government", "government", "catering, snack-box"),
    ("SMA Negeri 8 Jakarta", "Education", "education", "snack-box, school"),
    ("Universitas Tarumanagara", "Education", "education", "catering, seminar"),
    ("RS Mitra Keluarga Kemayoran", "Healthcare", "healthcare", "catering, monthly-order, diet"),
    ("RS Hermina Bekasi", "Healthcare", "healthcare", "catering, diet"),
    ("Hotel Santika Premiere", "Hospitality", "hospitality", "coffee-break, prasmanan"),
    ("Grand Mercure Kemayoran", "Hospitality", "hospitality", "prasmanan, wedding"),
    ("Cahaya Event Organizer", "Events", "event_organiser", "wedding, prasmanan, tumpeng"),
    ("PT. Pesta Gemilang Indonesia", "Events", "event_organiser", "wedding, corporate-event"),
    ("CV. Berkah Wedding Planner", "Events", "event_organiser", "wedding, tumpeng"),
    ("PT. Telekomunikasi Prima", "Telecommunication", "corporate", "catering, corporate, coffee-break"),
    ("PT. Astra Otoparts Cikarang", "Manufacturing", "corporate", "catering, monthly-order, halal"),
    ("PT. Indofarma Global", "Pharmaceutical", "corporate", "catering, corporate"),
    ("PT. Garuda Aviasi Servis", "Aviation", "corporate", "snack-box, coffee-break"),
    ("Pemerintah Kota Bogor", "Government", "government", "tumpeng, catering"),
    ("Pemerintah Kota Depok", "Government", "government", "snack-box"),
    ("Universitas Padjadjaran", "Education", "education", "seminar, coffee-break"),
    ("PT. Surya Energi Jawa Timur", "Energy", "corporate", "catering, corporate"),
    ("Hotel Tentrem Semarang", "Hospitality", "hospitality", "prasmanan"),
    ("Universitas Gadjah Mada", "Education", "education", "seminar, snack-box"),
    ("PT. Perkebunan Sumatera Utara", "Agriculture", "corporate", "catering, halal"),
    ("PT. Semen Tonasa Makassar", "Manufacturing", "corporate", "catering, monthly-order"),
    ("Bali Dream Weddings", "Events", "event_organiser", "wedding, vegetarian"),
    ("PT. Kaltim Minyak Mandiri", "Energy", "corporate", "catering, monthly-order"),
    ("PT. Pupuk Sriwijaya Palembang", "Manufacturing", "corporate", "catering, halal"),
    ("Toko Roti Sari Rasa", "Retail", "retail", "snack-box"),
    ("Koperasi Karyawan Maju Bersama", "Cooperative", "retail", "snack-box, monthly-order"),
    ("PT. Media Kreatif Nusantara", "Media", "corporate", "coffee-break, corporate-event"),
    ("Yayasan Pendidikan Al-Azhar", "Education", "education", "catering, halal, school"),
    ("PT. Properti Tangerang Raya", "Real estate", "corporate", "tumpeng, corporate-event"),
    ("Masjid Agung Sunda Kelapa", "Religious", "retail", "catering, halal, ramadan"),
    ("PT. Sejahtera Retail Mart", "Retail", "retail", "snack-box, corporate"),
    ("Badan Pusat Statistik", "Government", "government", "catering, seminar"),
    ("PT. Digital Solusi Bangsa", "Technology", "corporate", "coffee-break, catering"),
    ("Gereja Katedral Jakarta", "Religious", "retail", "snack-box, prasmanan"),
    ("PT. Mandala Konstruksi", "Construction", "corporate", "catering, monthly-order"),
    ("Sanggar Tari Nusantara", "Arts", "retail", "snack-box"),
    ("PT. Bintang Farmasi Surabaya", "Pharmaceutical", "corporate", "catering"),
    ("Hotel Aryaduta Medan", "Hospitality", "hospitality", "prasmanan, wedding"),
    ("Universitas Hasanuddin", "Education", "education", "seminar"),
    ("PT. Karya Tekstil Bandung", "Manufacturing", "corporate", "catering, halal, monthly-order"),
    ("Komunitas Vegan Jakarta", "Community", "retail", "vegetarian, snack-box"),
    ("PT. Asuransi Jiwa Mulia", "Insurance", "corporate", "coffee-break, corporate"),
    ("Kedutaan Besar Belanda", "Diplomatic", "government", "prasmanan, vegetarian"),
    ("PT. Transportasi Jakarta", "Transport", "government", "snack-box, monthly-order"),
]

PEOPLE = [
    ("Siti Rahmawati", "HR Manager"), ("Agus Setiawan", "General Affairs"), ("Dian Puspitasari", "Procurement"),
    ("Rudi Hartono", "Event Coordinator"), ("Maya Anggraini", "Secretary"), ("Hendra Gunawan", "Office Manager"),
    ("Putri Wulandari", "Purchasing Staff"), ("Bambang Sutrisno", "Head of Administration"), ("Lina Marlina", "Marketing Manager"),
    ("Yoga Pratama", "Facility Manager"), ("Ratna Sari", "Finance"), ("Eko Prasetyo", "Operations"),
    ("Fitri Handayani", "Personal Assistant"), ("Wahyu Nugroho", "Procurement Lead"), ("Nur Aini", "HR Staff"),
    ("Arif Budiman", "Project Manager"), ("Indah Permata", "Event Manager"), ("Joko Susilo", "Kepala Bagian Umum"),
    ("Sri Mulyani", "Kepala Tata Usaha"), ("Taufik Hidayat", "Catering Coordinator"),
]

INDIVIDUALS = [
    ("Ibu Ratih Kusuma", "wedding, tumpeng"), ("Bapak Darmawan Saputra", "tumpeng, family"),
    ("Keluarga Wijayakusuma", "prasmanan, family"), ("Ibu Lestari Handoko", "snack-box, arisan"),
    ("Bapak Surya Atmaja", "tumpeng"), ("Ibu Melati Anggun", "wedding, vegetarian"),
    ("Bapak Hadi Purnomo", "prasmanan"), ("Ibu Kartika Dewi", "snack-box, arisan"),
    ("Bapak Ferry Irawan", "coffee-break"), ("Ibu Anisa Rahma", "halal, family"),
    ("Bapak Teguh Santoso", "tumpeng, family"), ("Ibu Yuliana Sari", "wedding"),
]

PRODUCTS = [
    ("Nasi box", 35_000), ("Tumpeng nasi kuning", 1_250_000), ("Paket prasmanan", 95_000), ("Snack box", 18_000),
    ("Coffee break", 45_000), ("Nasi box premium", 55_000), ("Paket pernikahan prasmanan", 125_000), ("Tumpeng mini", 45_000),
]
OCCASIONS = ["rapat tahunan", "seminar nasional", "pelatihan karyawan", "syukuran kantor", "acara pernikahan", "buka puasa bersama",
             "ulang tahun perusahaan", "peluncuran produk", "wisuda", "halal bihalal", "gathering keluarga", "rapat direksi"]
STREETS = ["Jl. Jend. Sudirman", "Jl. MH Thamrin", "Jl. Gatot Subroto", "Jl. HR Rasuna Said", "Jl. Diponegoro", "Jl. Pemuda",
           "Jl. Ahmad Yani", "Jl. Gajah Mada", "Jl. Merdeka", "Jl. Asia Afrika", "Jl. Pahlawan", "Jl. Veteran"]


def _phone(area: str, rng) -> str:
    from kaktus_app.validation import parse_phone

    digits = "".join(str(rng.randint(0, 9)) for _ in range(7 if len(area) == 3 else 6))
    return parse_phone(f"{area}{rng.randint(2, 8)}{digits}")


def _mobile(rng) -> str:
    from kaktus_app.validation import parse_phone

    return parse_phone(f"08{rng.choice(['11', '12', '13', '21', '22', '52', '56', '57', '77', '78', '95'])}{rng.randint(10_000_000, 99_999_999)}")


def _slug(name: str) -> str:
    from kaktus_app.validation import normalise_name

    return normalise_name(name).replace(" ", "")[:18] or "kontak"


def _npwp(rng) -> str:
    d = "".join(str(rng.randint(0, 9)) for _ in range(15))
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"


def load_demo(session: Session) -> None:
    """The whole demo company: customers and contacts, leads, opportunities, activities."""
    import random
    from datetime import datetime, time, timedelta
    from decimal import Decimal

    from kaktus_app.activities.models import CALL_OUTCOMES, Activity, TimelineEntry
    from kaktus_app.customers.models import Customer
    from kaktus_app.i18n import JAKARTA, utcnow
    from kaktus_app.leads.models import LEAD_SOURCES, Lead
    from kaktus_app.sales.models import LOST_REASONS, Opportunity, StageHistory
    from kaktus_app.validation import normalise_name, parse_tags, tags_to_db

    seed_base(session)
    rng = random.Random(2026)
    users = {u.username: u for u in session.exec(select(User))}
    sellers = [users["dewi"], users["budi"]]
    now = utcnow()
    today = now.astimezone(JAKARTA).date()

    def when(days: float, hour: int = 10) -> datetime:
        local = datetime.combine(today + timedelta(days=int(days)), time(hour, rng.choice([0, 15, 30, 45])), tzinfo=JAKARTA)
        return local.astimezone(now.tzinfo)

    def customer(**fields) -> Customer:
        created = now - timedelta(days=rng.randint(20, 400))
        c = Customer(name_norm=normalise_name(fields["name"]), created_at=created, updated_at=created, **fields)
        session.add(c)
        session.flush()
        session.add(TimelineEntry(record_type="customer", record_id=c.id, kind="created", message_key="customers.timeline.created", params=f'{{"name": "{c.name}"}}', user_id=c.owner_id, at=created))
        return c

    companies = []
    for index, (name, industry, segment, tags) in enumerate(COMPANIES):
        city, province, lat, lon, postal, area = CITIES[index % len(CITIES)] if index >= 10 else CITIES[index % 10]
        owner = sellers[index % 2]
        companies.append(
            customer(
                kind="company", name=name, industry=industry, segment=segment, tags=tags_to_db(parse_tags(tags)),
                street=f"{rng.choice(STREETS)} No. {rng.randint(1, 180)}", city=city, province=province,
                postal_code=f"{postal}{rng.randint(100, 999)}", latitude=round(lat + rng.uniform(-0.02, 0.02), 5),
                longitude=round(lon + rng.uniform(-0.02, 0.02), 5), phone=_phone(area, rng), email=f"info@{_slug(name)}.co.id",
                website=f"https://www.{_slug(name)}.co.id", npwp=_npwp(rng), owner_id=owner.id,
                person_in_charge=PEOPLE[index % len(PEOPLE)][0],
                profile_needs=rng.choice(["Makan siang harian untuk 150 karyawan.", "Snack box untuk rapat mingguan.", "Prasmanan untuk acara tahunan.", "Coffee break untuk pelatihan bulanan."]),
                profile_preferences=rng.choice(["Menu halal, tidak pedas.", "Banyak pilihan sayur, ada menu vegetarian.", "Kemasan ramah lingkungan.", "Pengiriman sebelum jam 11.00."]),
                profile_history=rng.choice(["Pelanggan sejak 2023, puas dengan nasi box premium.", "Pernah komplain keterlambatan pengiriman (2025).", "Order rutin setiap akhir bulan.", "Pertama kali order tumpeng untuk syukuran."]),
            )
        )
    contacts = []
    for index, (name, title) in enumerate(PEOPLE * 2):
        company = companies[(index * 7) % len(companies)]
        display = name if index < len(PEOPLE) else f"{name.split()[0]} {rng.choice(['Saputra', 'Lestari', 'Wijaya', 'Kurniawan', 'Hidayati', 'Santoso'])}"
        contacts.append(
            customer(
                kind="person", name=display, company_id=company.id, job_title=title, department=rng.choice(["HRD", "GA", "Procurement", "Finance", "Marketing"]),
                city=company.city, province=company.province, mobile=_mobile(rng), email=f"{_slug(display)}@{company.email.split('@')[1]}",
                owner_id=company.owner_id, segment=company.segment, latitude=company.latitude, longitude=company.longitude,
            )
        )
    individuals = []
    for index, (name, tags) in enumerate(INDIVIDUALS):
        city, province, lat, lon, postal, _area = CITIES[index % 10]
        individuals.append(
            customer(
                kind="person", name=name, segment="retail", tags=tags_to_db(parse_tags(tags)), city=city, province=province,
                street=f"{rng.choice(STREETS)} No. {rng.randint(1, 90)}", postal_code=f"{postal}{rng.randint(100, 999)}",
                latitude=round(lat + rng.uniform(-0.03, 0.03), 5), longitude=round(lon + rng.uniform(-0.03, 0.03), 5),
                mobile=_mobile(rng), email=f"{_slug(name)}@gmail.com", owner_id=sellers[index % 2].id,
                profile_needs="Acara keluarga", profile_preferences="Menu tradisional",
            )
        )
    accounts = companies + individuals

    stages = list(session.exec(select(Stage).where(Stage.team_id == None).order_by(Stage.sequence)))  # noqa: E711
    open_stages = [s for s in stages if not s.is_won]
    won_stage = next(s for s in stages if s.is_won)

    def title() -> tuple[str, Decimal]:
        product, price = rng.choice(PRODUCTS)
        pax = rng.choice([50, 80, 100, 150, 200, 250, 300, 500, 800, 1000]) if price < 200_000 else rng.randint(1, 8)
        unit = "pax" if price < 200_000 else "buah"
        amount = Decimal(price * pax).quantize(Decimal("1"))
        return f"{product} {pax} {unit} — {rng.choice(OCCASIONS)}", max(amount, Decimal(2_500_000))

    activities = []

    def plan(record: dict, owner: User, days: float, kind: str | None = None, done: bool = False) -> None:
        kind = kind or rng.choice(["call", "call", "meeting", "email", "task"])
        summary = {"call": "Telepon untuk konfirmasi menu", "meeting": "Tasting menu di kantor pelanggan", "email": "Kirim penawaran harga", "task": "Siapkan proposal paket"}[kind]
        due = when(days, rng.choice([9, 10, 11, 13, 14, 15, 16]))
        activities.append(
            Activity(kind=kind, summary=summary, due_at=due, assignee_id=owner.id, created_by_id=owner.id, done=done,
                     done_at=due if done else None, outcome=rng.choice(CALL_OUTCOMES) if done else "", created_at=now - timedelta(days=30), **record)
        )

    for index in range(30):
        account = rng.choice(accounts)
        owner = sellers[index % 2]
        name, amount = title()
        status = "open" if index < 20 else ("lost" if index < 24 else "open")
        typed = index % 3 == 0
        lead = Lead(
            title=name, customer_id=None if typed else account.id, company_name=account.name if typed and account.kind == "company" else "",
            contact_name=rng.choice(PEOPLE)[0] if typed else "", email=f"order@{_slug(account.name)}.co.id" if typed else "",
            city=account.city, source=LEAD_SOURCES[index % len(LEAD_SOURCES)], expected_revenue=amount, owner_id=owner.id,
            memo=rng.choice(["Minta contoh menu dan harga per pax.", "Butuh untuk minggu depan, anggaran terbatas.", "Ingin menu halal dan vegetarian."]),
            tags=account.tags, status=status, lost_reason="Anggaran tidak disetujui" if status == "lost" else "",
            created_at=now - timedelta(days=rng.randint(1, 60)), updated_at=now,
        )
        session.add(lead)
        session.flush()
        session.add(TimelineEntry(record_type="lead", record_id=lead.id, kind="created", message_key="leads.timeline.created", params=f'{{"title": "{lead.title}"}}', user_id=owner.id, at=lead.created_at))
        if status == "open" and index % 2 == 0:
            plan({"lead_id": lead.id}, owner, rng.choice([-2, 0, 1, 3]))

    def converted_lead(name: str, account, owner, amount, created, index: int):
        """The lead an opportunity came from (so the dashboards have lead sources and conversion rates)."""
        lead = Lead(
            title=name, customer_id=account.id, city=account.city, source=LEAD_SOURCES[(index * 3) % len(LEAD_SOURCES)], expected_revenue=amount,
            owner_id=owner.id, tags=account.tags, status="converted", created_at=created - timedelta(days=rng.randint(2, 15)), updated_at=created,
        )
        session.add(lead)
        session.flush()
        return lead

    # A year of closed deals, so the won/lost trend, the win rate and the sales cycle have a history.
    for index in range(40):
        account = accounts[(index * 7 + 3) % len(accounts)]
        owner = sellers[index % 2]
        name, amount = title()
        won = rng.random() < 0.6
        created = now - timedelta(days=rng.randint(60, 380))
        closed = min(created + timedelta(days=rng.randint(10, 75)), now - timedelta(days=1))
        stage = won_stage if won else rng.choice(open_stages)
        source_lead = converted_lead(name, account, owner, amount, created, index + 1) if index % 3 != 0 else None
        opportunity = Opportunity(
            name=name, customer_id=account.id, stage_id=stage.id, team_id=owner.team_id, position=float(100 + index) * 1024,
            lead_id=source_lead.id if source_lead else None, expected_revenue=amount, probability=100 if won else 0,
            expected_closing=closed.astimezone(JAKARTA).date(), priority=rng.randint(0, 3), owner_id=owner.id, tags=account.tags,
            state="won" if won else "lost", lost_reason="" if won else rng.choice(LOST_REASONS),
            created_at=created, updated_at=closed, stage_changed_at=closed, closed_at=closed,
        )
        session.add(opportunity)
        session.flush()
        if source_lead is not None:
            source_lead.opportunity_id = opportunity.id
        session.add(StageHistory(opportunity_id=opportunity.id, to_stage_id=open_stages[0].id, to_state="open", user_id=owner.id, expected_revenue=amount, at=created))
        session.add(
            StageHistory(
                opportunity_id=opportunity.id, from_stage_id=open_stages[0].id, to_stage_id=stage.id, from_state="open",
                to_state=opportunity.state, user_id=owner.id, expected_revenue=amount, at=closed,
            )
        )

    for index in range(46):
        account = accounts[(index * 5) % len(accounts)]
        owner = sellers[index % 2]
        name, amount = title()
        if index < 34:
            stage, state = open_stages[(index // 2) % len(open_stages)], "open"  # every stage for each seller
        elif index < 40:
            stage, state = won_stage, "won"
        else:
            stage, state = open_stages[index % len(open_stages)], "lost"
        created = now - timedelta(days=rng.randint(5, 120))
        source_lead = converted_lead(name, account, owner, amount, created, index) if index % 3 != 2 else None
        opportunity = Opportunity(
            name=name, customer_id=account.id, stage_id=stage.id, team_id=owner.team_id, position=float(index + 1) * 1024,
            lead_id=source_lead.id if source_lead else None,
            expected_revenue=amount, probability=0 if state == "lost" else stage.probability, expected_closing=today + timedelta(days=rng.randint(-20, 75)),
            priority=rng.randint(0, 3), owner_id=owner.id, tags=account.tags, state=state,
            lost_reason=rng.choice(LOST_REASONS) if state == "lost" else "", memo=rng.choice(["Pelanggan meminta diskon untuk order rutin.", "Perlu tasting sebelum keputusan.", ""]),
            created_at=created, updated_at=now, stage_changed_at=created + timedelta(days=3), closed_at=now - timedelta(days=rng.randint(1, 20)) if state != "open" else None,
        )
        session.add(opportunity)
        session.flush()
        if source_lead is not None:
            source_lead.opportunity_id = opportunity.id
        session.add(StageHistory(opportunity_id=opportunity.id, to_stage_id=open_stages[0].id, to_state="open", user_id=owner.id, expected_revenue=amount, at=created))
        if stage.id != open_stages[0].id:
            session.add(StageHistory(opportunity_id=opportunity.id, from_stage_id=open_stages[0].id, to_stage_id=stage.id, from_state="open", to_state=state, user_id=owner.id, expected_revenue=amount, at=created + timedelta(days=3)))
        session.add(TimelineEntry(record_type="opportunity", record_id=opportunity.id, kind="created", message_key="sales.timeline.created", params=f'{{"name": "{opportunity.name}"}}', user_id=owner.id, at=created))
        if state == "open":
            plan({"opportunity_id": opportunity.id, "customer_id": account.id}, owner, rng.choice([-5, -1, 0, 0, 1, 2, 4, 7, 10]))
            plan({"opportunity_id": opportunity.id, "customer_id": account.id}, owner, -rng.randint(3, 20), "call", done=True)

    for index in range(12):
        account = companies[index]
        plan({"customer_id": account.id}, users["rina"], rng.choice([-1, 0, 2, 5]), "call")
    session.add_all(activities)
    session.flush()
    from kaktus_app.customers import service as customers_service

    customers_service.ensure_default_filters(session)


CATALOG = [
    # code, name, category, unit, price, cost, tax %
    ("NB-AYAM", "Nasi box ayam bakar", "nasi_box", "box", 35_000, 21_000, 11),
    ("NB-RENDANG", "Nasi box rendang", "nasi_box", "box", 42_000, 26_000, 11),
    ("NB-PREM", "Nasi box premium (ayam, rendang, sayur)", "nasi_box", "box", 55_000, 33_000, 11),
    ("NB-VEG", "Nasi box vegetarian", "nasi_box", "box", 32_000, 18_000, 11),
    ("TMP-KUNING", "Tumpeng nasi kuning 20 porsi", "tumpeng", "paket", 1_250_000, 750_000, 11),
    ("TMP-MINI", "Tumpeng mini", "tumpeng", "box", 45_000, 26_000, 11),
    ("PRS-STD", "Paket prasmanan standar", "prasmanan", "pax", 95_000, 58_000, 11),
    ("PRS-WED", "Paket pernikahan prasmanan", "prasmanan", "pax", 125_000, 76_000, 11),
    ("SB-3", "Snack box 3 kue", "snack_box", "box", 18_000, 9_500, 11),
    ("SB-5", "Snack box 5 kue", "snack_box", "box", 26_000, 14_000, 11),
    ("CB-PAGI", "Coffee break pagi", "coffee_break", "pax", 45_000, 24_000, 11),
    ("CB-2SESI", "Coffee break 2 sesi", "coffee_break", "pax", 75_000, 41_000, 11),
    ("BEV-AIR", "Air mineral 600 ml", "beverage", "pcs", 4_000, 2_300, 11),
    ("BEV-TEH", "Es teh manis", "beverage", "pcs", 8_000, 3_000, 11),
    ("SRV-PRAMUSAJI", "Jasa pramusaji", "service", "jam", 75_000, 50_000, 11),
    ("SRV-KIRIM", "Ongkos kirim Jabodetabek", "service", "paket", 150_000, 100_000, 0),
]
PRICE_LISTS = [
    # name, segment, rules (kind, product code or "" , category, value, min quantity)
    ("Corporate", "corporate", [("discount", "", "nasi_box", "5", "100"), ("discount", "NB-PREM", "", "10", "300"), ("discount", "", "coffee_break", "5", "1")]),
    ("Government", "government", [("fixed", "NB-AYAM", "", "33000", "1"), ("discount", "", "snack_box", "5", "1")]),
    ("Event organisers", "event_organiser", [("discount", "", "", "7", "200")]),
    ("Education", "education", [("discount", "", "snack_box", "10", "1")]),
]
VENDORS = [
    ("UD. Kue Basah Bu Yati", "0812-8877-1122", "Jakarta Timur", [("SB-3", 9_000), ("SB-5", 13_500)]),
    ("PT. Tirta Jaya Abadi", "021-4600-123", "Bekasi", [("BEV-AIR", 2_300)]),
    ("CV. Ayam Segar Bogor", "0251-8312-456", "Bogor", [("NB-AYAM", 20_000)]),
]


def load_catalog(session: Session) -> None:
    """Products, price lists per segment, vendors with their costs, two purchase orders (once)."""
    from kaktus_app.auth.service import actor_for
    from kaktus_app.catalog import service as catalog
    from kaktus_app.catalog.models import Product

    if session.exec(select(Product.id)).first() is not None:
        return
    seed_base(session)
    admin = actor_for(session.exec(select(User).where(User.username == "admin")).one())
    products = {}
    for code, name, category, uom, price, cost, tax in CATALOG:
        products[code] = catalog.create_product(
            session, admin, {"code": code, "name": name, "category": category, "uom": uom, "sale_price": price, "cost": cost, "tax_rate": str(tax)}
        )
    for name, segment, rules in PRICE_LISTS:
        price_list = catalog.save_price_list(session, admin, None, {"name": name, "segment": segment})
        for kind, code, category, value, min_quantity in rules:
            catalog.add_rule(
                session, admin, price_list.id,
                {"kind": kind, "product_id": products[code].id if code else "", "category": category, "value": value, "min_quantity": min_quantity},
            )
    vendors = []
    for name, phone, city, prices in VENDORS:
        vendor = catalog.save_vendor(session, admin, None, {"name": name, "phone": phone, "city": city})
        vendors.append(vendor)
        for code, cost in prices:
            catalog.set_vendor_price(session, admin, vendor.id, {"product_id": products[code].id, "cost": cost, "lead_days": 1})
            products[code].vendor_id = vendor.id
    received = catalog.create_purchase_order(session, admin, vendors[0].id, {"note": "Snack box untuk minggu ini"})
    catalog.add_po_line(session, admin, received.id, {"product_id": products["SB-3"].id, "quantity": "400"})
    catalog.add_po_line(session, admin, received.id, {"product_id": products["SB-5"].id, "quantity": "200"})
    catalog.set_po_state(session, admin, received.id, "sent")
    catalog.set_po_state(session, admin, received.id, "received")
    from kaktus_app.documents import service as documents

    documents.update_settings(session, admin, {"npwp": "01.234.567.8-071.000", "bank_account": "523-0123-456"})
    draft = catalog.create_purchase_order(session, admin, vendors[1].id, {})
    catalog.add_po_line(session, admin, draft.id, {"product_id": products["BEV-AIR"].id, "quantity": "1000"})
    session.flush()


DEMO_TERRITORIES = [("Bali", "", "budi"), ("Jawa Timur", "", "budi"), ("Jawa Barat", "Kota Bandung", "dewi")]


def load_territories(session: Session) -> None:
    """Sales territories: budi takes Bali and East Java (weddings and events), dewi the city of Bandung."""
    from kaktus_app.geo.models import Territory

    if session.exec(select(Territory.id)).first() is not None:
        return
    users = {u.username: u.id for u in session.exec(select(User))}
    for province, city, username in DEMO_TERRITORIES:
        if username in users:
            session.add(Territory(province=province, city=city, owner_id=users[username]))
    session.flush()


def load_documents(session: Session) -> None:
    """Quotations for opportunities in Negotiation, orders and invoices (some paid) for won ones (once)."""
    import random

    from kaktus_app.auth.service import actor_for
    from kaktus_app.catalog.models import Product
    from kaktus_app.documents import service as documents
    from kaktus_app.documents.models import SalesOrder
    from kaktus_app.sales.models import Opportunity

    if session.exec(select(SalesOrder.id)).first() is not None:
        return
    rng = random.Random(11)
    actors = {u.id: actor_for(u) for u in session.exec(select(User))}
    products = list(session.exec(select(Product).where(Product.category.in_(["nasi_box", "snack_box", "coffee_break", "prasmanan"]))))
    negotiation = session.exec(select(Stage.id).where(Stage.name == "Negotiation", Stage.team_id == None)).first()  # noqa: E711
    candidates = list(session.exec(select(Opportunity).where(Opportunity.customer_id != None, (Opportunity.state == "won") | (Opportunity.stage_id == negotiation)).order_by(Opportunity.id)))  # noqa: E711
    for index, opportunity in enumerate(candidates[:12]):
        actor = actors.get(opportunity.owner_id) or next(iter(actors.values()))
        was_won = opportunity.state == "won"
        quote = documents.create_quotation(session, actor, {"opportunity_id": opportunity.id})
        for product in rng.sample(products, 2):
            documents.add_line(session, actor, quote.id, {"product_id": product.id, "quantity": str(rng.choice([50, 100, 150, 200, 300]))})
        if not was_won:
            if index % 2:
                documents.mark_sent(session, actor, quote.id)
            continue
        documents.confirm(session, actor, quote.id)
        invoice = documents.create_invoice(session, actor, quote.id, "percent" if index % 3 == 0 else "full", "50")
        documents.post_invoice(session, actor, invoice.id)
        if index % 2 == 0:
            documents.register_payment(session, actor, invoice.id, {"amount": invoice.total, "method": "transfer", "reference": f"BCA {rng.randint(100000, 999999)}"})
        elif index % 3 == 1:
            documents.register_payment(session, actor, invoice.id, {"amount": (invoice.total / 2).quantize(invoice.total), "method": "transfer"})
    session.flush()


FAQ = [
    # (category, language, title, body, views)
    ("Ordering", "en", "How far ahead should I order?",
     "For **nasi box** and **snack boxes** order at least **2 working days** ahead; for prasmanan and tumpeng, **5 working days**.\n\n"
     "Orders above 500 portions need a week. Urgent orders: call us at 021-8448205.", 64),
    ("Ordering", "id", "Berapa lama sebelumnya saya harus memesan?",
     "Untuk **nasi box** dan **snack box** pesan paling lambat **2 hari kerja** sebelumnya; untuk prasmanan dan tumpeng **5 hari kerja**.\n\n"
     "Pesanan di atas 500 porsi butuh satu minggu. Pesanan mendadak: hubungi 021-8448205.", 88),
    ("Ordering", "en", "Can I change or cancel my order?",
     "Changes to the number of portions are free until **H-1 12:00**. Cancellations after that are charged 50%.\n\n"
     "Open a ticket with the category *Order change* and your order number.", 31),
    ("Ordering", "id", "Bisakah saya mengubah atau membatalkan pesanan?",
     "Perubahan jumlah porsi gratis sampai **H-1 pukul 12.00**. Pembatalan setelah itu dikenakan biaya 50%.\n\n"
     "Buka tiket dengan kategori *Perubahan pesanan* dan sebutkan nomor pesanan Anda.", 45),
    ("Delivery", "en", "My delivery is late — what now?",
     "Our drivers leave the kitchen 90 minutes before the agreed time. If your order is more than **15 minutes late**:\n\n"
     "1. Open a ticket with the category *Delivery* (choose your order),\n2. or call 021-8448205.\n\n"
     "Late deliveries get a refund of the delivery fee.", 120),
    ("Delivery", "id", "Pengiriman saya terlambat — apa yang harus dilakukan?",
     "Kurir kami berangkat 90 menit sebelum waktu yang disepakati. Jika pesanan terlambat lebih dari **15 menit**:\n\n"
     "1. Buka tiket dengan kategori *Pengiriman* (pilih pesanan Anda),\n2. atau telepon 021-8448205.\n\n"
     "Pengiriman terlambat mendapat pengembalian ongkos kirim.", 150),
    ("Delivery", "en", "Which areas do you deliver to?",
     "We deliver free of charge within Jakarta for orders above 100 portions. Bogor, Depok, Tangerang and Bekasi: Rp 150.000 per trip.", 40),
    ("Food & allergies", "en", "Is your food halal?",
     "Yes. Our kitchen in Cempaka Putih is halal certified (BPJPH). Certificates are available on request.", 75),
    ("Food & allergies", "id", "Apakah makanan Anda halal?",
     "Ya. Dapur kami di Cempaka Putih bersertifikat halal (BPJPH). Sertifikat tersedia bila diminta.", 97),
    ("Food & allergies", "en", "Can you cater for allergies and vegetarians?",
     "Yes: mark the portions in the order note (e.g. *10 vegetarian, 2 without peanuts*). Allergy portions are packed and labelled separately.", 22),
    ("Payment", "en", "How can I pay?",
     "By bank transfer to BCA 123-456-7890 (PT. Kaktus Berduri) or by QRIS. Corporate customers may pay 30 days after the invoice.", 35),
    ("Payment", "id", "Bagaimana cara pembayaran?",
     "Transfer ke BCA 123-456-7890 (PT. Kaktus Berduri) atau QRIS. Pelanggan korporat dapat membayar 30 hari setelah faktur.", 52),
]
PORTAL_DEMO_PASSWORD = "kaktus-portal-2026"


def portal_demo_email() -> str:
    """The e-mail of the demo portal user: the first contact of the first company."""
    return f"{_slug(PEOPLE[0][0])}@{_slug(COMPANIES[0][0])}.co.id"

FAQ_CATEGORIES = [("Ordering", "Pemesanan"), ("Delivery", "Pengiriman"), ("Food & allergies", "Makanan & alergi"), ("Payment", "Pembayaran")]
TICKETS = [
    # (days ago, title, category, priority, channel, status, first reply after hours, customer's text)
    (40, "Invoice sent twice", "billing", "normal", "email", "closed", 3, "We received invoice INV twice for the same order."),
    (33, "Tumpeng for 17 August", "question", "low", "phone", "closed", 5, "Do you make tumpeng for 80 people on 17 August?"),
    (27, "Rice was cold on arrival", "food_quality", "high", "phone", "resolved", 2, "The rice in the nasi box was cold when it arrived."),
    (21, "Change order to 150 portions", "order_change", "normal", "email", "closed", 1, "Please change tomorrow's order from 120 to 150 portions."),
    (18, "Driver could not find the building", "delivery", "normal", "phone", "resolved", 6, "The driver called three times; please note the back entrance."),
    (12, "Request for halal certificate", "question", "low", "email", "resolved", 20, "Our procurement needs a copy of your halal certificate."),
    (9, "Coffee break arrived 40 minutes late", "delivery", "high", "walk_in", "in_progress", 1, "The coffee break for our training arrived 40 minutes late."),
    (6, "Vegetarian portions missing", "complaint", "high", "phone", "waiting", 2, "We ordered 10 vegetarian boxes but got 6."),
    (4, "Sambal too spicy for the children", "food_quality", "normal", "email", "in_progress", 3, "The school event boxes were too spicy."),
    (3, "Ayam bakar tasted sour", "food_quality", "high", "phone", "new", None, "Several staff said the ayam bakar tasted sour."),
    (2, "Ayam bakar not fresh", "food_quality", "urgent", "email", "in_progress", 0.5, "Two people felt sick after the ayam bakar box."),
    (1, "Ayam bakar portion smaller", "food_quality", "normal", "phone", "new", None, "The ayam bakar portion was smaller than usual."),
    (0.5, "Ayam bakar complaint from our director", "food_quality", "high", "phone", "new", None, "Our director complained about the ayam bakar."),
    (0.2, "Quotation for wedding 400 pax", "question", "normal", "email", "new", None, "Please send a quotation for a wedding of 400 guests."),
]


def load_helpdesk(session: Session) -> None:
    """The help desk: FAQ articles in both languages, tickets of the last weeks (among them a spike of
    complaints about the ayam bakar box), and a portal login for a contact of the first company (once)."""
    from datetime import timedelta

    from kaktus_app.catalog.models import Product
    from kaktus_app.customers.models import Customer
    from kaktus_app.helpdesk import service as helpdesk
    from kaktus_app.helpdesk.models import FaqArticle, FaqCategory, Ticket, TicketMessage
    from kaktus_app.i18n import utcnow
    from kaktus_app.portal.models import PortalUser

    if session.exec(select(Ticket.id)).first() is not None or session.exec(select(FaqArticle.id)).first() is not None:
        return
    seed_base(session)
    users = {u.username: u for u in session.exec(select(User))}
    agent, admin = users["rina"], users["admin"]
    # The portal demo: the first contact of the first company can sign in to /portal.
    contact = session.exec(select(Customer).where(Customer.email == portal_demo_email(), Customer.company_id != None)).first()  # noqa: E711
    home = session.get(Customer, contact.company_id) if contact is not None else None
    if contact is not None and session.exec(select(PortalUser.id).where(PortalUser.email == contact.email)).first() is None:
        session.add(PortalUser(email=contact.email, full_name=contact.name, contact_id=contact.id, company_id=home.id, email_verified=True,
                               password_hash=auth_service.hash_password(PORTAL_DEMO_PASSWORD), invited_by_id=agent.id))
        session.flush()
    categories = {}
    for position, (name, name_id) in enumerate(FAQ_CATEGORIES):
        category = FaqCategory(name=name, name_id=name_id, position=position)
        session.add(category)
        session.flush()
        categories[name] = category.id
    for category, language, title, body, views in FAQ:
        session.add(FaqArticle(category_id=categories[category], language=language, title=title, body=body, published=True, views=views,
                               helpful_yes=views // 6, helpful_no=views // 40, author_id=agent.id))
    session.flush()
    product = session.exec(select(Product).where(Product.name.ilike("%ayam bakar%"))).first()
    companies = list(session.exec(select(Customer).where(Customer.kind == "company").order_by(Customer.id).limit(12)))
    now = utcnow()
    for index, (days, title, category, priority, channel, status, reply_after, text) in enumerate(TICKETS):
        company = companies[0] if index in (6, 9, 13) else companies[index % len(companies)]
        created = now - timedelta(days=days)
        ticket = Ticket(number=f"TK-{index + 1:05d}", title=title, description=text, company_id=company.id, category=category, priority=priority,
                        channel=channel, status="new", assignee_id=agent.id if index % 3 else admin.id, created_by_id=agent.id,
                        product_id=product.id if product is not None and "Ayam bakar" in title else None, created_at=created, updated_at=created)
        ticket.first_response_due, ticket.resolution_due = helpdesk.sla_due(session, priority, created)
        session.add(ticket)
        session.flush()
        ticket.number = f"TK-{ticket.id:05d}"
        if reply_after is not None:
            replied = created + timedelta(hours=reply_after)
            session.add(TicketMessage(ticket_id=ticket.id, kind="reply", body="Terima kasih atas laporannya, kami sedang memeriksanya.", author_user_id=agent.id,
                                      author_name=agent.full_name, created_at=replied))
            session.add(TicketMessage(ticket_id=ticket.id, kind="note", is_public=False, body="Cek dengan dapur dan kurir shift pagi.", author_user_id=agent.id,
                                      author_name=agent.full_name, created_at=replied))
            ticket.first_response_at = replied
            ticket.status = "in_progress"
            session.add(TicketMessage(ticket_id=ticket.id, kind="status", body="new>in_progress", author_user_id=agent.id, author_name=agent.full_name, created_at=replied))
        if status in ("waiting", "resolved", "closed"):
            done = created + timedelta(hours=(reply_after or 1) + 20)
            session.add(TicketMessage(ticket_id=ticket.id, kind="status", body=f"in_progress>{status}", author_user_id=agent.id, author_name=agent.full_name, created_at=done))
            ticket.status = status
            if status in ("resolved", "closed"):
                ticket.resolved_at = done
            if status == "closed":
                ticket.closed_at = done
        session.add(ticket)
    session.flush()


def generate_scale(session: Session, n: int, *, chunk: int = 10_000, seed: int = 7) -> dict:
    """N customers, 0.3N leads, 0.2N opportunities and N activities, by bulk Core inserts.

    Fast enough for 1,000,000 customers on SQLite; the same code runs on PostgreSQL.
    """
    import random
    from datetime import timedelta
    from decimal import Decimal

    from sqlalchemy import insert, text

    from kaktus_app.activities.models import Activity
    from kaktus_app.customers.models import Customer
    from kaktus_app.i18n import utcnow
    from kaktus_app.leads.models import LEAD_SOURCES, Lead
    from kaktus_app.sales.models import Opportunity
    from kaktus_app.validation import normalise_name

    seed_base(session)
    session.commit()
    rng = random.Random(seed)
    user_ids = [u.id for u in session.exec(select(User)) if u.role in ("sales", "manager", "admin")]
    stages = list(session.exec(select(Stage).where(Stage.team_id == None).order_by(Stage.sequence)))  # noqa: E711
    now = utcnow()
    first = (session.exec(select(func_max(Customer.id))).one() or 0) + 1
    words = ["Abadi", "Jaya", "Makmur", "Sentosa", "Sejahtera", "Mandiri", "Prima", "Utama", "Nusantara", "Gemilang", "Lestari", "Berkah",
             "Sinar", "Cahaya", "Bintang", "Karya", "Mitra", "Sumber", "Indah", "Mulia", "Bahari", "Persada", "Perkasa", "Raya"]
    segments = ["corporate", "government", "retail", "event_organiser", "education", "healthcare", "hospitality"]
    conn = session.connection()

    def flush(model, rows):
        if rows:
            conn.execute(insert(model.__table__), rows)
            rows.clear()

    rows: list[dict] = []
    for offset in range(n):
        cid = first + offset
        city, province, lat, lon, postal, area = CITIES[rng.randrange(len(CITIES))]
        name = f"{rng.choice(['PT.', 'CV.', 'UD.', ''])} {rng.choice(words)} {rng.choice(words)} {cid}".strip()
        created = now - timedelta(minutes=rng.randrange(0, 600_000))
        rows.append({
            "id": cid, "kind": "company" if offset % 4 else "person", "name": name, "name_norm": normalise_name(name), "industry": "",
            "segment": segments[offset % len(segments)], "tags": ",catering," if offset % 3 == 0 else ",snack-box,", "street": "", "city": city,
            "province": province, "postal_code": f"{postal}{offset % 1000:03d}", "latitude": lat + rng.uniform(-0.05, 0.05),
            "longitude": lon + rng.uniform(-0.05, 0.05), "phone": f"+62{area[1:]}{5_000_000 + cid:08d}"[:15], "mobile": f"+628{1_000_000_000 + cid}",
            "email": f"c{cid}@example-{offset % 97}.co.id", "website": "", "npwp": "", "department": "", "person_in_charge": "", "job_title": "",
            "owner_id": user_ids[offset % len(user_ids)], "notes": "", "profile_needs": "", "profile_preferences": "", "profile_history": "",
            "is_active": True, "created_at": created, "updated_at": created, "company_id": None,
        })
        if len(rows) >= chunk:
            flush(Customer, rows)
    flush(Customer, rows)

    lead_first = (session.exec(select(func_max(Lead.id))).one() or 0) + 1
    for offset in range(int(n * 0.3)):
        created = now - timedelta(minutes=rng.randrange(0, 300_000))
        rows.append({
            "id": lead_first + offset, "title": f"Nasi box {rng.choice([50, 100, 200, 300])} pax #{offset}", "customer_id": first + rng.randrange(n),
            "contact_name": "", "company_name": "", "email": "", "phone": "", "city": "", "source": LEAD_SOURCES[offset % len(LEAD_SOURCES)],
            "expected_revenue": Decimal(rng.randrange(25, 4500) * 100_000), "memo": "", "owner_id": user_ids[offset % len(user_ids)], "tags": "",
            "status": "open" if offset % 5 else "lost", "lost_reason": "", "opportunity_id": None, "created_at": created, "updated_at": created, "converted_at": None,
        })
        if len(rows) >= chunk:
            flush(Lead, rows)
    flush(Lead, rows)

    opp_first = (session.exec(select(func_max(Opportunity.id))).one() or 0) + 1
    opp_count = int(n * 0.2)
    for offset in range(opp_count):
        stage = stages[offset % len(stages)]
        state = "won" if stage.is_won else ("lost" if offset % 11 == 0 else "open")
        created = now - timedelta(minutes=rng.randrange(0, 300_000))
        rows.append({
            "id": opp_first + offset, "name": f"Prasmanan {rng.choice(words)} #{offset}", "customer_id": first + rng.randrange(n), "lead_id": None,
            "team_id": None, "stage_id": stage.id, "position": float(offset), "expected_revenue": Decimal(rng.randrange(25, 4500) * 100_000),
            "probability": stage.probability, "expected_closing": (now + timedelta(days=rng.randrange(-60, 120))).date(), "priority": offset % 4,
            "owner_id": user_ids[offset % len(user_ids)], "tags": "", "state": state, "lost_reason": "", "memo": "", "version": 1,
            "created_at": created, "updated_at": created, "stage_changed_at": created, "closed_at": created if state != "open" else None,
        })
        if len(rows) >= chunk:
            flush(Opportunity, rows)
    flush(Opportunity, rows)

    for offset in range(n):
        due = now + timedelta(minutes=rng.randrange(-100_000, 100_000))
        done = due < now and offset % 3 != 0
        opportunity_id = opp_first + rng.randrange(opp_count) if opp_count and offset % 2 == 0 else None
        rows.append({
            "kind": ("call", "meeting", "email", "task")[offset % 4], "summary": "Follow up", "note": "", "due_at": due,
            "assignee_id": user_ids[offset % len(user_ids)], "done": done, "done_at": due if done else None, "outcome": "reached" if done else "",
            "customer_id": None if opportunity_id else first + rng.randrange(n), "lead_id": None, "opportunity_id": opportunity_id,
            "created_by_id": user_ids[0], "created_at": now,
        })
        if len(rows) >= chunk:
            flush(Activity, rows)
    flush(Activity, rows)
    session.commit()
    if conn.dialect.name == "postgresql":
        for table in ("customer", "lead", "opportunity", "activity"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        session.commit()
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
        raw.execute(text("ANALYZE"))
    return {"customers": n, "leads": int(n * 0.3), "opportunities": opp_count, "activities": n}


def func_max(column):
    from sqlalchemy import func

    return func.max(column)


def print_users() -> None:
    print("Demo logins (username / password):")
    for username, full_name, role, password, _team in DEMO_USERS:
        print(f"  {username:<6} / {password:<18} {full_name} ({role})")
    print(f"Customer portal (/portal): {portal_demo_email()} / {PORTAL_DEMO_PASSWORD} ({PEOPLE[0][0]} of {COMPANIES[0][0]})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--if-empty", action="store_true", help="load the demo data only into an empty database")
    parser.add_argument("--print-users", action="store_true", help="print the demo logins")
    parser.add_argument("--scale", type=int, default=0, help="generate N customers with related records")
    args = parser.parse_args(argv)
    if args.print_users:
        print_users()
        return
    if args.scale:
        import time

        started = time.perf_counter()
        with db.session_scope() as session:
            counts = generate_scale(session, args.scale)
        print(f"Generated {counts} in {time.perf_counter() - started:.1f} s")
        return
    with db.session_scope() as session:
        if args.if_empty and not is_empty(session):
            load_catalog(session)  # a database from before the catalog existed gets it once
            load_territories(session)  # likewise the sales territories
            load_helpdesk(session)  # and the help desk
            print("Demo data already loaded; keeping the database as it is.")
            return
        load_demo(session)
        load_catalog(session)
        load_documents(session)
        load_territories(session)
        load_helpdesk(session)
    print("Demo data loaded.")


if __name__ == "__main__":
    main()
