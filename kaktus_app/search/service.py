"""Global search across customers, contacts, leads and opportunities by name, email or phone.

Every lookup is an index range scan (prefix of the normalised name, e-mail or E.164 phone), so it
stays fast at a million customers.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.sales.models import Opportunity
from kaktus_app.validation import normalise_name, prefix_upper_bound


def _phone_prefix(query: str) -> str | None:
    digits = re.sub(r"[^\d]", "", query)
    if len(digits) < 4 or re.search(r"[A-Za-z]", query):
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return "+" + digits


def _range(column, prefix: str):
    return (column >= prefix) & (column < prefix_upper_bound(prefix))


def _visible(session: Session, actor: Actor, module: str, owner_column) -> list:
    """The WHERE clauses that keep search results to what the actor may see."""
    clause = permissions.owner_clause(owner_column, permissions.visible_owner_ids(session, actor, module))
    return [] if clause is None else [clause]


def search(session: Session, actor: Actor, query: str, limit: int = 5) -> dict[str, list[dict]]:
    """Up to ``limit`` hits per kind: {"customers": [...], "leads": [...], "opportunities": [...]}."""
    text = (query or "").strip()
    result: dict[str, list[dict]] = {"customers": [], "leads": [], "opportunities": []}
    if len(text) < 2:
        return result
    name_prefix = normalise_name(text)
    phone = _phone_prefix(text)
    email = text.lower() if "@" in text or "." in text else None

    # A module the actor may not read gives no hits; a hidden field is neither matched nor shown.
    readable = {m: permissions.can(session, actor, m, "read") for m in result}
    hidden_customer = permissions.hidden(session, actor, "customers")
    hidden_lead = permissions.hidden(session, actor, "leads")
    seen: set[int] = set()
    conditions = []
    if name_prefix:
        conditions.append(_range(Customer.name_norm, name_prefix))
    if email and "email" not in hidden_customer:
        conditions.append(_range(Customer.email, email))
    if phone:
        if "phone" not in hidden_customer:
            conditions.append(_range(Customer.phone, phone))
        if "mobile" not in hidden_customer:
            conditions.append(_range(Customer.mobile, phone))
    if not readable["customers"]:
        conditions = []
    for condition in conditions:
        if len(seen) >= limit:
            break
        rows = session.exec(
            select(Customer.id, Customer.name, Customer.kind, Customer.email, Customer.phone, Customer.city)
            .where(condition, *_visible(session, actor, "customers", Customer.owner_id))
            .order_by(Customer.name_norm)
            .limit(limit)
        ).all()
        for row in rows:
            if row[0] not in seen and len(seen) < limit:
                seen.add(row[0])
                details = [value for field, value in zip(("email", "phone", "city"), row[3:6], strict=True) if field not in hidden_customer]
                result["customers"].append(
                    {"id": row[0], "name": row[1], "kind": row[2], "detail": next((d for d in details if d), ""), "href": f"/customers/{row[0]}"}
                )

    low = text.lower()
    lead_filters = [_range(func.lower(Lead.title), low)]
    if email and "email" not in hidden_lead:
        lead_filters.append(_range(Lead.email, email))
    if phone and "phone" not in hidden_lead:
        lead_filters.append(_range(Lead.phone, phone))
    for row in [] if not readable["leads"] else session.exec(
        select(Lead.id, Lead.title, Lead.company_name, Lead.status)
        .where(or_(*lead_filters), *_visible(session, actor, "leads", Lead.owner_id))
        .order_by(Lead.id.desc())
        .limit(limit)
    ):
        detail = "" if "company_name" in hidden_lead else row[2]
        result["leads"].append({"id": row[0], "name": row[1], "kind": row[3], "detail": detail, "href": f"/leads/{row[0]}"})

    opp_filters = [_range(func.lower(Opportunity.name), low)]
    for row in [] if not readable["opportunities"] else session.exec(
        select(Opportunity.id, Opportunity.name, Opportunity.state)
        .where(or_(*opp_filters), *_visible(session, actor, "opportunities", Opportunity.owner_id))
        .order_by(Opportunity.id.desc())
        .limit(limit)
    ):
        result["opportunities"].append({"id": row[0], "name": row[1], "kind": row[2], "detail": "", "href": f"/opportunities/{row[0]}"})
    return result
