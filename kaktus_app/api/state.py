"""/account/api-keys: the signed-in user's API keys and webhooks (the rules are in api.service)."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.api import service
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.ui.form_state import show_errors
from kaktus_app.ui.lang import current_lang, tr


class ApiKeysState(rx.State):
    keys: list[dict] = []
    webhooks: list[dict] = []
    deliveries: list[dict] = []
    new_key: str = ""  # shown once, right after it was created
    new_secret: str = ""
    key_errors: dict[str, str] = {}
    hook_errors: dict[str, str] = {}
    key_form: int = 0
    hook_form: int = 0

    async def _reload(self) -> None:
        actor = await require_actor(self)
        lang = await current_lang(self)

        def everything(session, actor):
            return (
                service.list_api_keys(session, actor, lang),
                service.webhook_rows(session, actor, lang),
                service.recent_deliveries(session, actor, lang),
            )

        self.keys, self.webhooks, self.deliveries = await db.run(everything, actor)

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.new_key, self.new_secret, self.key_errors, self.hook_errors = "", "", {}, {}
        await self._reload()

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    async def create_key(self, form: dict):
        actor = await require_actor(self)
        self.key_errors = {}
        try:
            plain, _row = await db.run(service.create_api_key, actor, str(form.get("name", "")))
        except DomainError as exc:
            return await show_errors(self, exc, "key_errors")
        self.new_key = plain
        self.key_form += 1
        await self._reload()

    @rx.event
    def dismiss_key(self):
        self.new_key = ""

    @rx.event
    def dismiss_secret(self):
        self.new_secret = ""

    @rx.event
    async def revoke(self, key_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.revoke_api_key, actor, int(key_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(await tr(self, "api.revoked_toast"))

    @rx.event
    async def create_webhook(self, form: dict):
        actor = await require_actor(self)
        self.hook_errors = {}
        events = [name.split(":", 1)[1] for name, value in form.items() if name.startswith("event:") and value in ("on", True, "true")]
        data = {"url": str(form.get("url", "")), "description": str(form.get("description", "")), "events": events}
        try:
            secret, _hook = await db.run(service.create_webhook, actor, data)
        except DomainError as exc:
            return await show_errors(self, exc, "hook_errors")
        self.new_secret = secret
        self.hook_form += 1
        await self._reload()

    @rx.event
    async def toggle_webhook(self, webhook_id: int, active: bool):
        actor = await require_actor(self)
        try:
            await db.run(service.update_webhook, actor, int(webhook_id), {"active": not active})
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(await tr(self, "api.webhook_resumed" if not active else "api.webhook_paused"))

    @rx.event
    async def delete_webhook(self, webhook_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.delete_webhook, actor, int(webhook_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(await tr(self, "api.webhook_deleted"))

    @rx.event
    async def ping(self, webhook_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.queue_ping, actor, int(webhook_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(await tr(self, "api.ping_queued"))

    @rx.event
    async def redeliver(self, delivery_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.redeliver, actor, int(delivery_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(await tr(self, "api.redelivered"))
