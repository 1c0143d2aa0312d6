"""Global search across customers, contacts, leads and opportunities by name, email or phone.

A name is found by the start of the whole name and by the start of any of its words ("berd" finds
"PT. Kaktus Berduri"; every typed word must begin a word of the name). Every lookup uses an index:
a range scan of the normalised name, e-mail or E.164 phone, or the word index of migration 0010 (see
``search/text.py``), so it stays fast at a million customers.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.prepared import Prepared
from kaktus_app.sales.models import Opportunity
from kaktus_app.search import text as words
from kaktus_app.validation import normalise_name, prefix_upper_bound

_NOT_DIGIT = re.compile(r"[^\d]")
_LETTER = re.compile(r"[A-Za-z]")


def _phone_prefix(query: str) -> str | None:
    digits = _NOT_DIGIT.sub("", query)
    if len(digits) < 4 or _LETTER.search(query):
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return "+" + digits


def _range(column):
    """``column`` starts with the typed prefix: an index range from ``:lo`` to ``:hi``."""
    return (column >= bindparam("lo")) & (column < bindparam("hi"))


def _bounds(prefix: str) -> dict[str, str]:
    return {"lo": prefix, "hi": prefix_upper_bound(prefix)}


# What each kind is searched by, in the order its hits are listed. A condition is (name, extra): the
# extra part of the shape (the word search's form and word count; whether a lead's names are hidden).
_CUSTOMER_BY = {
    "name": lambda extra: _range(Customer.name_norm),
    "words": lambda extra: words.customer_name_prepared(*extra, "name"),
    "email": lambda extra: _range(Customer.email),
    "phone": lambda extra: _range(Customer.phone),
    "mobile": lambda extra: _range(Customer.mobile),
}
_LEAD_BY = {  # (condition, order)
    "title": lambda extra: (_range(func.lower(Lead.title)), (func.lower(Lead.title), Lead.id.desc())),
    "words": lambda extra: (words.WordMatch("lead_title" if extra else "lead_text", Lead.id, None, param="w"), (Lead.id.desc(),)),
    "email": lambda extra: (_range(Lead.email), (Lead.email, Lead.id.desc())),
    "phone": lambda extra: (_range(Lead.phone), (Lead.phone, Lead.id.desc())),
}
_OPPORTUNITY_BY = {
    "title": lambda extra: (_range(func.lower(Opportunity.name)), (func.lower(Opportunity.name), Opportunity.id.desc())),
    "words": lambda extra: (words.WordMatch("opportunity_name", Opportunity.id, None, param="w"), (Opportunity.id.desc(),)),
}

def _customers(shape):
    """shape = ((condition, extra), number of visible owners or None[, ids first]): with ids first
    (PostgreSQL, a common word) the ids are found by reading the name index alone (see
    ``paging.PreparedList.page``)."""
    (condition, extra), owners, *ids_first = shape
    where = (_CUSTOMER_BY[condition](extra), *permissions.owner_placeholders(Customer.owner_id, owners))
    order = (Customer.name_norm, Customer.id)
    found = select(Customer.id, Customer.name, Customer.kind, Customer.email, Customer.phone, Customer.city)
    if ids_first:
        return found.where(Customer.id.in_(select(Customer.id).where(*where).order_by(*order).limit(bindparam("limit")).scalar_subquery())).order_by(*order)
    return found.where(*where).order_by(*order).limit(bindparam("limit"))


# One prepared read per kind; shape = ((condition, extra), number of visible owners or None).
_CUSTOMERS = Prepared(_customers)


WALK_ROWS = 2_000  # PostgreSQL: the newest rows a search by words tests first (0.8 ms for 2,000 deals)


def _ordered(by: dict, columns, owner_column, word_index):
    """One prepared read per condition of ``by``, and "walk" (PostgreSQL): the newest ``:budget``
    rows the actor may see, each tested by its stored words (``WordMatch(like=True)``), the newest
    matches first. ``word_index(extra)`` is the word index the condition's extra part names."""

    def build(shape):
        (condition, extra), owners = shape
        visible = permissions.owner_placeholders(owner_column, owners)
        if condition == "walk":
            key = word_index(extra)
            id_column = columns[0]
            walked = select(*columns, words.stored_words(key)).where(*visible).order_by(id_column.desc()).limit(bindparam("budget")).subquery("walked")
            match = words.WordMatch(key, walked.c.id, None, param="w", like=True)  # the stored words' column is the subquery's
            return select(*[walked.c[c.key] for c in columns]).where(match).order_by(walked.c.id.desc()).limit(bindparam("limit"))
        condition, order = by[condition](extra)
        return select(*columns).where(condition, *visible).order_by(*order).limit(bindparam("limit"))

    return Prepared(build)


