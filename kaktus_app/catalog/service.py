"""The catalog: products, price lists and their rules (price resolution), vendors, purchase orders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor, user_names
from kaktus_app.catalog.models import (
    CATEGORIES,
    PO_STATES,
    RULE_KINDS,
    UNITS,
    PriceList,
    PriceRule,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    VendorPrice,
)
from kaktus_app.customers.models import SEGMENTS, Customer
from kaktus_app.errors import DomainError, NotFound, PermissionDenied
from kaktus_app.i18n import format_date, format_idr, translate, utcnow
from kaktus_app.paging import batches, page_of
from kaktus_app.validation import (
    Errors,
    FieldError,
    clean_text,
    parse_date,
    parse_email,
    parse_int,
    parse_money,
    parse_percent,
    parse_phone,
    parse_quantity,
    prefix_upper_bound,
)

RUPIAH = Decimal("1")
PRODUCT_SORTS = {
    "code": Product.code,
    "name": Product.name,
    "category": Product.category,
    "sale_price": Product.sale_price,
    "cost": Product.cost,
    "updated_at": Product.updated_at,
}


def round_rupiah(value: Decimal) -> Decimal:
    """Whole rupiah, half up, kept with two places for NUMERIC(18,2)."""
    return Decimal(value).quantize(RUPIAH, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def require_manager(actor: Actor, session: Session | None = None, module: str = "products", action: str = "update") -> None:
    """Changing the catalog needs the profile's right (products: products and price lists; purchasing:
    vendors and purchase orders). Without a session (old callers) only managers may."""
    if session is None:
        if not actor.is_manager:
            raise PermissionDenied("catalog.error.managers_only")
        return
    permissions.require(session, actor, module, action)


def number_text(value: Decimal) -> str:
    """A quantity or rate as people type it: 50, 2.5, 11."""
    text = format(Decimal(value).normalize(), "f")
    return text


# -------------------------------------------------------------------------------------- products


def _parse_code(value) -> str:
    code = clean_text(value, required=True, max_length=30).upper().replace(" ", "-")
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._/-]*", code):
        raise FieldError("catalog.error.code_format")
    return code


def _validate_product(session: Session, data: dict, current: Product | None) -> dict:
    errors = Errors()
    clean: dict = {}
    clean["code"] = errors.check("code", _parse_code, data.get("code"))
    if clean["code"]:
        other = session.exec(select(Product.id).where(Product.code == clean["code"])).first()
        if other is not None and (current is None or other != current.id):
            errors.add("code", "catalog.error.code_taken")
    clean["name"] = errors.check("name", clean_text, data.get("name"), required=True, max_length=160)
    category = str(data.get("category") or "").strip()
    if category not in CATEGORIES:
        errors.add("category", "catalog.error.category_unknown")
    clean["category"] = category
    uom = str(data.get("uom") or "").strip()
    if uom not in UNITS:
        errors.add("uom", "catalog.error.uom_unknown")
    clean["uom"] = uom
    clean["description"] = errors.check("description", clean_text, data.get("description"), max_length=2000)
    clean["sale_price"] = errors.check("sale_price", parse_money, data.get("sale_price"), required=True)
    clean["cost"] = errors.check("cost", parse_money, data.get("cost"))
    clean["tax_rate"] = errors.check("tax_rate", parse_percent, data.get("tax_rate"), default="11")
    active = data.get("active", True)
    clean["active"] = active if isinstance(active, bool) else str(active).lower() in ("1", "true", "on", "yes")
    vendor_raw = str(data.get("vendor_id") or "").strip()
    clean["vendor_id"] = None
    if vendor_raw:
        if not vendor_raw.isdigit() or session.get(Vendor, int(vendor_raw)) is None:
            errors.add("vendor_id", "catalog.error.vendor_unknown")
        else:
            clean["vendor_id"] = int(vendor_raw)
    clean["image"] = errors.check("image", clean_text, data.get("image"), max_length=200)
    errors.raise_if_any()
    return clean


def create_product(session: Session, actor: Actor, data: dict) -> Product:
    require_manager(actor, session, "products", "create")
    permissions.check_writes(session, actor, "products", data)
    clean = _validate_product(session, data, None)
    product = Product(**clean)
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, actor: Actor, product_id: int, data: dict) -> Product:
    require_manager(actor, session, "products", "update")
    product = _product(session, product_id)
    permissions.check_writes(session, actor, "products", data, product)
    clean = _validate_product(session, {**product.model_dump(), **data}, product)
    for key, value in clean.items():
        setattr(product, key, value)
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    return product



def delete_product(session: Session, actor: Actor, product_id: int) -> None:
    """Delete a product with its vendor prices and its own price rules; refused (Conflict) once it
    is on a quotation, invoice, purchase order or ticket (archive it instead: ``active`` false)."""
    from kaktus_app.references import refuse_if_referenced

    require_manager(actor, session, "products", "delete")
    product = _product(session, product_id)
    for row in session.exec(select(VendorPrice).where(VendorPrice.product_id == product.id)):
        session.delete(row)
    for rule in session.exec(select(PriceRule).where(PriceRule.product_id == product.id)):
        session.delete(rule)
    session.flush()
    refuse_if_referenced(session, Product, product.id)
    session.delete(product)
    session.flush()

IMAGE_TYPES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
MAX_IMAGE = 2 * 1024 * 1024


def image_kind(data: bytes) -> str | None:
    """The image type by its first bytes (never by the file name): png, jpg, webp or None."""
    for magic, kind in IMAGE_TYPES.items():
        if data.startswith(magic) and (kind != "webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def product_image_name(product_id: int, filename: str | None, data: bytes) -> str:
    """Where an uploaded product image is kept: products/<id>-<name>-<token>.<type>.

    Only PNG, JPEG and WebP of at most 2 MB, recognised by their content.
    """
    import uuid

    kind = image_kind(data)
    if kind is None or len(data) > MAX_IMAGE:
        raise DomainError("catalog.image_invalid", field="image")
    stem = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    stem = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:40].strip("-") or "image"
    return f"products/{product_id}-{stem}-{uuid.uuid4().hex[:8]}.{kind}"


def set_product_image(session: Session, actor: Actor, product_id: int, filename: str) -> Product:
    require_manager(actor, session, "products", "update")
    product = _product(session, product_id)
    product.image = filename[:200]
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    return product


def _product(session: Session, product_id) -> Product:
    product = session.get(Product, int(product_id)) if str(product_id).isdigit() else None
    if product is None:
        raise NotFound()
    return product


def margin(price: Decimal, cost: Decimal) -> Decimal | None:
    """Margin in % of the price (None when there is no price)."""
    if not price:
        return None
    return ((Decimal(price) - Decimal(cost)) * 100 / Decimal(price)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _product_row(p: Product, lang: str, vendors: dict[int, str] | None = None, hidden: set[str] | frozenset = frozenset()) -> dict:
    m = margin(p.sale_price, p.cost)
    row = {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "category": p.category,
        "category_label": translate(f"catalog.category.{p.category}", lang),
        "uom": p.uom,
        "uom_label": translate(f"catalog.uom.{p.uom}", lang),
        "sale_price": number_text(p.sale_price),
        "sale_price_label": format_idr(p.sale_price),
        "cost": number_text(p.cost),
        "cost_label": format_idr(p.cost),
        "margin_label": "—" if m is None else f"{m}%".replace(".", ","),
        "tax_rate": number_text(p.tax_rate),
        "tax_label": translate("catalog.tax_exempt", lang) if not p.tax_rate else f"PPN {number_text(p.tax_rate)}%",
        "active": p.active,
        "image": p.image,
        "description": p.description,
        "vendor_id": p.vendor_id or "",
        "vendor_name": (vendors or {}).get(p.vendor_id, ""),
    }
    return permissions.redact(None, None, "products", row, set(hidden))


def get_product(session: Session, actor: Actor, product_id: int, lang: str = "en") -> dict:
    p = _product(session, product_id)
    permissions.require(session, actor, "products", "read")
    hidden = permissions.hidden(session, actor, "products")
    vendors = {v.id: v.name for v in session.exec(select(Vendor))}
    row = _product_row(p, lang, vendors, hidden)
    row["vendor_prices"] = [
        {"vendor": vendors.get(vp.vendor_id, ""), "cost_label": "" if "cost" in hidden else format_idr(vp.cost), "lead_days": vp.lead_days}
        for vp in session.exec(select(VendorPrice).where(VendorPrice.product_id == p.id))
    ]
    return row


def _product_filters(query, *, search: str, category: str, active: str):
    text = (search or "").strip().lower()
    if text:
        code = text.upper()
        query = query.where(
            (func.lower(Product.name).like(f"%{text}%")) | ((Product.code >= code) & (Product.code < prefix_upper_bound(code)))
        )
    if category:
        query = query.where(Product.category == category)
    if active == "active":
        query = query.where(Product.active == True)  # noqa: E712
    elif active == "archived":
        query = query.where(Product.active == False)  # noqa: E712
    return query


def list_products(
    session: Session,
    actor: Actor,
    *,
    search: str = "",
    category: str = "",
    active: str = "active",
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    page_size: int = 25,
    lang: str = "en",
) -> dict:
    filters, order, hidden = _list_query(session, actor, dict(search=search, category=category, active=active), sort, desc)
    at = page_of(session, _product_filters(select(Product.id), **filters), page, page_size)
    rows = session.exec(_product_filters(select(Product), **filters).order_by(*order).offset(at.offset).limit(at.size)).all()
    return at.result(_product_rows(session, rows, lang, hidden))


def _list_query(session: Session, actor: Actor, filters: dict, sort: str, desc: bool) -> tuple[dict, list, set[str]]:
    """The product list's filters, its order (never by a hidden column) and the hidden fields."""
    permissions.require(session, actor, "products", "read")
    hidden = permissions.hidden(session, actor, "products")
    sort = permissions.safe_sort(session, actor, "products", sort, "name")  # sorting by a hidden column would reveal it
    filters = {"search": filters.get("search") or "", "category": filters.get("category") or "", "active": filters.get("active", "active")}
    column = PRODUCT_SORTS.get(sort, Product.name)
    order = [column.desc(), Product.id.desc()] if desc else [column.asc(), Product.id.asc()]
    return filters, order, hidden


