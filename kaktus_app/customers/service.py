"""Companies and contacts: validation, duplicates, the paginated list, saved filters."""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

from rapidfuzz import fuzz
from sqlalchemy import bindparam, false, or_, text, union_all
from sqlmodel import Session, select

from kaktus_app.activities import service as activities
from kaktus_app.auth import audit, permissions
from kaktus_app.auth.service import Actor, check_owner, user_names
from kaktus_app.customers.models import CUSTOMER_KINDS, SEGMENTS, Customer, SavedFilter
from kaktus_app.errors import NotFound, PermissionDenied, ValidationError
from kaktus_app.geo import service as geo
from kaktus_app.i18n import format_date, format_datetime, utcnow
from kaktus_app.paging import COUNT_CAP, Page, PreparedList, batches, list_order, param_clauses
from kaktus_app.prepared import NamesById, Prepared
from kaktus_app.search import text as word_search
from kaktus_app.validation import (
    Errors,
    FieldError,
    clean_text,
    format_phone,
    normalise_name,
    parse_email,
    parse_phone,
    parse_tags,
    phone_search_prefix,
    prefix_upper_bound,
    tags_from_db,
    tags_to_db,
)

SORTS = {
    "name": Customer.name_norm,
    "kind": Customer.kind,
    "segment": Customer.segment,
    "city": Customer.city,
    "email": Customer.email,
    "phone": Customer.phone,
    "owner": Customer.owner_id,
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
}
TEXT_FIELDS = {
    "industry": 80, "street": 250, "city": 80, "province": 80, "department": 80, "person_in_charge": 120,
    "job_title": 80, "website": 200,
}
LONG_TEXT = ("notes", "profile_needs", "profile_preferences", "profile_history")


def _parse_npwp(value) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    if not digits:
        return ""
    if len(digits) == 15:
        return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}.{digits[8]}-{digits[9:12]}.{digits[12:]}"
    if len(digits) == 16:
        return digits
    raise FieldError("customers.error.npwp")


def _parse_postal(value) -> str:
    text = str(value or "").strip()
    if text and not re.fullmatch(r"\d{5}", text):
        raise FieldError("customers.error.postal_code")
    return text


def _parse_coordinate(value, limit: float) -> float | None:
    text = str(value if value is not None else "").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError as exc:
        raise FieldError("error.number_invalid") from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise FieldError("customers.error.coordinate")
    return number


def _validate(session: Session, actor: Actor, data: dict, current: Customer | None) -> dict:
    """All fields of ``data`` checked at once; returns clean values or raises ValidationError."""
    errors = Errors()
    clean: dict = {}

    def has(key: str) -> bool:
        return current is None or key in data

    if has("name"):
        clean["name"] = errors.check("name", clean_text, data.get("name"), required=True, max_length=200)
    if has("kind"):
        kind = str(data.get("kind") or "company")
        if kind not in CUSTOMER_KINDS:
            errors.add("kind", "customers.error.kind")
        clean["kind"] = kind
    for key, limit in TEXT_FIELDS.items():
        if has(key):
            clean[key] = errors.check(key, clean_text, data.get(key), max_length=limit) or ""
    for key in LONG_TEXT:
        if has(key):
            clean[key] = errors.check(key, clean_text, data.get(key), max_length=20_000) or ""
    if has("email"):
        clean["email"] = errors.check("email", parse_email, data.get("email")) or ""
    for key in ("phone", "mobile"):
        if has(key):
            clean[key] = errors.check(key, parse_phone, data.get(key)) or ""
    if has("npwp"):
        clean["npwp"] = errors.check("npwp", _parse_npwp, data.get("npwp")) or ""
    if has("postal_code"):
        clean["postal_code"] = errors.check("postal_code", _parse_postal, data.get("postal_code")) or ""
    if has("latitude"):
        clean["latitude"] = errors.check("latitude", _parse_coordinate, data.get("latitude"), 90)
    if has("longitude"):
        clean["longitude"] = errors.check("longitude", _parse_coordinate, data.get("longitude"), 180)
    if has("segment"):
        segment = str(data.get("segment") or "")
        if segment and segment not in SEGMENTS:
            errors.add("segment", "customers.error.segment")
        clean["segment"] = segment
    if has("tags"):
        clean["tags"] = tags_to_db(parse_tags(data.get("tags")))
    if has("company_id"):
        raw = str(data.get("company_id") or "").strip()
        company_id = int(raw) if raw.isdigit() else None
        if raw and company_id is None:
            errors.add("company_id", "customers.error.company")
        if company_id is not None:
            company = session.get(Customer, company_id)
            if company is None or company.kind != "company" or (current is not None and company_id == current.id):
                errors.add("company_id", "customers.error.company")
        clean["company_id"] = company_id
    if has("owner_id"):
        clean["owner_id"] = check_owner(session, errors, data.get("owner_id"), actor.id)
    errors.raise_if_any()
    return clean