_LEADS = _ordered(_LEAD_BY, (Lead.id, Lead.title, Lead.company_name, Lead.status), Lead.owner_id, lambda title_only: "lead_title" if title_only else "lead_text")
_OPPORTUNITIES = _ordered(_OPPORTUNITY_BY, (Opportunity.id, Opportunity.name, Opportunity.state), Opportunity.owner_id, lambda extra: "opportunity_name")


def _hits(session: Session, read: Prepared, owners: tuple, conditions: list[tuple], limit: int) -> list:
    """The first ``limit`` rows of the conditions taken in turn, each row once.

    Each condition reads ``limit`` rows: at most as many as are already listed repeat, so the new
    ones are the same as a read that left the listed ids out.
    """
    count, values = owners
    values["limit"] = limit
    found: dict[int, tuple] = {}
    for condition, params, *extra in conditions:  # extra: more of the shape (the customers' ids first)
        if len(found) >= limit:
            break
        for row in read.rows(session, (condition, count, *extra), params | values):
            if row[0] not in found and len(found) < limit:
                found[row[0]] = row
    return list(found.values())


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
    name_words = words.without_legal_forms(typed)
    low = text.lower()
    postgres = session.get_bind().dialect.name == "postgresql"

    # A module the actor may not read gives no hits; a hidden field is neither matched nor shown.
    if permissions.can(session, actor, "customers", "read"):
        hidden = permissions.hidden(session, actor, "customers")
        conditions = []
        if name_prefix:
            conditions.append((("name", None), _bounds(name_prefix)))
        if name_words:
            form = words.customer_name_form(session, name_words)
            ids_first = form == "walk" and postgres
            conditions.append((("words", (form, len(name_words))), words.customer_name_params(form, name_words, "name"), *([True] if ids_first else [])))
        if email and "email" not in hidden:
            conditions.append((("email", None), _bounds(email)))
        for field in ("phone", "mobile"):
            if phone and field not in hidden:
                conditions.append(((field, None), _bounds(phone)))
        owners = permissions.owner_params(permissions.visible_owner_ids(session, actor, "customers"))
        for row in _hits(session, _CUSTOMERS, owners, conditions, limit):
            details = [value for field, value in zip(("email", "phone", "city"), row[3:6], strict=True) if field not in hidden]
            result["customers"].append(
                {"id": row[0], "name": row[1], "kind": row[2], "detail": next((d for d in details if d), ""), "href": f"/customers/{row[0]}"}
            )

    if permissions.can(session, actor, "leads", "read"):
        hidden = permissions.hidden(session, actor, "leads")
        title_only = bool({"company_name", "contact_name"} & hidden)  # a hidden field is not searched
        conditions = [(("title", None), _bounds(low))]
        if typed:
            found = words.pg_word_params(session, "lead_title" if title_only else "lead_text", typed, "w")
            if postgres:  # the newest leads first, tested in place: common words end the search there
                conditions.append((("walk", title_only), found | {"budget": WALK_ROWS}))
            conditions.append((("words", title_only), found))
        for field, value in (("email", email), ("phone", phone)):
            if value and field not in hidden:
                conditions.append(((field, None), _bounds(value)))
        owners = permissions.owner_params(permissions.visible_owner_ids(session, actor, "leads"))
        for row in _hits(session, _LEADS, owners, conditions, limit):
            detail = "" if "company_name" in hidden else row[2]
            result["leads"].append({"id": row[0], "name": row[1], "kind": row[3], "detail": detail, "href": f"/leads/{row[0]}"})

    if permissions.can(session, actor, "opportunities", "read"):
        conditions = [(("title", None), _bounds(low))]
        if typed:
            found = words.pg_word_params(session, "opportunity_name", typed, "w")
            if postgres:
                conditions.append((("walk", None), found | {"budget": WALK_ROWS}))
            conditions.append((("words", None), found))
        owners = permissions.owner_params(permissions.visible_owner_ids(session, actor, "opportunities"))
        for row in _hits(session, _OPPORTUNITIES, owners, conditions, limit):
            result["opportunities"].append({"id": row[0], "name": row[1], "kind": row[2], "detail": "", "href": f"/opportunities/{row[0]}"})
    return result
