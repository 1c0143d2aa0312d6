"""A live signal shared by every client that joined a channel (across workers through Redis).

It carries only a version number and the last change ("<record id>|<who>|<action>"); each client's
own state reloads what it shows when the version moves. Services never call this: a state handler
announces after its service call committed.
"""

from __future__ import annotations

import reflex as rx


class LiveSignal(rx.SharedState):
    version: int = 0
    last_change: str = ""

    @rx.event
    async def join(self, channel: str):
        await self._link_to(channel)


async def announce(state: rx.State, channel: str, record_id: int, who: str, action: str) -> None:
    """Bump the channel's version (the client must have joined ``channel`` on page load)."""
    signal = await state.get_state(LiveSignal)
    signal.version += 1
    signal.last_change = f"{record_id}|{who}|{action}"


def reload_on_change(handler) -> rx.Component:
    """An invisible element that re-mounts whenever the signal's version changes, calling ``handler``."""
    return rx.fragment(rx.box(on_mount=handler, display="none", class_name="live-sync"), key=LiveSignal.version.to_string())