def prepare_customer(session: Session, actor: Actor, data: dict, *, owners: dict | None = None) -> dict:
    """The column values a new customer is stored with: permission checked, validated, placed from the
    gazetteer (typed coordinates kept), owned by the sales territory when no owner was chosen.
    ``owners`` caches the territory owner per (city, province) across the rows of one import."""
    permissions.require(session, actor, "customers", "create")
    data = permissions.guard_writes(session, actor, "customers", data)
    values = _validate(session, actor, data, None)
    values["name_norm"] = normalise_name(values["name"])
    if values.get("latitude") is not None and values.get("longitude") is not None:
        values["geo_source"] = "manual"
    else:
        values.update(geo.placement(values.get("city", ""), values.get("province", ""), values.get("latitude"), values.get("longitude"), "") or {})
    if not str(data.get("owner_id") or "").strip():  # no owner chosen: the sales territory decides (else the creator)
        key = (values.get("city", ""), values.get("province", ""))
        if owners is None or key not in owners:
            found = geo.territory_owner(session, *key)
            if owners is None:
                owners = {}
            owners[key] = found
        if owners[key] is not None:
            values["owner_id"] = owners[key]
    return values


def create_customer(session: Session, actor: Actor, data: dict) -> Customer:
    customer = Customer(**prepare_customer(session, actor, data), created_at=utcnow(), updated_at=utcnow())
    session.add(customer)
    session.flush()
    activities.log(session, actor, "customer", customer.id, "created", "customers.timeline.created", name=customer.name)
    return customer


def insert_customers(session: Session, actor: Actor, rows: list[dict]) -> list[int]:
    """Store many prepared customers at once (imports): one INSERT, each create in the audit trail and
    on the customer's timeline, as create_customer does one by one."""
    ids = audit.insert_many(session, Customer, rows)
    activities.log_many(session, actor, "customer", [(i, "created", "customers.timeline.created", {"name": r["name"]}) for i, r in zip(ids, rows, strict=True)])
    return ids


def update_customer(session: Session, actor: Actor, customer_id: int, data: dict) -> Customer:
    permissions.require(session, actor, "customers", "update")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", customer.owner_id)
    data = permissions.guard_writes(session, actor, "customers", data, customer)
    clean = _validate(session, actor, data, customer)
    changed = [key for key, value in clean.items() if getattr(customer, key) != value]
    for key in changed:
        setattr(customer, key, clean[key])
    if "latitude" in changed or "longitude" in changed:
        customer.geo_source = "manual" if customer.latitude is not None and customer.longitude is not None else ""
    if {"city", "province", "latitude", "longitude"} & set(changed):
        geo.geocode_customer(customer)  # gazetteer points follow the city; typed ones stay
    if changed:
        customer.name_norm = normalise_name(customer.name)
        customer.updated_at = utcnow()
        session.add(customer)
    session.flush()
    return customer



