"""msgspec Structs of the REST `/info` replies: `meta`, `metaAndAssetCtxs`, `l2Book`, `candleSnapshot`,
and the file a saved reply is kept in.

Hyperliquid sends numbers as strings. The market-context and candle replies are decoded with
`strict=False` so that "91026.5" becomes a float, and the bounds below reject what cannot be a real
market (negative prices, NaN). Unknown fields are ignored: the exchange adds fields over time.

The `l2Book` reply is the same object as the WS `l2Book` data, so it is decoded into the one L2
schema of the project (`market_data.L2BookData`, prices and sizes kept as the exchange's strings).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from adapters.hyperliquid.common.prices import MAX_SZ_DECIMALS
from adapters.hyperliquid.schemas.market_data import L2BookData

PositivePx = Annotated[float, msgspec.Meta(gt=0.0, lt=1e12)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0, lt=1e18)]
Signed = Annotated[float, msgspec.Meta(gt=-1e6, lt=1e6)]
CoinName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class AssetMeta(msgspec.Struct, frozen=True):
    """One perp of `meta.universe`; its position in the list is the asset index."""

    name: CoinName
    szDecimals: Annotated[int, msgspec.Meta(ge=0, le=MAX_SZ_DECIMALS)]  # prices: ≤ 6 − szDecimals decimals
    maxLeverage: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    marginTableId: int | None = None
    onlyIsolated: bool = False
    isDelisted: bool = False
    marginMode: str | None = None


class Meta(msgspec.Struct, frozen=True):
    """The `meta` reply (and the first half of `metaAndAssetCtxs`)."""

    universe: list[AssetMeta]


class AssetCtx(msgspec.Struct, frozen=True):
    """Per-asset market context of `metaAndAssetCtxs` (same order as `meta.universe`)."""

    dayNtlVlm: NonNegative
    openInterest: NonNegative
    # 0 for a perp without a price yet (a local exchange before any book): the caller decides.
    markPx: NonNegative
    oraclePx: NonNegative
    prevDayPx: NonNegative
    funding: Signed = 0.0
    midPx: PositivePx | None = None
    impactPxs: tuple[PositivePx, PositivePx] | None = None
    premium: Signed | None = None
    dayBaseVlm: NonNegative = 0.0


class Candle(msgspec.Struct, frozen=True):
    """One candle of `candleSnapshot`: open time `t`, close time `T` (ms), coin `s`, interval `i`."""

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


# The `l2Book` reply: `{"coin", "time", "levels": [bids, asks]}`, as on the WS channel.
L2BookReply = L2BookData

META_DECODER = msgspec.json.Decoder(Meta)
META_AND_ASSET_CTXS_DECODER = msgspec.json.Decoder(tuple[Meta, list[AssetCtx]], strict=False)
L2BOOK_REPLY_DECODER = msgspec.json.Decoder(L2BookReply)
CANDLES_DECODER = msgspec.json.Decoder(list[Candle], strict=False)
SAVED_REPLY_DECODER = msgspec.json.Decoder(SavedReply)