def _product_rows(session: Session, rows, lang: str, hidden: set[str]) -> list[dict]:
    vendors = {v.id: v.name for v in session.exec(select(Vendor).where(Vendor.id.in_({p.vendor_id for p in rows if p.vendor_id})))}
    return [_product_row(p, lang, vendors, hidden) for p in rows]


def iter_products(session: Session, actor: Actor, *, filters: dict, sort: str = "name", desc: bool = False, lang: str = "en"):
    """Every product the list's filters select, in its order, as list rows, read in batches (exports:
    the whole result is never in memory)."""
    filters, order, hidden = _list_query(session, actor, filters, sort, desc)
    for rows in batches(session, _product_filters(select(Product), **filters).order_by(*order)):
        yield from _product_rows(session, rows, lang, hidden)


def product_options(session: Session, *, active_only: bool = True, limit: int = 500) -> list[dict]:
    """Products for a line picker: ``{"id", "name"}`` with the code and the list price in the name."""
    query = select(Product.id, Product.code, Product.name, Product.sale_price, Product.uom)
    if active_only:
        query = query.where(Product.active == True)  # noqa: E712
    return [
        {"id": r[0], "name": f"[{r[1]}] {r[2]} — {format_idr(r[3])}/{r[4]}"}
        for r in session.exec(query.order_by(Product.name).limit(limit))
    ]