def delete_customer(session: Session, actor: Actor, customer_id: int) -> None:
    """Delete a company or contact with its own history (activities, timeline); refused (Conflict)
    while other records still point at it: its contacts, leads, opportunities, documents, tickets."""
    from sqlalchemy import delete

    from kaktus_app.activities.models import Activity, TimelineEntry
    from kaktus_app.references import refuse_if_referenced

    permissions.require(session, actor, "customers", "delete")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", customer.owner_id)
    for activity in session.exec(select(Activity).where(Activity.customer_id == customer.id)):
        session.delete(activity)
    session.flush()
    refuse_if_referenced(session, Customer, customer.id)
    session.exec(delete(TimelineEntry).where(TimelineEntry.record_type == "customer", TimelineEntry.record_id == customer.id))
    session.delete(customer)
    session.flush()

def check_customer(session: Session, errors: Errors, raw, error_key: str, field: str = "customer_id") -> int | None:
    """An optional reference to an existing customer, typed or picked in a form of another module."""
    text = str(raw or "").strip()
    customer_id = int(text) if text.isdigit() else None
    if (text and customer_id is None) or (customer_id and session.get(Customer, customer_id) is None):
        errors.add(field, error_key)
    return customer_id


def find_duplicates(
    session: Session, *, name: str = "", email: str = "", phone: str = "", exclude_id: int | None = None, limit: int = 5
) -> list[dict]:
    """Possible duplicates: the same e-mail, the same phone, or a close name (blocked by name prefix)."""
    hits: dict[int, dict] = {}

    def add(rows, reason: str, score: int) -> None:
        for row in rows:
            if row.id != exclude_id and row.id not in hits:
                hits[row.id] = {"id": row.id, "name": row.name, "email": row.email, "phone": format_phone(row.phone or row.mobile), "city": row.city, "reason": reason, "score": score}

    try:
        email = parse_email(email)
    except FieldError:
        email = ""
    try:
        phone = parse_phone(phone)
    except FieldError:
        phone = ""
    if email:
        add(session.exec(select(Customer).where(Customer.email == email).limit(limit)), "email", 100)
    if phone:
        add(session.exec(select(Customer).where((Customer.phone == phone) | (Customer.mobile == phone)).limit(limit)), "phone", 100)
    norm = normalise_name(name)
    if len(norm) >= 3:
        block = norm[:3]
        candidates = session.exec(
            select(Customer).where(Customer.name_norm >= block, Customer.name_norm < prefix_upper_bound(block)).limit(500)
        ).all()
        scored = sorted(
            ((fuzz.token_set_ratio(norm, c.name_norm), c) for c in candidates), key=lambda pair: -pair[0]
        )
        for score, candidate in scored:
            if score >= 88:
                add([candidate], "name", int(score))
    return sorted(hits.values(), key=lambda h: -h["score"])[:limit]


# what a list row shows (``_display``), read without loading whole records
LIST_COLUMNS = (
    Customer.id, Customer.name, Customer.kind, Customer.segment, Customer.city, Customer.email, Customer.phone,
    Customer.mobile, Customer.owner_id, Customer.tags, Customer.created_at, Customer.updated_at,
)


def _display(customer, names: dict[int, str], lang: str) -> dict:
    """A list row of a Customer (or of a row of ``LIST_COLUMNS``)."""
    return {
        "id": customer.id,
        "name": customer.name,
        "kind": customer.kind,
        "segment": customer.segment,
        "city": customer.city,
        "email": customer.email,
        "phone": format_phone(customer.phone or customer.mobile),
        "owner": names.get(customer.owner_id, ""),
        "tags": tags_from_db(customer.tags),
        "created_at": format_date(customer.created_at, lang),
        "updated_at": format_datetime(customer.updated_at, lang),
    }


