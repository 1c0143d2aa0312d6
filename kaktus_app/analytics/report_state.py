"""The report builder: pick a module, one or two groupings, a measure and a chart; save, pin, export."""

from __future__ import annotations

import reflex as rx

from kaktus_app import db
from kaktus_app.analytics import charts, service
from kaktus_app.analytics.state import parse_date
from kaktus_app.auth.state import require_actor
from kaktus_app.errors import DomainError
from kaktus_app.i18n import format_number, translate
from kaktus_app.ui.form_state import query_param, show_errors
from kaktus_app.ui.lang import current_lang

GRANULARITIES = ("day", "week", "month", "quarter", "year")


class ReportState(rx.State):
    options: list[dict] = []
    spec: dict[str, str] = {"module": "opportunities", "group_by": "stage", "group_by2": "", "granularity": "month", "measure": "count", "field": "", "chart": "bar"}
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = {}
    figure: dict = {}
    table_head: list[str] = []
    table_rows: list[list[str]] = []
    table_foot: list[str] = []
    total_label: str = ""
    truncated: bool = False
    has_result: bool = False
    can_export: bool = False
    report_id: int = 0
    report_name: str = ""
    saved: list[dict] = []
    form_key: int = 0
    _result: dict = {}

    @rx.var
    def module_fields(self) -> dict[str, list[dict[str, str]]]:
        """The pickers of the chosen module: groups (plain + dates), numbers."""
        current = next((o for o in self.options if o["module"] == self.spec.get("module")), None)
        if current is None:
            return {"groups": [], "numbers": [], "dates": []}
        return {
            "groups": [{"value": f["name"], "label": f["label_text"]} for f in current["groups"] + current["dates"]],
            "numbers": [{"value": f["name"], "label": f["label_text"]} for f in current["numbers"]],
            "dates": [{"value": f["name"], "label": f["label_text"]} for f in current["dates"]],
        }

    @rx.var
    def uses_date(self) -> bool:
        dates = {d["value"] for d in self.module_fields.get("dates", [])}
        return self.spec.get("group_by") in dates or self.spec.get("group_by2") in dates

    def _spec(self) -> service.ReportSpec:
        s = self.spec
        return service.ReportSpec(
            module=s.get("module", ""), group_by=s.get("group_by", ""), group_by2=s.get("group_by2", ""), granularity=s.get("granularity", "month"),
            measure=s.get("measure", "count"), field=s.get("field", "") if s.get("measure") != "count" else "", chart=s.get("chart", "bar"),
        )

    def _filters(self) -> service.Filters:
        return service.Filters(date_from=parse_date(self.date_from), date_to=parse_date(self.date_to))

    async def _load_options(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        options = await db.run(service.report_options, actor)
        for o in options:
            o["label_text"] = translate(o["label"], lang)
            for group in ("groups", "dates", "numbers"):
                for f in o[group]:
                    f["label_text"] = translate(f["label"], lang)
        self.options = options
        self.saved = [
            r | {"module_text": translate(r["module_label"], lang) if r["module_label"] else r["module"]}
            for r in await db.run(service.list_reports, actor)
        ]

    def _show(self, result: dict, lang: str):
        self._result = result
        spec = self._spec()
        self.figure = charts.report(result, spec.chart if spec.chart != "table" else "bar", lang)
        field = translate(result["value_field"], lang) if result.get("value_field") else ""
        value_label = translate(result["columns"][-1], lang, field=field)
        table = service.pivot(result)
        first = translate(result["columns"][0], lang)
        if spec.group_by2:
            self.table_head = [first, *[c or "—" for c in table["col_labels"]], translate("report.total", lang)]
            self.table_rows = [
                [label or "—", *[format_number(v) for v in cells], format_number(total)]
                for label, cells, total in zip(table["row_labels"], table["cells"], table["row_totals"], strict=True)
            ]
            self.table_foot = [translate("report.total", lang), *[format_number(v) for v in table["col_totals"]], format_number(table["grand_total"])]
        else:
            self.table_head = [first, value_label]
            self.table_rows = [[label or "—", format_number(cells[0])] for label, cells in zip(table["row_labels"], table["cells"], strict=True)]
            self.table_foot = [translate("report.total", lang), format_number(result["total"])]
        self.total_label = f"{value_label}: {format_number(result['total'])}"
        self.truncated = bool(result.get("truncated"))
        self.has_result = True
        current = next((o for o in self.options if o["module"] == spec.module), None)
        self.can_export = bool(current and current["can_export"])

    async def _run(self):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            result = await db.run(service.run_report, actor, self._spec(), self._filters(), lang=lang)
        except DomainError as exc:
            self.has_result = False
            return await show_errors(self, exc, "errors")
        self.errors = {}
        self._show(result, lang)

    # ---------------------------------------------------------------------------------- events

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        await self._load_options()
        if query_param(self, "report").isdigit():
            return await self._open(int(query_param(self, "report")))
        if self.options and not any(o["module"] == self.spec.get("module") for o in self.options):
            first = self.options[0]
            self.spec = {**self.spec, "module": first["module"], "group_by": (first["groups"] or first["dates"])[0]["name"], "group_by2": "", "field": ""}
        return await self._run()

    @rx.event
    async def set_spec(self, name: str, value: str):
        if name not in self.spec:
            return
        spec = {**self.spec, name: value}
        if name == "module":
            current = next((o for o in self.options if o["module"] == value), None)
            fields = (current["groups"] + current["dates"]) if current else []
            spec.update(group_by=fields[0]["name"] if fields else "", group_by2="", field="", measure="count")
        if name == "measure" and value != "count" and not spec.get("field"):
            numbers = self.module_fields.get("numbers", [])
            spec["field"] = numbers[0]["value"] if numbers else ""
        self.spec = spec
        self.form_key += 1
        return await self._run()

    @rx.event
    async def set_dates(self, form: dict):
        lang = await current_lang(self)
        start, end = str(form.get("date_from") or ""), str(form.get("date_to") or "")
        if (start and parse_date(start) is None) or (end and parse_date(end) is None) or (start and end and start > end):
            self.errors = {"date": translate("analytics.error.range", lang)}
            return
        self.date_from, self.date_to = start, end
        return await self._run()

    @rx.event
    async def save(self, form: dict):
        actor = await require_actor(self)
        lang = await current_lang(self)
        name = str(form.get("name") or "")
        try:
            saved = await db.run(service.save_report, actor, name, self._spec(), self.report_id or None, self._filters())
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        self.errors = {}
        self.report_id, self.report_name = saved.id, saved.name
        await self._load_options()
        return rx.toast.success(translate("report.saved", lang))

    @rx.event
    async def save_as_new(self):
        self.report_id = 0
        self.report_name = ""
        self.form_key += 1

    @rx.event
    async def open_report(self, report_id: int):
        return await self._open(report_id)

    async def _open(self, report_id: int):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            saved, spec = await db.run(service.get_report, actor, int(report_id))
            filters = service.report_filters(saved)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.report_id, self.report_name = saved.id, saved.name
        self.spec = {k: str(getattr(spec, k) or "") for k in self.spec}
        self.date_from = filters.date_from.isoformat() if filters.date_from else ""
        self.date_to = filters.date_to.isoformat() if filters.date_to else ""
        self.form_key += 1
        return await self._run()

    @rx.event
    async def toggle_pin(self, report_id: int, on: bool):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            await db.run(service.set_on_dashboard, actor, int(report_id), bool(on))
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        await self._load_options()
        return rx.toast.success(translate("report.pinned" if on else "report.unpinned", lang))

    @rx.event
    async def delete(self, report_id: int):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            await db.run(service.delete_report, actor, int(report_id))
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        if self.report_id == int(report_id):
            self.report_id, self.report_name = 0, ""
        await self._load_options()

    @rx.event
    async def export(self, fmt: str):
        actor = await require_actor(self)
        lang = await current_lang(self)
        if not self._result:
            return
        try:
            content = await db.run(service.export_report, actor, self._spec(), self._result, fmt, lang)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        name = (self.report_name or translate(f"report.module.{self._spec().module}", lang)).strip().replace(" ", "_")
        return rx.download(data=content, filename=f"{name}.{fmt}")
