"""msgspec schemas of the Hyperliquid `/info` replies the screener reads.

Hyperliquid sends numbers as strings; the replies are decoded with `strict=False` so that
"91026.5" becomes a float, and the bounds below reject what cannot be a real market
(negative prices, NaN). Unknown fields are ignored: the exchange adds fields over time.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

PositivePx = Annotated[float, msgspec.Meta(gt=0.0, lt=1e12)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0, lt=1e18)]
Signed = Annotated[float, msgspec.Meta(gt=-1e6, lt=1e6)]
CoinName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class AssetMeta(msgspec.Struct, frozen=True):
    """One perp of `meta.universe`; its position in the list is the asset index."""

    name: CoinName
    szDecimals: Annotated[int, msgspec.Meta(ge=0, le=10)]
    maxLeverage: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    marginTableId: int | None = None
    onlyIsolated: bool = False
    isDelisted: bool = False
    marginMode: str | None = None


class Meta(msgspec.Struct, frozen=True):
    universe: list[AssetMeta]


class AssetCtx(msgspec.Struct, frozen=True):
    """Per-asset market context of `metaAndAssetCtxs` (same order as `meta.universe`)."""

    dayNtlVlm: NonNegative
    openInterest: NonNegative
    # 0 for a perp without a price yet (a local exchange before any book): filtered as dead, not fatal.
    markPx: NonNegative
    oraclePx: NonNegative
    prevDayPx: NonNegative
    funding: Signed = 0.0
    midPx: PositivePx | None = None
    impactPxs: tuple[PositivePx, PositivePx] | None = None
    premium: Signed | None = None
    dayBaseVlm: NonNegative = 0.0


class L2Level(msgspec.Struct, frozen=True):
    px: PositivePx
    sz: Annotated[float, msgspec.Meta(gt=0.0, lt=1e18)]
    n: int = 0


class L2Book(msgspec.Struct, frozen=True):
    coin: CoinName
    time: int
    levels: tuple[list[L2Level], list[L2Level]]


class Candle(msgspec.Struct, frozen=True):
    t: int
    T: int
    s: CoinName
    i: str
    o: PositivePx
    c: PositivePx
    h: PositivePx
    l: PositivePx  # noqa: E741 - Hyperliquid's field name
    v: NonNegative
    n: int = 0


class SavedReply(msgspec.Struct, frozen=True):
    """A reply saved to a file: the `/info` request body and the raw reply."""

    request: dict[str, object]
    response: msgspec.Raw