def get_customer(session: Session, actor: Actor, customer_id: int, lang: str = "en") -> dict:
    permissions.require(session, actor, "customers", "read")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    permissions.check_visible(session, actor, "customers", customer.owner_id)
    names = user_names(session, [customer.owner_id])
    company = session.get(Customer, customer.company_id) if customer.company_id else None
    contacts = session.exec(select(Customer).where(Customer.company_id == customer.id).order_by(Customer.name_norm).limit(100)).all()
    result = {key: getattr(customer, key) for key in Customer.model_fields}
    result.update(
        {
            "tags": ", ".join(tags_from_db(customer.tags)),
            "tag_list": tags_from_db(customer.tags),
            "latitude": "" if customer.latitude is None else str(customer.latitude),
            "longitude": "" if customer.longitude is None else str(customer.longitude),
            "company_id": customer.company_id or "",
            "company_name": company.name if company else "",
            "owner_name": names.get(customer.owner_id, ""),
            "phone_display": format_phone(customer.phone),
            "mobile_display": format_phone(customer.mobile),
            "contacts": [_display(c, {}, lang) | {"job_title": c.job_title} for c in contacts],
            "created_at": format_datetime(customer.created_at, lang),
            "updated_at": format_datetime(customer.updated_at, lang),
        }
    )
    result = permissions.redact(session, actor, "customers", result)
    for contact in result["contacts"]:
        permissions.redact(session, actor, "customers", contact)
    return result


def _filtered(
    query, actor: Actor, *, search: str, segment: str, city: str, owner_id, tag: str, kind: str, province: str = "", visible=None,
    session: Session | None = None, counting: bool = False, hidden: frozenset[str] | set[str] = frozenset(),
):
    """``query`` with the list's WHERE clauses (see :func:`_list_shape`)."""
    shape, params = _list_shape(
        actor, dict(search=search, segment=segment, city=city, owner_id=owner_id, tag=tag, kind=kind, province=province),
        visible=visible, hidden=hidden, session=session, counting=counting,
    )
    return query.where(*_conditions(shape)).params(params)


def _list_shape(actor: Actor, filters: dict, *, visible, hidden, session: Session | None, counting: bool = False) -> tuple[tuple, dict]:
    """The list's filters as (shape, values): the shape says which clauses there are (a prepared
    statement is compiled once per shape), the values fill their parameters.

    With ``session`` the name search picks its fastest exact form for a page (or, ``counting``, a
    capped count): see ``search.text.customer_name_form``.
    """
    owners, params = permissions.owner_params(visible)
    searching = None
    text = (filters.get("search") or "").strip()
    if text:
        typed, email, phone, mobile, values = _typed(text, frozenset(hidden) & {"email", "phone", "mobile"})
        words, form = list(typed), None
        if words:  # any word of the name by its beginning (includes the start of the whole name)
            form = "index+like" if session is None and any(len(w) > word_search.FTS_PREFIX_MAX for w in words) else "index"
            if session is not None:
                form = word_search.customer_name_form(session, words, counting=counting)
            params.update(word_search.customer_name_params(form, words, "name"))
        params.update(values)
        searching = (form, len(words), email, phone, mobile)
    for name in ("segment", "province", "kind"):
        if filters.get(name):
            params[name] = filters[name]
    if filters.get("city"):
        params.update(city_lo=filters["city"], city_hi=prefix_upper_bound(filters["city"]))
    owner_id = filters.get("owner_id")
    if owner_id == "me":
        owner_id = actor.id
    if owner_id:
        params["owner"] = int(owner_id)
    if filters.get("tag"):
        params["tag"] = f"%,{filters['tag'].strip().lower()},%"
    shape = (owners, searching, *(name in params for name in ("segment", "city_lo", "province", "owner", "tag", "kind")))
    return shape, params


