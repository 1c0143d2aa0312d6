"""Webhook events, captured for every service at once (like the audit trail): an ``after_flush`` hook
notes what happened to the watched records, and ``before_commit`` turns the notes into delivery rows
in the same transaction — an event is queued exactly when its change is committed.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, inspect
from sqlmodel import Session

from kaktus_app.api.service import RecordEvent

log = logging.getLogger(__name__)
KEY = "api_events"


def _resource(obj) -> str | None:
    table = getattr(obj, "__tablename__", "")
    if table == "customer":
        return "contacts" if obj.kind == "person" else "customers"
    return {"lead": "leads", "opportunity": "opportunities", "sales_order": "quotations", "ticket": "tickets", "activity": "activities"}.get(table)


def _new_value(obj, key: str):
    """The value ``key`` was changed to in this flush, or None when it did not change."""
    history = inspect(obj).attrs[key].history
    return history.added[0] if history.added and history.deleted else None


def _owner(obj) -> int | None:
    return getattr(obj, "assignee_id", None) if obj.__tablename__ in ("ticket", "activity") else getattr(obj, "owner_id", None)


def _events_of(obj, change: str) -> list[str]:
    resource = _resource(obj)
    if resource is None:
        return []
    singular = {"customers": "customer", "contacts": "contact", "leads": "lead", "opportunities": "opportunity", "quotations": "quotation", "tickets": "ticket", "activities": "activity"}[resource]
    if change in ("created", "deleted"):
        names = [f"{singular}.{change}"]
        if change == "created" and resource == "opportunities" and obj.state == "won":
            names.append("opportunity.won")
        return names
    names = []
    if resource in ("customers", "contacts"):
        names.append(f"{singular}.updated")
    elif resource == "leads" and (status := _new_value(obj, "status")) in ("converted", "lost"):
        names.append(f"lead.{status}")
    elif resource == "opportunities":
        state = _new_value(obj, "state")
        if state in ("won", "lost"):
            names.append(f"opportunity.{state}")
        elif _new_value(obj, "stage_id") is not None and obj.state == "open":
            names.append("opportunity.stage_changed")
    elif resource == "quotations" and (state := _new_value(obj, "state")) in ("sent", "confirmed"):
        names.append(f"quotation.{state}")
    elif resource == "tickets" and _new_value(obj, "status") is not None:
        names.append("ticket.status_changed")
    elif resource == "activities" and _new_value(obj, "done") is True:
        names.append("activity.done")
    return names


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    found: list[RecordEvent] = []
    for change, objects in (("created", session.new), ("updated", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            if _resource(obj) is None:
                continue
            if change == "updated" and not session.is_modified(obj, include_collections=False):
                continue
            found += [RecordEvent(name, _resource(obj), obj.id, _owner(obj)) for name in _events_of(obj, change)]
    if found:
        session.info.setdefault(KEY, []).extend(found)


@event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    if not session.info.get(KEY):
        return
    session.flush()  # the last changes may not be flushed yet
    pending: list[RecordEvent] = session.info.pop(KEY, [])
    if not pending:
        return
    from kaktus_app.api.service import queue_events

    try:
        if session.get_bind().dialect.name == "postgresql":
            # a failed statement aborts a PostgreSQL transaction: fail inside a savepoint instead
            with session.begin_nested():
                queue_events(session, pending)
        else:
            queue_events(session, pending)
    except Exception:  # a webhook must never undo the business change that caused it
        log.exception("queueing webhook deliveries failed")


def unique_events(pending: list[RecordEvent]) -> list[RecordEvent]:
    """Each event once; no "updated" for a record created or deleted in the same transaction, and
    nothing but "deleted" for a deleted one."""
    created = {(e.resource, e.record_id) for e in pending if e.event.endswith(".created")}
    deleted = {(e.resource, e.record_id) for e in pending if e.event.endswith(".deleted")}
    unique: list[RecordEvent] = []
    seen: set[RecordEvent] = set()
    for ev in pending:
        key = (ev.resource, ev.record_id)
        if ev in seen or (ev.event.endswith(".updated") and key in created) or (key in deleted and not ev.event.endswith(".deleted")):
            continue
        seen.add(ev)
        unique.append(ev)
    return unique


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(KEY, None)
