"""The paging, sorting and count of a list page, shared by the list states of every module."""

from __future__ import annotations

import reflex as rx


class PagedListState(rx.State, mixin=True):
    """A list state mixin: the subclass declares ``rows`` and implements ``_reload``."""

    total: int = 0
    total_capped: bool = False
    page: int = 1
    pages: int = 1
    sort: str = ""
    desc: bool = False

    @rx.var
    def count_label(self) -> str:
        return f"{self.total:,}".replace(",", ".") + ("+" if self.total_capped else "")

    async def _reload(self) -> None:
        """Fetch the current page (each list state provides it)."""

    def _take(self, result: dict) -> None:
        self.rows = result["rows"]
        self.total, self.total_capped = result["total"], result["total_capped"]
        self.page, self.pages = result["page"], result["pages"]

    @rx.event
    async def sort_by(self, column: str):
        self.desc = not self.desc if self.sort == column else False
        self.sort, self.page = column, 1
        await self._reload()

    @rx.event
    async def next_page(self):
        self.page += 1
        await self._reload()

    @rx.event
    async def prev_page(self):
        self.page = max(1, self.page - 1)
        await self._reload()