@lru_cache(maxsize=1024)
def _typed(text: str, hidden: frozenset) -> tuple[tuple, bool, bool, bool, tuple]:
    """What a typed search looks for: (name words, e-mail?, phone?, mobile?, the e-mail and phone
    values as (name, value) pairs). A hidden field is not searched. Worked out once per text (a
    list asks three times); nothing returned can be changed, since the answer is shared."""
    words = () if "@" in text else tuple(word_search.name_words(text))
    values = {}
    email = ("@" in text or "." in text) and "email" not in hidden
    if email:
        values.update(email_lo=text.lower(), email_hi=prefix_upper_bound(text.lower()))
    phone = mobile = False
    number = phone_search_prefix(text)
    if number:
        phone, mobile = "phone" not in hidden, "mobile" not in hidden
        values.update(phone_lo=number, phone_hi=prefix_upper_bound(number))
    return words, email, phone, mobile, tuple(values.items())


def _word_count(session: Session, shape: tuple, search: str) -> int | None:
    """The capped count of a list searched by name words and nothing else, from the word index
    (``search.text.word_count``); None when the rows must be counted."""
    owners, searching, *filters = shape
    if owners is not None or any(filters) or searching is None or searching[0] is None or any(searching[2:]):
        return None  # owners to check, other filters, or an e-mail / phone that may match too
    return word_search.word_count(session, "customer_name", word_search.name_words(search), COUNT_CAP + 1)


def _conditions(shape: tuple) -> list:
    """The WHERE clauses of a list shape, every value a named parameter (:func:`_list_shape`)."""
    owners, searching, segment, city, province, owner, tag, kind = shape
    clauses = permissions.owner_placeholders(Customer.owner_id, owners)
    if searching is not None:
        form, words, email, phone, mobile = searching
        found = [word_search.customer_name_prepared(form, words, "name")] if form else []
        if email:
            found.append((Customer.email >= bindparam("email_lo")) & (Customer.email < bindparam("email_hi")))
        if phone:
            found.append((Customer.phone >= bindparam("phone_lo")) & (Customer.phone < bindparam("phone_hi")))
        if mobile:
            found.append((Customer.mobile >= bindparam("phone_lo")) & (Customer.mobile < bindparam("phone_hi")))
        clauses.append(or_(*found) if found else false())  # false: nothing the user may search on matches what was typed
    if city:
        clauses.append((Customer.city >= bindparam("city_lo")) & (Customer.city < bindparam("city_hi")))
    return clauses + param_clauses(
        (segment, Customer.segment, "segment"), (province, Customer.province, "province"), (owner, Customer.owner_id, "owner"),
        (tag, Customer.tags, "tag"), (kind, Customer.kind, "kind"),
    )


# columns many customers share are in name order within each value (indexes of migration 0018)
THEN_BY_NAME = frozenset({"kind", "segment", "city", "owner"})


def _order(sort: str, desc: bool) -> list:
    return list_order(SORTS.get(sort, Customer.name_norm), Customer.name_norm if sort in THEN_BY_NAME else None, Customer.id, desc)


# The list's two reads, compiled once per shape: a capped count and a page of the listed columns
# (only those; a join of the owners here made SQLite give up the city index's order).
_LIST = PreparedList(Customer.id, LIST_COLUMNS, _conditions, _order)

# A city filter matches every city that starts with the typed text ("Band": Bandung, Bandung
# Barat). Read as one range of the (city, name) index, a page by name must sort the whole range
# (52,000 customers in Bandung at 1M: 15 ms). So the cities in the range are looked up first (one
# index step each), and when they are few, each city's first rows come in name order from the
# index and the page is the first of their union.
CITY_BRANCHES = 8
_CITIES = Prepared(
    lambda shape: text(
        "WITH RECURSIVE found(city) AS ("
        " SELECT min(city) FROM customer WHERE city >= :city_lo AND city < :city_hi"
        " UNION ALL"
        " SELECT (SELECT min(c.city) FROM customer c WHERE c.city > found.city AND c.city < :city_hi) FROM found WHERE found.city IS NOT NULL"
        f") SELECT city FROM found WHERE city IS NOT NULL LIMIT {CITY_BRANCHES + 1}"
    ).columns(city=Customer.city.type)
)


