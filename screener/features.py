"""Turn `/info` replies into polars tables of per-asset market features.

Pure functions: replies in, frames out. The scoring and filters work on these frames only.

- `universe_frame`: one row per perp of `metaAndAssetCtxs` (volume, open interest, prices, flags).
- `book_frame`: spread and depth at the touch from `l2Book` snapshots (median over several).
- `volatility_frame` / `returns_frame`: candle log-returns, hourly volatility.
- `market_features`: joins them and fills what a coin lacks from `metaAndAssetCtxs`
  (spread from the impact prices, volatility from the 24h change), saying so in `missing`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Mapping

import polars as pl

from adapters.hyperliquid.common.prices import price_tick_float
from adapters.hyperliquid.schemas.info import Candle
from adapters.hyperliquid.schemas.info import L2BookReply
from screener.info_client import Universe

HOUR_MS = 3_600_000

MISSING_BOOK = "no l2Book (spread from impactPxs, an upper bound; depth unknown)"
MISSING_BOOK_AND_IMPACT = "no l2Book, no impactPxs (spread unknown)"
MISSING_CANDLES = "no candles (vol from the 24h change; correlation unchecked)"


def universe_frame(universe: Universe) -> pl.DataFrame:
    """One row per perp: identity, flags and the `metaAndAssetCtxs` market context."""
    assets, ctxs = universe.assets, universe.ctxs
    return pl.DataFrame(
        {
            "asset": [a.name for a in assets],
            "asset_index": list(range(len(assets))),
            "sz_decimals": [a.szDecimals for a in assets],
            "max_leverage": [a.maxLeverage for a in assets],
            "is_delisted": [a.isDelisted for a in assets],
            "only_isolated": [a.onlyIsolated for a in assets],
            "day_ntl_vlm": [c.dayNtlVlm for c in ctxs],
            "open_interest_usd": [c.openInterest * c.markPx for c in ctxs],
            "mark_px": [c.markPx for c in ctxs],
            "mid_px": [c.midPx for c in ctxs],
            "prev_day_px": [c.prevDayPx for c in ctxs],
            "impact_bid": [c.impactPxs[0] if c.impactPxs else None for c in ctxs],
            "impact_ask": [c.impactPxs[1] if c.impactPxs else None for c in ctxs],
            "funding": [c.funding for c in ctxs],
        },
        schema_overrides={
            "mid_px": pl.Float64,
            "impact_bid": pl.Float64,
            "impact_ask": pl.Float64,
            "sz_decimals": pl.Int32,
            "max_leverage": pl.Int32,
            "asset_index": pl.Int32,
        },
    )


BOOK_SCHEMA = {
    "asset": pl.String,
    "book_bid": pl.Float64,
    "book_ask": pl.Float64,
    "touch_depth_usd": pl.Float64,
    "n_books": pl.UInt32,
}


def _touch(book: L2BookReply) -> tuple[str, float, float, float, float] | None:
    """(coin, bid, ask, bid size, ask size) of a validated reply (its strings are numbers), or None
    for a one-sided book."""
    bids, asks = book.levels
    if not bids or not asks:
        return None
    return book.coin, float(bids[0].px), float(asks[0].px), float(bids[0].sz), float(asks[0].sz)


def book_frame(books: Iterable[L2BookReply]) -> pl.DataFrame:
    """Median touch (best bid/ask) and touch depth per coin over its snapshots; one-sided books skipped."""
    rows = [touch for b in books if (touch := _touch(b)) is not None]
    if not rows:
        return pl.DataFrame(schema=BOOK_SCHEMA)
    raw = pl.DataFrame(rows, schema=["asset", "bid", "ask", "bid_sz", "ask_sz"], orient="row")
    return (
        raw.with_columns(
            spread=pl.col("ask") - pl.col("bid"),
            # Mean notional of the two touch levels.
            touch=(pl.col("bid") * pl.col("bid_sz") + pl.col("ask") * pl.col("ask_sz")) / 2,
        )
        .group_by("asset", maintain_order=True)
        .agg(
            # The snapshot whose spread is the median, so bid/ask stay a real pair.
            book_bid=pl.col("bid").sort_by("spread").get(pl.len() // 2),
            book_ask=pl.col("ask").sort_by("spread").get(pl.len() // 2),
            touch_depth_usd=pl.col("touch").median(),
            n_books=pl.len(),
        )
        .cast(BOOK_SCHEMA)
    )


def returns_frame(candles: Mapping[str, list[Candle]]) -> pl.DataFrame:
    """Long frame (asset, t, ret): close-to-close log returns of each coin's candles."""
    frames = [
        pl.DataFrame(
            {"asset": [coin] * len(cs), "t": [c.t for c in cs], "close": [c.c for c in cs]},
            schema={"asset": pl.String, "t": pl.Int64, "close": pl.Float64},
        )
        for coin, cs in candles.items()
        if len(cs) >= 2
    ]
    if not frames:
        return pl.DataFrame(schema={"asset": pl.String, "t": pl.Int64, "ret": pl.Float64})
    return (
        pl.concat(frames)
        .sort("asset", "t")
        .with_columns(ret=(pl.col("close") / pl.col("close").shift(1).over("asset")).log())
        .drop_nulls("ret")
        .select("asset", "t", "ret")
    )


