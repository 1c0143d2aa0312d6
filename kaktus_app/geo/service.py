"""The Indonesian gazetteer, geocoding of customers, sales territories and the map's aggregates.

The gazetteer (``gazetteer.csv``, ``provinces.csv``; see DATA.md) is read once per process. A
customer is placed at the seat of its kabupaten/kota ("gazetteer" coordinates) unless somebody set
its coordinates by hand ("manual"): those are never overwritten. The map gets small aggregates
computed in SQL, never a whole table: one point per customer up to a limit, one point per city
beyond it.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, case, func, or_, update
from sqlmodel import Session, select

from kaktus_app.auth import audit, permissions
from kaktus_app.auth.models import User
from kaktus_app.auth.service import Actor, user_names
from kaktus_app.customers.models import Customer
from kaktus_app.errors import NotFound, PermissionDenied, ValidationError
from kaktus_app.geo.models import Territory
from kaktus_app.i18n import to_money, utcnow
from kaktus_app.paging import COUNT_CAP, page_of
from kaktus_app.sales.models import Opportunity, Stage
from kaktus_app.validation import Errors, FieldError, prefix_upper_bound

DATA_DIR = Path(__file__).resolve().parent
# Indonesia's bounding box, roughly (Rote to Weh, Sabang to Merauke), for coordinates typed by hand.
LATITUDE_RANGE = (-11.0, 6.5)
LONGITUDE_RANGE = (94.0, 141.5)
MAX_SELECTED_IDS = 5000
GEOCODE_BATCH = 1000
UNPLACED_SAMPLE = 50
FUZZY_CUTOFF = 90

# ------------------------------------------------------------------------------------- gazetteer


@dataclass(frozen=True)
class Place:
    code: str
    name: str  # official: "Kota Bandung", "Kabupaten Bogor", "Kota Administrasi Jakarta Pusat"
    city: str  # plain: "Bandung", "Bogor", "Jakarta Pusat"
    kind: str  # "kota" | "kabupaten"
    province: str
    latitude: float
    longitude: float
    capital: str
    aliases: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "name": self.name, "city": self.city, "province": self.province, "latitude": self.latitude,
            "longitude": self.longitude, "kind": self.kind, "code": self.code,
        }


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    capital: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]


# Dutch-era spellings people still type (Djakarta, Tjirebon, Soerabaja), folded on both sides.
_OLD_SPELLINGS = (("dj", "j"), ("tj", "c"), ("oe", "u"), ("sumatra", "sumatera"))
# (words, kind) — what may stand before a region's name; the longest first.
_PREFIXES = (
    (("kota", "administrasi"), "kota"), (("kota", "adm"), "kota"), (("kota", "madya"), "kota"),
    (("kabupaten", "administrasi"), "kabupaten"), (("kab", "administrasi"), "kabupaten"), (("kab", "adm"), "kabupaten"),
    (("kotamadya",), "kota"), (("kotamadia",), "kota"), (("kodya",), "kota"), (("kota",), "kota"),
    (("kabupaten",), "kabupaten"), (("kabupaen",), "kabupaten"), (("kab",), "kabupaten"),
)
_PROVINCE_PREFIXES = ("provinsi", "propinsi", "prov", "province")
# ranks of a match: the official name, the plain name, an alias people use, the region's seat
_RANK_NAME, _RANK_PLAIN, _RANK_ALIAS, _RANK_CAPITAL = 0, 1, 2, 3


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text).split()


def _squash(words) -> str:
    """One comparable key: no spaces or punctuation ("Palangka Raya" = "Palangkaraya"), old spellings folded."""
    key = "".join(words)
    for old, new in _OLD_SPELLINGS:
        key = key.replace(old, new)
    return key


def _strip_prefix(words: list[str]) -> tuple[str, list[str]]:
    for prefix, kind in _PREFIXES:
        if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
            return kind, words[len(prefix):]
    return "", words


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


class _Gazetteer:
    """The places, the provinces and the lookup keys; built once (see :func:`_gazetteer`)."""

    def __init__(self) -> None:
        self.places = [
            Place(
                code=row["code"], name=row["name"], city=row["city"], kind=row["kind"], province=row["province"],
                latitude=float(row["latitude"]), longitude=float(row["longitude"]), capital=row["capital"],
                aliases=tuple(a for a in row["aliases"].split("|") if a),
            )
            for row in _read_csv(DATA_DIR / "gazetteer.csv")
        ]
        self.provinces: dict[str, Province] = {}
        self.province_keys: dict[str, str] = {}
        for row in _read_csv(DATA_DIR / "provinces.csv"):
            province = Province(
                code=row["code"], name=row["province"], capital=row["capital"], latitude=float(row["latitude"]),
                longitude=float(row["longitude"]), aliases=tuple(a for a in row["aliases"].split("|") if a),
            )
            self.provinces[province.name] = province
            for text in (province.name, *province.aliases):
                self.province_keys.setdefault(_province_key(text), province.name)
        self.keys: dict[str, list[tuple[int, Place]]] = {}
        for place in self.places:
            names = [place.name]
            kind, rest = _strip_prefix(_words(place.name))
            names.append(f"{kind} {' '.join(rest)}")  # "Kota Jakarta Pusat" for "Kota Administrasi Jakarta Pusat"
            for text in names:
                self._add(_squash(_words(text)), _RANK_NAME, place)
            self._add(_squash(_words(place.city)), _RANK_PLAIN, place)
            for alias in place.aliases:
                self._add(_squash(_words(alias)), _RANK_ALIAS, place)
            if place.capital:
                self._add(_squash(_words(place.capital)), _RANK_CAPITAL, place)
        self.key_list = list(self.keys)

    def _add(self, key: str, rank: int, place: Place) -> None:
        entries = self.keys.setdefault(key, [])
        if all(existing is not place for _, existing in entries):
            entries.append((rank, place))


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def _province_key(text: str) -> str:
    words = _words(text)
    while words and words[0] in _PROVINCE_PREFIXES and len(words) > 1:
        words = words[1:]
    return _squash(words)


def normalise_province(text: str | None) -> str:
    """The province as the app writes it ("jabar" → "Jawa Barat", "DKI" → "DKI Jakarta"); unknown text
    comes back trimmed (never lost), "" stays ""."""
    clean = " ".join(str(text or "").split())
    if not clean:
        return ""
    return _gazetteer().province_keys.get(_province_key(clean), clean)


def is_province(name: str) -> bool:
    return name in _gazetteer().provinces


def provinces() -> list[dict]:
    """The 38 provinces (for pickers and the map)."""
    return [
        {"code": p.code, "province": p.name, "capital": p.capital, "latitude": p.latitude, "longitude": p.longitude}
        for p in sorted(_gazetteer().provinces.values(), key=lambda p: p.name)
    ]


def cities(province: str = "") -> list[dict]:
    """The kabupaten/kota of one province (all of them without a province), by name."""
    wanted = normalise_province(province)
    return [p.as_dict() for p in sorted(_gazetteer().places, key=lambda p: (p.province, p.city, p.kind)) if not wanted or p.province == wanted]


def province_centroid(province: str) -> dict | None:
    """{province, latitude, longitude} of a province's centre point, or None for an unknown province."""
    found = _gazetteer().provinces.get(normalise_province(province))
    if found is None:
        return None
    return {"province": found.name, "latitude": found.latitude, "longitude": found.longitude}