def _city_page(key):
    """key = (list shape, number of cities, descending): the page of the union of one name-ordered
    read per city (``:city_0``...), each of the first ``:need`` rows."""
    shape, count, desc = key
    others = (*shape[:3], False, *shape[4:])  # the list's other conditions
    order = _order("name", desc)
    branches = [
        select(*LIST_COLUMNS, Customer.name_norm).where(*_conditions(others), Customer.city == bindparam(f"city_{i}")).order_by(*order).limit(bindparam("need")).subquery()
        for i in range(count)
    ]
    union = union_all(*[select(*branch.c) for branch in branches]).subquery()
    by = [union.c.name_norm.desc(), union.c.id.desc()] if desc else [union.c.name_norm, union.c.id]
    return select(*[union.c[column.key] for column in LIST_COLUMNS]).order_by(*by).limit(bindparam("size")).offset(bindparam("offset"))


_CITY_PAGE = Prepared(_city_page)
_NAMES = NamesById(Customer.id, Customer.name)


def customer_names(session: Session, ids) -> dict[int, str]:
    """{customer id: name} of ``ids`` (the customers a page of leads or deals shows; unknown ids and None left out)."""
    return _NAMES.of(session, ids)


def list_customers(
    session: Session,
    actor: Actor,
    *,
    search: str = "",
    segment: str = "",
    city: str = "",
    owner_id: int | str | None = None,
    tag: str = "",
    kind: str = "",
    province: str = "",
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    page_size: int = 25,
    lang: str = "en",
) -> dict:
    """One page of customers, filtered and sorted in SQL; the count is capped at 10,000."""
    filters, sort, hidden = _list_query(session, actor, dict(search=search, segment=segment, city=city, owner_id=owner_id, tag=tag, kind=kind, province=province), sort)
    options = dict(visible=filters.pop("visible"), hidden=hidden, session=session)
    # the count first: the page's choice of form reuses its estimate of how common the words are
    counted = _word_count(session, _list_shape(actor, filters, **options | {"session": None})[0], filters["search"])
    if counted is None:
        count_shape, count_params = _list_shape(actor, filters, counting=True, **options)
        counted = _LIST.count(session, count_shape, count_params, COUNT_CAP)
    shape, params = _list_shape(actor, filters, **options)
    cities = _CITIES.rows(session, None, params) if shape[3] and sort == "name" else None
    if cities and len(cities) <= CITY_BRANCHES:  # a few cities start with the typed text: each walks its own name order
        at = Page.of(counted, page, page_size, COUNT_CAP)
        values = params | {f"city_{i}": row[0] for i, row in enumerate(cities)} | {"need": at.offset + at.size, "size": at.size, "offset": at.offset}
        rows = _CITY_PAGE.rows(session, (shape, len(cities), bool(desc)), values)
    else:
        walks = shape[1] is not None and shape[1][0] == "walk" and session.get_bind().dialect.name == "postgresql"
        at, rows = _LIST.page(session, shape, params, (sort, bool(desc)), page, page_size, counted, cap=COUNT_CAP, ids_first=walks)
    names = user_names(session, [row.owner_id for row in rows])
    return at.result([permissions.redact(session, actor, "customers", _display(row, names, lang), hidden) for row in rows])


def _list_query(session: Session, actor: Actor, filters: dict, sort: str) -> tuple[dict, str, set[str]]:
    """The list's filters (those on hidden fields dropped, the visible owners added), its sort key
    (a hidden column falls back to the name) and the hidden fields."""
    permissions.require(session, actor, "customers", "read")
    hidden = permissions.hidden(session, actor, "customers")
    filters = {k: filters.get(k) or ("" if k != "owner_id" else None) for k in ("search", "segment", "city", "owner_id", "tag", "kind", "province")}
    for name in ("segment", "city", "province"):
        if name in hidden:
            filters[name] = ""  # filtering by a hidden field would reveal it
    if "tags" in hidden:
        filters["tag"] = ""
    filters["visible"] = permissions.visible_owner_ids(session, actor, "customers")
    sort = permissions.safe_sort(session, actor, "customers", sort, "name")
    return filters, sort if sort in SORTS else "name", hidden


