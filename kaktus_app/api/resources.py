"""The API's resources: which module service each operation calls, what a request may carry, and
how a record is written out. No rule lives here — permissions, validation and state transitions
are the module services' (the same calls the web pages make, with the key holder as the actor).

This module only *parses* JSON types (a number where a number belongs, ids in range, no NUL or
broken Unicode) so that a service never sees a value its form could not have sent, and writes
records out in the API's formats: money and other decimals as strings ("1500000.00"), datetimes as
ISO 8601 UTC ("2026-11-24T07:30:00Z"), dates as ISO dates, tags as lists. Fields the caller's
profile hides are left out. Every function here takes ``(session, actor, ...)`` and runs through
``db.run`` (one transaction, the actor named in the audit trail).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session, SQLModel, select

from kaktus_app.activities import service as activities
from kaktus_app.activities.models import ACTIVITY_KINDS, CALL_OUTCOMES, Activity
from kaktus_app.api.service import iso
from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.catalog import service as catalog
from kaktus_app.catalog.models import CATEGORIES as PRODUCT_CATEGORIES
from kaktus_app.catalog.models import UNITS, Product
from kaktus_app.customers import service as customers
from kaktus_app.customers.models import SEGMENTS, Customer
from kaktus_app.documents import service as documents
from kaktus_app.documents.models import PAYMENT_TERMS, SalesOrder, SalesOrderLine
from kaktus_app.errors import NotFound, ValidationError
from kaktus_app.helpdesk import service as helpdesk
from kaktus_app.helpdesk.models import CATEGORIES as TICKET_CATEGORIES
from kaktus_app.helpdesk.models import CHANNELS, PRIORITIES, TICKET_STATUSES, Ticket, TicketMessage
from kaktus_app.leads import service as leads
from kaktus_app.leads.models import LEAD_SOURCES, LEAD_STATUSES, Lead
from kaktus_app.sales import service as sales
from kaktus_app.sales.models import LOST_REASONS, OPPORTUNITY_STATES, Opportunity
from kaktus_app.validation import tags_from_db

MAX_ID = 2**31 - 1
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25


class BadInput(ValidationError):
    """A value of the wrong JSON type or shape (the request is refused before any service runs)."""


# ------------------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class Param:
    """A query parameter (filter). ``target`` is the service's keyword (default: the same name)."""

    name: str
    type: str = "string"  # string | enum | id | id_or_me | boolean | datetime
    enum: tuple = ()
    description: str = ""
    target: str = ""


@dataclass(frozen=True)
class Input:
    """A field a request body may carry."""

    name: str
    type: str = "string"  # string | text | id | integer | money | decimal | number | boolean | date | datetime | tags | enum | lines
    required: bool = False
    enum: tuple = ()
    description: str = ""
    on: str = "both"  # create | update | both


@dataclass(frozen=True)
class Action:
    """``POST /<resource>/{id}/<name>``: a state transition of a module service."""

    name: str
    summary: str
    call: Callable  # (session, actor, id, data) -> the record id to show
    inputs: tuple[Input, ...] = ()
    result: str = ""  # the resource of the returned record ("" = this one)


@dataclass
class Resource:
    name: str
    singular: str
    module: str  # the permissions module
    model: type[SQLModel]
    list_call: Callable  # (session, actor, **filters) -> service page {"rows", "total", ...}
    read_check: Callable  # (session, actor, id) -> the service's view (raises NotFound / PermissionDenied)
    create_call: Callable | None = None  # (session, actor, data) -> record
    update_call: Callable | None = None  # (session, actor, id, data) -> record
    delete_call: Callable | None = None  # (session, actor, id) -> None
    filters: tuple[Param, ...] = ()
    sorts: tuple[str, ...] = ()  # allowed values of ?sort= ("-name" = descending)
    default_sort: str = ""
    inputs: tuple[Input, ...] = ()
    actions: tuple[Action, ...] = ()
    exclude: frozenset[str] = frozenset()
    detail: Callable | None = None  # (session, actor, record, service_view) -> extra keys of GET one
    description: str = ""
    kind: str = ""  # customers: "company", contacts: "person"
    extra_fields: dict = field(default_factory=dict)  # output fields beyond the model's: name -> JSON schema


def _signed(*names: str) -> tuple[str, ...]:
    return tuple(s for n in names for s in (n, f"-{n}"))


# --------------------------------------------------------------------------- parsing JSON values


