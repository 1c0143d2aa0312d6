"""Which rows still point at a record (every foreign key of the schema), for deletes that must refuse
rather than orphan or cascade into history."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlmodel import Session, SQLModel

from kaktus_app.errors import Conflict


def referencing_tables(session: Session, model: type[SQLModel], record_id: int) -> list[str]:
    """The tables with at least one row whose foreign key points at ``model`` row ``record_id``."""
    target = model.__table__
    found: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not target or table.name in found:
                continue
            query = select(literal(1)).select_from(table).where(fk.parent == record_id)
            if table is target:  # a self-reference (a company's contacts): not the row itself
                query = query.where(table.c.id != record_id)
            if session.execute(query.limit(1)).first() is not None:
                found.append(table.name)
    return found


def refuse_if_referenced(session: Session, model: type[SQLModel], record_id: int) -> None:
    """Raise Conflict naming what still uses the record (delete or move those first)."""
    tables = referencing_tables(session, model, record_id)
    if tables:
        raise Conflict("api.error.in_use", what=", ".join(t.replace("_", " ") for t in tables))