def iter_customers(session: Session, actor: Actor, *, filters: dict, sort: str = "name", desc: bool = False, lang: str = "en"):
    """Every customer the list's filters select, in its order, as list rows (an export reads them in
    batches: the whole result is never in memory)."""
    filters, sort, hidden = _list_query(session, actor, filters, sort)
    for rows in batches(session, _filtered(select(Customer), actor, **filters, hidden=hidden, session=session).order_by(*_order(sort, desc))):
        names = user_names(session, [c.owner_id for c in rows])
        yield from (permissions.redact(session, actor, "customers", _display(c, names, lang), hidden) for c in rows)


def customer_options(session: Session, query: str, *, kind: str | None = None, limit: int = 10) -> list[dict]:
    """Customers for the pickers of forms; only those the acting user may see (the acting user is the
    one of the current handler: ``db.run`` / the login guard record it)."""
    from kaktus_app.auth.audit import current_actor

    norm = normalise_name(query or "")
    statement = select(Customer.id, Customer.name, Customer.city)
    actor = session.info.get("actor") or current_actor.get()
    if actor is not None:
        clause = permissions.owner_clause(Customer.owner_id, permissions.visible_owner_ids(session, actor, "customers"))
        if clause is not None:
            statement = statement.where(clause)
    if norm:
        statement = statement.where(Customer.name_norm >= norm, Customer.name_norm < prefix_upper_bound(norm))
    if kind:
        statement = statement.where(Customer.kind == kind)
    return [{"id": r[0], "name": r[1], "city": r[2]} for r in session.exec(statement.order_by(Customer.name_norm).limit(limit))]


# --------------------------------------------------------------------------------- saved filters

DEFAULT_FILTERS = (
    ("My customers", {"owner_id": "me"}),
    ("Jakarta catering", {"province": "DKI Jakarta", "tag": "catering"}),
)


def ensure_default_filters(session: Session) -> None:
    for name, criteria in DEFAULT_FILTERS:
        exists = session.exec(select(SavedFilter).where(SavedFilter.module == "customers", SavedFilter.name == name, SavedFilter.user_id == None)).first()  # noqa: E711
        if exists is None:
            session.add(SavedFilter(module="customers", name=name, criteria=json.dumps(criteria)))
    session.flush()


def list_saved_filters(session: Session, actor: Actor, module: str = "customers") -> list[dict]:
    rows = session.exec(
        select(SavedFilter)
        .where(SavedFilter.module == module, (SavedFilter.user_id == None) | (SavedFilter.user_id == actor.id))  # noqa: E711
        .order_by(SavedFilter.user_id.is_not(None), SavedFilter.name)
    ).all()
    return [
        {"id": f.id, "name": f.name, "criteria": json.loads(f.criteria or "{}"), "shared": f.user_id is None, "mine": f.user_id == actor.id}
        for f in rows
    ]


def save_filter(session: Session, actor: Actor, name: str, criteria: dict, shared: bool = False) -> SavedFilter:
    errors = Errors()
    name = errors.check("name", clean_text, name, required=True, max_length=80)
    errors.raise_if_any()
    clean = {k: v for k, v in criteria.items() if v not in ("", None)}
    saved = SavedFilter(module="customers", name=name, criteria=json.dumps(clean), user_id=None if shared and actor.is_manager else actor.id)
    session.add(saved)
    session.flush()
    return saved


def delete_saved_filter(session: Session, actor: Actor, filter_id: int) -> None:
    saved = session.get(SavedFilter, filter_id)
    if saved is None:
        raise NotFound()
    if saved.user_id != actor.id and not actor.is_admin:
        raise PermissionDenied()
    session.delete(saved)


__all__ = ["ValidationError"]