def _text_ok(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800")
        return False
    return True


def _id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None


def parse_datetime(value) -> datetime | None:
    """ISO 8601; a time without an offset is UTC (the API's convention)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _scalar(value, kind: str, errors: dict, name: str):
    """One JSON value, checked for its type and turned into what the service's form would send."""
    if value is None:
        if kind in ("boolean", "lines"):
            errors[name] = "api.error.type_" + ("boolean" if kind == "boolean" else "array")
            return None
        return ""
    if kind == "boolean":
        if not isinstance(value, bool):
            errors[name] = "api.error.type_boolean"
        return value
    if kind in ("id",):
        number = _id(value)
        if number is None and value != "":
            errors[name] = "api.error.type_id"
        return "" if number is None else str(number)
    if kind in ("integer", "money", "decimal", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
            errors[name] = "api.error.type_number"
            return None
        if isinstance(value, str):  # the service parses text ("1.500.000" is a valid amount)
            if not _text_ok(value) or len(value) > 40:
                errors[name] = "error.number_invalid"
                return None
            if kind == "integer" and not re.fullmatch(r"\s*-?\d+\s*", value) and value.strip() != "":
                errors[name] = "api.error.type_integer"
                return None
            return value
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite() or abs(number) >= 10**18:
            errors[name] = "error.number_invalid"
            return None
        if kind == "integer":
            if number != number.to_integral_value():
                errors[name] = "api.error.type_integer"
                return None
            return str(int(number))
        return format(number, "f")
    if kind == "tags":
        if isinstance(value, str):
            if not _text_ok(value):
                errors[name] = "api.error.text_invalid"
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and _text_ok(v) for v in value) or len(value) > 50:
            errors[name] = "api.error.type_tags"
            return None
        return value
    if kind == "datetime":
        if value == "":
            return ""
        parsed = parse_datetime(value)
        if parsed is None:
            errors[name] = "error.datetime_invalid"
        return parsed
    # string, text, enum, date
    if not isinstance(value, str):
        errors[name] = "api.error.type_string"
        return None
    if not _text_ok(value):
        errors[name] = "api.error.text_invalid"
        return None
    return value


def parse_body(res: Resource | None, inputs: tuple[Input, ...], body, *, creating: bool) -> dict:
    """The request body as the service's ``data`` dict; raises BadInput for a wrong type or an unknown field."""
    if not isinstance(body, dict):
        raise BadInput({"body": "api.error.body_object"})
    allowed = {i.name: i for i in inputs if i.on == "both" or i.on == ("create" if creating else "update")}
    errors: dict[str, str] = {}
    data: dict = {}
    for name, value in body.items():
        spec = allowed.get(name)
        if spec is None:
            errors[str(name)[:60]] = "api.error.unknown_field"
            continue
        if spec.type == "lines":
            data[name] = _lines(value, errors, name)
            continue
        converted = _scalar(value, spec.type, errors, name)
        if name not in errors:
            data[name] = converted
    if errors:  # (a missing required field is the service's to report, with its other field errors)
        raise BadInput(errors)
    return data


LINE_INPUTS = (
    Input("product_id", "id", required=True, description="A product (its price list price unless `unit_price` is given)."),
    Input("quantity", "decimal", description="Default 1."),
    Input("unit_price", "money", description="Typed price (else the customer's price list decides)."),
    Input("discount", "decimal", description="Percent, 0–100."),
    Input("description", "string"),
    Input("optional", "boolean", description="An optional line is not in the totals."),
)


def _lines(value, errors: dict, name: str) -> list[dict]:
    if not isinstance(value, list) or len(value) > 200:
        errors[name] = "api.error.type_array"
        return []
    lines = []
    for index, item in enumerate(value):
        try:
            lines.append(parse_body(None, LINE_INPUTS, item, creating=True))
        except BadInput as exc:
            for key, message in exc.errors.items():
                errors[f"{name}[{index}].{key}"] = message
    return lines


def parse_query(res: Resource, query: dict[str, str]) -> dict:
    """?page, ?per_page, ?sort and the resource's filters -> keyword arguments of its list service."""
    known = {p.name: p for p in res.filters}
    errors: dict[str, str] = {}
    kwargs: dict = {}
    page, per_page = 1, DEFAULT_PAGE_SIZE
    for name, value in query.items():
        if not _text_ok(value) or len(value) > 200:
            errors[name[:60]] = "api.error.text_invalid"
            continue
        if name in ("page", "per_page"):
            number = _id(value)
            if number is None or (name == "per_page" and number > MAX_PAGE_SIZE):
                errors[name] = "api.error.page" if name == "page" else "api.error.per_page"
            elif name == "page":
                page = number
            else:
                per_page = number
        elif name == "sort":
            if value not in res.sorts:
                errors[name] = "api.error.sort"
        elif name in known:
            spec = known[name]
            target = spec.target or name
            if spec.type == "enum":
                if value not in spec.enum:
                    errors[name] = "api.error.enum"
                else:
                    kwargs[target] = value
            elif spec.type in ("id", "id_or_me"):
                if spec.type == "id_or_me" and value in ("me", *spec.enum):
                    kwargs[target] = value
                elif (number := _id(value)) is None:
                    errors[name] = "api.error.type_id"
                else:
                    kwargs[target] = number
            elif spec.type == "boolean":
                if value not in ("true", "false"):
                    errors[name] = "api.error.type_boolean"
                else:
                    kwargs[target] = value == "true"
            elif spec.type == "datetime":
                parsed = parse_datetime(value)
                if parsed is None:
                    errors[name] = "error.datetime_invalid"
                else:
                    kwargs[target] = parsed
            else:
                kwargs[target] = value
        else:
            errors[name[:60]] = "api.error.unknown_parameter"
    if errors:
        raise BadInput(errors)
    sort = query.get("sort") or res.default_sort
    return {"filters": kwargs, "page": page, "per_page": per_page, "sort": sort}


# ---------------------------------------------------------------------------------- writing out


def _json_type(annotation) -> tuple[dict, bool]:
    """(JSON schema, nullable) of a model field's annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if args else str
    if annotation is bool:
        return {"type": "boolean"}, nullable
    if annotation is int:
        return {"type": "integer"}, nullable
    if annotation is float:
        return {"type": "number"}, nullable
    if annotation is Decimal:
        return {"type": "string", "format": "decimal", "example": "1500000.00"}, nullable
    if annotation is datetime:
        return {"type": "string", "format": "date-time"}, nullable
    if annotation is date:
        return {"type": "string", "format": "date"}, nullable
    return {"type": "string"}, nullable


_FIELDS: dict[str, dict[str, dict]] = {}


def output_fields(res: Resource) -> dict[str, dict]:
    """Every field a record of ``res`` is written out with, as JSON schemas (computed once)."""
    if res.name not in _FIELDS:
        _FIELDS[res.name] = _output_fields(res)
    return _FIELDS[res.name]


def _output_fields(res: Resource) -> dict[str, dict]:
    fields: dict[str, dict] = {}
    for name, info in res.model.model_fields.items():
        if name in res.exclude:
            continue
        schema, nullable = _json_type(info.annotation)
        if name == "tags":
            schema, nullable = {"type": "array", "items": {"type": "string"}}, False
        if nullable:
            schema = {**schema, "nullable": True}
        fields[name] = schema
    return fields | res.extra_fields


def _value(name: str, value):
    if name == "tags":
        return tags_from_db(value)
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value, "f")
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump(session: Session, actor: Actor, res: Resource, record, *, hidden: set[str] | None = None) -> dict:
    """A record as the API writes it, without the fields the actor's profile hides."""
    hidden = permissions.hidden(session, actor, res.module) if hidden is None else hidden
    return {name: _value(name, getattr(record, name)) for name in _model_output(res) if name not in hidden}


def _model_output(res: Resource) -> list[str]:
    key = res.name + "#model"
    if key not in _FIELDS:
        _FIELDS[key] = {name: {} for name in output_fields(res) if name in res.model.model_fields}
    return list(_FIELDS[key])


# -------------------------------------------------------------------------------- the operations


def _resource(name: str) -> Resource:
    return RESOURCES[name]


def _record(session: Session, res: Resource, record_id: int):
    record = session.get(res.model, record_id)
    if record is None or (res.kind and record.kind != res.kind):
        raise NotFound()
    return record


def list_records(session: Session, actor: Actor, resource: str, query: dict[str, str]) -> dict:
    """One page: the list service filters, sorts, pages and checks; this writes out its rows."""
    res = _resource(resource)
    parsed = parse_query(res, query)
    sort = parsed["sort"]
    page = res.list_call(session, actor, sort=sort.lstrip("-"), desc=sort.startswith("-"), sort_token=sort, page=parsed["page"], page_size=parsed["per_page"], **parsed["filters"])
    ids = [row["id"] for row in page["rows"]]
    records = {r.id: r for r in session.exec(select(res.model).where(res.model.id.in_(ids)))} if ids else {}
    hidden = permissions.hidden(session, actor, res.module)
    data = [dump(session, actor, res, records[i], hidden=hidden) for i in ids if i in records]
    pages = page["pages"]
    return {
        "data": data,
        "meta": {"page": page["page"], "per_page": parsed["per_page"], "total": page["total"], "total_capped": page.get("total_capped", False), "pages": pages},
    }


def read_record(session: Session, actor: Actor, resource: str, record_id: int) -> dict:
    res = _resource(resource)
    view = res.read_check(session, actor, record_id)
    record = _record(session, res, record_id)
    out = dump(session, actor, res, record)
    if res.detail is not None:
        out.update(res.detail(session, actor, record, view))
    return out


def create_record(session: Session, actor: Actor, resource: str, body) -> dict:
    res = _resource(resource)
    if res.create_call is None:
        raise NotFound()
    data = parse_body(res, res.inputs, body, creating=True)
    record = res.create_call(session, actor, data)
    return read_record(session, actor, resource, record.id)


def update_record(session: Session, actor: Actor, resource: str, record_id: int, body) -> dict:
    res = _resource(resource)
    if res.update_call is None:
        raise NotFound()
    data = parse_body(res, res.inputs, body, creating=False)
    _record(session, res, record_id)
    res.update_call(session, actor, record_id, data)
    return read_record(session, actor, resource, record_id)


def delete_record(session: Session, actor: Actor, resource: str, record_id: int) -> None:
    res = _resource(resource)
    if res.delete_call is None:
        raise NotFound()
    _record(session, res, record_id)
    res.delete_call(session, actor, record_id)


def run_action(session: Session, actor: Actor, resource: str, record_id: int, action: str, body) -> dict:
    res = _resource(resource)
    spec = next((a for a in res.actions if a.name == action), None)
    if spec is None:
        raise NotFound()
    data = parse_body(res, spec.inputs, body if body is not None else {}, creating=True)
    _record(session, res, record_id)
    shown = spec.call(session, actor, record_id, data)
    return read_record(session, actor, spec.result or resource, shown)


# ----------------------------------------------------------------------------- per-module glue


def _version(data: dict):
    raw = data.pop("version", None)
    return int(raw) if raw not in (None, "") else None


def _customers_list(kind: str):
    def call(session, actor, *, sort, desc, sort_token, page, page_size, **filters):
        return customers.list_customers(session, actor, kind=kind, sort=sort, desc=desc, page=page, page_size=page_size, **filters)

    return call


def _customer_check(kind: str):
    def call(session, actor, record_id):
        view = customers.get_customer(session, actor, record_id)
        if view["kind"] != kind:
            raise NotFound()
        return view

    return call


def _customer_create(kind: str):
    def call(session, actor, data):
        return customers.create_customer(session, actor, {**data, "kind": kind})

    return call


def _leads_list(session, actor, *, sort, desc, sort_token, page, page_size, **filters):
    return leads.list_leads(session, actor, sort=sort, desc=desc, page=page, page_size=page_size, **filters)


def _convert(session, actor, record_id, data):
    return leads.convert_lead(
        session, actor, record_id, action=data.get("action") or "convert", customer_mode=data.get("customer_mode") or "create",
        customer_id=int(data["customer_id"]) if data.get("customer_id") else None,
        opportunity_id=int(data["opportunity_id"]) if data.get("opportunity_id") else None,
        opportunity_name=data.get("opportunity_name") or "",
    )


def _opportunities_list(session, actor, *, sort, desc, sort_token, page, page_size, **filters):
    return sales.list_opportunities(session, actor, sort=sort, desc=desc, page=page, page_size=page_size, **filters)


def _opportunity_update(session, actor, record_id, data):
    version = _version(data)
    return sales.update_opportunity(session, actor, record_id, data, expected_version=version)


def _opportunity_detail(session, actor, record, view) -> dict:
    return {"stages": [{"id": s["id"], "name": s["name"], "is_won": s["is_won"]} for s in view.get("stages", [])]}


def _move(session, actor, record_id, data):
    def optional_id(key):
        return int(data[key]) if data.get(key) else None

    return sales.move_opportunity(
        session, actor, record_id, data.get("stage_id") or "", before_id=optional_id("before_id"), after_id=optional_id("after_id"),
        expected_version=_version(data),
    ).id


def _activities_list(session, actor, *, sort, desc, sort_token, page, page_size, **filters):
    return activities.list_activities(session, actor, sort=sort, desc=desc, page=page, page_size=page_size, **filters)


def _activity_create(session, actor, data):
    if data.pop("done", False) is True:
        data.pop("due_at", None)
        return activities.log_call(session, actor, data)
    data.pop("outcome", None)
    return activities.schedule_activity(session, actor, data)


def _activity_done(session, actor, record_id, data):
    return activities.mark_done(session, actor, record_id, outcome=data.get("outcome") or "", note=data.get("note") or "").id


def _products_list(session, actor, *, sort, desc, sort_token, page, page_size, active="all", **filters):
    return catalog.list_products(session, actor, sort=sort, desc=desc, page=page, page_size=page_size, active=active, **filters)


def _orders_list(session, actor, *, sort, desc, sort_token, page, page_size, view="all", **filters):
    return documents.list_orders(session, actor, view=view, sort=sort, desc=desc, page=page, page_size=page_size, **filters)


def _quotation_create(session, actor, data):
    lines = data.pop("lines", [])
    order = documents.create_quotation(session, actor, data)
    for index, line in enumerate(lines):
        try:
            documents.add_line(session, actor, order.id, line)
        except ValidationError as exc:
            raise ValidationError({f"lines[{index}].{k}": v for k, v in exc.errors.items()}, field_params={f"lines[{index}].{k}": p for k, p in exc.field_params.items()}) from exc
    return order


def _quotation_update(session, actor, record_id, data):
    version = _version(data)
    return documents.update_quotation(session, actor, record_id, data, expected_version=version)


def _line_dict(line: SalesOrderLine) -> dict:
    return {
        "id": line.id, "product_id": line.product_id, "description": line.description, "quantity": _value("q", line.quantity),
        "uom": line.uom, "unit_price": _value("p", line.unit_price), "discount": _value("d", line.discount),
        "tax_rate": _value("t", line.tax_rate), "optional": line.optional, "subtotal": _value("s", line.subtotal), "price_rule": line.price_rule,
    }


def _quotation_detail(session, actor, record, view) -> dict:
    lines = session.exec(select(SalesOrderLine).where(SalesOrderLine.order_id == record.id).order_by(SalesOrderLine.sequence, SalesOrderLine.id)).all()
    return {"lines": [_line_dict(line) for line in lines]}


def _add_line(session, actor, record_id, data):
    documents.add_line(session, actor, record_id, data)
    return record_id


TICKET_SORTS = {
    "updated_at": "updated", "-updated_at": "-updated", "created_at": "created", "-created_at": "-created", "number": "number",
    "-number": "-number", "resolution_due": "due", "priority": "priority",
}


def _tickets_list(session, actor, *, sort, desc, sort_token, page, page_size, **filters):
    return helpdesk.list_tickets(session, actor, page=page, page_size=page_size, sort=TICKET_SORTS.get(sort_token, "-updated"), **filters)


def _ticket_update(session, actor, record_id, data):
    version = _version(data)
    return helpdesk.update_ticket(session, actor, record_id, data, expected_version=version)


def _ticket_detail(session, actor, record, view) -> dict:
    messages = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == record.id).order_by(TicketMessage.id).limit(500)).all()
    return {
        "messages": [
            {"id": m.id, "kind": m.kind, "public": m.is_public, "body": m.body, "author_name": m.author_name, "author_user_id": m.author_user_id, "created_at": iso(m.created_at)}
            for m in messages
        ]
    }


