"""A live signal shared by every client that joined a channel (across workers through Redis).

It carries only a version number, nothing about the change: the channel is shared by staff and
portal clients of every company, so it must not tell who changed what. Each client's own state
reloads what it shows (through the services, with its own permissions) when the version moves.
Services never call this: a state handler announces after its service call committed.
"""

from __future__ import annotations

import reflex as rx


class LiveSignal(rx.SharedState):
    version: int = 0

    @rx.event
    async def join(self, channel: str):
        await self._link_to(channel)


async def announce(state: rx.State) -> None:
    """Bump the version of the channel this client joined on page load."""
    signal = await state.get_state(LiveSignal)
    signal.version += 1


def reload_on_change(handler) -> rx.Component:
    """An invisible element that re-mounts whenever the signal's version changes, calling ``handler``."""
    return rx.fragment(rx.box(on_mount=handler, display="none", class_name="live-sync"), key=LiveSignal.version.to_string())
