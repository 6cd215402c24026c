"""Read the Hyperliquid `/info` replies the screener needs, live or from saved files.

Two sources with one interface (`InfoSource`):
- `HttpInfoClient(base_url)`: POSTs to `{base_url}/info` (mainnet, testnet or a local hlsim url)
  through the adapter's `HyperliquidHttpClient` (aiohttp, 429 backoff, weight accounting), run on
  an event loop of its own; every reply is decoded into the `/info` schemas of the adapter
  (`adapters.hyperliquid.schemas.info`) and checked.
- `OfflineInfoClient(folder)`: answers from saved replies, files holding
  `{"request": <the /info body>, "response": <the reply>}` (as in `data/samples/hyperliquid/info/`),
  matched by request type and coin. A request with no saved reply raises `InfoUnavailable`, so
  the caller can score from what is there and say what is missing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Protocol
from typing import TypeVar
from urllib.parse import urlparse

import aiohttp
import msgspec

from adapters.hyperliquid.common.constants import INFO_WEIGHT_DEFAULT
from adapters.hyperliquid.common.constants import IP_WEIGHT_CAP_PER_MINUTE
from adapters.hyperliquid.common.constants import NETWORK_REST_URLS
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.http.errors import HyperliquidRateLimited
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.http.rate_limit import info_weight
from adapters.hyperliquid.schemas.info import CANDLES_DECODER
from adapters.hyperliquid.schemas.info import L2BOOK_REPLY_DECODER
from adapters.hyperliquid.schemas.info import META_AND_ASSET_CTXS_DECODER
from adapters.hyperliquid.schemas.info import SAVED_REPLY_DECODER
from adapters.hyperliquid.schemas.info import AssetCtx
from adapters.hyperliquid.schemas.info import AssetMeta
from adapters.hyperliquid.schemas.info import Candle
from adapters.hyperliquid.schemas.info import L2BookReply

_T = TypeVar("_T")


class InfoError(Exception):
    """A reply could not be obtained or is not valid."""


class InfoUnavailable(InfoError):
    """No reply exists for this request (offline folder without it, unknown coin)."""


@dataclass(frozen=True, slots=True)
class Universe:
    """`metaAndAssetCtxs`: the perps and their contexts, index-aligned."""

    assets: list[AssetMeta]
    ctxs: list[AssetCtx]


class InfoSource(Protocol):
    def universe(self) -> Universe: ...

    def l2_book(self, coin: str) -> L2BookReply: ...

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


# --- validation shared by both sources -------------------------------------------------------


def decode_universe(raw: bytes) -> Universe:
    try:
        meta, ctxs = META_AND_ASSET_CTXS_DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise InfoError(f"invalid metaAndAssetCtxs reply: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InfoError(f"metaAndAssetCtxs reply is not JSON: {exc}") from exc
    if not meta.universe:
        raise InfoError("metaAndAssetCtxs: the universe is empty (no perps to screen)")
    if len(meta.universe) != len(ctxs):
        raise InfoError(f"metaAndAssetCtxs: {len(meta.universe)} assets but {len(ctxs)} contexts")
    names = [a.name for a in meta.universe]
    if len(set(names)) != len(names):
        raise InfoError("metaAndAssetCtxs: duplicate asset names in the universe")
    return Universe(assets=list(meta.universe), ctxs=list(ctxs))


def _level_prices(book: L2BookReply, side: int, coin: str) -> list[float]:
    """The prices of one side as floats; a level that is not a positive finite price and size is refused."""
    name = ("bids", "asks")[side]
    prices = []
    for i, level in enumerate(book.levels[side]):
        try:
            px, sz = float(level.px), float(level.sz)
        except ValueError:
            raise InfoError(f"l2Book {coin}: {name}[{i}] is not a number ({level.px!r} x {level.sz!r})") from None
        if not (math.isfinite(px) and px > 0 and math.isfinite(sz) and sz > 0):
            raise InfoError(f"l2Book {coin}: {name}[{i}] needs a positive price and size, got {level.px} x {level.sz}")
        prices.append(px)
    return prices


def decode_l2_book(raw: bytes, coin: str) -> L2BookReply:
    """The `l2Book` reply for `coin`: numbers positive, bids descending, asks ascending, not crossed."""
    try:
        book = L2BOOK_REPLY_DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InfoError(f"invalid l2Book reply for {coin}: {exc}") from exc
    if book.coin != coin:
        raise InfoError(f"l2Book reply is for {book.coin}, asked for {coin}")
    bids, asks = _level_prices(book, 0, coin), _level_prices(book, 1, coin)
    if any(bids[i] <= bids[i + 1] for i in range(len(bids) - 1)):
        raise InfoError(f"l2Book {coin}: bids are not strictly descending")
    if any(asks[i] >= asks[i + 1] for i in range(len(asks) - 1)):
        raise InfoError(f"l2Book {coin}: asks are not strictly ascending")
    if bids and asks and bids[0] >= asks[0]:
        raise InfoError(f"l2Book {coin}: crossed book (bid {bids[0]} >= ask {asks[0]})")
    return book


def decode_candles(raw: bytes, coin: str) -> list[Candle]:
    try:
        candles = CANDLES_DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InfoError(f"invalid candleSnapshot reply for {coin}: {exc}") from exc
    for c in candles:
        if c.s != coin:
            raise InfoError(f"candleSnapshot reply holds {c.s}, asked for {coin}")
        if c.h < c.l or not (c.l <= c.o <= c.h and c.l <= c.c <= c.h):
            raise InfoError(f"candleSnapshot {coin}: candle at t={c.t} has o/c outside [l, h]")
    if any(candles[i].t >= candles[i + 1].t for i in range(len(candles) - 1)):
        raise InfoError(f"candleSnapshot {coin}: candles are not in time order")
    return candles


# --- live source -------------------------------------------------------------------------------


def resolve_base_url(base_url: str) -> str:
    """`mainnet`/`testnet` or an http(s) url (e.g. a local hlsim) → the url without trailing '/'."""
    url = NETWORK_REST_URLS.get(base_url.strip().lower(), base_url.strip())
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"base url must be mainnet, testnet or http(s)://host[:port], got {base_url!r}")
    return url.rstrip("/")


class HttpInfoClient:
    """POST `/info` requests to one base url; every reply validated before it is returned.

    The requests go through the adapter's `HyperliquidHttpClient` (a 429 is retried after a backoff
    before it becomes an `InfoError`), on an event loop this client owns: the screener is
    synchronous, so each call runs its request to completion on that loop, and `close()` closes the
    HTTP session and the loop. Requests are paced to stay within `weight_budget_per_min` of
    Hyperliquid's per-IP REST weight (1200/min; by default the screener takes half, leaving the rest
    to a node on the same IP), counted by the HTTP client itself.
    """

    _PACE_STEP_S = 0.25

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 10.0,
        weight_budget_per_min: int = 600,
        max_429_retries: int = 4,
        backoff_initial_s: float = 0.25,
        backoff_max_s: float = 4.0,
    ) -> None:
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if not INFO_WEIGHT_DEFAULT <= weight_budget_per_min <= IP_WEIGHT_CAP_PER_MINUTE:
            raise ValueError(
                f"weight_budget_per_min must be within {INFO_WEIGHT_DEFAULT}..{IP_WEIGHT_CAP_PER_MINUTE}"
            )
        if max_429_retries < 0 or not 0 < backoff_initial_s <= backoff_max_s:
            raise ValueError("need max_429_retries >= 0 and 0 < backoff_initial_s <= backoff_max_s")
        self.base_url = resolve_base_url(base_url)
        self.weights = RateLimitTracker()
        self._weight_budget = weight_budget_per_min
        self._http = HyperliquidHttpClient(
            [self.base_url],
            timeout_secs=timeout_s,
            rate_limits=self.weights,
            backoff_initial_secs=backoff_initial_s,
            backoff_max_secs=backoff_max_s,
            max_429_retries=max_429_retries,
        )
        self._runner: asyncio.Runner | None = asyncio.Runner()

    @property
    def closed(self) -> bool:
        return self._runner is None

    def describe(self) -> str:
        return self.base_url

    def close(self) -> None:
        """Close the HTTP session, then the event loop; calling it again does nothing."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            runner.run(self._http.close())
        finally:
            runner.close()

    def __enter__(self) -> HttpInfoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        if self._runner is None:
            coro.close()
            raise InfoError(f"the /info client for {self.base_url} is closed")
        return self._runner.run(coro)

    def _pace(self, request_type: str) -> None:
        """Wait until the request fits the budget. The HTTP client stamps the weight it counts with
        the wall clock, so the budget is read on the same clock."""
        weight = info_weight(request_type)
        while self.weights.ip_weight_last_minute(time.time_ns()) + weight > self._weight_budget:
            time.sleep(self._PACE_STEP_S)

    def _post(self, body: dict[str, object]) -> bytes:
        kind = str(body["type"])
        self._pace(kind)
        try:
            return self._run(self._http.info(body))
        except HyperliquidRateLimited as exc:
            raise InfoError(f"/info {kind}: rate limited ({exc})") from exc
        except (*REST_ERRORS, aiohttp.ClientError) as exc:
            raise InfoError(f"/info {kind} failed: {exc}") from exc

    def universe(self) -> Universe:
        return decode_universe(self._post({"type": "metaAndAssetCtxs"}))

    def l2_book(self, coin: str) -> L2BookReply:
        raw = self._post({"type": "l2Book", "coin": coin})
        if raw.strip() == b"null":  # the exchange answers null for an unknown coin
            raise InfoUnavailable(f"no l2Book for {coin}")
        return decode_l2_book(raw, coin)

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]:
        req = {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms}
        return decode_candles(self._post({"type": "candleSnapshot", "req": req}), coin)