def lookup(city: str, province: str = "") -> dict | None:
    """The kabupaten/kota a typed city names: {name, city, province, latitude, longitude, kind, code}, else None.

    Tolerant of case, punctuation, spaces ("Pangkal Pinang"), the "Kota"/"Kabupaten"/"Kab."/"Kota Adm."
    prefixes, old spellings ("Djakarta"), aliases ("Solo", "Jaksel"), the region's seat ("Cibinong"),
    a ", Province" or postal code typed after the name, and small typos. The province picks between
    namesakes; without it a bare name is the kota ("Bandung" is Kota Bandung, "Kab. Bandung" the
    kabupaten). A province alone is no city: use :func:`province_centroid`.
    """
    place = _resolve(str(city or "").strip(), normalise_province(province))
    return place.as_dict() if place is not None else None


@lru_cache(maxsize=50_000)
def _resolve(city: str, province: str) -> Place | None:
    gazetteer = _gazetteer()
    if "," in city:
        city, _, rest = city.partition(",")
        province = province or normalise_province(rest)
    if not is_province(province):
        province = ""
    words = [w for w in _words(city) if not w.isdigit()]
    if not words:
        return None
    hint, rest = _strip_prefix(words)
    full, plain = _squash(words), _squash(rest)
    candidates = gazetteer.keys.get(full, []) + gazetteer.keys.get(plain, [])
    if not candidates and len(plain) >= 5:
        match = process.extractOne(plain, gazetteer.key_list, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if match is not None:
            candidates = gazetteer.keys[match[0]]
    return _choose(candidates, province, hint)


def _choose(candidates: list[tuple[int, Place]], province: str, hint: str) -> Place | None:
    if not candidates:
        return None
    if province:
        candidates = [c for c in candidates if c[1].province == province] or candidates
    if hint:
        candidates = [c for c in candidates if c[1].kind == hint] or candidates
    best = min(rank for rank, _ in candidates)
    places = {place.code: place for rank, place in candidates if rank == best}
    if len(places) > 1:
        kota = {code: place for code, place in places.items() if place.kind == "kota"}
        places = kota or places
    if len({place.province for place in places.values()}) > 1:
        return None  # namesakes in several provinces and nothing to tell them apart
    return min(places.values(), key=lambda p: p.code)


# ------------------------------------------------------------------------------------- geocoding


def placement(city: str, province: str, latitude, longitude, geo_source: str) -> dict | None:
    """What geocoding changes on one customer (None: nothing). Shared by the single and the bulk path."""
    if geo_source == "manual":
        return None
    if latitude is not None and longitude is not None and geo_source != "gazetteer":
        return None  # typed or imported coordinates of unknown origin are kept like manual ones
    place = lookup(city, province) if (city or "").strip() else None
    if place is None:
        if geo_source == "gazetteer":  # the city changed to one we cannot place: the old point is wrong now
            return {"latitude": None, "longitude": None, "geo_source": ""}
        return None
    change = {"latitude": place["latitude"], "longitude": place["longitude"], "geo_source": "gazetteer"}
    if not (province or "").strip():
        change["province"] = place["province"]
    return change


def geocode_customer(customer: Customer) -> bool:
    """Place the customer at its city's seat unless its coordinates are manual; True when placed.

    Fills an empty province from the gazetteer. Coordinates set by hand (``geo_source`` "manual", or
    coordinates whose origin is unknown) are never overwritten; gazetteer coordinates of a city that
    no longer resolves are cleared. Does not flush: the caller's transaction saves it.
    """
    change = placement(customer.city, customer.province, customer.latitude, customer.longitude, customer.geo_source)
    if change is not None:
        for key, value in change.items():
            setattr(customer, key, value)
    return customer.geo_source == "gazetteer" and customer.latitude is not None and customer.longitude is not None


def _parse_coordinate(value, low: float, high: float, error_key: str) -> float:
    text = str(value if value is not None else "").strip().replace(",", ".")
    if not text:
        raise FieldError("error.required")
    try:
        number = float(text)
    except ValueError as exc:
        raise FieldError("error.number_invalid") from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise FieldError(error_key, min=_format_degree(low), max=_format_degree(high))
    return number


def _format_degree(value: float) -> str:
    return f"{value:g}"


def _visible_customer(session: Session, actor: Actor, customer_id, action: str) -> Customer:
    permissions.require(session, actor, "customers", action)
    customer = session.get(Customer, int(customer_id)) if str(customer_id or "").isdigit() else None
    if customer is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", customer.owner_id)
    return customer


# ------------------------------------------------------------------------- picking on the map

PICK_MAX_ZOOM = 8  # a view about 10 km wide
PICK_CITY_ZOOM = 5


def pick_view_box(lat: float, lon: float, zoom: int) -> dict:
    """The picking map's window around (lat, lon): {"lat": [south, north], "lon": [west, east]}.
    Zoom 0 is the whole country; each level halves the window (level 1: 24 degrees wide)."""
    if zoom <= 0:
        return {"lat": [LATITUDE_RANGE[0] - 0.5, LATITUDE_RANGE[1] + 0.5], "lon": list(LONGITUDE_RANGE)}
    half_lon = 12.0 / 2 ** (zoom - 1)
    half_lat = half_lon * 0.55
    return {"lat": [round(lat - half_lat, 5), round(lat + half_lat, 5)], "lon": [round(lon - half_lon, 5), round(lon + half_lon, 5)]}


def _in_indonesia(lat: float | None, lon: float | None) -> bool:
    return (
        lat is not None and lon is not None and LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
        and LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
    )


def _number(value) -> float | None:
    try:
        number = float(str(value if value is not None else "").strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def pick_start(lat, lon, city: str = "", province: str = "") -> dict:
    """Where the picking map opens for a customer form's typed values:
    {lat, lon (the view's centre), zoom, pin: [lat, lon] or None, place: the city it opened on or ""}.
    Valid typed coordinates: on them, pinned. Else the typed city's seat, else the province's centre
    (no pin: nothing is chosen yet). Else the whole country."""
    typed_lat, typed_lon = _number(lat), _number(lon)
    if _in_indonesia(typed_lat, typed_lon):
        return {"lat": typed_lat, "lon": typed_lon, "zoom": PICK_CITY_ZOOM + 1, "pin": [typed_lat, typed_lon], "place": ""}
    found = lookup(city, province) if str(city or "").strip() else None
    if found is not None:
        return {"lat": found["latitude"], "lon": found["longitude"], "zoom": PICK_CITY_ZOOM, "pin": None, "place": found["name"]}
    centre = province_centroid(province) if str(province or "").strip() else None
    if centre is not None:
        return {"lat": centre["latitude"], "lon": centre["longitude"], "zoom": 3, "pin": None, "place": centre["province"]}
    middle_lat, middle_lon = (sum(LATITUDE_RANGE) / 2, sum(LONGITUDE_RANGE) / 2)
    return {"lat": middle_lat, "lon": middle_lon, "zoom": 0, "pin": None, "place": ""}


def picked_point(point) -> tuple[float, float]:
    """The (latitude, longitude) of a click on the picking map, rounded to 5 decimals (about a
    metre). ``point`` is [lat, lon] as the browser computed it (empty: the click was off the map).
    Outside Indonesia, or not a point: ValidationError on "point"."""
    values = list(point) if isinstance(point, list | tuple) else []
    lat, lon = (_number(values[0]), _number(values[1])) if len(values) == 2 else (None, None)
    if lat is None or lon is None:
        raise ValidationError({"point": "geo.error.pick_off_map"})
    if not _in_indonesia(lat, lon):
        raise ValidationError({"point": "geo.error.pick_outside"})
    return round(lat, 5), round(lon, 5)


def places_in_view(box: dict, limit: int = 60) -> list[dict]:
    """The gazetteer's kabupaten/kota seats inside a picking-map window, for orientation:
    [{name, latitude, longitude}], the kota first, at most ``limit``."""
    (south, north), (west, east) = box["lat"], box["lon"]
    inside = [
        p for p in _gazetteer().places
        if south <= p.latitude <= north and west <= p.longitude <= east
    ]
    inside.sort(key=lambda p: (p.kind != "kota", p.code))
    return [{"name": p.name, "latitude": p.latitude, "longitude": p.longitude} for p in inside[:limit]]


def set_manual_coordinates(session: Session, actor: Actor, customer_id: int, lat, lon) -> Customer:
    """Coordinates typed or picked on the map: inside Indonesia, marked "manual" (never re-geocoded)."""
    customer = _visible_customer(session, actor, customer_id, "update")
    errors = Errors()
    latitude = errors.check("latitude", _parse_coordinate, lat, *LATITUDE_RANGE, "geo.error.latitude_outside")
    longitude = errors.check("longitude", _parse_coordinate, lon, *LONGITUDE_RANGE, "geo.error.longitude_outside")
    errors.raise_if_any()
    customer.latitude, customer.longitude, customer.geo_source = latitude, longitude, "manual"
    customer.updated_at = utcnow()
    session.add(customer)
    session.flush()
    return customer


def reset_coordinates(session: Session, actor: Actor, customer_id: int) -> Customer:
    """Forget manual coordinates and place the customer at its city again (or nowhere)."""
    customer = _visible_customer(session, actor, customer_id, "update")
    customer.latitude, customer.longitude, customer.geo_source = None, None, ""
    geocode_customer(customer)
    customer.updated_at = utcnow()
    session.add(customer)
    session.flush()
    return customer


def _require_manager(session: Session, actor: Actor) -> None:
    permissions.require(session, actor, "customers", "update")
    if not actor.is_manager:
        raise PermissionDenied()


def geocode_all(session: Session, actor: Actor, only_missing: bool = True, batch_size: int = GEOCODE_BATCH) -> dict:
    """Place every customer without coordinates (``only_missing=False``: also refresh gazetteer points).

    Walks the table in id order, ``batch_size`` rows at a time, reading only the columns it needs and
    writing the changes with one executemany UPDATE per batch, so a million customers never sit in
    memory. One audit entry records the run (not one per customer). Manual coordinates are untouched.
    Returns {placed, unplaced, no_address, unplaced_sample: [{id, name, city, province}, ...≤50]}.
    """
    _require_manager(session, actor)
    session.flush()
    table = Customer.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(latitude=bindparam("_latitude"), longitude=bindparam("_longitude"), geo_source=bindparam("_geo_source"),
                province=bindparam("_province"))
    )
    missing = or_(Customer.latitude.is_(None), Customer.longitude.is_(None))
    report = {"placed": 0, "unplaced": 0, "no_address": 0, "unplaced_sample": []}
    last_id = 0
    while True:
        query = select(Customer.id, Customer.name, Customer.city, Customer.province, Customer.latitude, Customer.longitude, Customer.geo_source)
        query = query.where(Customer.id > last_id, Customer.geo_source != "manual")
        query = query.where(missing if only_missing else or_(missing, Customer.geo_source == "gazetteer"))
        batch = session.exec(query.order_by(Customer.id).limit(batch_size)).all()
        if not batch:
            break
        last_id = batch[-1][0]
        changes = []
        for customer_id, name, city, province, latitude, longitude, geo_source in batch:
            change = placement(city, province, latitude, longitude, geo_source)
            if change is not None:
                row = {"latitude": latitude, "longitude": longitude, "geo_source": geo_source, "province": province, **change}
                changes.append({f"_{key}": value for key, value in row.items()} | {"_id": customer_id})
                if row["geo_source"] == "gazetteer":
                    report["placed"] += 1
                    continue
            if not (city or "").strip() and not (province or "").strip():
                report["no_address"] += 1
            else:
                report["unplaced"] += 1
                if len(report["unplaced_sample"]) < UNPLACED_SAMPLE:
                    report["unplaced_sample"].append({"id": customer_id, "name": name, "city": city, "province": province})
        if changes:
            session.connection().execute(statement, changes)
            _expire_customers(session, {row["_id"] for row in changes})
    if report["placed"]:
        audit.record(session, actor, "update", "customers", label="geocode", detail=f"placed {report['placed']} customers from the gazetteer")
    return report


def _expire_customers(session: Session, ids: set[int]) -> None:
    """Customers loaded in this session reload the coordinates the bulk UPDATE wrote."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in ids:
            session.expire(obj)


def unplaced_customers(session: Session, actor: Actor, page: int = 1, per_page: int = 25) -> dict:
    """Customers with an address (city or province) but no coordinates: what could not be placed."""
    permissions.require(session, actor, "customers", "read")

    def filtered(query):
        query = query.where(
            or_(Customer.latitude.is_(None), Customer.longitude.is_(None)), or_(Customer.city != "", Customer.province != "")
        )
        clause = permissions.owner_clause(Customer.owner_id, permissions.visible_owner_ids(session, actor, "customers"))
        return query.where(clause) if clause is not None else query

    at = page_of(session, filtered(select(Customer.id)), page, per_page, COUNT_CAP)
    rows = session.exec(
        filtered(select(Customer.id, Customer.name, Customer.city, Customer.province, Customer.owner_id))
        .order_by(Customer.city, Customer.name_norm, Customer.id).offset(at.offset).limit(at.size)
    ).all()
    names = user_names(session, [r[4] for r in rows])
    return at.result([{"id": r[0], "name": r[1], "city": r[2], "province": r[3], "owner": names.get(r[4], "")} for r in rows])


# ----------------------------------------------------------------------------------- territories


def list_territories(session: Session) -> list[dict]:
    rows = session.exec(
        select(Territory, User.full_name, User.is_active).join(User, User.id == Territory.owner_id).order_by(Territory.province, Territory.city)
    ).all()
    return [
        {"id": t.id, "province": t.province, "city": t.city, "owner_id": t.owner_id, "owner": name, "owner_active": active}
        for t, name, active in rows
    ]


def save_territory(
    session: Session, actor: Actor, province: str, city: str, owner_id, territory_id: int | None = None
) -> Territory:
    """Add or change a rule "customers of this province (or city) belong to this salesperson".

    The city is stored under its official gazetteer name ("Kota Bandung"), so "Bandung" and "Kab.
    Bandung" are two different territories. One rule per (province, city).
    """
    _require_manager(session, actor)
    errors = Errors()
    canonical = normalise_province(province)
    if not canonical:
        errors.add("province", "error.required")
    elif not is_province(canonical):
        errors.add("province", "geo.error.province_unknown")
    city_name = ""
    if (city or "").strip() and is_province(canonical):
        place = lookup(city, canonical)
        if place is None or place["province"] != canonical:
            errors.add("city", "geo.error.city_not_in_province")
        else:
            city_name = place["name"]
    raw_owner = str(owner_id if owner_id is not None else "").strip()
    owner = session.get(User, int(raw_owner)) if raw_owner.isdigit() else None
    if not raw_owner:
        errors.add("owner_id", "error.required")
    elif owner is None:
        errors.add("owner_id", "error.user_unknown")
    elif not owner.is_active:
        errors.add("owner_id", "geo.error.owner_inactive")
    errors.raise_if_any()
    territory = session.get(Territory, int(territory_id)) if territory_id else None
    if territory_id and territory is None:
        raise NotFound()
    clash = session.exec(select(Territory.id).where(Territory.province == canonical, Territory.city == city_name)).first()
    if clash is not None and (territory is None or clash != territory.id):
        raise ValidationError({"city" if city_name else "province": "geo.error.territory_exists"})
    territory = territory or Territory(province=canonical, city=city_name, owner_id=owner.id)
    territory.province, territory.city, territory.owner_id = canonical, city_name, owner.id
    session.add(territory)
    session.flush()
    return territory


def delete_territory(session: Session, actor: Actor, territory_id: int) -> None:
    _require_manager(session, actor)
    territory = session.get(Territory, int(territory_id))
    if territory is None:
        raise NotFound()
    session.delete(territory)
    session.flush()


def territory_owner(session: Session, city: str, province: str) -> int | None:
    """The active salesperson whose territory covers this address: a city rule beats its province's rule."""
    place = lookup(city, province) if (city or "").strip() else None
    where = place["province"] if place else normalise_province(province)
    if not is_province(where):
        return None
    cities_ = [place["name"], ""] if place else [""]
    rules = dict(
        session.exec(
            select(Territory.city, Territory.owner_id)
            .join(User, User.id == Territory.owner_id)
            .where(Territory.province == where, Territory.city.in_(cities_), User.is_active == True)  # noqa: E712
        ).all()
    )
    for name in cities_:
        if name in rules:
            return rules[name]
    return None


def assign_owner(session: Session, customer: Customer) -> None:
    """Give the customer the owner of its territory when a rule matches (else leave the owner as it is)."""
    owner_id = territory_owner(session, customer.city, customer.province)
    if owner_id is not None:
        customer.owner_id = owner_id


# -------------------------------------------------------------------------------------- the map


def _with_filters(query, session: Session, actor: Actor, filters: dict | None):
    """The actor's visible customers narrowed by the map's filters (province, city, owner_id, segment)."""
    filters = filters or {}
    clause = permissions.owner_clause(Customer.owner_id, permissions.visible_owner_ids(session, actor, "customers"))
    if clause is not None:
        query = query.where(clause)
    province = normalise_province(filters.get("province"))
    if province:
        query = query.where(Customer.province == province)
    city = str(filters.get("city") or "").strip()
    if city:
        query = query.where(Customer.city >= city, Customer.city < prefix_upper_bound(city))
    owner = filters.get("owner_id")
    if owner == "me":
        owner = actor.id
    if str(owner or "").strip().isdigit():
        query = query.where(Customer.owner_id == int(owner))
    segment = str(filters.get("segment") or "").strip()
    if segment:
        query = query.where(Customer.segment == segment)
    return query


def _opportunity_clause(session: Session, actor: Actor):
    """Sums include only the opportunities the actor may see (their sharing can be narrower than customers')."""
    return permissions.owner_clause(Opportunity.owner_id, permissions.visible_owner_ids(session, actor, "opportunities"))


def _money(value) -> Decimal:
    return to_money(value or 0)


def _placed():
    return (Customer.latitude.is_not(None), Customer.longitude.is_not(None))


def _state_sum(state: str):
    return func.coalesce(func.sum(case((Opportunity.state == state, Opportunity.expected_revenue), else_=0)), 0)


def _revenue_by_place(session: Session, actor: Actor, filters: dict | None, *where) -> dict[tuple[str, str], tuple]:
    """(province, city) → (open pipeline, won revenue) of the visible opportunities of the filtered customers."""
    query = (
        select(Customer.province, Customer.city, _state_sum("open"), _state_sum("won"))
        .select_from(Opportunity)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(Opportunity.state.in_(("open", "won")), *where)
    )
    clause = _opportunity_clause(session, actor)
    if clause is not None:
        query = query.where(clause)
    query = _with_filters(query, session, actor, filters).group_by(Customer.province, Customer.city)
    return {(p or "", c or ""): (_money(o), _money(w)) for p, c, o, w in session.exec(query)}


def map_points(session: Session, actor: Actor, filters: dict | None = None, limit: int = 5000) -> dict:
    """The customers to draw: one point each up to ``limit``, else one point per city (``clustered``).

    {points: [{id, name, lat, lon, segment, city, province, owner, open_pipeline, won_revenue}], total,
    truncated, clustered}; a clustered point has id None, ``count`` and ``clustered: True``.
    """
    permissions.require(session, actor, "customers", "read")
    limit = max(1, int(limit))
    # Count no further than limit + 1 (a million rows are counted once, by the per-city GROUP BY).
    matching = _with_filters(select(Customer.id).where(*_placed()), session, actor, filters).limit(limit + 1).subquery()
    total = session.exec(select(func.count()).select_from(matching)).one()
    if total > limit:
        points, total = _city_points(session, actor, filters, limit)
        return {"points": points, "total": total, "truncated": True, "clustered": True}
    clause = _opportunity_clause(session, actor)

    def revenue(state: str):
        sub = select(func.coalesce(func.sum(Opportunity.expected_revenue), 0)).where(
            Opportunity.customer_id == Customer.id, Opportunity.state == state
        )
        if clause is not None:
            sub = sub.where(clause)
        return sub.scalar_subquery()

    query = select(
        Customer.id, Customer.name, Customer.latitude, Customer.longitude, Customer.segment, Customer.city, Customer.province,
        Customer.owner_id, revenue("open"), revenue("won"),
    ).where(*_placed())
    rows = session.exec(_with_filters(query, session, actor, filters).order_by(Customer.id).limit(limit)).all()
    names = user_names(session, [r[7] for r in rows])
    points = [
        {
            "id": r[0], "name": r[1], "lat": r[2], "lon": r[3], "segment": r[4], "city": r[5], "province": r[6],
            "owner": names.get(r[7], ""), "open_pipeline": _money(r[8]), "won_revenue": _money(r[9]),
        }
        for r in rows
    ]
    return {"points": points, "total": total, "truncated": False, "clustered": False}


def _city_points(session: Session, actor: Actor, filters: dict | None, limit: int) -> tuple[list[dict], int]:
    """One point per (province, city), the biggest ``limit`` of them, and the number of customers placed."""
    query = select(
        Customer.province, Customer.city, func.count(Customer.id), func.avg(Customer.latitude), func.avg(Customer.longitude)
    ).where(*_placed())
    query = _with_filters(query, session, actor, filters).group_by(Customer.province, Customer.city)
    groups = session.exec(query).all()
    total = sum(g[2] for g in groups)
    groups = sorted(groups, key=lambda g: (-g[2], g[0] or "", g[1] or ""))[:limit]
    revenue = _revenue_by_place(session, actor, filters, *_placed())
    points = []
    for province, city, count, lat, lon in groups:
        open_pipeline, won = revenue.get((province or "", city or ""), (_money(0), _money(0)))
        points.append(
            {
                "id": None, "name": city or province or "", "lat": float(lat), "lon": float(lon), "segment": "", "city": city or "",
                "province": province or "", "owner": "", "open_pipeline": open_pipeline, "won_revenue": won, "count": count,
                "clustered": True,
            }
        )
    return points, total


def _province_of(province: str, city: str) -> str:
    """The known province of a customer's address: its province field, else its city's province, else ""."""
    canonical = normalise_province(province)
    if is_province(canonical):
        return canonical
    place = lookup(city) if (city or "").strip() else None
    return place["province"] if place else ""


def province_totals(session: Session, actor: Actor, filters: dict | None = None) -> list[dict]:
    """Per province: {province, lat, lon (its centre), customers, open_pipeline, won_revenue, open_tickets}.

    Grouped in SQL by the typed (province, city), then folded onto the 38 provinces in Python (a
    customer whose province is empty or spelt "Jabar" still counts for Jawa Barat). Customers whose
    province cannot be told are one row with province "" and no coordinates.
    """
    permissions.require(session, actor, "customers", "read")
    counts = session.exec(
        _with_filters(select(Customer.province, Customer.city, func.count(Customer.id)), session, actor, filters).group_by(
            Customer.province, Customer.city
        )
    ).all()
    totals: dict[str, dict] = {}

    def row(province: str) -> dict:
        if province not in totals:
            centre = province_centroid(province) if province else None
            totals[province] = {
                "province": province, "lat": centre["latitude"] if centre else None, "lon": centre["longitude"] if centre else None,
                "customers": 0, "open_pipeline": _money(0), "won_revenue": _money(0),
                "open_tickets": 0,
            }
        return totals[province]

    for province, city, count in counts:
        row(_province_of(province or "", city or ""))["customers"] += count
    for (province, city), (open_pipeline, won) in _revenue_by_place(session, actor, filters).items():
        target = row(_province_of(province, city))
        target["open_pipeline"] += open_pipeline
        target["won_revenue"] += won
    for province, city, _status, count, _lat, _lon in _ticket_groups(session, actor, filters, placed_only=False):
        row(_province_of(province or "", city or ""))["open_tickets"] += count
    return sorted(totals.values(), key=lambda t: (t["province"] == "", -t["customers"], t["province"]))


def _ticket_groups(session: Session, actor: Actor, filters: dict | None, *, placed_only: bool = True) -> list:
    """Open tickets the actor may see, counted per (province, city, status) of their customer company."""
    from kaktus_app.helpdesk.models import OPEN_STATUSES, Ticket

    if not permissions.can(session, actor, "tickets", "read"):
        return []
    query = (
        select(Customer.province, Customer.city, Ticket.status, func.count(Ticket.id), func.avg(Customer.latitude), func.avg(Customer.longitude))
        .select_from(Ticket)
        .join(Customer, Customer.id == Ticket.company_id)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.merged_into_id.is_(None), *(_placed() if placed_only else ()))
    )
    clause = permissions.owner_clause(Ticket.assignee_id, permissions.visible_owner_ids(session, actor, "tickets"))
    if clause is not None:
        query = query.where(clause)
    return session.exec(_with_filters(query, session, actor, filters).group_by(Customer.province, Customer.city, Ticket.status)).all()


