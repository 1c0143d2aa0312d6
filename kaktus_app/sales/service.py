"""Opportunities, stages and the pipeline: every rule of the sales funnel lives here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import false, func, literal_column, update
from sqlmodel import Session, select

from kaktus_app.activities import service as activities
from kaktus_app.auth import permissions
from kaktus_app.auth.service import Actor, check_owner, user_names
from kaktus_app.customers.models import Customer
from kaktus_app.customers.service import check_customer, customer_names
from kaktus_app.errors import Conflict, DomainError, NotFound
from kaktus_app.i18n import format_date, format_datetime, format_idr, format_idr_short, utcnow
from kaktus_app.paging import COUNT_CAP, Page, PreparedList, batches, list_order, param_clauses
from kaktus_app.prepared import NamesById
from kaktus_app.sales.models import LOST_REASONS, Opportunity, Stage, StageHistory, StageTotal
from kaktus_app.search import text as word_search
from kaktus_app.validation import (
    Errors,
    clean_text,
    parse_date,
    parse_int,
    parse_money,
    parse_tags,
    tags_from_db,
    tags_to_db,
)

POSITION_STEP = 1024.0
SORTS = {
    "name": Opportunity.name,
    "expected_revenue": Opportunity.expected_revenue,
    "probability": Opportunity.probability,
    "expected_closing": Opportunity.expected_closing,
    "stage": Opportunity.stage_id,
    "owner": Opportunity.owner_id,
    "created_at": Opportunity.created_at,
    "updated_at": Opportunity.updated_at,
}


def weighted(expected_revenue: Decimal, probability: int) -> Decimal:
    return (Decimal(expected_revenue) * Decimal(probability) / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def stages_for_team(session: Session, team_id: int | None) -> list[Stage]:
    """The team's own stages, else the default stages (team_id NULL), in pipeline order."""
    if team_id is not None:
        own = session.exec(select(Stage).where(Stage.team_id == team_id).order_by(Stage.sequence)).all()
        if own:
            return list(own)
    return list(session.exec(select(Stage).where(Stage.team_id == None).order_by(Stage.sequence)).all())  # noqa: E711


def _stage(session: Session, stage_id) -> Stage:
    stage = session.get(Stage, int(stage_id)) if str(stage_id or "").isdigit() else None
    if stage is None:
        raise DomainError("sales.error.stage_unknown", field="stage_id")
    return stage


def _end_position(session: Session, stage_id: int, state: str = "open") -> float:
    """After the last card of a board column (the stage's open deals; the won column's won ones).
    By state too, so that both databases read it off the (state, stage_id, position) index: by
    stage alone PostgreSQL scanned every deal of the stage (26 ms of a 37 ms move at 1M)."""
    last = session.exec(select(func.max(Opportunity.position)).where(Opportunity.state == state, Opportunity.stage_id == stage_id)).one()
    return (last or 0.0) + POSITION_STEP


def _validate(session: Session, actor: Actor, data: dict, current: Opportunity | None) -> dict:
    errors = Errors()
    clean: dict = {}

    def has(key: str) -> bool:
        return current is None or key in data

    if has("name"):
        clean["name"] = errors.check("name", clean_text, data.get("name"), required=True, max_length=200)
    if has("expected_revenue"):
        clean["expected_revenue"] = errors.check("expected_revenue", parse_money, data.get("expected_revenue"))
    if "probability" in data and str(data.get("probability")).strip() != "":
        clean["probability"] = errors.check(
            "probability", parse_int, data.get("probability"), minimum=0, maximum=100, range_key="sales.error.probability"
        )
    if has("expected_closing"):
        clean["expected_closing"] = errors.check("expected_closing", parse_date, data.get("expected_closing"))
    if "priority" in data:
        clean["priority"] = errors.check("priority", parse_int, data.get("priority") or 0, minimum=0, maximum=3)
    if has("tags"):
        clean["tags"] = tags_to_db(parse_tags(data.get("tags")))
    if has("memo"):
        clean["memo"] = errors.check("memo", clean_text, data.get("memo"), max_length=20_000) or ""
    if has("customer_id"):
        clean["customer_id"] = check_customer(session, errors, data.get("customer_id"), "sales.error.customer_unknown")
    if has("owner_id"):
        clean["owner_id"] = check_owner(session, errors, data.get("owner_id"), actor.id)
    if current is None:
        raw_stage = data.get("stage_id")
        if raw_stage not in (None, ""):
            stage = session.get(Stage, int(raw_stage)) if str(raw_stage).isdigit() else None
            if stage is None:
                errors.add("stage_id", "sales.error.stage_unknown")
            clean["stage_id"] = stage.id if stage else None
    errors.raise_if_any()
    return clean


