"""Server-side pagination shared by every list service: a capped count and a clamped page."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from kaktus_app.prepared import Prepared

COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    total: int
    capped: bool
    page: int
    pages: int
    offset: int
    size: int

    @classmethod
    def of(cls, found: int, page: int, page_size: int, cap: int = COUNT_CAP) -> Page:
        """The page for ``found`` matching rows (counted up to ``cap`` + 1), ``page`` clamped to the pages there are."""
        size = max(1, min(int(page_size), 100))
        capped, total = found > cap, min(found, cap)
        pages = max(1, math.ceil(total / size))
        page = max(1, min(int(page), pages))
        return cls(total, capped, page, pages, (page - 1) * size, size)

    def result(self, rows: list[dict]) -> dict:
        return {"rows": rows, "total": self.total, "total_capped": self.capped, "page": self.page, "pages": self.pages}


class PreparedList:
    """A list's two prepared reads (``prepared.Prepared``): the capped count of ``id_column`` and one
    page of ``columns``, both under ``conditions(shape)`` (the WHERE clauses of a shape, values as
    named parameters); the page in ``order(*order_key)``."""

    def __init__(self, id_column, columns, conditions: Callable, order: Callable) -> None:
        self._count = Prepared(lambda shape: select(func.count()).select_from(select(id_column).where(*conditions(shape)).limit(bindparam("cap")).subquery()))

        def page(key):
            shape, order_key, ids_first = key
            found = (select(id_column) if ids_first else select(*columns)).where(*conditions(shape)).order_by(*order(*order_key)).limit(bindparam("size")).offset(bindparam("offset"))
            return select(*columns).where(id_column.in_(found.scalar_subquery())).order_by(*order(*order_key)) if ids_first else found

        self._page = Prepared(page)

    def read(
        self, session: Session, shape, params: dict, order_key: tuple, page: int, page_size: int, *, count_shape=None, count_params=None, cap: int = COUNT_CAP
    ) -> tuple[Page, list]:
        """(the page, its rows); the count may have a shape of its own (a word search counts its own way)."""
        counted = self.count(session, shape if count_shape is None else count_shape, params if count_params is None else count_params, cap)
        return self.page(session, shape, params, order_key, page, page_size, counted, cap=cap)

    def count(self, session: Session, shape, params: dict, cap: int = COUNT_CAP) -> int:
        """The matching rows, counted up to ``cap`` + 1."""
        return self._count.scalar(session, shape, params | {"cap": cap + 1})

    def page(
        self, session: Session, shape, params: dict, order_key: tuple, page: int, page_size: int, counted: int, *, cap: int = COUNT_CAP, ids_first: bool = False
    ) -> tuple[Page, list]:
        """(the page, its rows) once the rows are counted (``counted``, up to ``cap`` + 1).

        ``ids_first``: the page's ids are found alone, then their rows. For a condition that walks
        an index testing each entry (a common word in customer names), PostgreSQL then reads the
        index only, and the table for the page's rows alone, instead of for every entry it tests.
        """
        at = Page.of(counted, page, page_size, cap)
        return at, self._page.rows(session, (shape, order_key, ids_first), params | {"size": at.size, "offset": at.offset})


def list_order(column, then, id_column, desc: bool) -> list:
    """A list's ORDER BY: the sorted column, ``then`` (None: nothing) for rows sharing its value,
    then the id, all in the sort's direction (the order of the list's indexes)."""
    columns = [column, *([then] if then is not None else []), id_column]
    return [c.desc() if desc else c.asc() for c in columns]


def param_clauses(*filters) -> list:
    """The clauses of a list's plain filters that are set, each given as (is set, column, parameter
    name): the parameter "tag" is matched with LIKE (one tag in the stored ",a,b," list), any other
    with "="."""
    return [column.like(bindparam(name)) if name == "tag" else column == bindparam(name) for is_set, column, name in filters if is_set]


def page_of(session: Session, ids_query, page: int, page_size: int, cap: int = COUNT_CAP) -> Page:
    """Count at most ``cap`` + 1 matching rows (counting a million rows would cost more than the page)."""
    return Page.of(session.exec(select(func.count()).select_from(ids_query.limit(cap + 1).subquery())).one(), page, page_size, cap)


def batches(session: Session, query, size: int = 500):
    """The rows of ``query`` streamed from the database ``size`` at a time (for exports: the whole
    result is never in memory)."""
    result = session.exec(query.execution_options(yield_per=size))
    while chunk := result.fetchmany(size):
        yield chunk
