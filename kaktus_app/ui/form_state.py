"""Shared pieces for record form states: id from the URL, per-field errors, keyed re-render."""

from __future__ import annotations

import reflex as rx

from kaktus_app.errors import DomainError, ValidationError
from kaktus_app.ui.lang import current_lang


def record_id_from_path(state: rx.State) -> int | None:
    """The numeric last segment of the URL (/customers/12 -> 12); None for /customers/new."""
    last = str(state.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


async def read_uploads(files: list[rx.UploadFile], max_files: int, max_bytes: int) -> list[tuple[str, bytes]]:
    """The browser's files as (name, bytes) for a service to check: one file too many and one byte
    over the limit are read, so the service can say "at most N files" / "too big" without reading more."""
    uploads = []
    for upload in (files or [])[: max_files + 1]:
        uploads.append((str(upload.filename or upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1], await upload.read(max_bytes + 1)))
    return uploads


def query_param(state: rx.State, name: str) -> str:
    return str(state.router.url.query_parameters.get(name, ""))


def as_form_values(record: dict) -> dict[str, str]:
    """Every value as text, the way inputs show it."""
    return {k: "" if v is None else str(v) for k, v in record.items() if not isinstance(v, (list, dict))}


async def error_messages(state: rx.State, exc: DomainError) -> tuple[dict[str, str], str]:
    """(field -> message, general message) for an error raised by a service."""
    lang = await current_lang(state)
    if isinstance(exc, ValidationError):
        from kaktus_app.i18n import translate

        return exc.messages(lang), translate("error.fix_fields", lang)
    if exc.field:
        return {exc.field: exc.message(lang)}, exc.message(lang)
    return {}, exc.message(lang)


async def show_errors(state: rx.State, exc: DomainError, attr: str):
    """Put a service error's field messages into ``state.<attr>`` (each shows under its field); an
    error without a field comes back as a toast to return from the handler."""
    fields, general = await error_messages(state, exc)
    setattr(state, attr, fields)
    return None if fields else rx.toast.error(general)
