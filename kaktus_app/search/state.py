"""The top bar's global search box."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.search import service


class SearchState(rx.State):
    query: str = ""
    customers: list[dict] = []
    leads: list[dict] = []
    opportunities: list[dict] = []
    open: bool = False

    @rx.var
    def has_results(self) -> bool:
        return bool(self.customers or self.leads or self.opportunities)

    @rx.event
    async def set_query(self, value: str):
        self.query = value
        if len(value.strip()) < 2:
            self.customers, self.leads, self.opportunities, self.open = [], [], [], False
            return
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        hits = await db.run(service.search, actor, value)
        if value != self.query:  # a newer keystroke arrived meanwhile
            return
        self.customers, self.leads, self.opportunities = hits["customers"], hits["leads"], hits["opportunities"]
        self.open = True

    @rx.event
    def close(self):
        self.open = False

    @rx.event
    def go(self, href: str):
        self.open = False
        self.query = ""
        return rx.redirect(href)