def _ticket_status(session, actor, record_id, data):
    return helpdesk.set_status(session, actor, record_id, data.get("status") or "", expected_version=_version(data)).id


def _ticket_message(session, actor, record_id, data):
    helpdesk.add_message(session, actor, record_id, data.get("body") or "", public=data.get("public", True) is not False)
    return record_id


def _ticket_merge(session, actor, record_id, data):
    return helpdesk.merge_tickets(session, actor, record_id, data.get("target_id") or "").id


# ----------------------------------------------------------------------------------- the catalog

ID_ME = "Filter by owner: a user id, or `me`."
CUSTOMER_INPUTS = (
    Input("name", required=True),
    Input("industry"), Input("segment", "enum", enum=SEGMENTS), Input("tags", "tags", description="A list of tags (or a comma-separated string)."),
    Input("street"), Input("city"), Input("province"), Input("postal_code"),
    Input("latitude", "number"), Input("longitude", "number"),
    Input("phone", description="Indonesian phone number; stored as E.164 (+62...)."), Input("mobile"), Input("email"), Input("website"),
    Input("npwp", description="Tax number, 15 or 16 digits."), Input("department"), Input("person_in_charge"), Input("job_title"),
    Input("owner_id", "id", description="Default: the territory's salesperson, else you."),
    Input("notes", "text"), Input("profile_needs", "text"), Input("profile_preferences", "text"), Input("profile_history", "text"),
)
CUSTOMER_FILTERS = (
    Param("q", description="Name (any word by its beginning), e-mail or phone.", target="search"),
    Param("segment", "enum", SEGMENTS), Param("city", description="City (by its beginning)."), Param("province"),
    Param("owner_id", "id_or_me", description=ID_ME), Param("tag"),
)
CUSTOMER_SORTS = _signed("name", "segment", "city", "email", "phone", "owner", "created_at", "updated_at")
CUSTOMER_EXCLUDE = frozenset({"name_norm", "kind"})