def create_opportunity(session: Session, actor: Actor, data: dict) -> Opportunity:
    permissions.require(session, actor, "opportunities", "create")
    data = permissions.guard_writes(session, actor, "opportunities", data)
    clean = _validate(session, actor, data, None)
    stage_id = clean.pop("stage_id", None)
    if stage_id is None:
        stages = stages_for_team(session, actor.team_id)
        if not stages:
            raise DomainError("sales.error.stage_unknown", field="stage_id")
        stage_id = stages[0].id
    stage = session.get(Stage, stage_id)
    if "probability" not in clean:
        clean["probability"] = stage.probability
    now = utcnow()
    opportunity = Opportunity(
        **clean,
        stage_id=stage_id,
        team_id=actor.team_id,
        lead_id=data.get("lead_id") or None,
        position=_end_position(session, stage_id),
        state="won" if stage.is_won else "open",
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        closed_at=now if stage.is_won else None,
    )
    session.add(opportunity)
    session.flush()
    session.add(StageHistory(opportunity_id=opportunity.id, to_stage_id=stage_id, to_state=opportunity.state, user_id=actor.id, expected_revenue=opportunity.expected_revenue, at=now))
    activities.log(session, actor, "opportunity", opportunity.id, "created", "sales.timeline.created", name=opportunity.name)
    return opportunity


def _get(session: Session, opportunity_id: int, actor: Actor | None = None) -> Opportunity:
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise NotFound()
    if actor is not None:
        permissions.check_visible(session, actor, "opportunities", opportunity.owner_id)
    return opportunity


