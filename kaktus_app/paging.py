"""Server-side pagination shared by every list service: a capped count and a clamped page."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

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


def page_of(session: Session, ids_query, page: int, page_size: int, cap: int = COUNT_CAP) -> Page:
    """Count at most ``cap`` + 1 matching rows (counting a million rows would cost more than the page)."""
    return Page.of(session.exec(select(func.count()).select_from(ids_query.limit(cap + 1).subquery())).one(), page, page_size, cap)


def batches(session: Session, query, size: int = 500):
    """The rows of ``query`` streamed from the database ``size`` at a time (for exports: the whole
    result is never in memory)."""
    result = session.exec(query.execution_options(yield_per=size))
    while chunk := result.fetchmany(size):
        yield chunk
