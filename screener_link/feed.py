"""The node side of the screener: the latest validated per-asset parameters from Redis.

Engine-free (no Nautilus imports); the `RegimeGovernor` owns one and reads it on its own timer.

API
---
``ScreenerFeed(redis_url, channel="mm:screener", key="mm:screener:latest", stale_after_s=7200.0, ...)``

- ``start()``: starts a daemon thread that reads the stored key, subscribes to the channel
  (subscribe first, then read the key: nothing published in between is missed) and applies
  every payload that passes `screener_link.payload.decode` + `check_fresh` (schema, types, bounds,
  staleness). Malformed, stale or out-of-order payloads are rejected and logged, never applied;
  the last good snapshot stays.
- ``stop()``: stops and joins the thread (returns within about a second).
- ``latest() -> ScreenerSnapshot | None``: the last good snapshot (immutable msgspec Struct).
- ``params_for(asset) -> AssetParams | None``: that asset's entry of the last good snapshot
  (fields: asset, base_spread_bps, max_inventory_usd, level_spacing_ticks, order_size_usd, score).
- ``is_stale() -> bool``: True when there is no good snapshot, when it is older than
  `stale_after_s`, or when Redis has been unreachable for longer than `stale_after_s`.
  The governor keeps the last good parameters and widens spreads while stale.
- ``connected`` (bool), ``version`` (int, +1 per applied snapshot: cheap change detection),
  ``rejected`` (count), ``last_rejection`` (str | None).
- ``wait_for_version(version, timeout_s) -> bool``: block until `version` is reached.
- ``on_update``: optional callback(snapshot), called on the feed thread (not the engine's
  thread: do not touch the engine from it; prefer polling `version`/`latest()`).

Redis going away never raises into the caller: the thread reconnects with the project's one
retry pace (`adapters.hyperliquid.common.backoff.Backoff`: `backoff_initial_s` doubling to
`backoff_max_s`, with jitter) and re-reads the stored key when it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.retry import Retry

from adapters.hyperliquid.common.backoff import Backoff
from screener_link.payload import AssetParams
from screener_link.payload import PayloadError
from screener_link.payload import ScreenerSnapshot
from screener_link.payload import check_fresh
from screener_link.payload import decode
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_name
from screener_link.redis_target import check_redis_url
from screener_link.redis_target import redact_url

_log = logging.getLogger(__name__)


class ScreenerFeed:
    def __init__(
        self,
        redis_url: str,
        channel: str = DEFAULT_CHANNEL,
        key: str = DEFAULT_KEY,
        stale_after_s: float = 7200.0,
        max_payload_age_s: float | None = None,
        backoff_initial_s: float = 0.1,
        backoff_max_s: float = 5.0,
        io_timeout_s: float = 2.0,
        ping_interval_s: float = 2.0,
        on_update: Callable[[ScreenerSnapshot], None] | None = None,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        if stale_after_s <= 0 or io_timeout_s <= 0 or ping_interval_s <= 0:
            raise ValueError("stale_after_s, io_timeout_s and ping_interval_s must be positive")
        # Checked here, so a malformed url or name fails in the caller, not in the thread.
        self.redis_url = check_redis_url(redis_url)
        self.channel = check_redis_name(channel, "channel")
        self.key = check_redis_name(key, "key")
        self.stale_after_s = stale_after_s
        # A payload older than this is rejected outright (default: as old as "stale").
        self.max_payload_age_s = stale_after_s if max_payload_age_s is None else max_payload_age_s
        self._backoff = Backoff(backoff_initial_s, backoff_max_s)  # ValueError unless 0 < initial <= max
        self._io_timeout_s = io_timeout_s
        self._ping_interval_s = ping_interval_s
        self._on_update = on_update
        self._clock = clock
        self._log = logger or _log

        self._cond = threading.Condition()
        self._latest: ScreenerSnapshot | None = None
        self._version = 0
        self._connected = False
        self._down_since: float | None = None
        self._rejected = 0
        self._last_rejection: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        with self._cond:
            self._down_since = self._clock()
        self._thread = threading.Thread(target=self._run, name=f"screener-feed:{self.channel}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        with self._cond:
            if self._connected:
                self._down_since = self._clock()  # no longer listening: counts as unreachable
            self._connected = False

    # --- reading ------------------------------------------------------------------------------

    def latest(self) -> ScreenerSnapshot | None:
        with self._cond:
            return self._latest

    def params_for(self, asset: str) -> AssetParams | None:
        snapshot = self.latest()
        return snapshot.params_for(asset) if snapshot is not None else None

    def is_stale(self) -> bool:
        now = self._clock()
        with self._cond:
            if self._latest is None:
                return True
            if now * 1000 - self._latest.ts > self.stale_after_s * 1000:
                return True
            return self._down_since is not None and now - self._down_since > self.stale_after_s

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._connected

    @property
    def version(self) -> int:
        with self._cond:
            return self._version

    @property
    def rejected(self) -> int:
        with self._cond:
            return self._rejected

    @property
    def last_rejection(self) -> str | None:
        with self._cond:
            return self._last_rejection

    def wait_for_version(self, version: int, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._version >= version, timeout_s)

    # --- applying payloads --------------------------------------------------------------------

    def offer(self, data: bytes | str, source: str = "direct") -> bool:
        """Validate a payload and apply it if good; True when applied. Used by the feed thread."""
        try:
            snapshot = check_fresh(
                decode(data), int(self._clock() * 1000), int(self.max_payload_age_s * 1000)
            )
        except PayloadError as exc:
            self._reject(f"{source}: {exc}")
            return False
        with self._cond:
            current = self._latest
            if current is not None and snapshot.ts <= current.ts:
                if snapshot.ts == current.ts and snapshot == current:
                    return False  # the same snapshot from the key and the channel
                reason = f"{source}: payload ts {snapshot.ts} not newer than the applied {current.ts}"
            else:
                self._latest = snapshot
                self._version += 1
                self._cond.notify_all()
                reason = None
        if reason is not None:
            self._reject(reason)
            return False
        self._log.info(
            "screener snapshot applied from %s: ts=%d, %d assets", source, snapshot.ts, len(snapshot.assets)
        )
        if self._on_update is not None:
            try:
                self._on_update(snapshot)
            except Exception:  # a faulty callback must not kill the feed
                self._log.exception("screener feed on_update callback failed")
        return True

    def _reject(self, reason: str) -> None:
        with self._cond:
            self._rejected += 1
            self._last_rejection = reason
        self._log.warning("screener payload rejected (not applied): %s", reason)

    # --- the thread ---------------------------------------------------------------------------

    def _set_connected(self, connected: bool) -> None:
        with self._cond:
            if connected:
                self._down_since = None
            elif self._connected or self._down_since is None:
                self._down_since = self._clock()
            self._connected = connected

    def _run(self) -> None:
        self._backoff.reset()
        while not self._stop.is_set():
            client: redis.Redis | None = None
            pubsub: PubSub | None = None
            try:
                client = redis.Redis.from_url(
                    self.redis_url,
                    socket_connect_timeout=self._io_timeout_s,
                    socket_timeout=self._io_timeout_s,
                    retry=Retry(NoBackoff(), 0),  # reconnecting is ours to do, with backoff
                )
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                stored = client.get(self.key)
                self._set_connected(True)
                self._backoff.reset()
                self._log.info(
                    "screener feed connected to %s (channel %s)", redact_url(self.redis_url), self.channel
                )
                if stored is not None:
                    self.offer(stored, source=f"key {self.key}")
                next_ping = time.monotonic() + self._ping_interval_s
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message is not None and message.get("type") == "message":
                        self.offer(message["data"], source=f"channel {self.channel}")
                    if time.monotonic() >= next_ping:
                        client.ping()  # a server that hangs without closing the socket
                        next_ping = time.monotonic() + self._ping_interval_s
            except (redis.RedisError, OSError) as exc:
                if self.connected or self._backoff.attempt == 0:  # once per outage, not per retry
                    self._log.warning("screener feed: Redis unreachable (%s); retrying", exc)
                self._set_connected(False)
                self._stop.wait(self._backoff.next_delay())
            except Exception:  # never let the feed thread die silently
                self._log.exception("screener feed: unexpected error; retrying")
                self._set_connected(False)
                self._stop.wait(self._backoff.next_delay())
            finally:
                for closable in (pubsub, client):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:
                        pass