def ticket_points(session: Session, actor: Actor, filters: dict | None = None) -> list[dict]:
    """Open tickets by status at their customers' places, one point per city × status:
    [{province, city, lat, lon, status, count}] (empty for a user who may not read tickets)."""
    from kaktus_app.helpdesk.models import OPEN_STATUSES

    order = {status: i for i, status in enumerate(OPEN_STATUSES)}
    points = [
        {"province": province or "", "city": city or "", "lat": float(lat), "lon": float(lon), "status": status, "count": count}
        for province, city, status, count, lat, lon in _ticket_groups(session, actor, filters)
    ]
    return sorted(points, key=lambda p: (p["province"], p["city"], order.get(p["status"], 9)))


def opportunity_points(session: Session, actor: Actor, filters: dict | None = None, limit: int = 5000) -> list[dict]:
    """Open opportunities by stage at their customers' coordinates, one point per city × stage:
    [{province, city, lat, lon, stage_id, stage, sequence, count, open_pipeline}]."""
    permissions.require(session, actor, "customers", "read")
    permissions.require(session, actor, "opportunities", "read")
    query = (
        select(
            Customer.province, Customer.city, Opportunity.stage_id, func.count(Opportunity.id), func.sum(Opportunity.expected_revenue),
            func.avg(Customer.latitude), func.avg(Customer.longitude),
        )
        .select_from(Opportunity)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(Opportunity.state == "open", *_placed())
    )
    clause = _opportunity_clause(session, actor)
    if clause is not None:
        query = query.where(clause)
    query = _with_filters(query, session, actor, filters).group_by(Customer.province, Customer.city, Opportunity.stage_id)
    groups = session.exec(query).all()
    stages = {s.id: s for s in session.exec(select(Stage).where(Stage.id.in_(sorted({g[2] for g in groups}))))} if groups else {}
    points = [
        {
            "province": province or "", "city": city or "", "lat": float(lat), "lon": float(lon), "stage_id": stage_id,
            "stage": stages[stage_id].name if stage_id in stages else "", "sequence": stages[stage_id].sequence if stage_id in stages else 0,
            "count": count, "open_pipeline": _money(amount),
        }
        for province, city, stage_id, count, amount, lat, lon in groups
    ]
    points.sort(key=lambda p: (-p["count"], p["province"], p["city"], p["sequence"]))
    return sorted(points[: max(1, int(limit))], key=lambda p: (p["province"], p["city"], p["sequence"]))


