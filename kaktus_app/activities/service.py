"""Activities (calls, meetings, emails, to-dos) and the timeline of every record."""

from __future__ import annotations

import json

from sqlalchemy import update
from sqlmodel import Session, select

from kaktus_app.activities.models import RECORD_TYPES, Activity, TimelineEntry
from kaktus_app.auth.service import Actor
from kaktus_app.i18n import utcnow


def log(
    session: Session,
    actor: Actor | None,
    record_type: str,
    record_id: int,
    kind: str,
    message_key: str,
    body: str = "",
    **params,
) -> TimelineEntry:
    """Add a line to a record's timeline (created, changed, converted, stage moved, won, lost...).

    ``message_key`` is a translation key; ``params`` fill its placeholders when shown.
    """
    if record_type not in RECORD_TYPES:
        raise ValueError(f"unknown record type {record_type!r}")
    entry = TimelineEntry(
        record_type=record_type,
        record_id=record_id,
        kind=kind,
        message_key=message_key,
        params=json.dumps(params, default=str, ensure_ascii=False) if params else "",
        body=body or "",
        user_id=actor.id if actor else None,
        at=utcnow(),
    )
    session.add(entry)
    return entry


def next_activity_by_opportunity(session: Session, opportunity_ids: list[int]) -> dict[int, dict]:
    """The earliest planned (not done) activity of each opportunity: {id: {summary, kind, due_at, overdue}}."""
    ids = [i for i in opportunity_ids if i]
    if not ids:
        return {}
    rows = session.exec(
        select(Activity.opportunity_id, Activity.summary, Activity.kind, Activity.due_at)
        .where(Activity.opportunity_id.in_(ids), Activity.done == False)  # noqa: E712
        .order_by(Activity.opportunity_id, Activity.due_at)
    ).all()
    now = utcnow()
    result: dict[int, dict] = {}
    for opportunity_id, summary, kind, due_at in rows:
        if opportunity_id in result:
            continue
        result[opportunity_id] = {
            "summary": summary,
            "kind": kind,
            "due_at": due_at,
            "overdue": bool(due_at and due_at < now),
        }
    return result


def move_lead_history_to_opportunity(session: Session, lead_id: int, opportunity_id: int) -> None:
    """On conversion the lead's activities follow it to the opportunity (the lead keeps its link too)."""
    session.exec(update(Activity).where(Activity.lead_id == lead_id).values(opportunity_id=opportunity_id))