# ----------------------------------------------------------------------------------- price lists


@dataclass(frozen=True)
class ResolvedPrice:
    unit_price: Decimal
    rule_id: int | None
    label: str


def price_list_for_customer(session: Session, customer: Customer | None) -> PriceList | None:
    """The active list of the customer's segment, else the default list (segment "")."""
    segment = customer.segment if customer is not None else ""
    lists = session.exec(select(PriceList).where(PriceList.active == True, PriceList.segment.in_({segment, ""}))).all()  # noqa: E712
    by_segment = {pl.segment: pl for pl in sorted(lists, key=lambda pl: pl.id, reverse=True)}
    return by_segment.get(segment) or by_segment.get("")


def _rule_scope(rule: PriceRule, products: dict[int, str], lang: str) -> str:
    if rule.product_id:
        return products.get(rule.product_id, "?")
    if rule.category:
        return translate(f"catalog.category.{rule.category}", lang)
    return translate("catalog.rule.all_products", lang)


def rule_label(rule: PriceRule, list_name: str, products: dict[int, str], lang: str) -> str:
    """e.g. "Corporate · Nasi box · from 50 · −10%" (what the quotation line shows as the applied rule)."""
    parts = [list_name, _rule_scope(rule, products, lang)]
    if rule.min_quantity > 1:
        parts.append(translate("catalog.rule.from_qty", lang, qty=number_text(rule.min_quantity)))
    parts.append(f"−{number_text(rule.value)}%" if rule.kind == "discount" else format_idr(rule.value))
    if rule.date_from or rule.date_to:
        parts.append(f"{format_date(rule.date_from, lang) or '…'} – {format_date(rule.date_to, lang) or '…'}")
    return " · ".join(parts)


