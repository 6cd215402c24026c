"""`POST /info` and `POST /exchange` over aiohttp, with failover across endpoints and 429 backoff.

Failover: a refused connection, a timeout or a 5xx moves the request to the next endpoint in
order. Re-sending a signed `/exchange` body elsewhere is safe: its nonce makes it idempotent.
A 429 is retried after an exponential backoff with jitter (never a tight loop), then raised.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import aiohttp
import msgspec

from adapters.hyperliquid.common.backoff import Backoff
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.http.errors import HyperliquidEndpointsDown
from adapters.hyperliquid.http.errors import HyperliquidHttpError
from adapters.hyperliquid.http.errors import HyperliquidRateLimited
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.http.rate_limit import action_count
from adapters.hyperliquid.http.rate_limit import exchange_weight
from adapters.hyperliquid.http.rate_limit import info_weight
from adapters.hyperliquid.types import RateLimitStatus

_ENCODER = msgspec.json.Encoder()
_log = logging.getLogger(__name__)


class HyperliquidHttpClient:
    """
    REST client for one account's view of the exchange.

    Parameters
    ----------
    rest_urls : Sequence[str]
        Base urls, primary first, then backups.
    on_rate_limit : Callable[[RateLimitStatus], None], optional
        Called after every request with the updated counters.
    primary_retry_secs : float
        After the primary failed, requests start at the backup for this long, then try it again.
    """

    def __init__(
        self,
        rest_urls: Sequence[str],
        *,
        timeout_secs: float = 10.0,
        rate_limits: RateLimitTracker | None = None,
        on_rate_limit: Callable[[RateLimitStatus], None] | None = None,
        backoff_initial_secs: float = 0.25,
        backoff_max_secs: float = 4.0,
        max_429_retries: int = 4,
        primary_retry_secs: float = 30.0,
        logger: LogLike | None = None,
    ) -> None:
        if not rest_urls:
            raise ValueError("need at least one REST url")
        self.rest_urls = tuple(url.rstrip("/") for url in rest_urls)
        self.rate_limits = rate_limits or RateLimitTracker()
        self._timeout = aiohttp.ClientTimeout(total=timeout_secs)
        self._on_rate_limit = on_rate_limit
        # The 429 pace, checked here; each request counts its own retries from it (one shared
        # generator: seeding one per request would cost ~20 µs each).
        self._rng = random.Random()
        self._pace_429 = Backoff(backoff_initial_secs, backoff_max_secs, self._rng)
        self._max_429_retries = max_429_retries
        self._primary_retry_ns = int(primary_retry_secs * 1e9)
        self._primary_failed_at_ns: int | None = None
        self._session: aiohttp.ClientSession | None = None
        self._log = logger or _log
        self.failovers = 0

    async def info(self, request: dict[str, Any]) -> bytes:
        """The raw JSON reply of `/info` for `request` (e.g. `{"type": "meta"}`)."""
        weight = info_weight(str(request.get("type", "")))
        return await self._post("/info", request, weight=weight, actions=0)

    async def exchange(self, body: dict[str, Any]) -> bytes:
        """The raw JSON reply of `/exchange` for a signed body `{action, nonce, signature, ...}`."""
        action = body["action"]
        count = action_count(action)
        return await self._post("/exchange", body, weight=exchange_weight(count), actions=count)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ordered_urls(self) -> tuple[str, ...]:
        failed_at = self._primary_failed_at_ns
        if failed_at is not None and len(self.rest_urls) > 1:
            if time.monotonic_ns() - failed_at < self._primary_retry_ns:
                return (*self.rest_urls[1:], self.rest_urls[0])
            self._primary_failed_at_ns = None
        return self.rest_urls

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _post(self, path: str, payload: dict[str, Any], *, weight: int, actions: int) -> bytes:
        data = _ENCODER.encode(payload)
        backoff = Backoff(self._pace_429.initial, self._pace_429.maximum, self._rng)
        # Whether any attempt so far may have reached the exchange (see `errors`).
        maybe_delivered = False
        while True:
            try:
                return await self._post_with_failover(path, data, weight=weight, actions=actions)
            except _TooManyRequests as exc:
                maybe_delivered = maybe_delivered or exc.maybe_delivered
                if backoff.attempt >= self._max_429_retries:
                    raise HyperliquidRateLimited(
                        f"HTTP 429 from {exc.url} after {backoff.attempt} retries", maybe_delivered=maybe_delivered
                    ) from None
                delay = backoff.next_delay()
                self._log.warning(f"HTTP 429 from {exc.url}: backing off {delay:.2f} s")
                await asyncio.sleep(delay)
            except (HyperliquidEndpointsDown, HyperliquidHttpError) as exc:
                exc.maybe_delivered = maybe_delivered or exc.maybe_delivered
                raise

    async def _post_with_failover(self, path: str, data: bytes, *, weight: int, actions: int) -> bytes:
        session = self._session_or_new()
        failures: list[str] = []
        maybe_delivered = False
        for url in self._ordered_urls():
            try:
                async with session.post(
                    url + path,
                    data=data,
                    headers={"Content-Type": "application/json"},
                ) as resp:
                    body = await resp.read()
                    status = resp.status
            except aiohttp.ClientConnectorError as exc:
                # The connection was never established: nothing was sent.
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
                self._mark_failed(url)
                continue
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
                maybe_delivered = True
                self._mark_failed(url)
                continue
            self._count(weight, actions, status)
            if status == 429:
                raise _TooManyRequests(url, maybe_delivered)
            if status >= 500:
                failures.append(f"{url}: HTTP {status}")
                maybe_delivered = True  # a gateway error may come after the exchange acted
                self._mark_failed(url)
                continue
            if status >= 400:
                raise HyperliquidHttpError(
                    status, body.decode(errors="replace"), url + path, maybe_delivered=maybe_delivered
                )
            if url != self.rest_urls[0]:
                self._log.warning(f"request {path} served by backup endpoint {url}")
            return body
        raise HyperliquidEndpointsDown(
            f"every endpoint failed for {path}: " + "; ".join(failures), maybe_delivered=maybe_delivered
        )

    def _mark_failed(self, url: str) -> None:
        if url == self.rest_urls[0] and len(self.rest_urls) > 1:
            self._primary_failed_at_ns = time.monotonic_ns()
            self.failovers += 1
            self._log.warning(f"primary REST endpoint {url} failed: failing over to {self.rest_urls[1]}")

    def _count(self, weight: int, actions: int, status: int) -> None:
        now_ns = time.time_ns()
        self.rate_limits.add_ip_weight(weight, now_ns)
        if actions and status < 400:
            self.rate_limits.add_address_actions(actions)
        if self._on_rate_limit is not None:
            self._on_rate_limit(self.rate_limits.status(now_ns))


class _TooManyRequests(Exception):
    def __init__(self, url: str, maybe_delivered: bool) -> None:
        super().__init__(url)
        self.url = url
        self.maybe_delivered = maybe_delivered
