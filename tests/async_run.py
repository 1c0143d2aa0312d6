"""Running a coroutine from a synchronous test."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor


def run_async(coroutine):
    """Run a coroutine on a loop of its own in another thread (with this thread's context variables,
    which Reflex's state registration needs): in the whole suite the browser tests' Playwright loop is
    already running in this thread, where asyncio.run() is refused."""
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()