def resolve_price(
    session: Session, product: Product, quantity: Decimal, price_list_id: int | None, on_date: date, lang: str = "en"
) -> ResolvedPrice:
    """The unit price for ``quantity`` of ``product`` on ``on_date`` under a price list.

    The most specific rule wins: a product rule over a category rule over an all-products rule; then
    the highest quantity break reached; then the newest rule. No rule: the product's sale price.
    """
    if not price_list_id:
        return ResolvedPrice(product.sale_price, None, "")
    price_list = session.get(PriceList, price_list_id)
    if price_list is None or not price_list.active:
        return ResolvedPrice(product.sale_price, None, "")
    rules = session.exec(
        select(PriceRule).where(
            PriceRule.price_list_id == price_list_id,
            (PriceRule.product_id == product.id)
            | ((PriceRule.product_id == None) & (PriceRule.category.in_([product.category, ""]))),  # noqa: E711
            PriceRule.min_quantity <= quantity,
        )
    ).all()
    applicable = [
        r for r in rules if (r.date_from is None or r.date_from <= on_date) and (r.date_to is None or on_date <= r.date_to)
    ]
    if not applicable:
        return ResolvedPrice(product.sale_price, None, "")

    def specificity(rule: PriceRule) -> tuple:
        level = 2 if rule.product_id else 1 if rule.category else 0
        return (level, rule.min_quantity, rule.id)

    rule = max(applicable, key=specificity)
    if rule.kind == "fixed":
        price = Decimal(rule.value)
    else:
        price = round_rupiah(product.sale_price * (Decimal(100) - rule.value) / Decimal(100))
    return ResolvedPrice(price.quantize(Decimal("0.01")), rule.id, rule_label(rule, price_list.name, {product.id: product.name}, lang))


def _price_list(session: Session, price_list_id) -> PriceList:
    price_list = session.get(PriceList, int(price_list_id)) if str(price_list_id).isdigit() else None
    if price_list is None:
        raise NotFound()
    return price_list


def save_price_list(session: Session, actor: Actor, price_list_id: int | None, data: dict) -> PriceList:
    require_manager(actor, session, "products", "update")
    errors = Errors()
    name = errors.check("name", clean_text, data.get("name"), required=True, max_length=80)
    segment = str(data.get("segment") or "").strip()
    if segment and segment not in SEGMENTS:
        errors.add("segment", "catalog.error.segment_unknown")
    note = errors.check("note", clean_text, data.get("note"), max_length=1000)
    active = data.get("active", True)
    active = active if isinstance(active, bool) else str(active).lower() in ("1", "true", "on", "yes")
    if active:
        taken = session.exec(select(PriceList.id).where(PriceList.segment == segment, PriceList.active == True)).all()  # noqa: E712
        if any(other != price_list_id for other in taken):
            errors.add("segment", "catalog.error.segment_has_list")
    errors.raise_if_any()
    price_list = _price_list(session, price_list_id) if price_list_id else PriceList(name=name)
    price_list.name, price_list.segment, price_list.note, price_list.active = name, segment, note, active
    session.add(price_list)
    session.flush()
    return price_list


