"""The node's Redis cache, watched while the node runs. Nautilus writes every order event through
to it, and says nothing when it goes away: its Redis client retries in silence, so a kill -9 then
would lose what the cache was kept for. The watch PINGs it on its own connection, says at once
when it stops answering and when it is back, and the status board shows it.

Trading goes on meanwhile: the exchange stays the record a restart reconciles from (as a run
without a Redis cache does), and what the cache missed is what such a restart rebuilds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from live.logs import log
from screener_link.redis_target import redact_url

PING_INTERVAL_SECS = 1.0
PING_TIMEOUT_SECS = 1.0


class CacheWatch:
    """Whether the cache answers, since when; `run` keeps it current."""

    def __init__(self, url: str, interval_secs: float = PING_INTERVAL_SECS) -> None:
        self.url = url
        self.shown_url = redact_url(url)
        self.interval_secs = interval_secs
        self.reachable = True  # the start-up checks found it answering
        self.since_ns = time.time_ns()
        self.last_error: str | None = None

    async def run(self) -> None:
        client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=PING_TIMEOUT_SECS, socket_timeout=PING_TIMEOUT_SECS,
        )
        try:
            while True:
                await asyncio.sleep(self.interval_secs)
                try:
                    await asyncio.wait_for(client.ping(), PING_TIMEOUT_SECS * 2)
                except (TimeoutError, redis.RedisError, OSError) as exc:
                    self._lost(str(exc) or type(exc).__name__)
                else:
                    self._answered()
        finally:
            await client.aclose()

    def _lost(self, error: str) -> None:
        self.last_error = error
        if self.reachable:
            self.reachable, self.since_ns = False, time.time_ns()
            log.error(
                f"the Redis cache {self.shown_url} does not answer ({error}): orders and fills are no "
                "longer kept there; trading goes on, and a restart before it is back rebuilds from the exchange"
            )

    def _answered(self) -> None:
        if not self.reachable:
            down_s = (time.time_ns() - self.since_ns) / 1e9
            self.reachable, self.since_ns, self.last_error = True, time.time_ns(), None
            log.warning(f"the Redis cache is back ({self.shown_url}, away {down_s:.0f} s)")

    def figures(self) -> dict[str, Any]:
        return {"url": self.shown_url, "reachable": self.reachable, "since_ns": self.since_ns,
                "error": self.last_error}
