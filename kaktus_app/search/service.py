"""Global search across customers, contacts, leads and opportunities by name, email or phone.

A name is found by the start of the whole name and by the start of any of its words ("berd" finds
"PT. Kaktus Berduri"; every typed word must begin a word of the name). Every lookup uses an index:
a range scan of the normalised name, e-mail or E.164 phone, or the word index of migration 0010 (see
``search/text.py``), so it stays fast at a million customers.
"""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.sales.models import Opportunity
from kaktus_app.search import text as words
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


def _not_in(column, ids: set[int]) -> list:
    """Leave out the hits already listed (at most ``limit`` ids)."""
    return [column.not_in(ids)] if ids else []


def _visible(session: Session, actor: Actor, module: str, owner_column) -> list:
    """The WHERE clauses that keep search results to what the actor may see."""
    clause = permissions.owner_clause(owner_column, permissions.visible_owner_ids(session, actor, module))
    return [] if clause is None else [clause]


def search(session: Session, actor: Actor, query: str, limit: int = 5) -> dict[str, list[dict]]:
    """Up to ``limit`` hits per kind: {"customers": [...], "leads": [...], "opportunities": [...]}.

    Customers: names that start with the typed text first, then names with a word starting with each
    typed word (both by name), then e-mail and phone matches. Leads and opportunities: titles that
    start with the typed text (by title), then the newest with every typed word.
    """
    text = (query or "").strip()
    result: dict[str, list[dict]] = {"customers": [], "leads": [], "opportunities": []}
    if len(text) < 2:
        return result
    name_prefix = normalise_name(text)
    phone = _phone_prefix(text)
    email = text.lower() if "@" in text or "." in text else None
    typed = [] if "@" in text else words.words(text)  # an e-mail address is not a name
    name_words = [] if "@" in text else words.name_words(text)

    # A module the actor may not read gives no hits; a hidden field is neither matched nor shown.
    readable = {m: permissions.can(session, actor, m, "read") for m in result}
    hidden_customer = permissions.hidden(session, actor, "customers")
    hidden_lead = permissions.hidden(session, actor, "leads")
    seen: set[int] = set()
    conditions = []  # in the order their hits are listed
    if name_prefix:
        conditions.append(lambda: _range(Customer.name_norm, name_prefix))
    if name_words:
        conditions.append(lambda: words.customer_name_clause(session, name_words))
    if email and "email" not in hidden_customer:
        conditions.append(lambda: _range(Customer.email, email))
    if phone:
        if "phone" not in hidden_customer:
            conditions.append(lambda: _range(Customer.phone, phone))
        if "mobile" not in hidden_customer:
            conditions.append(lambda: _range(Customer.mobile, phone))
    if not readable["customers"]:
        conditions = []
    for condition in conditions:
        if len(seen) >= limit:
            break
        rows = session.exec(
            select(Customer.id, Customer.name, Customer.kind, Customer.email, Customer.phone, Customer.city)
            .where(condition(), *_visible(session, actor, "customers", Customer.owner_id), *_not_in(Customer.id, seen))
            .order_by(Customer.name_norm, Customer.id)
            .limit(limit - len(seen))
        ).all()
        for row in rows:
            seen.add(row[0])
            details = [value for field, value in zip(("email", "phone", "city"), row[3:6], strict=True) if field not in hidden_customer]
            result["customers"].append(
                {"id": row[0], "name": row[1], "kind": row[2], "detail": next((d for d in details if d), ""), "href": f"/customers/{row[0]}"}
            )

    if readable["leads"]:
        low = text.lower()
        title_only = bool({"company_name", "contact_name"} & hidden_lead)  # a hidden field is not searched
        lead_conditions = [(_range(func.lower(Lead.title), low), (func.lower(Lead.title), Lead.id.desc()))]
        if typed:
            lead_conditions.append((words.lead_matches(typed, title_only=title_only), (Lead.id.desc(),)))
        if email and "email" not in hidden_lead:
            lead_conditions.append((_range(Lead.email, email), (Lead.email, Lead.id.desc())))
        if phone and "phone" not in hidden_lead:
            lead_conditions.append((_range(Lead.phone, phone), (Lead.phone, Lead.id.desc())))
        seen = set()
        for condition, order in lead_conditions:
            if len(seen) >= limit:
                break
            for row in session.exec(
                select(Lead.id, Lead.title, Lead.company_name, Lead.status)
                .where(condition, *_visible(session, actor, "leads", Lead.owner_id), *_not_in(Lead.id, seen))
                .order_by(*order)
                .limit(limit - len(seen))
            ):
                seen.add(row[0])
                detail = "" if "company_name" in hidden_lead else row[2]
                result["leads"].append({"id": row[0], "name": row[1], "kind": row[3], "detail": detail, "href": f"/leads/{row[0]}"})

    if readable["opportunities"]:
        low = text.lower()
        opp_conditions = [(_range(func.lower(Opportunity.name), low), (func.lower(Opportunity.name), Opportunity.id.desc()))]
        if typed:
            opp_conditions.append((words.opportunity_matches(typed), (Opportunity.id.desc(),)))
        seen = set()
        for condition, order in opp_conditions:
            if len(seen) >= limit:
                break
            for row in session.exec(
                select(Opportunity.id, Opportunity.name, Opportunity.state)
                .where(condition, *_visible(session, actor, "opportunities", Opportunity.owner_id), *_not_in(Opportunity.id, seen))
                .order_by(*order)
                .limit(limit - len(seen))
            ):
                seen.add(row[0])
                result["opportunities"].append({"id": row[0], "name": row[1], "kind": row[2], "detail": "", "href": f"/opportunities/{row[0]}"})
    return result
