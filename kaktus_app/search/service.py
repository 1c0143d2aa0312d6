"""Global search across customers, contacts, leads and opportunities by name, email or phone.

A name is found by the start of the whole name and by the start of any of its words ("berd" finds
"PT. Kaktus Berduri"; every typed word must begin a word of the name). Every lookup uses an index:
a range scan of the normalised name, e-mail or E.164 phone, or the word index of migration 0010 (see
``search/text.py``), so it stays fast at a million customers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, func, literal_column, union_all
from sqlmodel import Session, select

from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor
from kaktus_app.customers.models import Customer
from kaktus_app.leads.models import Lead
from kaktus_app.prepared import Prepared
from kaktus_app.sales.models import Opportunity
from kaktus_app.search import text as words
from kaktus_app.validation import normalise_name, phone_search_prefix, prefix_upper_bound


def _range(column, branch: int):
    """``column`` starts with the typed prefix: an index range from ``:lo<branch>`` to ``:hi<branch>``."""
    return (column >= bindparam(f"lo{branch}")) & (column < bindparam(f"hi{branch}"))


def _bounds(prefix: str) -> dict[str, str]:
    return {"lo": prefix, "hi": prefix_upper_bound(prefix)}


# What each kind is searched by, in the order its hits are listed: a condition is (name, extra), the
# extra part being the shape's (the word search's form and word count; whether a lead's names are
# hidden), and gives (where, order). A range condition is one of the kind's index ranges (its
# ``branch`` numbers its bounds): they cost microseconds each and are read together (``_hits``).
_CUSTOMER_ORDER = (Customer.name_norm, Customer.id)
_CUSTOMER_BY = {
    "name": lambda extra, branch: (_range(Customer.name_norm, branch), _CUSTOMER_ORDER),
    "words": lambda extra, branch: (words.customer_name_prepared(*extra, "name"), _CUSTOMER_ORDER),
    "email": lambda extra, branch: (_range(Customer.email, branch), _CUSTOMER_ORDER),
    "phone": lambda extra, branch: (_range(Customer.phone, branch), _CUSTOMER_ORDER),
    "mobile": lambda extra, branch: (_range(Customer.mobile, branch), _CUSTOMER_ORDER),
}
_LEAD_BY = {
    "title": lambda extra, branch: (_range(func.lower(Lead.title), branch), (func.lower(Lead.title), Lead.id.desc())),
    "words": lambda extra, branch: (words.WordMatch("lead_title" if extra else "lead_text", Lead.id, None, param="w"), (Lead.id.desc(),)),
    "email": lambda extra, branch: (_range(Lead.email, branch), (Lead.email, Lead.id.desc())),
    "phone": lambda extra, branch: (_range(Lead.phone, branch), (Lead.phone, Lead.id.desc())),
}
_OPPORTUNITY_BY = {
    "title": lambda extra, branch: (_range(func.lower(Opportunity.name), branch), (func.lower(Opportunity.name), Opportunity.id.desc())),
    "words": lambda extra, branch: (words.WordMatch("opportunity_name", Opportunity.id, None, param="w"), (Opportunity.id.desc(),)),
}
_RANGES = frozenset({"name", "email", "phone", "mobile", "title"})

WALK_ROWS = 2_000  # PostgreSQL: the newest rows a search by words tests first (0.8 ms for 2,000 deals)


def _reader(by: dict, columns, owner_column, word_index=None, *, newest_first: bool = True) -> Prepared:
    """One prepared read per condition of ``by``; shape = ((condition, extra), number of visible
    owners or None[, ids first]).

    - ("ranges", names): the range conditions ``names`` at once, each its first ``:limit`` rows, as
      one UNION ALL in their order (``branch``, then each one's own order): one statement instead of
      one per range, the same rows.
    - "walk" (PostgreSQL, leads and deals): the newest ``:budget`` rows the actor may see, each
      tested by its stored words (``WordMatch(like=True)``), the newest matches first.
      ``word_index(extra)`` is the word index the condition's extra part names.
    - ``newest_first``: rows with the same sort key come by id descending (leads and deals), else ascending.
    - ids first (PostgreSQL, customers by a common word): the ids are found by reading the name
      index alone (see ``paging.PreparedList.page``).
    """
    id_column = columns[0]

    def build(shape):
        (condition, extra), owners, *ids_first = shape
        visible = permissions.owner_placeholders(owner_column, owners)
        if condition == "ranges":
            branches = []
            for branch, name in enumerate(extra):
                where, order = by[name](None, branch)
                branches.append(
                    select(*columns, literal_column(str(branch)).label("branch"), order[0].label("k"))
                    .where(where, *visible).order_by(*order).limit(bindparam("limit")).subquery().select()
                )
            if len(branches) == 1:
                return branches[0]
            read = union_all(*branches).subquery("ranges")
            return select(read).order_by(read.c.branch, read.c.k, read.c.id.desc() if newest_first else read.c.id)
        if condition == "walk":
            key = word_index(extra)
            walked = select(*columns, words.stored_words(key)).where(*visible).order_by(id_column.desc()).limit(bindparam("budget")).subquery("walked")
            match = words.WordMatch(key, walked.c.id, None, param="w", like=True)  # the stored words' column is the subquery's
            return select(*[walked.c[c.key] for c in columns]).where(match).order_by(walked.c.id.desc()).limit(bindparam("limit"))
        where, order = by[condition](extra, None)
        if ids_first:
            ids = select(id_column).where(where, *visible).order_by(*order).limit(bindparam("limit")).scalar_subquery()
            return select(*columns).where(id_column.in_(ids)).order_by(*order)
        return select(*columns).where(where, *visible).order_by(*order).limit(bindparam("limit"))

    return Prepared(build)


_CUSTOMERS = _reader(_CUSTOMER_BY, (Customer.id, Customer.name, Customer.kind, Customer.email, Customer.phone, Customer.city), Customer.owner_id, newest_first=False)
_LEADS = _reader(_LEAD_BY, (Lead.id, Lead.title, Lead.company_name, Lead.status), Lead.owner_id, lambda title_only: "lead_title" if title_only else "lead_text")
_OPPORTUNITIES = _reader(_OPPORTUNITY_BY, (Opportunity.id, Opportunity.name, Opportunity.state), Opportunity.owner_id, lambda extra: "opportunity_name")


def _hits(session: Session, read: Prepared, owners: tuple, conditions: list[tuple], limit: int) -> list:
    """The first ``limit`` rows of the conditions taken in turn, each row once.

    Each condition reads ``limit`` rows: at most as many as are already listed repeat, so the new
    ones are the same as a read that left the listed ids out. The range conditions are read first,
    together (one statement: they cost microseconds each, less than a statement of their own); the
    others only while the hits are not complete. A condition's values may be a function, called
    only when it is read (PostgreSQL's sample of how common each typed word is, 1–2 ms, is not
    taken when the newest rows already gave the hits).
    """
    count, values = owners
    values = values | {"limit": limit}
    ranged = [i for i, (condition, *_) in enumerate(conditions) if condition[0] in _RANGES]
    of_range: dict[int, list] = {i: [] for i in ranged}
    if ranged:
        bounds = dict(values)
        for branch, i in enumerate(ranged):
            bounds[f"lo{branch}"], bounds[f"hi{branch}"] = conditions[i][1]["lo"], conditions[i][1]["hi"]
        for row in read.rows(session, (("ranges", tuple(conditions[i][0][0] for i in ranged)), count), bounds):
            of_range[ranged[row.branch]].append(row)
    found: dict[int, tuple] = {}
    for i, (condition, params, *extra) in enumerate(conditions):  # extra: more of the shape (the customers' ids first)
        if len(found) >= limit:
            break
        if i in of_range:
            rows = of_range[i]
        else:  # params may be asked for only now: the word search's sample of how common each word is
            rows = read.rows(session, (condition, count, *extra), (params() if callable(params) else params) | values)
        for row in rows:
            if row[0] not in found and len(found) < limit:
                found[row[0]] = row
    return list(found.values())


class _Query(NamedTuple):
    """What a typed text is searched by: the parts that depend on the text alone (kept for the
    texts typed lately: a search runs on every keystroke, and parsing cost as much as its reads)."""

    name: dict | None  # the bounds of the normalised name's prefix
    phone: dict | None  # of the E.164 prefix (four digits or more, no letters)
    email: dict | None  # of the lower-case text, when it has "@" or "."
    title: dict  # of the lower-case text (lead and deal titles)
    typed: list[str]  # the folded words (none for an e-mail address)
    name_words: list[str]  # the same without legal forms (customer names)


@lru_cache(maxsize=1024)
def _parse(text: str) -> _Query:
    name_prefix = normalise_name(text)
    phone = phone_search_prefix(text)
    low = text.lower()
    email = low if "@" in text or "." in text else None
    typed = [] if "@" in text else words.words(text)  # an e-mail address is not a name
    return _Query(
        _bounds(name_prefix) if name_prefix else None,
        _bounds(phone) if phone else None,
        _bounds(email) if email else None,
        _bounds(low),
        typed,
        words.without_legal_forms(typed),
    )


_MODULES = ("customers", "leads", "opportunities")


def _scope(session: Session, actor: Actor) -> dict[str, tuple]:
    """{module: (hidden fields, owner_params of the visible owners)} of the modules the actor may read."""

    def build():
        scope = {}
        for module in _MODULES:
            if permissions.can(session, actor, module, "read"):
                scope[module] = (permissions.hidden(session, actor, module), permissions.owner_params(permissions.visible_owner_ids(session, actor, module)))
        return scope

    return permissions.remembered(session, actor, "search", build)


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
    parsed = _parse(text)
    typed = parsed.typed
    postgres = session.get_bind().dialect.name == "postgresql"
    scope = _scope(session, actor)

    # A module the actor may not read gives no hits; a hidden field is neither matched nor shown.
    if "customers" in scope:
        hidden, owners = scope["customers"]
        conditions = []
        if parsed.name:
            conditions.append((("name", None), parsed.name))
        if parsed.name_words:
            name_words = parsed.name_words
            form = words.customer_name_form(session, name_words)
            ids_first = form == "walk" and postgres
            conditions.append((("words", (form, len(name_words))), words.customer_name_params(form, name_words, "name"), *([True] if ids_first else [])))
        if parsed.email and "email" not in hidden:
            conditions.append((("email", None), parsed.email))
        for field in ("phone", "mobile"):
            if parsed.phone and field not in hidden:
                conditions.append(((field, None), parsed.phone))
        for row in _hits(session, _CUSTOMERS, owners, conditions, limit):
            details = [value for field, value in zip(("email", "phone", "city"), row[3:6], strict=True) if field not in hidden]
            result["customers"].append(
                {"id": row[0], "name": row[1], "kind": row[2], "detail": next((d for d in details if d), ""), "href": f"/customers/{row[0]}"}
            )

    if "leads" in scope:
        hidden, owners = scope["leads"]
        title_only = bool({"company_name", "contact_name"} & hidden)  # a hidden field is not searched
        conditions = [(("title", None), parsed.title)]
        if typed:
            key = "lead_title" if title_only else "lead_text"
            if postgres:  # the newest leads first, tested in place: common words end the search there
                conditions.append((("walk", title_only), words.word_params(key, typed, "w") | {"budget": WALK_ROWS}))
            conditions.append((("words", title_only), lambda: words.pg_word_params(session, key, typed, "w")))
        for field, value in (("email", parsed.email), ("phone", parsed.phone)):
            if value and field not in hidden:
                conditions.append(((field, None), value))
        for row in _hits(session, _LEADS, owners, conditions, limit):
            detail = "" if "company_name" in hidden else row[2]
            result["leads"].append({"id": row[0], "name": row[1], "kind": row[3], "detail": detail, "href": f"/leads/{row[0]}"})

    if "opportunities" in scope:
        owners = scope["opportunities"][1]
        conditions = [(("title", None), parsed.title)]
        if typed:
            if postgres:
                conditions.append((("walk", None), words.word_params("opportunity_name", typed, "w") | {"budget": WALK_ROWS}))
            conditions.append((("words", None), lambda: words.pg_word_params(session, "opportunity_name", typed, "w")))
        for row in _hits(session, _OPPORTUNITIES, owners, conditions, limit):
            result["opportunities"].append({"id": row[0], "name": row[1], "kind": row[2], "detail": "", "href": f"/opportunities/{row[0]}"})
    return result