def _check_version(opportunity: Opportunity, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != opportunity.version:
        raise Conflict("sales.conflict_changed", name=opportunity.name)


def update_opportunity(session: Session, actor: Actor, opportunity_id: int, data: dict, expected_version: int | None = None) -> Opportunity:
    permissions.require(session, actor, "opportunities", "update")
    opportunity = _get(session, opportunity_id, actor)
    _check_version(opportunity, expected_version)
    data = permissions.guard_writes(session, actor, "opportunities", data, opportunity)
    clean = _validate(session, actor, data, opportunity)
    clean.pop("stage_id", None)
    changed = [key for key, value in clean.items() if getattr(opportunity, key) != value]
    for key in changed:
        setattr(opportunity, key, clean[key])
    if changed:
        opportunity.version += 1
        opportunity.updated_at = utcnow()
        session.add(opportunity)
    session.flush()
    return opportunity


def _record_move(session: Session, actor: Actor, opportunity: Opportunity, from_stage: int | None, from_state: str) -> None:
    session.add(
        StageHistory(
            opportunity_id=opportunity.id,
            from_stage_id=from_stage,
            to_stage_id=opportunity.stage_id,
            from_state=from_state,
            to_state=opportunity.state,
            user_id=actor.id,
            expected_revenue=opportunity.expected_revenue,
            at=utcnow(),
        )
    )


def _renumber(session: Session, stage_id: int) -> None:
    ids = session.exec(select(Opportunity.id).where(Opportunity.stage_id == stage_id).order_by(Opportunity.position, Opportunity.id)).all()
    for index, oid in enumerate(ids):
        session.exec(update(Opportunity).where(Opportunity.id == oid).values(position=(index + 1) * POSITION_STEP))
    session.flush()


def _position_between(session: Session, stage_id: int, before_id: int | None, after_id: int | None, moving_id: int) -> float:
    """A position that puts the card just before ``before_id`` (or after ``after_id``, or at the end)."""
    for _attempt in range(2):
        if before_id:
            anchor = session.get(Opportunity, before_id)
            if anchor is not None and anchor.stage_id == stage_id and anchor.id != moving_id:
                prev = session.exec(
                    select(func.max(Opportunity.position)).where(
                        Opportunity.stage_id == stage_id, Opportunity.position < anchor.position, Opportunity.id != moving_id
                    )
                ).one()
                low = prev if prev is not None else anchor.position - 2 * POSITION_STEP
                if anchor.position - low > 1e-6:
                    return (low + anchor.position) / 2
                _renumber(session, stage_id)
                continue
        if after_id:
            anchor = session.get(Opportunity, after_id)
            if anchor is not None and anchor.stage_id == stage_id and anchor.id != moving_id:
                nxt = session.exec(
                    select(func.min(Opportunity.position)).where(
                        Opportunity.stage_id == stage_id, Opportunity.position > anchor.position, Opportunity.id != moving_id
                    )
                ).one()
                high = nxt if nxt is not None else anchor.position + 2 * POSITION_STEP
                if high - anchor.position > 1e-6:
                    return (anchor.position + high) / 2
                _renumber(session, stage_id)
                continue
        break
    return _end_position(session, stage_id)


def move_opportunity(
    session: Session,
    actor: Actor,
    opportunity_id: int,
    to_stage_id: int,
    *,
    before_id: int | None = None,
    after_id: int | None = None,
    expected_version: int | None = None,
) -> Opportunity:
    """Move a card to a stage (and a place in its column). Probability follows the new stage's default.

    A move onto the Won stage marks the opportunity won. A stale ``expected_version`` (somebody moved
    or edited it meanwhile) raises Conflict and changes nothing.
    """
    permissions.require(session, actor, "opportunities", "update")
    opportunity = _get(session, opportunity_id, actor)
    stage = _stage(session, to_stage_id)
    if opportunity.version != (expected_version if expected_version is not None else opportunity.version):
        raise Conflict("sales.conflict_moved", name=opportunity.name, stage=session.get(Stage, opportunity.stage_id).name)
    if opportunity.state == "lost":
        raise DomainError("sales.error.closed")
    if opportunity.state == "won" and not stage.is_won:
        raise DomainError("sales.error.closed")
    from_stage, from_state = opportunity.stage_id, opportunity.state
    opportunity.position = _position_between(session, stage.id, before_id, after_id, opportunity.id)
    if from_stage != stage.id:
        opportunity.stage_id = stage.id
        opportunity.probability = stage.probability
        opportunity.stage_changed_at = utcnow()
        if stage.is_won:
            opportunity.state = "won"
            opportunity.closed_at = utcnow()
        old = session.get(Stage, from_stage)
        _record_move(session, actor, opportunity, from_stage, from_state)
        activities.log(session, actor, "opportunity", opportunity.id, "stage", "sales.timeline.moved", from_stage=old.name if old else "", to_stage=stage.name)
    opportunity.version += 1
    opportunity.updated_at = utcnow()
    session.add(opportunity)
    session.flush()
    return opportunity


def mark_won(session: Session, actor: Actor, opportunity_id: int) -> Opportunity:
    permissions.require(session, actor, "opportunities", "update")
    opportunity = _get(session, opportunity_id, actor)
    if opportunity.state != "open":
        raise DomainError("sales.error.not_open")
    won = next((s for s in stages_for_team(session, opportunity.team_id) if s.is_won), None)
    from_stage = opportunity.stage_id
    opportunity.state, opportunity.probability, opportunity.closed_at = "won", 100, utcnow()
    if won is not None:
        opportunity.stage_id = won.id
        opportunity.position = _end_position(session, won.id, "won")
    opportunity.version += 1
    _record_move(session, actor, opportunity, from_stage, "open")
    activities.log(session, actor, "opportunity", opportunity.id, "won", "sales.timeline.won")
    session.add(opportunity)
    session.flush()
    return opportunity


def mark_lost(session: Session, actor: Actor, opportunity_id: int, reason: str) -> Opportunity:
    permissions.require(session, actor, "opportunities", "update")
    opportunity = _get(session, opportunity_id, actor)
    if opportunity.state != "open":
        raise DomainError("sales.error.not_open")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("sales.error.lost_reason", field="lost_reason")
    if len(reason) > 200:
        raise DomainError("error.too_long", field="lost_reason", max=200)
    opportunity.state, opportunity.lost_reason, opportunity.closed_at = "lost", reason, utcnow()
    opportunity.probability = 0
    opportunity.version += 1
    _record_move(session, actor, opportunity, opportunity.stage_id, "open")
    label = f"sales.lost_reason.{reason}" if reason in LOST_REASONS else ""
    activities.log(session, actor, "opportunity", opportunity.id, "lost", "sales.timeline.lost", reason=reason, reason_key=label)
    session.add(opportunity)
    session.flush()
    return opportunity


def restore(session: Session, actor: Actor, opportunity_id: int) -> Opportunity:
    """Re-open a won or lost opportunity in its first non-won stage it had (or the first stage)."""
    permissions.require(session, actor, "opportunities", "update")
    opportunity = _get(session, opportunity_id, actor)
    if opportunity.state == "open":
        raise DomainError("sales.error.already_open")
    from_state, from_stage = opportunity.state, opportunity.stage_id
    stage = session.get(Stage, opportunity.stage_id)
    if stage is None or stage.is_won:
        previous = session.exec(
            select(StageHistory.from_stage_id)
            .where(StageHistory.opportunity_id == opportunity.id, StageHistory.from_stage_id.is_not(None))
            .order_by(StageHistory.id.desc())
        ).all()
        candidates = [session.get(Stage, sid) for sid in previous]
        stage = next((s for s in candidates if s is not None and not s.is_won), None) or stages_for_team(session, opportunity.team_id)[0]
        opportunity.stage_id = stage.id
        opportunity.position = _end_position(session, stage.id)
    opportunity.state, opportunity.lost_reason, opportunity.closed_at = "open", "", None
    opportunity.probability = stage.probability
    opportunity.version += 1
    _record_move(session, actor, opportunity, from_stage, from_state)
    activities.log(session, actor, "opportunity", opportunity.id, "restored", "sales.timeline.restored")
    session.add(opportunity)
    session.flush()
    return opportunity



def delete_opportunity(session: Session, actor: Actor, opportunity_id: int) -> None:
    """Delete an opportunity with its stage history, activities and timeline. Refused (Conflict)
    while a quotation points at it. Activities it took over from a lead go back to the lead."""
    from sqlalchemy import delete

    from kaktus_app.activities.models import Activity, TimelineEntry
    from kaktus_app.leads.models import Lead
    from kaktus_app.references import refuse_if_referenced

    permissions.require(session, actor, "opportunities", "delete")
    opportunity = _get(session, opportunity_id, actor)
    for activity in session.exec(select(Activity).where(Activity.opportunity_id == opportunity.id)):
        if activity.lead_id:
            activity.opportunity_id = None
            session.add(activity)
        else:
            session.delete(activity)
    for history in session.exec(select(StageHistory).where(StageHistory.opportunity_id == opportunity.id)):
        session.delete(history)
    for lead in session.exec(select(Lead).where(Lead.opportunity_id == opportunity.id)):
        lead.opportunity_id = None
        session.add(lead)
    session.flush()
    refuse_if_referenced(session, Opportunity, opportunity.id)
    session.exec(delete(TimelineEntry).where(TimelineEntry.record_type == "opportunity", TimelineEntry.record_id == opportunity.id))
    session.delete(opportunity)
    session.flush()

# ----------------------------------------------------------------------------------------- board


def _board_filters(query, actor: Actor, *, owner_id=None, mine: bool = False, tag: str = "", search: str = "", visible=None):
    clause = permissions.owner_clause(Opportunity.owner_id, visible)
    if clause is not None:
        query = query.where(clause)
    if mine:
        query = query.where(Opportunity.owner_id == actor.id)
    elif owner_id:
        query = query.where(Opportunity.owner_id == int(owner_id))
    if tag:
        query = query.where(Opportunity.tags.like(f"%,{tag.strip().lower()},%"))
    if search.strip():  # any word of the name by its beginning
        typed = word_search.words(search)
        query = query.where(word_search.opportunity_matches(typed) if typed else false())
    return query


def _cards(session: Session, actor: Actor, rows: list[Opportunity], lang: str) -> list[dict]:
    customers = {}
    customer_ids = {o.customer_id for o in rows if o.customer_id}
    if customer_ids:
        customers = dict(session.exec(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all())
    owners = user_names(session, [o.owner_id for o in rows])
    nexts = activities.next_activity_by_opportunity(session, [o.id for o in rows])
    hidden = permissions.hidden(session, actor, "opportunities")
    cards = []
    for o in rows:
        nxt = nexts.get(o.id)
        cards.append(
            {
                "id": o.id,
                "name": o.name,
                "customer": customers.get(o.customer_id, ""),
                "revenue": format_idr(o.expected_revenue),
                "probability": o.probability,
                "owner": owners.get(o.owner_id, ""),
                "priority": o.priority,
                "tags": tags_from_db(o.tags),
                "version": o.version,
                "stage_id": o.stage_id,
                "state": o.state,
                "next_summary": nxt["summary"] if nxt else "",
                "next_due": format_datetime(nxt["due_at"], lang) if nxt and nxt["due_at"] else "",
                "next_overdue": bool(nxt and nxt["overdue"]),
            }
        )
        permissions.redact(session, actor, "opportunities", cards[-1], hidden)
    return cards


def _column_query(actor: Actor, stage: Stage, filters: dict):
    query = select(Opportunity).where(Opportunity.stage_id == stage.id)
    query = query.where(Opportunity.state == ("won" if stage.is_won else "open"))
    return _board_filters(query, actor, **filters)


def _column_totals(session: Session, actor: Actor, stage_ids: list[int], filters: dict) -> dict[tuple[int, str], tuple[int, Decimal, Decimal]]:
    """{(stage id, state): (deals, sum of expected revenue, sum of weighted revenue)} of the open and
    won deals. Everybody's deals without a filter: the rows the triggers keep (migration 0016);
    otherwise summed over the deals the filters select."""
    unfiltered = filters["visible"] is None and not (filters["owner_id"] or filters["mine"] or filters["tag"] or filters["search"].strip())
    if unfiltered:
        rows = session.exec(
            select(StageTotal.stage_id, StageTotal.state, StageTotal.deals, StageTotal.expected_cents, StageTotal.weighted_cents)
            .where(StageTotal.state.in_(("open", "won")), StageTotal.stage_id.in_(stage_ids))
        )
        return {(r[0], r[1]): (int(r[2]), Decimal(r[3]) / 100, Decimal(r[4]) / 10000) for r in rows}
    query = _board_filters(
        select(
            Opportunity.stage_id,
            Opportunity.state,
            func.count(Opportunity.id),
            func.coalesce(func.sum(Opportunity.expected_revenue), 0),
            func.coalesce(func.sum(Opportunity.expected_revenue * Opportunity.probability), 0),
        )
        .where(Opportunity.state.in_(("open", "won")), Opportunity.stage_id.in_(stage_ids))
        .group_by(Opportunity.stage_id, Opportunity.state),
        actor,
        **filters,
    )
    return {(r[0], r[1]): (int(r[2]), Decimal(str(r[3])), Decimal(str(r[4])) / 100) for r in session.exec(query)}


def board(
    session: Session,
    actor: Actor,
    *,
    team_id: int | None = None,
    owner_id: int | None = None,
    mine: bool = False,
    tag: str = "",
    search: str = "",
    per_column: int = 20,
    lang: str = "en",
) -> dict:
    """Every column with its count and sums and its first ``per_column`` cards (each column's cards
    read by the board index; their customers, owners and next activities read once for the board)."""
    permissions.require(session, actor, "opportunities", "read")
    stages = stages_for_team(session, team_id if team_id is not None else actor.team_id)
    filters = dict(owner_id=owner_id, mine=mine, tag=tag, search=search, visible=permissions.visible_owner_ids(session, actor, "opportunities"))
    totals = _column_totals(session, actor, [s.id for s in stages], filters)
    rows = [list(session.exec(_column_query(actor, stage, filters).order_by(Opportunity.position, Opportunity.id).limit(per_column))) for stage in stages]
    cards = iter(_cards(session, actor, [o for column in rows for o in column], lang))  # in the order of the rows
    columns = []
    for stage, column_rows in zip(stages, rows, strict=True):
        count, expected, weighted_sum = totals.get((stage.id, "won" if stage.is_won else "open"), (0, Decimal(0), Decimal(0)))
        columns.append(
            {
                "id": stage.id,
                "name": stage.name,
                "key": stage.name.lower().replace(" ", "-"),
                "is_won": stage.is_won,
                "count": count,
                "sum_expected": expected,
                "sum_expected_label": format_idr(expected),
                "sum_expected_short": format_idr_short(expected),
                "sum_weighted_label": format_idr(weighted_sum),
                "cards": [next(cards) for _ in column_rows],
            }
        )
        permissions.redact(session, actor, "opportunities", columns[-1])
    return {"columns": columns}


def column_cards(
    session: Session, actor: Actor, stage_id: int, *, offset: int, limit: int = 20, owner_id=None, mine: bool = False, tag: str = "", search: str = "", lang: str = "en"
) -> list[dict]:
    permissions.require(session, actor, "opportunities", "read")
    stage = _stage(session, stage_id)
    filters = dict(owner_id=owner_id, mine=mine, tag=tag, search=search, visible=permissions.visible_owner_ids(session, actor, "opportunities"))
    rows = session.exec(_column_query(actor, stage, filters).order_by(Opportunity.position, Opportunity.id).offset(offset).limit(limit)).all()
    return _cards(session, actor, list(rows), lang)


# ------------------------------------------------------------------------------------ list / form


def list_opportunities(
    session: Session,
    actor: Actor,
    *,
    search: str = "",
    stage_id: int | None = None,
    state: str = "",
    owner_id: int | str | None = None,
    tag: str = "",
    sort: str = "updated_at",
    desc: bool = True,
    page: int = 1,
    page_size: int = 25,
    lang: str = "en",
) -> dict:
    shape, params, order, hidden, typed = _list_query(session, actor, dict(search=search, stage_id=stage_id, state=state, owner_id=owner_id, tag=tag), sort, desc)
    owners, searching, *filters = shape
    alone = searching == "index" and owners is None and not any(filters)
    # searched by name words and nothing else: the word index counts the matches (and tells whether they are common)
    counted = word_search.word_count(session, "opportunity_name", typed, COUNT_CAP + 1) if alone else None
    in_place = counted is None and searching == "index" and word_search.pg_counts_in_place(session, Opportunity)
    if in_place:  # PostgreSQL: the count tests each deal's words where the GIN index finds them (a bitmap)
        counted = _LIST.count(session, (owners, "plain", *filters), params, COUNT_CAP)
    elif counted is None:
        counted = _LIST.count(session, shape, params, COUNT_CAP)
    needed = Page.of(counted, page, page_size).offset + page_size
    if in_place and word_search.pg_like_walks(session, Opportunity, needed, counted):
        # common words: the page walks the order's index testing each deal's stored words (the
        # planner knows them common from the column's statistics); 'jaya' at a million customers
        # reads 600 deals in 1.4 ms, where sorting its 8,306 matches took 8.6
        shape = (owners, "like", *filters)
    elif in_place:  # rare: the page is sorted from the rows the GIN index finds, never walked from an order's index
        shape, order = (owners, "plain", *filters), (*order, True)
    elif searching == "index" and order[0] == "updated_at" and word_search.opportunity_name_walks(session, counted, needed):
        # SQLite, a common word (with other filters too: the open deals by default): the page walks
        # the recent-first index testing each deal ('jaya' among open deals at 1M: 7.9 ms to 1.5)
        shape = (owners, "walk", *filters)
    at, rows = _LIST.page(session, shape, params, order, page, page_size, counted, cap=COUNT_CAP)
    return at.result(_opportunity_rows(session, actor, rows, hidden, lang))


# the columns a list row shows (the deal list's page reads only these)
LIST_COLUMNS = (
    Opportunity.id, Opportunity.name, Opportunity.customer_id, Opportunity.stage_id, Opportunity.state, Opportunity.expected_revenue,
    Opportunity.probability, Opportunity.expected_closing, Opportunity.owner_id, Opportunity.updated_at,
)


def _list_query(session: Session, actor: Actor, f: dict, sort: str, desc: bool) -> tuple[tuple, dict, tuple[str, bool], set[str], list[str]]:
    """The list's filters as (shape, values) for a prepared statement (the shape says which clauses
    there are, the values fill them), its order (sort key, descending), the hidden fields and the
    typed words of the search."""
    permissions.require(session, actor, "opportunities", "read")
    hidden = permissions.hidden(session, actor, "opportunities")
    search, state, owner_id, tag = (f.get(k) or "" for k in ("search", "state", "owner_id", "tag"))
    stage_id = f.get("stage_id")
    if "tags" in hidden:
        tag = ""  # filtering by a hidden field would reveal it
    sort = permissions.safe_sort(session, actor, "opportunities", sort, "updated_at")
    owners, params = permissions.owner_params(permissions.visible_owner_ids(session, actor, "opportunities"))
    typed = word_search.words(search) if search.strip() else []
    searching = None
    if search.strip():  # any word of the name by its beginning; nothing when no word was typed ("!!")
        searching = "index" if typed else "nothing"
        params.update(word_search.pg_word_params(session, "opportunity_name", typed, "w") if typed else {})
    if stage_id:
        params["stage"] = int(stage_id)
    if state:
        params["state"] = state
    owner = actor.id if owner_id == "me" else (owner_id or None)
    if owner:
        params["owner"] = int(owner)
    if tag:
        params["tag"] = f"%,{tag.strip().lower()},%"
    shape = (owners, searching, *(name in params for name in ("stage", "state", "owner", "tag")))
    return shape, params, (sort if sort in SORTS else "updated_at", bool(desc)), hidden, typed


def _conditions(shape: tuple) -> list:
    """The WHERE clauses of a list shape, every value a named parameter (:func:`_list_query`). A
    "walk" search tests each deal's id (see ``search.text.opportunity_matches``)."""
    owners, searching, stage, state, owner, tag = shape
    clauses = permissions.owner_placeholders(Opportunity.owner_id, owners)
    if searching == "nothing":
        clauses.append(false())
    elif searching:
        column = Opportunity.id + literal_column("0") if searching == "walk" else Opportunity.id
        clauses.append(word_search.WordMatch("opportunity_name", column, None, param="w", plain=searching == "plain", like=searching == "like"))
    return clauses + param_clauses(
        (stage, Opportunity.stage_id, "stage"), (state, Opportunity.state, "state"), (owner, Opportunity.owner_id, "owner"), (tag, Opportunity.tags, "tag")
    )


# deals of the same probability, stage or owner are in the order they last changed (indexes of migration 0018)
THEN_BY_CHANGE = frozenset({"probability", "stage", "owner"})


def _order(sort: str, desc: bool, matches_first: bool = False) -> list:
    """``matches_first``: the same order written so that no index serves it (``coalesce(x, x)`` is
    ``x``), so PostgreSQL sorts the rows its other conditions find instead of walking an order's
    index testing each row's words (seconds for a rare word: it guesses 2% of the rows match)."""
    columns = [SORTS.get(sort, Opportunity.updated_at), Opportunity.updated_at if sort in THEN_BY_CHANGE else None, Opportunity.id]
    if matches_first:
        columns = [None if c is None else func.coalesce(c, c) for c in columns]
    return list_order(*columns, desc)


_LIST = PreparedList(Opportunity.id, LIST_COLUMNS, _conditions, _order)
_STAGE_NAMES = NamesById(Stage.id, Stage.name)


def _opportunity_rows(session: Session, actor: Actor, rows, hidden: set[str], lang: str) -> list[dict]:
    """List rows of opportunities (or of rows of ``LIST_COLUMNS``)."""
    stages = _STAGE_NAMES.of(session, [o.stage_id for o in rows])
    customers = customer_names(session, [o.customer_id for o in rows])
    owners = user_names(session, [o.owner_id for o in rows])
    return [
        permissions.redact(session, actor, "opportunities", {
            "id": o.id,
            "name": o.name,
            "customer": customers.get(o.customer_id, ""),
            "stage": stages.get(o.stage_id, ""),
            "state": o.state,
            "revenue": format_idr(o.expected_revenue),
            "probability": o.probability,
            "weighted": format_idr(weighted(o.expected_revenue, o.probability)),
            "closing": format_date(o.expected_closing, lang),
            "owner": owners.get(o.owner_id, ""),
            "updated_at": format_datetime(o.updated_at, lang),
        }, hidden)
        for o in rows
    ]


def iter_opportunities(session: Session, actor: Actor, *, filters: dict, sort: str = "updated_at", desc: bool = True, lang: str = "en"):
    """Every opportunity the list's filters select, in its order, as list rows, read in batches (exports)."""
    shape, params, order, hidden, _typed = _list_query(session, actor, filters, sort, desc)
    for rows in batches(session, select(*LIST_COLUMNS).where(*_conditions(shape)).order_by(*_order(*order)).params(params)):
        yield from _opportunity_rows(session, actor, rows, hidden, lang)


def get_opportunity(session: Session, actor: Actor, opportunity_id: int, lang: str = "en") -> dict:
    permissions.require(session, actor, "opportunities", "read")
    o = _get(session, opportunity_id, actor)
    customer = session.get(Customer, o.customer_id) if o.customer_id else None
    stages = stages_for_team(session, o.team_id)
    names = {s.id: s.name for s in session.exec(select(Stage))}
    history = session.exec(select(StageHistory).where(StageHistory.opportunity_id == o.id).order_by(StageHistory.id.desc()).limit(50)).all()
    owners = user_names(session, [o.owner_id] + [h.user_id for h in history])
    return permissions.redact(session, actor, "opportunities", {
        "id": o.id,
        "name": o.name,
        "customer_id": o.customer_id or "",
        "customer_name": customer.name if customer else "",
        "lead_id": o.lead_id or 0,
        "stage_id": o.stage_id,
        "stage_name": names.get(o.stage_id, ""),
        "stages": [{"id": s.id, "name": s.name, "is_won": s.is_won} for s in stages],
        "state": o.state,
        "expected_revenue": str(int(o.expected_revenue)) if o.expected_revenue == o.expected_revenue.to_integral() else str(o.expected_revenue),
        "expected_revenue_label": format_idr(o.expected_revenue),
        "probability": o.probability,
        "weighted_label": format_idr(weighted(o.expected_revenue, o.probability)),
        "expected_closing": o.expected_closing.isoformat() if o.expected_closing else "",
        "priority": o.priority,
        "owner_id": o.owner_id or "",
        "owner_name": owners.get(o.owner_id, ""),
        "tags": ", ".join(tags_from_db(o.tags)),
        "memo": o.memo,
        "lost_reason": o.lost_reason,
        "version": o.version,
        "history": [
            {
                "when": format_datetime(h.at, lang),
                "from": names.get(h.from_stage_id, "") if h.from_stage_id else "",
                "to": names.get(h.to_stage_id, "") if h.to_stage_id else "",
                "from_state": h.from_state,
                "to_state": h.to_state,
                "who": owners.get(h.user_id, ""),
            }
            for h in history
        ],
    })


def open_opportunities_for_customer(session: Session, customer_id: int) -> list[dict]:
    stages = {s.id: s.name for s in session.exec(select(Stage))}
    rows = session.exec(
        select(Opportunity).where(Opportunity.customer_id == customer_id, Opportunity.state == "open").order_by(Opportunity.id.desc()).limit(50)
    ).all()
    return [{"id": o.id, "name": o.name, "stage": stages.get(o.stage_id, ""), "expected_revenue": format_idr(o.expected_revenue)} for o in rows]


# ------------------------------------------------------------------------------ stage configuration


def _require_manager(actor: Actor) -> None:
    from kaktus_app.errors import PermissionDenied

    if not actor.is_manager:
        raise PermissionDenied()


def stage_settings(session: Session, actor: Actor, team_id: int | None) -> list[dict]:
    """The stages a team's board shows, with how many opportunities sit in each."""
    counts = dict(session.exec(select(Opportunity.stage_id, func.count(Opportunity.id)).group_by(Opportunity.stage_id)).all())
    return [
        {"id": s.id, "name": s.name, "probability": s.probability, "is_won": s.is_won, "team_id": s.team_id or 0, "count": counts.get(s.id, 0)}
        for s in stages_for_team(session, team_id)
    ]


def _stage_values(data: dict) -> dict:
    errors = Errors()
    name = errors.check("name", clean_text, data.get("name"), required=True, max_length=60)
    probability = errors.check("probability", parse_int, data.get("probability", 10), minimum=0, maximum=100, range_key="sales.error.probability")
    errors.raise_if_any()
    return {"name": name, "probability": probability}


def _own_stages(session: Session, actor: Actor, team_id: int | None) -> list[Stage]:
    """The stages this team edits: for a team still on the defaults, its own copy is made first."""
    _require_manager(actor)
    if team_id is None:
        return stages_for_team(session, None)
    own = list(session.exec(select(Stage).where(Stage.team_id == team_id).order_by(Stage.sequence)).all())
    if not own:
        defaults = stages_for_team(session, None)
        mapping = {}
        for stage in defaults:
            copy = Stage(name=stage.name, sequence=stage.sequence, team_id=team_id, probability=stage.probability, is_won=stage.is_won)
            session.add(copy)
            session.flush()
            mapping[stage.id] = copy.id
        for old, new in mapping.items():
            session.exec(update(Opportunity).where(Opportunity.team_id == team_id, Opportunity.stage_id == old).values(stage_id=new))
        own = list(session.exec(select(Stage).where(Stage.team_id == team_id).order_by(Stage.sequence)).all())
    return own


def add_stage(session: Session, actor: Actor, team_id: int | None, data: dict) -> Stage:
    """A new column, placed before the Won column."""
    values = _stage_values(data)
    stages = _own_stages(session, actor, team_id)
    won = next((s for s in stages if s.is_won), None)
    sequence = (won.sequence - 1) if won else (stages[-1].sequence + 10 if stages else 10)
    if won is not None:
        for stage in stages:
            if stage.sequence >= won.sequence:
                stage.sequence += 10
                session.add(stage)
        sequence = won.sequence - 10
    stage = Stage(team_id=team_id, sequence=sequence, **values)
    session.add(stage)
    session.flush()
    return stage


def update_stage(session: Session, actor: Actor, team_id: int | None, stage_id: int, data: dict) -> Stage:
    values = _stage_values(data)
    stages = _own_stages(session, actor, team_id)
    stage = next((s for s in stages if s.id == stage_id or (s.name == (session.get(Stage, stage_id).name if session.get(Stage, stage_id) else None))), None)
    if stage is None:
        raise NotFound()
    stage.name, stage.probability = values["name"], values["probability"]
    session.add(stage)
    session.flush()
    return stage


def move_stage(session: Session, actor: Actor, team_id: int | None, stage_id: int, direction: int) -> None:
    """Swap a column with its neighbour (the Won column stays last)."""
    stages = _own_stages(session, actor, team_id)
    name = session.get(Stage, stage_id).name if session.get(Stage, stage_id) else None
    index = next((i for i, s in enumerate(stages) if s.id == stage_id or s.name == name), None)
    if index is None:
        raise NotFound()
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(stages) or stages[index].is_won or stages[other].is_won:
        raise DomainError("sales.error.stage_order")
    stages[index].sequence, stages[other].sequence = stages[other].sequence, stages[index].sequence
    session.add_all([stages[index], stages[other]])
    session.flush()


def delete_stage(session: Session, actor: Actor, team_id: int | None, stage_id: int) -> None:
    """Remove an empty column; the Won column and columns holding opportunities stay."""
    stages = _own_stages(session, actor, team_id)
    name = session.get(Stage, stage_id).name if session.get(Stage, stage_id) else None
    stage = next((s for s in stages if s.id == stage_id or s.name == name), None)
    if stage is None:
        raise NotFound()
    if stage.is_won:
        raise DomainError("sales.error.stage_won")
    if session.exec(select(func.count(Opportunity.id)).where(Opportunity.stage_id == stage.id)).one():
        raise DomainError("sales.error.stage_not_empty")
    if session.exec(select(func.count(StageHistory.id)).where((StageHistory.from_stage_id == stage.id) | (StageHistory.to_stage_id == stage.id))).one():
        raise DomainError("sales.error.stage_has_history")
    session.delete(stage)
    session.flush()