def add_rule(session: Session, actor: Actor, price_list_id: int, data: dict) -> PriceRule:
    require_manager(actor, session, "products", "update")
    _price_list(session, price_list_id)
    errors = Errors()
    kind = str(data.get("kind") or "")
    if kind not in RULE_KINDS:
        errors.add("kind", "catalog.error.rule_kind")
    product_raw, category = str(data.get("product_id") or "").strip(), str(data.get("category") or "").strip()
    product_id = None
    if product_raw:
        if not product_raw.isdigit() or session.get(Product, int(product_raw)) is None:
            errors.add("product_id", "catalog.error.product_unknown")
        else:
            product_id = int(product_raw)
        category = ""
    elif category and category not in CATEGORIES:
        errors.add("category", "catalog.error.category_unknown")
    if kind == "discount":
        value = errors.check("value", parse_percent, data.get("value"), default="")
        if value is not None and value <= 0:
            errors.add("value", "catalog.error.discount_positive")
    else:
        value = errors.check("value", parse_money, data.get("value"), required=True)
    min_quantity = errors.check("min_quantity", parse_quantity, data.get("min_quantity"), required=False)
    date_from = errors.check("date_from", parse_date, data.get("date_from"))
    date_to = errors.check("date_to", parse_date, data.get("date_to"))
    if date_from and date_to and date_to < date_from:
        errors.add("date_to", "catalog.error.dates_order")
    errors.raise_if_any()
    rule = PriceRule(
        price_list_id=price_list_id, product_id=product_id, category=category, kind=kind, value=value,
        min_quantity=min_quantity, date_from=date_from, date_to=date_to,
    )
    session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, actor: Actor, rule_id: int) -> None:
    require_manager(actor, session, "products", "update")
    rule = session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFound()
    session.delete(rule)
    session.flush()


def list_price_lists(session: Session, lang: str = "en") -> list[dict]:
    counts = dict(session.exec(select(PriceRule.price_list_id, func.count()).group_by(PriceRule.price_list_id)).all())
    return [
        {
            "id": pl.id, "name": pl.name, "segment": pl.segment,
            "segment_label": translate(f"customers.segment.{pl.segment}", lang) if pl.segment else translate("catalog.default_list", lang),
            "active": pl.active, "rules": counts.get(pl.id, 0), "note": pl.note,
        }
        for pl in session.exec(select(PriceList).order_by(PriceList.segment, PriceList.name))
    ]


def get_price_list(session: Session, price_list_id: int, lang: str = "en") -> dict:
    pl = _price_list(session, price_list_id)
    rules = session.exec(
        select(PriceRule).where(PriceRule.price_list_id == pl.id).order_by(PriceRule.product_id, PriceRule.category, PriceRule.min_quantity)
    ).all()
    products = {p.id: p.name for p in session.exec(select(Product).where(Product.id.in_({r.product_id for r in rules if r.product_id})))}
    return {
        "id": pl.id, "name": pl.name, "segment": pl.segment, "active": pl.active, "note": pl.note,
        "rules": [
            {
                "id": r.id,
                "scope": _rule_scope(r, products, lang),
                "min_quantity": number_text(r.min_quantity),
                "price": f"−{number_text(r.value)}%" if r.kind == "discount" else format_idr(r.value),
                "kind": translate(f"catalog.rule.{r.kind}", lang),
                "valid": f"{format_date(r.date_from, lang) or '…'} – {format_date(r.date_to, lang) or '…'}" if (r.date_from or r.date_to) else "",
            }
            for r in rules
        ],
    }


# ----------------------------------------------------------------------------- vendors and POs


def _vendor(session: Session, vendor_id) -> Vendor:
    vendor = session.get(Vendor, int(vendor_id)) if str(vendor_id).isdigit() else None
    if vendor is None:
        raise NotFound()
    return vendor


def save_vendor(session: Session, actor: Actor, vendor_id: int | None, data: dict) -> Vendor:
    require_manager(actor, session, "purchasing", "update")
    errors = Errors()
    clean = {
        "name": errors.check("name", clean_text, data.get("name"), required=True, max_length=160),
        "email": errors.check("email", parse_email, data.get("email")),
        "phone": errors.check("phone", parse_phone, data.get("phone")),
        "city": errors.check("city", clean_text, data.get("city"), max_length=80),
        "note": errors.check("note", clean_text, data.get("note"), max_length=2000),
    }
    errors.raise_if_any()
    vendor = _vendor(session, vendor_id) if vendor_id else Vendor(name=clean["name"])
    for key, value in clean.items():
        setattr(vendor, key, value)
    session.add(vendor)
    session.flush()
    return vendor


