"""Read the Hyperliquid `/info` replies the screener needs, live or from saved files.

Two sources with one interface (`InfoSource`):
- `HttpInfoClient(base_url)`: POSTs to `{base_url}/info` (mainnet, testnet or a local hlsim url),
  with timeouts; every reply is decoded into the schemas of `screener.schemas` and checked.
- `OfflineInfoClient(folder)`: answers from saved replies, files holding
  `{"request": <the /info body>, "response": <the reply>}` (as in `data/samples/hyperliquid/info/`),
  matched by request type and coin. A request with no saved reply raises `InfoUnavailable`, so
  the caller can score from what is there and say what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import msgspec
import requests

from adapters.hyperliquid.common.constants import INFO_WEIGHT_DEFAULT
from adapters.hyperliquid.common.constants import IP_WEIGHT_CAP_PER_MINUTE
from adapters.hyperliquid.common.constants import NETWORK_REST_URLS
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.http.rate_limit import info_weight
from screener.schemas import AssetCtx
from screener.schemas import AssetMeta
from screener.schemas import Candle
from screener.schemas import L2Book
from screener.schemas import Meta
from screener.schemas import SavedReply


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

    def l2_book(self, coin: str) -> L2Book: ...

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]: ...

    def describe(self) -> str: ...


# --- validation shared by both sources -------------------------------------------------------


def decode_universe(raw: bytes) -> Universe:
    try:
        meta, ctxs = msgspec.json.decode(raw, type=tuple[Meta, list[AssetCtx]], strict=False)
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


def decode_l2_book(raw: bytes, coin: str) -> L2Book:
    try:
        book = msgspec.json.decode(raw, type=L2Book, strict=False)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InfoError(f"invalid l2Book reply for {coin}: {exc}") from exc
    if book.coin != coin:
        raise InfoError(f"l2Book reply is for {book.coin}, asked for {coin}")
    bids, asks = book.levels
    if any(bids[i].px <= bids[i + 1].px for i in range(len(bids) - 1)):
        raise InfoError(f"l2Book {coin}: bids are not strictly descending")
    if any(asks[i].px >= asks[i + 1].px for i in range(len(asks) - 1)):
        raise InfoError(f"l2Book {coin}: asks are not strictly ascending")
    if bids and asks and bids[0].px >= asks[0].px:
        raise InfoError(f"l2Book {coin}: crossed book (bid {bids[0].px} >= ask {asks[0].px})")
    return book


def decode_candles(raw: bytes, coin: str) -> list[Candle]:
    try:
        candles = msgspec.json.decode(raw, type=list[Candle], strict=False)
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

    Requests are paced to stay within `weight_budget_per_min` of Hyperliquid's per-IP REST weight
    (1200/min; by default the screener takes half, leaving the rest to a node on the same IP).
    """

    def __init__(
        self,
        base_url: str,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        weight_budget_per_min: int = 600,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        if not INFO_WEIGHT_DEFAULT <= weight_budget_per_min <= IP_WEIGHT_CAP_PER_MINUTE:
            raise ValueError(
                f"weight_budget_per_min must be within {INFO_WEIGHT_DEFAULT}..{IP_WEIGHT_CAP_PER_MINUTE}"
            )
        self.base_url = resolve_base_url(base_url)
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._session = requests.Session()
        self._weights = RateLimitTracker()
        self._weight_budget = weight_budget_per_min
        self._clock_ns = clock_ns
        self._sleep = sleep

    def _pace(self, request_type: str) -> None:
        weight = info_weight(request_type)
        while self._weights.ip_weight_last_minute(self._clock_ns()) + weight > self._weight_budget:
            self._sleep(0.25)
        self._weights.add_ip_weight(weight, self._clock_ns())

    def describe(self) -> str:
        return self.base_url

    def close(self) -> None:
        self._session.close()

    def _post(self, body: dict[str, object]) -> bytes:
        self._pace(str(body["type"]))
        try:
            reply = self._session.post(f"{self.base_url}/info", json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            raise InfoError(f"/info {body.get('type')} failed: {exc}") from exc
        if reply.status_code == 429:
            raise InfoError(f"/info {body.get('type')}: rate limited (HTTP 429)")
        if reply.status_code != 200:
            raise InfoError(f"/info {body.get('type')}: HTTP {reply.status_code} {reply.text[:200]!r}")
        return reply.content

    def universe(self) -> Universe:
        return decode_universe(self._post({"type": "metaAndAssetCtxs"}))

    def l2_book(self, coin: str) -> L2Book:
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
                saved = msgspec.json.decode(path.read_bytes(), type=SavedReply)
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

    def saved_requests(self) -> list[tuple[str, ...]]:
        return sorted(self._replies)

    def _get(self, key: tuple[str, ...]) -> bytes:
        try:
            return self._replies[key]
        except KeyError:
            raise InfoUnavailable(f"no saved {' '.join(key)} reply in {self.folder}") from None

    def universe(self) -> Universe:
        return decode_universe(self._get(("metaAndAssetCtxs",)))

    def l2_book(self, coin: str) -> L2Book:
        return decode_l2_book(self._get(("l2Book", coin)), coin)

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]:
        # Saved replies cover the window they were recorded for: the asked window is not applied.
        return decode_candles(self._get(("candleSnapshot", coin, interval)), coin)