def _customer_resource(name: str, singular: str, kind: str, description: str) -> Resource:
    inputs = CUSTOMER_INPUTS + ((Input("company_id", "id", description="The company this person works for."),) if kind == "person" else ())
    return Resource(
        name, singular, "customers", Customer, _customers_list(kind), _customer_check(kind), _customer_create(kind),
        customers.update_customer, customers.delete_customer, CUSTOMER_FILTERS, CUSTOMER_SORTS, "name", inputs,
        exclude=CUSTOMER_EXCLUDE if kind == "company" else CUSTOMER_EXCLUDE, kind=kind, description=description,
    )


RESOURCES: dict[str, Resource] = {
    "customers": _customer_resource("customers", "customer", "company", "Companies (kind `company` of the customer table)."),
    "contacts": _customer_resource("contacts", "contact", "person", "People: contacts of a company (`company_id`) or private customers."),
    "leads": Resource(
        "leads", "lead", "leads", Lead, _leads_list, leads.get_lead, leads.create_lead, leads.update_lead, leads.delete_lead,
        (
            Param("q", description="Title, company or contact (any word by its beginning), or e-mail.", target="search"),
            Param("status", "enum", LEAD_STATUSES), Param("source", "enum", LEAD_SOURCES), Param("owner_id", "id_or_me", description=ID_ME), Param("tag"),
        ),
        _signed("title", "source", "status", "expected_revenue", "created_at", "company_name"), "-created_at",
        (
            Input("title", required=True), Input("customer_id", "id"), Input("contact_name"), Input("company_name"), Input("email"), Input("phone"),
            Input("city"), Input("source", "enum", enum=LEAD_SOURCES), Input("expected_revenue", "money"), Input("memo", "text"), Input("tags", "tags"),
            Input("owner_id", "id"),
        ),
        (
            Action(
                "convert", "Convert the lead into an opportunity (or merge it into an open one); returns the opportunity.", _convert,
                (
                    Input("action", "enum", enum=("convert", "merge"), description="Default `convert`."),
                    Input("customer_mode", "enum", enum=("link", "create", "none"), description="`link` an existing customer (`customer_id`), `create` one from the lead (default), or `none`."),
                    Input("customer_id", "id"), Input("opportunity_id", "id", description="With `merge`: the open opportunity to merge into."),
                    Input("opportunity_name"),
                ),
                result="opportunities",
            ),
            Action("lose", "Mark the lead lost.", lambda s, a, i, d: leads.mark_lead_lost(s, a, i, d.get("reason") or "").id, (Input("reason", required=True),)),
            Action("reopen", "Re-open a lost lead.", lambda s, a, i, d: leads.reopen_lead(s, a, i).id),
        ),
        exclude=frozenset(), description="Unqualified interest, converted into opportunities.",
    ),
    "opportunities": Resource(
        "opportunities", "opportunity", "opportunities", Opportunity, _opportunities_list, sales.get_opportunity, sales.create_opportunity,
        _opportunity_update, sales.delete_opportunity,
        (
            Param("q", description="Name (any word by its beginning).", target="search"), Param("stage_id", "id"),
            Param("state", "enum", OPPORTUNITY_STATES), Param("owner_id", "id_or_me", description=ID_ME), Param("tag"),
        ),
        _signed("name", "expected_revenue", "probability", "expected_closing", "stage", "owner", "created_at", "updated_at"), "-updated_at",
        (
            Input("name", required=True), Input("customer_id", "id"), Input("stage_id", "id", on="create", description="Default: the first stage of your team."),
            Input("expected_revenue", "money"), Input("probability", "integer", description="0–100; default: the stage's."),
            Input("expected_closing", "date"), Input("priority", "integer", description="0–3 stars."), Input("tags", "tags"), Input("memo", "text"),
            Input("owner_id", "id"), Input("version", "integer", on="update", description="The `version` you read: a newer one answers 409."),
        ),
        (
            Action(
                "move", "Move to a stage (and a place in its column); a move onto the won stage marks it won.", _move,
                (Input("stage_id", "id", required=True), Input("before_id", "id"), Input("after_id", "id"), Input("version", "integer")),
            ),
            Action("won", "Mark won.", lambda s, a, i, d: sales.mark_won(s, a, i).id),
            Action("lost", "Mark lost with a reason.", lambda s, a, i, d: sales.mark_lost(s, a, i, d.get("reason") or "").id, (Input("reason", required=True, description="One of " + ", ".join(LOST_REASONS) + ", or your own words."),)),
            Action("restore", "Re-open a won or lost opportunity.", lambda s, a, i, d: sales.restore(s, a, i).id),
        ),
        exclude=frozenset({"position"}), detail=_opportunity_detail, description="Deals in the pipeline.",
        extra_fields={"stages": {"type": "array", "items": {"type": "object"}, "description": "GET one only: the stages of its pipeline."}},
    ),
    "activities": Resource(
        "activities", "activity", "activities", Activity, _activities_list, activities.get_activity, _activity_create,
        activities.update_activity, activities.delete_activity,
        (
            Param("kind", "enum", ACTIVITY_KINDS), Param("done", "boolean"), Param("assignee_id", "id_or_me", description="A user id, or `me`."),
            Param("customer_id", "id"), Param("lead_id", "id"), Param("opportunity_id", "id"),
            Param("due_from", "datetime", description="Due at or after (ISO 8601)."), Param("due_to", "datetime", description="Due before (ISO 8601)."),
        ),
        _signed("due_at", "created_at", "done_at", "kind"), "due_at",
        (
            Input("kind", "enum", enum=ACTIVITY_KINDS), Input("summary", on="update"), Input("summary", required=True, on="create"),
            Input("due_at", "datetime", description="ISO 8601; without an offset it is UTC."),
            Input("note", "text"), Input("assignee_id", "id"),
            Input("customer_id", "id", on="create"), Input("lead_id", "id", on="create"), Input("opportunity_id", "id", on="create"),
            Input("done", "boolean", on="create", description="`true` logs a call that already happened (needs `outcome`)."),
            Input("outcome", "enum", enum=CALL_OUTCOMES, on="create"),
        ),
        (Action("done", "Mark done (with a call's outcome and a note).", _activity_done, (Input("outcome", "enum", enum=CALL_OUTCOMES), Input("note", "text"))),),
        description="Calls, meetings, e-mails and to-dos on a customer, lead or opportunity (exactly one).",
    ),
    "products": Resource(
        "products", "product", "products", Product, _products_list, catalog.get_product, catalog.create_product, catalog.update_product,
        catalog.delete_product,
        (
            Param("q", description="Name (anywhere) or code (by its beginning).", target="search"), Param("category", "enum", PRODUCT_CATEGORIES),
            Param("active", "enum", ("active", "archived", "all"), description="Default `all`."),
        ),
        _signed("code", "name", "category", "sale_price", "cost", "updated_at"), "name",
        (
            Input("code", required=True), Input("name", required=True), Input("category", "enum", required=True, enum=PRODUCT_CATEGORIES),
            Input("uom", "enum", required=True, enum=UNITS), Input("description", "text"), Input("sale_price", "money", required=True),
            Input("cost", "money"), Input("tax_rate", "decimal", description="Percent; default 11 (PPN)."), Input("active", "boolean"),
            Input("vendor_id", "id"),
        ),
        description="The catalog. A product on a document cannot be deleted: archive it (`active: false`).",
    ),
    "quotations": Resource(
        "quotations", "quotation", "quotations", SalesOrder, _orders_list, documents.get_order, _quotation_create, _quotation_update,
        documents.delete_quotation,
        (
            Param("q", description="Number or customer name.", target="search"),
            Param("view", "enum", ("quotations", "orders", "cancelled", "all"), description="Default `all`."), Param("customer_id", "id"),
        ),
        _signed("number", "date", "total", "customer", "state"), "-number",
        (
            Input("customer_id", "id", description="Required unless the opportunity has a customer."), Input("opportunity_id", "id", on="create"),
            Input("validity_date", "date"), Input("payment_terms", "enum", enum=tuple(PAYMENT_TERMS)), Input("note", "text"), Input("terms", "text"),
            Input("owner_id", "id"), Input("lines", "lines", on="create", description="Lines to add at once."),
            Input("version", "integer", on="update", description="The `version` you read: a newer one answers 409."),
        ),
        (
            Action("send", "Mark sent to the customer.", lambda s, a, i, d: documents.mark_sent(s, a, i).id),
            Action("confirm", "Confirm: the quotation becomes a sales order (marks its opportunity won by default).", lambda s, a, i, d: documents.confirm(s, a, i).id),
            Action("cancel", "Cancel.", lambda s, a, i, d: documents.cancel_order(s, a, i).id),
            Action("reset", "Back to draft (a cancelled one).", lambda s, a, i, d: documents.reset_to_draft(s, a, i).id),
            Action("lines", "Add a line.", _add_line, LINE_INPUTS),
        ),
        detail=_quotation_detail, description="Quotations and the sales orders they become. Totals are computed by the server.",
        extra_fields={"lines": {"type": "array", "items": {"type": "object"}, "description": "GET one only."}},
    ),
    "tickets": Resource(
        "tickets", "ticket", "tickets", Ticket, _tickets_list, helpdesk.ticket_detail, helpdesk.create_ticket, _ticket_update,
        helpdesk.delete_ticket,
        (
            Param("q", description="Title, company name, or a ticket number.", target="search"),
            Param("status", "enum", (*TICKET_STATUSES, "open")), Param("priority", "enum", PRIORITIES), Param("category", "enum", TICKET_CATEGORIES),
            Param("assignee_id", "id_or_me", ("none",), description="A user id, `me` or `none`.", target="assignee"),
            Param("team_id", "id"), Param("company_id", "id"), Param("sla", "enum", ("breached", "due_soon")),
        ),
        tuple(TICKET_SORTS), "-updated_at",
        (
            Input("title", required=True), Input("description", "text"), Input("category", "enum", enum=TICKET_CATEGORIES),
            Input("priority", "enum", enum=PRIORITIES), Input("channel", "enum", enum=CHANNELS),
            Input("company_id", "id", description="The company (or give `contact_id`)."), Input("contact_id", "id"), Input("product_id", "id"),
            Input("order_id", "id"), Input("team_id", "id"), Input("assignee_id", "id", description="Default: round-robin in the team."),
            Input("tags", "tags"), Input("version", "integer", on="update", description="The `version` you read: a newer one answers 409."),
        ),
        (
            Action("status", "Change the status (new, in_progress, waiting, resolved, closed; `reopen`).", _ticket_status, (Input("status", required=True), Input("version", "integer"))),
            Action("assign", "Assign to an agent (null: nobody).", lambda s, a, i, d: helpdesk.assign_ticket(s, a, i, d.get("assignee_id") or None).id, (Input("assignee_id", "id"),)),
            Action("messages", "Add a public reply (default) or an internal note (`public: false`).", _ticket_message, (Input("body", "text", required=True), Input("public", "boolean"))),
            Action("merge", "Merge this ticket into another; returns the target.", _ticket_merge, (Input("target_id", "id", required=True),)),
        ),
        detail=_ticket_detail, description="Help desk tickets with their conversation.",
        extra_fields={"messages": {"type": "array", "items": {"type": "object"}, "description": "GET one only."}},
    ),
}


def update_line(session: Session, actor: Actor, order_id: int, line_id: int, body) -> dict:
    data = parse_body(None, LINE_INPUTS, body, creating=False)
    line = session.get(SalesOrderLine, line_id)
    if line is None or line.order_id != order_id:
        raise NotFound()
    documents.update_line(session, actor, line_id, data)
    return read_record(session, actor, "quotations", order_id)


def remove_line(session: Session, actor: Actor, order_id: int, line_id: int) -> dict:
    line = session.get(SalesOrderLine, line_id)
    if line is None or line.order_id != order_id:
        raise NotFound()
    documents.remove_line(session, actor, line_id)
    return read_record(session, actor, "quotations", order_id)