def set_vendor_price(session: Session, actor: Actor, vendor_id: int, data: dict) -> VendorPrice:
    require_manager(actor, session, "purchasing", "update")
    _vendor(session, vendor_id)
    errors = Errors()
    product_raw = str(data.get("product_id") or "").strip()
    if not product_raw.isdigit() or session.get(Product, int(product_raw)) is None:
        errors.add("product_id", "catalog.error.product_unknown")
    cost = errors.check("cost", parse_money, data.get("cost"), required=True)
    lead_days = errors.check("lead_days", parse_int, data.get("lead_days") or "1", minimum=0, maximum=365)
    errors.raise_if_any()
    price = session.exec(select(VendorPrice).where(VendorPrice.vendor_id == vendor_id, VendorPrice.product_id == int(product_raw))).first()
    if price is None:
        price = VendorPrice(vendor_id=vendor_id, product_id=int(product_raw))
    price.cost, price.lead_days = cost, lead_days
    session.add(price)
    session.flush()
    return price


def list_vendors(session: Session) -> list[dict]:
    counts = dict(session.exec(select(VendorPrice.vendor_id, func.count()).group_by(VendorPrice.vendor_id)).all())
    return [
        {"id": v.id, "name": v.name, "email": v.email, "phone": v.phone, "city": v.city, "products": counts.get(v.id, 0)}
        for v in session.exec(select(Vendor).order_by(Vendor.name))
    ]


def get_vendor(session: Session, vendor_id: int, lang: str = "en") -> dict:
    v = _vendor(session, vendor_id)
    prices = session.exec(select(VendorPrice, Product).join(Product, Product.id == VendorPrice.product_id).where(VendorPrice.vendor_id == v.id)).all()
    return {
        "id": v.id, "name": v.name, "email": v.email, "phone": v.phone, "city": v.city, "note": v.note,
        "prices": [
            {"product_id": p.id, "product": f"[{p.code}] {p.name}", "cost_label": format_idr(vp.cost), "lead_days": vp.lead_days}
            for vp, p in prices
        ],
    }


def _po(session: Session, po_id) -> PurchaseOrder:
    po = session.get(PurchaseOrder, int(po_id)) if str(po_id).isdigit() else None
    if po is None:
        raise NotFound()
    return po


def create_purchase_order(session: Session, actor: Actor, vendor_id, data: dict) -> PurchaseOrder:
    """A draft PO for a vendor; lines start from the vendor's costs."""
    from kaktus_app.documents.service import next_number

    require_manager(actor, session, "purchasing", "create")
    errors = Errors()
    if not str(vendor_id).isdigit() or session.get(Vendor, int(vendor_id)) is None:
        errors.add("vendor_id", "catalog.error.vendor_unknown")
    expected = errors.check("expected_date", parse_date, data.get("expected_date"))
    note = errors.check("note", clean_text, data.get("note"), max_length=2000)
    errors.raise_if_any()
    today = utcnow().date()
    po = PurchaseOrder(
        number=next_number(session, "PO", today.year), vendor_id=int(vendor_id), order_date=today,
        expected_date=expected, note=note, owner_id=actor.id,
    )
    session.add(po)
    session.flush()
    return po


def add_po_line(session: Session, actor: Actor, po_id: int, data: dict) -> PurchaseOrderLine:
    require_manager(actor, session, "purchasing", "update")
    po = _po(session, po_id)
    if po.state != "draft":
        raise DomainError("catalog.error.po_locked")
    errors = Errors()
    product_raw = str(data.get("product_id") or "").strip()
    product = session.get(Product, int(product_raw)) if product_raw.isdigit() else None
    if product is None:
        errors.add("product_id", "catalog.error.product_unknown")
    quantity = errors.check("quantity", parse_quantity, data.get("quantity"))
    cost_raw = data.get("unit_cost")
    unit_cost = errors.check("unit_cost", parse_money, cost_raw) if str(cost_raw or "").strip() else None
    errors.raise_if_any()
    if unit_cost is None:
        vendor_price = session.exec(select(VendorPrice).where(VendorPrice.vendor_id == po.vendor_id, VendorPrice.product_id == product.id)).first()
        unit_cost = vendor_price.cost if vendor_price else product.cost
    line = PurchaseOrderLine(order_id=po.id, product_id=product.id, quantity=quantity, unit_cost=unit_cost, subtotal=round_rupiah(quantity * unit_cost))
    session.add(line)
    session.flush()
    _po_total(session, po)
    return line


