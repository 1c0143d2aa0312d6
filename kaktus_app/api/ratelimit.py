"""Requests per minute and API key: a fixed one-minute window, counted in Redis when the app runs
with REFLEX_REDIS_URL (every worker and host shares the count), else in this process (one worker)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)
WINDOW = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._redis_url = redis_url if redis_url is not None else os.environ.get("REFLEX_REDIS_URL", "")
        self._redis = None
        self._counts: dict[int, tuple[int, int]] = {}

    async def _count(self, key_id: int, window: int) -> int:
        if self._redis_url:
            try:
                if self._redis is None:
                    import redis.asyncio as aioredis

                    self._redis = aioredis.from_url(self._redis_url)
                name = f"kaktus:api:rate:{key_id}:{window}"
                async with self._redis.pipeline(transaction=True) as pipe:
                    count, _ = await pipe.incr(name).expire(name, WINDOW + 5).execute()
                return int(count)
            except Exception:  # Redis away: count locally rather than refuse every request
                log.warning("rate limit: Redis unavailable, counting in this process", exc_info=True)
        started, count = self._counts.get(key_id, (window, 0))
        count = count + 1 if started == window else 1
        self._counts[key_id] = (window, count)
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        return count

    async def hit(self, key_id: int, limit: int) -> Verdict:
        now = time.time()
        window = int(now // WINDOW)
        count = await self._count(key_id, window)
        reset = max(1, int((window + 1) * WINDOW - now))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)
