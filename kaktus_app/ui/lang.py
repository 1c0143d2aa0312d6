"""The UI language and the one translation function for components.

Both languages' strings are compiled into the page; ``t(key)`` picks one by ``LangState.lang``,
so switching language costs one tiny delta and no catalog is ever held in state.
"""

from __future__ import annotations

import re

import reflex as rx

from kaktus_app.i18n import normalise_language, text_pair, translate


class LangState(rx.State):
    """The browser's language (kept in local storage, so it survives a reload)."""

    lang: str = rx.LocalStorage("en", name="kaktus_lang", sync=True)

    @rx.event
    def set_lang(self, lang: str):
        self.lang = normalise_language(lang)


def is_id() -> rx.Var:
    return LangState.lang == "id"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, params: dict) -> rx.Var | str:
    if not params or "{" not in template:
        return template
    parts = _PLACEHOLDER.split(template)
    if all(not isinstance(v, rx.Var) for v in params.values()):
        return template.format(**params)
    pieces: list = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if part:
                pieces.append(rx.Var.create(part))
        else:
            value = params.get(part, "{" + part + "}")
            pieces.append(value.to(str) if isinstance(value, rx.Var) else rx.Var.create(str(value)))
    result = pieces[0]
    for piece in pieces[1:]:
        result = result + piece
    return result


def t(key: str, **params) -> rx.Var:
    """The text for ``key`` in the current UI language; ``params`` may be Vars (``{count}``)."""
    en, id_ = text_pair(key)
    return rx.cond(LangState.lang == "id", _fill(id_, params), _fill(en, params))


async def current_lang(state: rx.State) -> str:
    """The language of the browser behind ``state`` (for messages built on the server)."""
    return normalise_language(await state.get_var_value(LangState.lang))


async def tr(state: rx.State, key: str, **params) -> str:
    """Server-side translation in the browser's language (toasts, field errors)."""
    return translate(key, await current_lang(state), **params)