def _customer_rows(session: Session, actor: Actor, filtered, page: int, per_page: int) -> dict:
    at = page_of(session, filtered(select(Customer.id)), page, per_page, COUNT_CAP)
    rows = session.exec(
        filtered(
            select(Customer.id, Customer.name, Customer.city, Customer.province, Customer.segment, Customer.owner_id,
                   Customer.latitude, Customer.longitude)
        ).order_by(Customer.name_norm, Customer.id).offset(at.offset).limit(at.size)
    ).all()
    names = user_names(session, [r[5] for r in rows])
    return at.result(
        [
            {"id": r[0], "name": r[1], "city": r[2], "province": r[3], "segment": r[4], "owner": names.get(r[5], ""), "lat": r[6], "lon": r[7]}
            for r in rows
        ]
    )


def _degrees(value, field: str) -> float:
    try:
        number = float(str(value).replace(",", "."))
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: "error.number_invalid"}) from exc
    if not math.isfinite(number):
        raise ValidationError({field: "error.number_invalid"})
    return number


def customers_in_box(
    session: Session, actor: Actor, lat_min, lat_max, lon_min, lon_max, filters: dict | None = None, page: int = 1, per_page: int = 25
) -> dict:
    """The visible customers placed inside a box (the map's box selection), a page at a time: {rows, total, ...}."""
    permissions.require(session, actor, "customers", "read")
    south, north = sorted((_degrees(lat_min, "lat_min"), _degrees(lat_max, "lat_max")))
    west, east = sorted((_degrees(lon_min, "lon_min"), _degrees(lon_max, "lon_max")))

    def filtered(query):
        query = query.where(Customer.latitude.between(south, north), Customer.longitude.between(west, east))
        return _with_filters(query, session, actor, filters)

    return _customer_rows(session, actor, filtered, page, per_page)


def customers_by_ids(session: Session, actor: Actor, ids: list[int], page: int = 1, per_page: int = 25) -> dict:
    """The visible customers among the ids a lasso selected (at most 5,000 ids are taken), a page at a time."""
    permissions.require(session, actor, "customers", "read")
    wanted: list[int] = []
    seen: set[int] = set()
    for raw in ids or []:
        text = str(raw).strip()
        if text.isdigit() and int(text) not in seen:
            seen.add(int(text))
            wanted.append(int(text))
    capped = len(wanted) > MAX_SELECTED_IDS
    wanted = wanted[:MAX_SELECTED_IDS]
    if not wanted:
        return {"rows": [], "total": 0, "total_capped": False, "page": 1, "pages": 1, "ids_capped": False}

    def filtered(query):
        return _with_filters(query.where(Customer.id.in_(wanted)), session, actor, None)

    return _customer_rows(session, actor, filtered, page, per_page) | {"ids_capped": capped}
