"""The paging, sorting and count of a list page, shared by the list states of every module."""

from __future__ import annotations

from typing import ClassVar

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

    EXPORT_MODULE: ClassVar[str] = ""  # the list's module for "Export" ("" = the list has none)

    async def _reload(self) -> None:
        """Fetch the current page (each list state provides it)."""

    def _export_filters(self) -> dict:
        """The list's filters as its service takes them (each exportable list provides them)."""
        return {}

    @rx.event
    async def export(self, fmt: str):
        """Export what the list shows (its filters and order, every page) as CSV or XLSX: the file is
        written on the server in batches, then downloaded from the backend's upload folder under an
        unguessable name (removed after a few minutes)."""
        from kaktus_app import db
        from kaktus_app.auth.state import require_actor
        from kaktus_app.errors import DomainError
        from kaktus_app.integration import service as integration
        from kaktus_app.ui.lang import current_lang

        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            name, stored = await db.run(
                integration.export_list, actor, self.EXPORT_MODULE, filters=self._export_filters(), sort=self.sort, desc=self.desc,
                fmt=fmt, lang=lang, folder=rx.get_upload_dir() / integration.EXPORT_SUBFOLDER,
            )
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        return rx.download(url=rx.get_upload_url(f"{integration.EXPORT_SUBFOLDER}/{stored}"), filename=name)

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