VOL_SCHEMA = {"asset": pl.String, "candle_vol_1h_bps": pl.Float64, "n_returns": pl.UInt32}


def volatility_frame(candles: Mapping[str, list[Candle]]) -> pl.DataFrame:
    """Hourly volatility (bps) per coin from its candle returns, scaled by the candle length."""
    rets = returns_frame(candles)
    if rets.is_empty():
        return pl.DataFrame(schema=VOL_SCHEMA)
    length_ms = {coin: cs[0].T - cs[0].t + 1 for coin, cs in candles.items() if cs}
    scale = pl.DataFrame(
        {"asset": list(length_ms), "scale": [math.sqrt(HOUR_MS / max(ms, 1)) for ms in length_ms.values()]},
        schema={"asset": pl.String, "scale": pl.Float64},
    )
    return (
        rets.group_by("asset", maintain_order=True)
        .agg(std=pl.col("ret").std(), n_returns=pl.len())
        .join(scale, on="asset", how="left")
        .select("asset", candle_vol_1h_bps=pl.col("std") * pl.col("scale") * 1e4, n_returns="n_returns")
        .cast(VOL_SCHEMA)
    )


def tick_size(px: pl.Series, sz_decimals: pl.Series) -> pl.Series:
    """Hyperliquid's price step at each `px` (null where the price is unknown), from the adapter's
    price rule (`adapters.hyperliquid.common.prices`)."""
    return pl.Series(
        [
            None if p is None or p <= 0 else price_tick_float(p, d)
            for p, d in zip(px.to_list(), sz_decimals.to_list(), strict=True)
        ],
        dtype=pl.Float64,
    )


def market_features(universe: pl.DataFrame, books: pl.DataFrame, vols: pl.DataFrame) -> pl.DataFrame:
    """Universe + book + volatility per asset, with fallbacks from `metaAndAssetCtxs`.

    Columns added: ref_px, tick, spread, spread_source, spread_bps, spread_ticks, bps_per_tick,
    touch_depth_usd, vol_1h_bps, vol_source, missing (list of what was not available).
    """
    df = universe.join(books, on="asset", how="left").join(vols, on="asset", how="left")
    has_book = pl.col("book_bid").is_not_null()
    has_impact = pl.col("impact_bid").is_not_null()
    has_candles = pl.col("candle_vol_1h_bps").is_not_null()
    df = df.with_columns(
        # Price scale of the spread we measure: the book's own mid when we have a book.
        ref_px=pl.when(has_book)
        .then((pl.col("book_bid") + pl.col("book_ask")) / 2)
        .otherwise(pl.coalesce("mid_px", pl.when(pl.col("mark_px") > 0).then("mark_px"))),
        raw_spread=pl.when(has_book)
        .then(pl.col("book_ask") - pl.col("book_bid"))
        .when(has_impact)
        .then(pl.col("impact_ask") - pl.col("impact_bid")),
        spread_source=pl.when(has_book).then(pl.lit("l2Book")).when(has_impact).then(pl.lit("impactPxs")),
    )
    df = df.with_columns(tick=tick_size(df["ref_px"], df["sz_decimals"]))
    df = df.with_columns(
        # A quoted spread is at least one tick (impact prices can coincide on thick books).
        spread=pl.when(pl.col("raw_spread").is_not_null()).then(pl.max_horizontal("raw_spread", "tick")),
        vol_1h_bps=pl.when(has_candles)
        .then(pl.col("candle_vol_1h_bps"))
        # |24h log change| spread over 24 hours as a random walk: a crude hourly volatility.
        .when((pl.col("mark_px") > 0) & (pl.col("prev_day_px") > 0))
        .then((pl.col("mark_px") / pl.col("prev_day_px")).log().abs() * 1e4 / math.sqrt(24)),
        vol_source=pl.when(has_candles).then(pl.lit("candles")).otherwise(pl.lit("24h change")),
        missing=pl.concat_list(
            pl.when(has_book)
            .then(pl.lit(None, pl.String))
            .when(has_impact)
            .then(pl.lit(MISSING_BOOK))
            .otherwise(pl.lit(MISSING_BOOK_AND_IMPACT)),
            pl.when(has_candles).then(pl.lit(None, pl.String)).otherwise(pl.lit(MISSING_CANDLES)),
        ).list.drop_nulls(),
    )
    return df.with_columns(
        spread_bps=pl.col("spread") / pl.col("ref_px") * 1e4,
        spread_ticks=pl.col("spread") / pl.col("tick"),
        bps_per_tick=pl.col("tick") / pl.col("ref_px") * 1e4,
    ).drop("raw_spread")
