"""Geo: the gazetteer and its tolerant lookup, geocoding (never over manual coordinates), sales
territories, and the map's aggregates checked against a direct computation on the demo data."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select

from kaktus_app.auth import permissions
from kaktus_app.auth.models import AuditLog, User
from kaktus_app.customers.models import Customer
from kaktus_app.errors import NotFound, PermissionDenied, ValidationError
from kaktus_app.geo import service as geo
from kaktus_app.geo.models import Territory
from kaktus_app.i18n import CATALOG
from kaktus_app.validation import normalise_name

ROOT = Path(__file__).resolve().parents[2]


def _km(lat1, lon1, lat2, lon2) -> float:
    p = math.pi / 180
    a = math.sin((lat2 - lat1) * p / 2) ** 2 + math.cos(lat1 * p) * math.cos(lat2 * p) * math.sin((lon2 - lon1) * p / 2) ** 2
    return 12742 * math.asin(math.sqrt(a))


@pytest.fixture
def rina(seeded):
    """The support agent: may update customers, is no manager."""
    from kaktus_app.auth.service import actor_for

    return actor_for(seeded.exec(select(User).where(User.username == "rina")).one())


def _customer(session, name, city="", province="", owner=None, **extra) -> Customer:
    customer = Customer(name=name, name_norm=normalise_name(name), city=city, province=province, owner_id=owner.id if owner else None, **extra)
    session.add(customer)
    session.flush()
    return customer


# ------------------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("typed", "province", "name"),
    [
        ("Bandung", "", "Kota Bandung"),
        ("KOTA BANDUNG", "", "Kota Bandung"),
        ("kota  bandung.", "", "Kota Bandung"),
        ("Kab. Bandung", "", "Kabupaten Bandung"),
        ("Kabupaten Bandung", "", "Kabupaten Bandung"),
        ("Kab Bogor", "Jawa Barat", "Kabupaten Bogor"),
        ("Kotamadya Surabaya", "", "Kota Surabaya"),
        ("Kota Adm. Jakarta Selatan", "", "Kota Administrasi Jakarta Selatan"),
        ("Kota Jakarta Selatan", "", "Kota Administrasi Jakarta Selatan"),
        ("Jakarta Selatan 12190", "", "Kota Administrasi Jakarta Selatan"),
        ("Jaksel", "", "Kota Administrasi Jakarta Selatan"),
        ("Djakarta Timur", "", "Kota Administrasi Jakarta Timur"),
        ("Palangkaraya", "", "Kota Palangkaraya"),
        ("Palangka Raya", "", "Kota Palangkaraya"),
        ("Pangkalpinang", "", "Kota Pangkal Pinang"),
        ("Makasar", "", "Kota Makassar"),
        ("Solo", "", "Kota Surakarta"),
        ("Jogja", "", "Kota Yogyakarta"),
        ("Cibinong", "", "Kabupaten Bogor"),
        ("Tangerang Selatan", "", "Kota Tangerang Selatan"),
        ("Banjar, Kalimantan Selatan", "", "Kabupaten Banjar"),
    ],
)
def test_lookup_is_tolerant_of_prefixes_case_and_spelling(typed, province, name):
    assert geo.lookup(typed, province)["name"] == name


def test_lookup_returns_the_place_with_its_coordinates():
    place = geo.lookup("Surabaya")
    assert place["name"] == "Kota Surabaya" and place["city"] == "Surabaya" and place["kind"] == "kota"
    assert place["province"] == "Jawa Timur"
    assert _km(place["latitude"], place["longitude"], -7.2575, 112.7521) < 5
    assert geo.lookup("Kabupaten Bogor")["kind"] == "kabupaten"


def test_jakartas_five_kota_and_kepulauan_seribu():
    centre = {"Pusat": (-6.1862, 106.8341), "Selatan": (-6.2615, 106.8106), "Barat": (-6.1674, 106.7637), "Timur": (-6.2250, 106.9004), "Utara": (-6.1384, 106.8635)}
    for part, (lat, lon) in centre.items():
        place = geo.lookup(f"Jakarta {part}", "DKI Jakarta")
        assert place["name"] == f"Kota Administrasi Jakarta {part}" and place["province"] == "DKI Jakarta" and place["kind"] == "kota"
        assert _km(place["latitude"], place["longitude"], lat, lon) < 10, part
    assert geo.lookup("Kepulauan Seribu")["kind"] == "kabupaten"
    assert len([c for c in geo.cities("DKI Jakarta") if c["kind"] == "kota"]) == 5
    assert geo.lookup("Jakarta")["name"] == "Kota Administrasi Jakarta Pusat"  # what people type for "somewhere in Jakarta"


def test_namesakes_are_told_apart_by_the_province():
    # "Banjar" is a kota in Jawa Barat and a kabupaten in Kalimantan Selatan: a bare name is the kota.
    assert geo.lookup("Banjar")["province"] == "Jawa Barat"
    assert geo.lookup("Banjar", "Kalimantan Selatan")["name"] == "Kabupaten Banjar"
    assert geo.lookup("Banjar", "kalsel")["name"] == "Kabupaten Banjar"
    assert geo.lookup("Bogor", "Jawa Barat")["name"] == "Kota Bogor"
    # The seat Martapura exists in two provinces: without a province it is ambiguous.
    assert geo.lookup("Martapura") is None
    assert geo.lookup("Martapura", "Kalimantan Selatan")["name"] == "Kabupaten Banjar"
    assert geo.lookup("Martapura", "Sumatera Selatan")["name"] == "Kabupaten Ogan Komering Ulu Timur"


def test_unknown_city_is_none_and_the_province_centre_is_separate():
    assert geo.lookup("Atlantis") is None
    assert geo.lookup("") is None
    assert geo.lookup("", "Jawa Barat") is None
    centre = geo.province_centroid("jabar")
    assert centre["province"] == "Jawa Barat" and -8 < centre["latitude"] < -6 and 106 < centre["longitude"] < 109
    assert geo.province_centroid("Jabodetabek") is None


@pytest.mark.parametrize(
    ("typed", "province"),
    [
        ("jabar", "Jawa Barat"), ("DKI", "DKI Jakarta"), ("Jakarta", "DKI Jakarta"), ("DKI Jakarta", "DKI Jakarta"),
        ("Daerah Khusus Ibukota Jakarta", "DKI Jakarta"), ("DIY", "DI Yogyakarta"), ("Prov. Jawa Timur", "Jawa Timur"),
        ("sumatra utara", "Sumatera Utara"), ("NTT", "Nusa Tenggara Timur"), ("papua selatan", "Papua Selatan"),
        ("Kepri", "Kepulauan Riau"), ("Riau", "Riau"), ("West Java", "Jawa Barat"), ("", ""), ("  ", ""), ("Atlantis", "Atlantis"),
    ],
)
def test_normalise_province(typed, province):
    assert geo.normalise_province(typed) == province


def test_the_gazetteer_covers_every_kabupaten_and_kota_of_the_38_provinces():
    places = geo.cities()
    provinces = geo.provinces()
    assert len(places) >= 500 and len(provinces) == 38
    assert {p["province"] for p in places} == {p["province"] for p in provinces}
    assert {"DKI Jakarta", "Jawa Barat", "Papua Selatan", "Papua Barat Daya", "Kalimantan Utara"} <= {p["province"] for p in provinces}
    assert {p["kind"] for p in places} == {"kota", "kabupaten"}
    assert len({p["code"] for p in places}) == len(places)
    for place in places + [{**p, "name": p["province"]} for p in provinces]:
        assert -11 <= place["latitude"] <= 6.5 and 94 <= place["longitude"] <= 141.5, place["name"]
    # every entry finds itself, by its official name and within its province by its plain name
    for place in places:
        assert geo.lookup(place["name"])["code"] == place["code"], place["name"]
        assert geo.lookup(place["city"], place["province"])["province"] == place["province"], place["name"]
    for name in ("gazetteer.csv", "provinces.csv"):
        path = ROOT / "kaktus_app" / "geo" / name
        assert path.stat().st_size < 100_000
        assert "Cahya DSN" in path.read_text(encoding="utf-8").splitlines()[0]


def test_every_demo_city_resolves_near_its_demo_coordinates():
    from kaktus_app.demo import CITIES

    for city, province, lat, lon, *_ in CITIES:
        place = geo.lookup(city, province)
        assert place is not None, city
        assert place["province"] == province, city
        assert _km(place["latitude"], place["longitude"], lat, lon) < 25, city


# ------------------------------------------------------------------------------------ geocoding


def test_geocode_places_fills_an_empty_province_and_never_overwrites_manual():
    placed = Customer(name="A", city="Kota Bandung")
    assert geo.geocode_customer(placed) is True
    assert placed.geo_source == "gazetteer" and placed.province == "Jawa Barat" and placed.latitude is not None
    typed_province = Customer(name="B", city="Bogor", province="jabar")
    assert geo.geocode_customer(typed_province) and typed_province.province == "jabar"  # only an empty one is filled

    manual = Customer(name="C", city="Surabaya", latitude=-6.2, longitude=106.8, geo_source="manual")
    assert geo.geocode_customer(manual) is False
    assert (manual.latitude, manual.longitude, manual.geo_source) == (-6.2, 106.8, "manual")
    unknown_origin = Customer(name="D", city="Surabaya", latitude=-6.2, longitude=106.8)  # typed or imported
    assert geo.geocode_customer(unknown_origin) is False and unknown_origin.latitude == -6.2

    moved = Customer(name="E", city="Medan")
    geo.geocode_customer(moved)
    moved.city = "Surabaya"
    assert geo.geocode_customer(moved) and moved.latitude < 0  # a gazetteer point follows its city
    moved.city = "Atlantis"
    assert geo.geocode_customer(moved) is False
    assert (moved.latitude, moved.longitude, moved.geo_source) == (None, None, "")
    assert geo.geocode_customer(Customer(name="F", province="Jawa Barat")) is False  # a province alone is no city


def test_geocode_all_places_the_missing_in_batches_and_reports_the_rest(seeded, admin, dewi, rina):
    bandung = _customer(seeded, "PT Bandung", "Bandung", "", dewi)
    medan = _customer(seeded, "PT Medan", "medan", "Sumut")
    manual = _customer(seeded, "PT Manual", "Surabaya", "Jawa Timur", latitude=-7.3, longitude=112.7, geo_source="manual")
    nowhere = _customer(seeded, "PT Entah", "Kampung Rambutan Indah", "Jawa Barat")
    province_only = _customer(seeded, "PT Provinsi", "", "Bali")
    _customer(seeded, "PT Tanpa Alamat")
    for index in range(7):
        _customer(seeded, f"Toko {index}", "Depok", "Jawa Barat")
    seeded.commit()
    assert bandung.latitude is None  # loaded in this session: expired and reloaded after the bulk update

    for not_a_manager in (dewi, rina):
        with pytest.raises(PermissionDenied):
            geo.geocode_all(seeded, not_a_manager)
    report = geo.geocode_all(seeded, admin, batch_size=3)
    assert report["placed"] == 9 and report["unplaced"] == 2 and report["no_address"] == 1
    assert {r["id"] for r in report["unplaced_sample"]} == {nowhere.id, province_only.id}
    assert report["unplaced_sample"][0].keys() == {"id", "name", "city", "province"}
    assert bandung.geo_source == "gazetteer" and bandung.province == "Jawa Barat" and bandung.latitude == geo.lookup("Bandung")["latitude"]
    assert medan.province == "Sumut" and medan.geo_source == "gazetteer"
    assert (manual.latitude, manual.longitude, manual.geo_source) == (-7.3, 112.7, "manual")
    assert seeded.exec(select(AuditLog).where(AuditLog.module == "customers", AuditLog.record_label == "geocode")).one().user_id == admin.id
    # a second run has nothing left but the unplaceable
    again = geo.geocode_all(seeded, admin)
    assert (again["placed"], again["unplaced"]) == (0, 2)
    # the report of what could not be placed
    unplaced = geo.unplaced_customers(seeded, dewi)
    assert unplaced["total"] == 2 and {r["name"] for r in unplaced["rows"]} == {"PT Entah", "PT Provinsi"}
    # only_missing=False refreshes gazetteer points (the city changed behind our back) but not manual ones
    seeded.get(Customer, medan.id).city = "Surabaya"
    seeded.flush()
    refreshed = geo.geocode_all(seeded, admin, only_missing=False)
    assert refreshed["placed"] == 9 and seeded.get(Customer, medan.id).latitude < 0
    assert seeded.get(Customer, manual.id).latitude == -7.3


def test_manual_coordinates_are_validated_and_marked(seeded, admin, dewi, budi):
    kita = _customer(seeded, "PT. KITA", "Bandung", "Jawa Barat", dewi)
    with pytest.raises(ValidationError) as bad:
        geo.set_manual_coordinates(seeded, dewi, kita.id, "48.85", "2.35")  # Paris
    assert bad.value.errors == {"latitude": "geo.error.latitude_outside", "longitude": "geo.error.longitude_outside"}
    assert bad.value.field_params == {"latitude": {"min": "-11", "max": "6.5"}, "longitude": {"min": "94", "max": "141.5"}}
    with pytest.raises(ValidationError) as bad:
        geo.set_manual_coordinates(seeded, dewi, kita.id, "", "utara")
    assert bad.value.errors == {"latitude": "error.required", "longitude": "error.number_invalid"}
    assert kita.latitude is None and kita.geo_source == ""

    geo.set_manual_coordinates(seeded, dewi, kita.id, "-6,9147", 107.6098)  # a decimal comma is fine
    assert (kita.latitude, kita.longitude, kita.geo_source) == (-6.9147, 107.6098, "manual")
    assert geo.geocode_customer(kita) is False and kita.latitude == -6.9147
    geo.reset_coordinates(seeded, dewi, kita.id)
    assert kita.geo_source == "gazetteer" and kita.latitude == geo.lookup("Bandung")["latitude"]

    with pytest.raises(NotFound):
        geo.set_manual_coordinates(seeded, dewi, 999_999, "-6.2", "106.8")
    permissions.set_sharing(seeded, admin, "customers", "private")
    seeded.info.pop("visible", None)
    with pytest.raises(NotFound):
        geo.set_manual_coordinates(seeded, budi, kita.id, "-6.2", "106.8")


# ---------------------------------------------------------------------------------- territories


def test_territories_a_city_rule_beats_its_province(seeded, sari, dewi, budi):
    province_rule = geo.save_territory(seeded, sari, "jabar", "", dewi.id)
    city_rule = geo.save_territory(seeded, sari, "Jawa Barat", "Bandung", str(budi.id))
    assert (province_rule.province, province_rule.city) == ("Jawa Barat", "")
    assert city_rule.city == "Kota Bandung"
    assert geo.territory_owner(seeded, "Bandung", "Jawa Barat") == budi.id
    assert geo.territory_owner(seeded, "Kota Bandung", "") == budi.id
    assert geo.territory_owner(seeded, "Kab. Bandung", "") == dewi.id  # the kabupaten is not the kota
    assert geo.territory_owner(seeded, "Bogor", "") == dewi.id
    assert geo.territory_owner(seeded, "", "Jabar") == dewi.id
    assert geo.territory_owner(seeded, "Surabaya", "Jawa Timur") is None
    assert geo.territory_owner(seeded, "", "") is None
    listed = geo.list_territories(seeded)
    assert [(t["province"], t["city"], t["owner"]) for t in listed] == [
        ("Jawa Barat", "", "Dewi Lestari"), ("Jawa Barat", "Kota Bandung", "Budi Santoso")
    ]
    # a deactivated owner no longer receives customers: the province rule takes over
    seeded.get(User, budi.id).is_active = False
    seeded.flush()
    assert geo.territory_owner(seeded, "Bandung", "Jawa Barat") == dewi.id
    geo.delete_territory(seeded, sari, province_rule.id)
    assert geo.territory_owner(seeded, "Bogor", "") is None
    with pytest.raises(NotFound):
        geo.delete_territory(seeded, sari, province_rule.id)


def test_territory_rules_are_checked(seeded, admin, sari, dewi, budi, rina):
    geo.save_territory(seeded, sari, "DKI Jakarta", "Jakarta Selatan", dewi.id)
    with pytest.raises(ValidationError) as twice:
        geo.save_territory(seeded, admin, "DKI", "jaksel", budi.id)
    assert twice.value.errors == {"city": "geo.error.territory_exists"}
    whole = geo.save_territory(seeded, sari, "DKI Jakarta", "", dewi.id)
    with pytest.raises(ValidationError) as twice:
        geo.save_territory(seeded, sari, "Jakarta", "", budi.id)
    assert twice.value.errors == {"province": "geo.error.territory_exists"}
    assert geo.save_territory(seeded, sari, "DKI Jakarta", "", budi.id, territory_id=whole.id).owner_id == budi.id  # editing itself
    with pytest.raises(ValidationError) as bad:
        geo.save_territory(seeded, sari, "Atlantis", "Bandung", dewi.id)
    assert bad.value.errors == {"province": "geo.error.province_unknown"}
    with pytest.raises(ValidationError) as bad:
        geo.save_territory(seeded, sari, "Jawa Timur", "Bandung", 999_999)
    assert bad.value.errors == {"city": "geo.error.city_not_in_province", "owner_id": "error.user_unknown"}
    with pytest.raises(ValidationError) as bad:
        geo.save_territory(seeded, sari, "", "", "")
    assert bad.value.errors == {"province": "error.required", "owner_id": "error.required"}
    seeded.get(User, budi.id).is_active = False
    with pytest.raises(ValidationError) as bad:
        geo.save_territory(seeded, sari, "Bali", "", budi.id)
    assert bad.value.errors == {"owner_id": "geo.error.owner_inactive"}
    for not_a_manager in (dewi, rina):  # both may update customers, neither manages territories
        with pytest.raises(PermissionDenied):
            geo.save_territory(seeded, not_a_manager, "Bali", "", dewi.id)
        with pytest.raises(PermissionDenied):
            geo.delete_territory(seeded, not_a_manager, whole.id)
    with pytest.raises(NotFound):
        geo.save_territory(seeded, sari, "Bali", "", dewi.id, territory_id=999_999)
    assert len(seeded.exec(select(Territory)).all()) == 2


def test_assign_owner_takes_the_territory_owner(seeded, sari, dewi, budi):
    geo.save_territory(seeded, sari, "Jawa Timur", "", budi.id)
    surabaya = Customer(name="PT Surabaya", city="Surabaya", owner_id=dewi.id)
    geo.assign_owner(seeded, surabaya)
    assert surabaya.owner_id == budi.id
    medan = Customer(name="PT Medan", city="Medan", owner_id=dewi.id)
    geo.assign_owner(seeded, medan)
    assert medan.owner_id == dewi.id  # no rule: the owner stays


# ------------------------------------------------------------------------------------- the map


@pytest.fixture
def demo(seeded):
    from kaktus_app.demo import load_demo

    load_demo(seeded)
    seeded.commit()
    return seeded


def _frames(session):
    conn = session.connection()
    customers = pd.read_sql("SELECT id, province, city, segment, owner_id, latitude, longitude FROM customer", conn)
    opportunities = pd.read_sql("SELECT customer_id, state, stage_id, owner_id AS opp_owner, expected_revenue FROM opportunity", conn)
    opportunities["expected_revenue"] = opportunities["expected_revenue"].map(lambda v: Decimal(str(v)))
    return customers, opportunities.merge(customers, left_on="customer_id", right_on="id")


def _sum(frame) -> Decimal:
    return sum(frame["expected_revenue"], Decimal("0")).quantize(Decimal("0.01"))


def test_map_points_and_province_totals_equal_a_direct_computation(demo, admin):
    customers, deals = _frames(demo)
    result = geo.map_points(demo, admin, {})
    placed = customers[customers.latitude.notna() & customers.longitude.notna()]
    assert result["total"] == len(placed) == len(result["points"]) and not result["truncated"] and not result["clustered"]
    points = {p["id"]: p for p in result["points"]}
    for customer_id in placed.id:
        mine = deals[deals.customer_id == customer_id]
        assert points[customer_id]["open_pipeline"] == _sum(mine[mine.state == "open"])
        assert points[customer_id]["won_revenue"] == _sum(mine[mine.state == "won"])
    assert isinstance(result["points"][0]["open_pipeline"], Decimal)
    assert sum(p["open_pipeline"] for p in points.values()) == _sum(deals[deals.state == "open"]) > 0
    assert {"id", "name", "lat", "lon", "segment", "city", "province", "owner", "open_pipeline", "won_revenue"} <= result["points"][0].keys()

    totals = {t["province"]: t for t in geo.province_totals(demo, admin, {})}
    assert set(totals) == set(customers.province)
    for province, group in customers.groupby("province"):
        assert totals[province]["customers"] == len(group)
        assert totals[province]["open_pipeline"] == _sum(deals[(deals.province == province) & (deals.state == "open")])
        assert totals[province]["won_revenue"] == _sum(deals[(deals.province == province) & (deals.state == "won")])
        assert totals[province]["open_tickets"] == 0
        assert totals[province]["lat"] == geo.province_centroid(province)["latitude"]

    filtered = geo.province_totals(demo, admin, {"province": "jabar", "segment": "corporate"})
    expected = customers[(customers.province == "Jawa Barat") & (customers.segment == "corporate")]
    assert [t["province"] for t in filtered] == ["Jawa Barat"] and filtered[0]["customers"] == len(expected) > 0
    by_city = geo.map_points(demo, admin, {"city": "Jakarta", "owner_id": admin.id})
    assert by_city["total"] == 0
    jakarta = geo.map_points(demo, admin, {"city": "Jakarta"})
    assert jakarta["total"] == customers.city.str.startswith("Jakarta").sum() and {p["province"] for p in jakarta["points"]} == {"DKI Jakarta"}


def test_opportunity_points_per_city_and_stage(demo, admin):
    _, deals = _frames(demo)
    points = geo.opportunity_points(demo, admin, {})
    open_deals = deals[(deals.state == "open") & deals.latitude.notna()]
    assert sum(p["count"] for p in points) == len(open_deals)
    for (province, city, stage_id), group in open_deals.groupby(["province", "city", "stage_id"]):
        point = next(p for p in points if (p["province"], p["city"], p["stage_id"]) == (province, city, stage_id))
        assert point["count"] == len(group) and point["open_pipeline"] == _sum(group) and point["stage"]
    assert len({(p["city"], p["stage_id"]) for p in points}) == len(points)


def test_the_map_shows_a_salesperson_only_what_they_may_see(demo, admin, budi):
    customers, deals = _frames(demo)
    permissions.set_sharing(demo, admin, "customers", "private")
    demo.info.pop("visible", None)
    seen = customers[(customers.owner_id == budi.id) | customers.owner_id.isna()]
    result = geo.map_points(demo, budi, {})
    assert {p["id"] for p in result["points"]} == set(seen[seen.latitude.notna()].id)
    visible_deals = deals[deals.customer_id.isin(seen.id) & ((deals.opp_owner == budi.id) | deals.opp_owner.isna())]
    assert sum(p["open_pipeline"] for p in result["points"]) == _sum(visible_deals[visible_deals.state == "open"])
    totals = geo.province_totals(demo, budi, {})
    assert sum(t["customers"] for t in totals) == len(seen) < len(customers)
    assert sum(t["won_revenue"] for t in totals) == _sum(visible_deals[visible_deals.state == "won"])
    others = customers[customers.owner_id != budi.id].id.tolist()
    assert geo.customers_by_ids(demo, budi, others)["total"] == 0
    box = geo.customers_in_box(demo, budi, -11, 6.5, 94, 141.5, {})
    assert box["total"] == len(seen[seen.latitude.notna()])


def test_box_and_lasso_selection(demo, admin):
    customers, _ = _frames(demo)
    # Greater Jakarta, corners given in any order
    box = geo.customers_in_box(demo, admin, -6.0, -6.45, 107.1, 106.6, {}, page=1, per_page=10)
    inside = customers[customers.latitude.between(-6.45, -6.0) & customers.longitude.between(106.6, 107.1)]
    assert box["total"] == len(inside) > 10 and len(box["rows"]) == 10 and box["pages"] == math.ceil(len(inside) / 10)
    assert all(-6.45 <= r["lat"] <= -6.0 and 106.6 <= r["lon"] <= 107.1 for r in box["rows"])
    segment = geo.customers_in_box(demo, admin, -6.0, -6.45, 106.6, 107.1, {"segment": "retail"}, per_page=100)
    assert segment["total"] == len(inside[inside.segment == "retail"]) and {r["segment"] for r in segment["rows"]} == {"retail"}
    with pytest.raises(ValidationError):
        geo.customers_in_box(demo, admin, "north", 0, 0, 0)

    ids = customers.id.tolist()[:30]
    lasso = geo.customers_by_ids(demo, admin, ids + ["x", ids[0]], per_page=25)
    assert lasso["total"] == 30 and len(lasso["rows"]) == 25 and not lasso["ids_capped"]
    assert geo.customers_by_ids(demo, admin, [])["total"] == 0
    many = geo.customers_by_ids(demo, admin, list(range(1, 6001)))
    assert many["ids_capped"] and many["total"] == min(len(customers), 5000)


def test_too_many_customers_become_one_point_per_city(demo, admin):
    customers, deals = _frames(demo)
    placed = customers[customers.latitude.notna()]
    result = geo.map_points(demo, admin, {}, limit=5)
    assert result["truncated"] and result["clustered"] and result["total"] == len(placed)
    cities = placed.groupby(["province", "city"]).size()
    assert len(result["points"]) == 5 and all(p["clustered"] and p["id"] is None for p in result["points"])
    biggest = result["points"][0]
    assert biggest["count"] == cities.max() == cities[(biggest["province"], biggest["city"])]
    in_city = deals[(deals.province == biggest["province"]) & (deals.city == biggest["city"])]
    assert biggest["open_pipeline"] == _sum(in_city[in_city.state == "open"])
    whole = geo.map_points(demo, admin, {}, limit=len(placed) - 1)
    assert sum(p["count"] for p in whole["points"]) == len(placed) and len(whole["points"]) == len(cities)
    assert sum(p["won_revenue"] for p in whole["points"]) == _sum(deals[deals.state == "won"])


# ------------------------------------------------------------------------------------ the assets


@pytest.mark.parametrize("name", ["world_50m", "world_110m", "asia_50m", "asia_110m"])
def test_topojson_assets_exist_and_have_the_countries(name):
    data = json.loads((ROOT / "assets" / "topojson" / f"{name}.json").read_text(encoding="utf-8"))
    assert data["type"] == "Topology" and len(data["objects"]["countries"]["geometries"]) > 40
    assert {"coastlines", "land", "ocean"} <= set(data["objects"])


def test_error_keys_used_by_the_geo_service():
    """Keys this module raises; the catalog gets them with the geo pages (listed here so none is forgotten)."""
    used = {"geo.error.latitude_outside", "geo.error.longitude_outside", "geo.error.province_unknown",
            "geo.error.city_not_in_province", "geo.error.owner_inactive", "geo.error.territory_exists"}
    source = (ROOT / "kaktus_app" / "geo" / "service.py").read_text(encoding="utf-8")
    assert {key for key in used if f'"{key}"' in source} == used
    missing = sorted(key for key in used if key not in CATALOG)
    if missing:
        pytest.skip(f"not in the translation catalog yet: {', '.join(missing)}")


def test_open_tickets_on_the_map_and_in_province_totals(demo, admin):
    from kaktus_app.demo import load_helpdesk

    load_helpdesk(demo)
    demo.flush()
    conn = demo.connection()
    customers = pd.read_sql("SELECT id, province, latitude FROM customer", conn)
    tickets = pd.read_sql("SELECT company_id, status FROM ticket WHERE status IN ('new', 'in_progress', 'waiting')", conn)
    tickets = tickets.merge(customers, left_on="company_id", right_on="id")
    assert len(tickets) > 0
    totals = {t["province"]: t["open_tickets"] for t in geo.province_totals(demo, admin, {})}
    for province, group in tickets.groupby("province"):
        assert totals[province] == len(group)
    assert sum(totals.values()) == len(tickets)
    points = geo.ticket_points(demo, admin, {})
    assert sum(p["count"] for p in points) == len(tickets[tickets.latitude.notna()])
    assert {p["status"] for p in points} == set(tickets.status)
    # the province filter applies, and the map figure gets a layer per status
    jakarta = geo.ticket_points(demo, admin, {"province": "DKI Jakarta"})
    assert sum(p["count"] for p in jakarta) == len(tickets[tickets.province == "DKI Jakarta"])
    from kaktus_app.geo import charts

    figure, _ = charts.customer_map({"points": [], "total": 0}, [], [], color_by="segment", layers=["tickets"], lang="en", tickets=points)
    labels = {"new": "New", "in_progress": "In progress", "waiting": "Waiting on customer"}
    assert {trace["name"] for trace in figure["data"]} == {f"Open tickets: {labels[s]}" for s in {p["status"] for p in points}}


# ------------------------------------------------------------------- picking a point on the map


def test_the_picking_map_opens_on_the_typed_point_else_the_city_else_the_province_else_the_country():
    typed = geo.pick_start("-6,17540", "106.82720", "Bandung", "Jawa Barat")  # a comma decimal as typed
    assert (typed["lat"], typed["lon"], typed["pin"]) == (-6.1754, 106.8272, [-6.1754, 106.8272])
    city = geo.pick_start("", "", "Bandung", "Jawa Barat")
    assert city["pin"] is None and city["place"] == "Kota Bandung" and _km(city["lat"], city["lon"], -6.91, 107.61) < 5
    outside = geo.pick_start("48.85", "2.35", "Solo", "")  # Paris typed: not a start point in Indonesia
    assert outside["pin"] is None and outside["place"] == "Kota Surakarta"
    province = geo.pick_start("", "", "", "Bali")
    assert province["place"] == "Bali" and province["pin"] is None and province["zoom"] < city["zoom"]
    nothing = geo.pick_start("abc", "", "", "")
    assert nothing["zoom"] == 0 and nothing["pin"] is None
    whole = geo.pick_view_box(nothing["lat"], nothing["lon"], 0)
    assert whole["lon"][0] <= 95.3 and whole["lon"][1] >= 141.0 and whole["lat"][0] <= -10.9 and whole["lat"][1] >= 6


def test_each_zoom_level_halves_the_window_and_shows_the_places_inside_it():
    widths = [geo.pick_view_box(-6.2, 106.8, z)["lon"] for z in range(1, geo.PICK_MAX_ZOOM + 1)]
    spans = [east - west for west, east in widths]
    assert spans[0] == 24 and all(abs(a / b - 2) < 1e-9 for a, b in zip(spans, spans[1:], strict=False))
    box = geo.pick_view_box(-6.2, 106.85, 5)  # about 1.5 degrees: Jakarta and its neighbours
    names = [p["name"] for p in geo.places_in_view(box)]
    assert {"Kota Administrasi Jakarta Pusat", "Kota Depok", "Kota Tangerang"} <= set(names) and "Kota Bandung" not in names
    assert all(box["lat"][0] <= p["latitude"] <= box["lat"][1] and box["lon"][0] <= p["longitude"] <= box["lon"][1] for p in geo.places_in_view(box))
    assert len(geo.places_in_view(geo.pick_view_box(0, 118, 0), limit=60)) == 60


def test_a_picked_point_is_rounded_and_a_click_off_the_map_or_outside_indonesia_says_so():
    assert geo.picked_point([-6.175392123, 106.827153987]) == (-6.17539, 106.82715)
    assert geo.picked_point(["-8.65", "115.2167"]) == (-8.65, 115.2167)
    for bad, key in (([], "geo.error.pick_off_map"), (None, "geo.error.pick_off_map"), (["x", 1], "geo.error.pick_off_map"),
                     ([14.6, 121.0], "geo.error.pick_outside"), ([-33.87, 151.21], "geo.error.pick_outside")):
        with pytest.raises(ValidationError) as err:
            geo.picked_point(bad)
        assert err.value.errors == {"point": key}, bad
    assert CATALOG["geo.error.pick_outside"][1].startswith("Titik itu di luar Indonesia")


def test_the_picking_figure_draws_the_window_the_places_and_the_pin():
    from kaktus_app.geo import charts

    box = geo.pick_view_box(-6.2, 106.85, 5)
    places = geo.places_in_view(box)
    figure = charts.pick_map(box, [-6.2, 106.85], places, "id")
    layout = figure["layout"]
    assert layout["geo"]["lonaxis"]["range"] == box["lon"] and layout["geo"]["lataxis"]["range"] == box["lat"]
    assert layout["dragmode"] is False  # a click places the point, it never pans
    names, pin = figure["data"]
    assert names["text"] == [p["name"] for p in places] and names["name"] == "Kota dan kabupaten"
    assert pin["lat"] == [-6.2] and pin["lon"] == [106.85] and pin["hovertext"] == ["-6.20000, 106.85000"]
    assert len(charts.pick_map(box, None, places, "en")["data"]) == 1