# --- offline source ----------------------------------------------------------------------------


class OfflineInfoClient:
    """Answer from saved `{"request", "response"}` files; the last file (by name) wins on duplicates."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InfoError(f"offline folder {self.folder} does not exist")
        self._replies: dict[tuple[str, ...], bytes] = {}
        for path in sorted(self.folder.glob("*.json")):
            try:
                saved = SAVED_REPLY_DECODER.decode(path.read_bytes())
            except OSError as exc:  # a folder named *.json, an unreadable file
                raise InfoError(f"cannot read saved reply {path}: {exc.strerror or exc}") from exc
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise InfoError(f"{path.name} is not a saved /info reply: {exc}") from exc
            self._replies[self._key(saved.request)] = bytes(saved.response)

    @staticmethod
    def _key(request: dict[str, object]) -> tuple[str, ...]:
        kind = str(request.get("type", ""))
        if kind == "l2Book":
            return (kind, str(request.get("coin")))
        if kind == "candleSnapshot":
            req = request.get("req")
            if isinstance(req, dict):
                return (kind, str(req.get("coin")), str(req.get("interval")))
        return (kind,)

    def describe(self) -> str:
        return f"offline:{self.folder}"

    def close(self) -> None:
        """Nothing to release: the replies were read when the client was made."""

    def saved_requests(self) -> list[tuple[str, ...]]:
        return sorted(self._replies)

    def _get(self, key: tuple[str, ...]) -> bytes:
        try:
            return self._replies[key]
        except KeyError:
            raise InfoUnavailable(f"no saved {' '.join(key)} reply in {self.folder}") from None

    def universe(self) -> Universe:
        return decode_universe(self._get(("metaAndAssetCtxs",)))

    def l2_book(self, coin: str) -> L2BookReply:
        return decode_l2_book(self._get(("l2Book", coin)), coin)

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]:
        # Saved replies cover the window they were recorded for: the asked window is not applied.
        return decode_candles(self._get(("candleSnapshot", coin, interval)), coin)