def remove_po_line(session: Session, actor: Actor, line_id: int) -> None:
    require_manager(actor, session, "purchasing", "update")
    line = session.get(PurchaseOrderLine, line_id)
    if line is None:
        raise NotFound()
    po = _po(session, line.order_id)
    if po.state != "draft":
        raise DomainError("catalog.error.po_locked")
    session.delete(line)
    session.flush()
    _po_total(session, po)


def _po_total(session: Session, po: PurchaseOrder) -> None:
    po.total = session.exec(select(func.coalesce(func.sum(PurchaseOrderLine.subtotal), 0)).where(PurchaseOrderLine.order_id == po.id)).one()
    session.add(po)
    session.flush()


def set_po_state(session: Session, actor: Actor, po_id: int, target: str) -> PurchaseOrder:
    """draft → sent → received (the received costs become the products' costs and the vendor's prices); cancel before receipt."""
    require_manager(actor, session, "purchasing", "update")
    po = _po(session, po_id)
    allowed = {"sent": ("draft",), "received": ("sent",), "cancelled": ("draft", "sent")}
    if target not in PO_STATES or po.state not in allowed.get(target, ()):
        raise DomainError("catalog.error.po_transition", state=po.state, target=target)
    lines = session.exec(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == po.id)).all()
    if target == "sent" and not lines:
        raise DomainError("catalog.error.po_empty")
    if target == "received":
        for line in lines:
            product = session.get(Product, line.product_id)
            product.cost, product.updated_at = line.unit_cost, utcnow()
            session.add(product)
            price = session.exec(select(VendorPrice).where(VendorPrice.vendor_id == po.vendor_id, VendorPrice.product_id == line.product_id)).first()
            if price is None:
                price = VendorPrice(vendor_id=po.vendor_id, product_id=line.product_id)
            price.cost = line.unit_cost
            session.add(price)
        po.received_at = utcnow()
    po.state = target
    session.add(po)
    session.flush()
    return po


def list_purchase_orders(session: Session, lang: str = "en", limit: int = 100) -> list[dict]:
    """The purchase order list: the newest ``limit`` orders."""
    return _po_rows(session, session.exec(_po_query().limit(limit)).all(), lang)


def _po_query():
    """The purchase order list's query: every order, newest first (the list has no filter, no sort
    and no sharing rule: purchasing is shared by nature)."""
    return select(PurchaseOrder).order_by(PurchaseOrder.id.desc())


def _po_rows(session: Session, rows, lang: str) -> list[dict]:
    vendors = {v.id: v.name for v in session.exec(select(Vendor).where(Vendor.id.in_({po.vendor_id for po in rows})))}
    return [
        {
            "id": po.id, "number": po.number, "vendor": vendors.get(po.vendor_id, ""), "state": po.state,
            "state_label": translate(f"catalog.po_state.{po.state}", lang), "date": format_date(po.order_date, lang),
            "total_label": format_idr(po.total),
        }
        for po in rows
    ]


def iter_purchase_orders(session: Session, actor: Actor, *, lang: str = "en"):
    """Every purchase order of the list (all of them, not only the newest the page shows), in its
    order, as list rows, read in batches (exports: the whole result is never in memory; the
    purchasing export right is checked by the export)."""
    for rows in batches(session, _po_query()):
        yield from _po_rows(session, rows, lang)


def get_purchase_order(session: Session, po_id: int, lang: str = "en") -> dict:
    po = _po(session, po_id)
    vendor = session.get(Vendor, po.vendor_id)
    lines = session.exec(
        select(PurchaseOrderLine, Product).join(Product, Product.id == PurchaseOrderLine.product_id).where(PurchaseOrderLine.order_id == po.id).order_by(PurchaseOrderLine.id)
    ).all()
    owners = user_names(session, [po.owner_id])
    return {
        "id": po.id, "number": po.number, "vendor_id": po.vendor_id, "vendor": vendor.name if vendor else "", "state": po.state,
        "state_label": translate(f"catalog.po_state.{po.state}", lang), "date": format_date(po.order_date, lang),
        "expected": format_date(po.expected_date, lang), "note": po.note, "total_label": format_idr(po.total),
        "owner": owners.get(po.owner_id, ""),
        "lines": [
            {
                "id": line.id, "product": f"[{p.code}] {p.name}", "quantity": number_text(line.quantity), "uom": p.uom,
                "unit_cost_label": format_idr(line.unit_cost), "subtotal_label": format_idr(line.subtotal),
            }
            for line, p in lines
        ],
    }
