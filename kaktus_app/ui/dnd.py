"""Native HTML5 drag and drop: divs with drag event triggers (Reflex's default triggers have none)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventHandler, JavascriptKeyboardEvent, no_args_event_spec
from reflex.vars import ObjectVar, Var


def key_only(e: ObjectVar[JavascriptKeyboardEvent]) -> tuple[Var[str]]:
    """The pressed key's name (e.g. "ArrowRight")."""
    return (e.key.to(str),)


class DragSource(rx.el.Div):
    """A draggable element: ``DragSource.create(..., draggable=True, on_drag_start=...)``."""

    on_drag_start: EventHandler[no_args_event_spec]
    on_drag_end: EventHandler[no_args_event_spec]


class DropTarget(rx.el.Div):
    """An element that accepts drops (pass ``on_drag_over=rx.prevent_default``)."""

    on_drag_over: EventHandler[no_args_event_spec]
    on_drag_enter: EventHandler[no_args_event_spec]
    on_drag_leave: EventHandler[no_args_event_spec]
    on_drop: EventHandler[no_args_event_spec]


class DraggableDropTarget(rx.el.Div):
    """A card that can be dragged and also accepts a drop (to insert before it); arrow keys move it."""

    on_key_down: EventHandler[key_only]
    on_drag_start: EventHandler[no_args_event_spec]
    on_drag_end: EventHandler[no_args_event_spec]
    on_drag_over: EventHandler[no_args_event_spec]
    on_drop: EventHandler[no_args_event_spec]


drag_source = DragSource.create
drop_target = DropTarget.create
draggable_drop_target = DraggableDropTarget.create
