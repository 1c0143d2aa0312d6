"""Pipeline (live kanban), opportunity list and opportunity form states."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import service as auth_service
from kaktus_app.auth.state import AuthState, require_actor
from kaktus_app.customers import service as customers_service
from kaktus_app.errors import Conflict, DomainError
from kaktus_app.i18n import translate
from kaktus_app.sales import service
from kaktus_app.ui.form_state import as_form_values, error_messages, record_id_from_path
from kaktus_app.ui.lang import current_lang
from kaktus_app.ui.paging import PagedListState

BOARD_TOKEN = "pipeline-board"
PAGE = 20


class PipelineShared(rx.SharedState):
    """What every open board shares: a version number and the last change. Nothing else."""

    version: int = 0
    last_change: str = ""

    @rx.event
    async def join(self):
        await self._link_to(BOARD_TOKEN)


async def announce(state: rx.State, opportunity_id: int, action: str) -> None:
    """Tell every open board that something changed (after the service call committed)."""
    shared = await state.get_state(PipelineShared)
    auth = await state.get_state(AuthState)
    shared.version += 1
    shared.last_change = f"{opportunity_id}|{auth.user_name}|{action}"


class BoardState(rx.State):
    columns: list[dict] = []
    mine: bool = False
    owner_id: str = ""
    tag: str = ""
    search: str = ""
    users: list[dict] = []
    dragging_id: int = 0
    dragging_version: int = 0
    quick_stage_id: int = 0
    quick_errors: dict[str, str] = {}
    quick_form_key: int = 0
    lost_id: int = 0
    loading: bool = False
    _extra: dict[int, int] = {}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        lang = await current_lang(self)
        board = await db.run(
            service.board, actor, mine=self.mine, owner_id=int(self.owner_id) if self.owner_id.isdigit() else None,
            tag=self.tag, search=self.search, per_column=PAGE, lang=lang,
        )
        columns = []
        for column in board["columns"]:
            extra = self._extra.get(column["id"], 0)
            if extra:
                more = await db.run(
                    service.column_cards, actor, column["id"], offset=PAGE, limit=extra, mine=self.mine,
                    owner_id=int(self.owner_id) if self.owner_id.isdigit() else None, tag=self.tag, search=self.search, lang=lang,
                )
                column["cards"] += more
            column.pop("sum_expected", None)
            column["shown"] = len(column["cards"])
            columns.append(column)
        self.columns = columns

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        self._extra = {}
        await self._reload()

    @rx.event
    async def refresh(self):
        """Another user changed the board: reload what this client shows."""
        await self._reload()

    @rx.event
    async def toggle_mine(self, value: bool):
        self.mine = bool(value)
        await self._reload()

    @rx.event
    async def set_owner(self, value: str):
        self.owner_id = value
        await self._reload()

    @rx.event
    async def set_search(self, value: str):
        self.search = value
        await self._reload()

    @rx.event
    async def set_tag(self, value: str):
        self.tag = value
        await self._reload()

    async def _load_more(self, stage_id: int):
        self._extra = {**self._extra, stage_id: self._extra.get(stage_id, 0) + PAGE}
        await self._reload()

    @rx.event
    async def load_more(self, stage_id: int):
        await self._load_more(stage_id)

    @rx.event
    async def load_more_on_scroll(self, stage_id: int):
        """A column scrolled: load its next cards when it has more than it shows."""
        column = next((c for c in self.columns if c["id"] == stage_id), None)
        if column is not None and column["shown"] < column["count"]:
            await self._load_more(stage_id)

    @rx.event
    def start_drag(self, opportunity_id: int, version: int):
        self.dragging_id, self.dragging_version = opportunity_id, version

    async def _move(self, opportunity_id: int, version: int, stage_id: int, before_id: int | None):
        """Move, tell the other boards at once (yield flushes the shared version), then reload this one."""
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            moved = await db.run(service.move_opportunity, actor, opportunity_id, stage_id, before_id=before_id, expected_version=version)
        except Conflict as exc:
            await self._reload()
            yield rx.toast.warning(exc.message(lang), duration=6000)
            return
        except DomainError as exc:
            await self._reload()
            yield rx.toast.error(exc.message(lang))
            return
        await announce(self, moved.id, "moved")
        yield
        await self._reload()

    @rx.event
    async def drop_on_column(self, stage_id: int):
        if not self.dragging_id:
            return
        opportunity_id, version = self.dragging_id, self.dragging_version
        self.dragging_id = 0
        async for update in self._move(opportunity_id, version, stage_id, None):
            yield update

    @rx.event
    async def drop_before(self, stage_id: int, before_id: int):
        if not self.dragging_id or self.dragging_id == before_id:
            self.dragging_id = 0
            return
        opportunity_id, version = self.dragging_id, self.dragging_version
        self.dragging_id = 0
        async for update in self._move(opportunity_id, version, stage_id, before_id):
            yield update

    @rx.event
    async def move_to(self, opportunity_id: int, version: int, stage_id: int):
        """The accessible way: the card's "Move to stage" menu."""
        async for update in self._move(opportunity_id, version, stage_id, None):
            yield update

    @rx.event
    async def move_by_key(self, opportunity_id: int, version: int, key: str):
        """Arrow keys on a focused card: left/right to the previous/next stage."""
        ids = [c["id"] for c in self.columns]
        current = next((c["id"] for c in self.columns for card in c["cards"] if card["id"] == opportunity_id), None)
        if current is None or key not in ("ArrowLeft", "ArrowRight"):
            return
        index = ids.index(current) + (1 if key == "ArrowRight" else -1)
        if 0 <= index < len(ids):
            async for update in self._move(opportunity_id, version, ids[index], None):
                yield update

    @rx.event
    def open_quick(self, stage_id: int):
        self.quick_stage_id = stage_id if self.quick_stage_id != stage_id else 0
        self.quick_errors = {}
        self.quick_form_key += 1

    @rx.event
    async def quick_create(self, form: dict):
        actor = await require_actor(self)
        data = {"name": form.get("name", ""), "expected_revenue": form.get("expected_revenue", ""), "stage_id": self.quick_stage_id}
        customer = str(form.get("customer", "")).strip()
        if customer:
            options = await db.run(lambda s: customers_service.customer_options(s, customer, limit=1))
            if options:
                data["customer_id"] = options[0]["id"]
        try:
            created = await db.run(service.create_opportunity, actor, data)
        except DomainError as exc:
            self.quick_errors, _general = await error_messages(self, exc)
            return
        self.quick_stage_id, self.quick_errors = 0, {}
        await self._reload()
        await announce(self, created.id, "created")

    @rx.event
    async def mark_won(self, opportunity_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.mark_won, actor, opportunity_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        await announce(self, opportunity_id, "won")

    @rx.event
    def ask_lost(self, opportunity_id: int):
        self.lost_id = opportunity_id

    @rx.event
    def cancel_lost(self, _open: bool = False):
        self.lost_id = 0

    @rx.event
    async def mark_lost(self, form: dict):
        actor = await require_actor(self)
        try:
            await db.run(service.mark_lost, actor, self.lost_id, form.get("reason", ""))
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        opportunity_id, self.lost_id = self.lost_id, 0
        await self._reload()
        await announce(self, opportunity_id, "lost")


class OpportunityListState(PagedListState, rx.State):
    rows: list[dict] = []
    sort: str = "updated_at"
    desc: bool = True
    search: str = ""
    state_filter: str = "open"
    stage_filter: str = ""
    owner_filter: str = ""
    stages: list[dict] = []
    EXPORT_MODULE = "opportunities"

    def _export_filters(self) -> dict:
        return {"search": self.search, "state": self.state_filter, "stage_id": int(self.stage_filter) if self.stage_filter.isdigit() else None, "owner_id": self.owner_filter or None}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        result = await db.run(
            service.list_opportunities, actor, search=self.search, state=self.state_filter,
            stage_id=int(self.stage_filter) if self.stage_filter.isdigit() else None, owner_id=self.owner_filter or None,
            sort=self.sort, desc=self.desc, page=self.page, lang=await current_lang(self),
        )
        self._take(result)

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.stages = await db.run(lambda s: [{"id": st.id, "name": st.name} for st in service.stages_for_team(s, actor.team_id)])
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in ("search", "state_filter", "stage_filter", "owner_filter"):
            setattr(self, key, value)
            self.page = 1
            await self._reload()



FORM_FIELDS = ("name", "customer_id", "expected_revenue", "probability", "expected_closing", "priority", "owner_id", "tags", "memo")


class OpportunityFormState(rx.State):
    opportunity_id: int = 0
    record: dict = {}
    values: dict[str, str] = {}
    stages: list[dict] = []
    history: list[dict] = []
    users: list[dict] = []
    customers: list[dict] = []
    errors: dict[str, str] = {}
    general_error: str = ""
    form_key: int = 0
    not_found: bool = False
    lost_open: bool = False
    loaded: bool = False

    async def _reload(self):
        actor = await require_actor(self)
        try:
            record = await db.run(service.get_opportunity, actor, self.opportunity_id, await current_lang(self))
        except DomainError:
            self.not_found = True
            return
        self.not_found = False
        self.stages, self.history = record.pop("stages"), record.pop("history")
        self.record = record
        self.values = {k: v for k, v in as_form_values(record).items() if k in FORM_FIELDS}
        self.form_key += 1

    @rx.event
    async def load(self):
        """Hide the form until this opportunity's data is in, so nothing typed meanwhile is lost."""
        self.loaded = False
        yield
        try:
            await require_actor(self)
        except DomainError:
            return
        self.errors, self.general_error, self.lost_open = {}, "", False
        self.opportunity_id = record_id_from_path(self) or 0
        if not self.users:
            self.users = await db.run(lambda s: auth_service.list_users(s))
        self.customers = await db.run(lambda s: customers_service.customer_options(s, "", limit=1000))
        await self._reload()
        self.loaded = True

    async def _after_change(self, action: str, toast_key: str = "sales.saved"):
        await self._reload()
        await announce(self, self.opportunity_id, action)
        return rx.toast.success(translate(toast_key, await current_lang(self)))

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        data = {k: form.get(k, "") for k in FORM_FIELDS if k in form}
        self.values = {**self.values, **{k: str(v) for k, v in data.items()}}
        self.errors, self.general_error = {}, ""
        try:
            await db.run(service.update_opportunity, actor, self.opportunity_id, data, int(self.record.get("version", 0)))
        except DomainError as exc:
            self.errors, self.general_error = await error_messages(self, exc)
            if isinstance(exc, Conflict):
                await self._reload()
            return
        return await self._after_change("edited")

    @rx.event
    async def move(self, stage_id: int):
        actor = await require_actor(self)
        try:
            await db.run(service.move_opportunity, actor, self.opportunity_id, stage_id, expected_version=int(self.record.get("version", 0)))
        except DomainError as exc:
            await self._reload()
            return rx.toast.error(exc.message(await current_lang(self)))
        return await self._after_change("moved")

    @rx.event
    async def mark_won(self):
        actor = await require_actor(self)
        try:
            await db.run(service.mark_won, actor, self.opportunity_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        return await self._after_change("won")

    @rx.event
    def set_lost_open(self, value: bool):
        self.lost_open = value

    @rx.event
    async def mark_lost(self, form: dict):
        actor = await require_actor(self)
        try:
            await db.run(service.mark_lost, actor, self.opportunity_id, form.get("reason", ""))
        except DomainError as exc:
            self.errors = {"lost_reason": exc.message(await current_lang(self))}
            return
        self.lost_open = False
        return await self._after_change("lost")

    @rx.event
    async def restore(self):
        actor = await require_actor(self)
        try:
            await db.run(service.restore, actor, self.opportunity_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        return await self._after_change("restored")


class StageSettingsState(rx.State):
    """Managers set up their team's pipeline columns: names, probabilities, order."""

    stages: list[dict] = []
    errors: dict[str, str] = {}
    form_key: int = 0
    can_edit: bool = False

    async def _reload(self):
        actor = await require_actor(self)
        self.can_edit = actor.is_manager
        self.stages = await db.run(service.stage_settings, actor, actor.team_id)
        self.form_key += 1

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.errors = {}
        await self._reload()

    async def _change(self, fn, *args):
        actor = await require_actor(self)
        try:
            await db.run(fn, actor, actor.team_id, *args)
        except DomainError as exc:
            self.errors, general = await error_messages(self, exc)
            return rx.toast.error(general)
        self.errors = {}
        await self._reload()
        await announce(self, 0, "stages")
        return rx.toast.success(translate("common.saved", await current_lang(self)))

    @rx.event
    async def save_stage(self, form: dict):
        return await self._change(service.update_stage, int(form.get("stage_id", 0)), form)

    @rx.event
    async def add_stage(self, form: dict):
        return await self._change(service.add_stage, form)

    @rx.event
    async def move_stage(self, stage_id: int, direction: int):
        return await self._change(service.move_stage, stage_id, direction)

    @rx.event
    async def delete_stage(self, stage_id: int):
        return await self._change(service.delete_stage, stage_id)
