"""A recording (`catalog_reader.Recording`) → the market features the scoring reads, in polars.

Pure functions. One row per instrument, with the columns `scoring`, `filters` and `params` use:

- spread_bps: the effective spread, 2 × the median distance of a trade from the book's mid just
  before it (what takers paid, so what a maker filled by them earns), at least one tick. A maker
  does not have to quote at the touch: the quoted spread alone (`quoted_spread_bps`, the median
  of the 1-s book samples) misses the trades that print through it.
- tick, bps_per_tick, spread_ticks: Hyperliquid's price step at the median mid (the adapter's rule).
- vol_1h_bps: realized volatility of the mid over `vol_interval_s` steps, scaled to an hour.
- volume_usd: notional traded while the book was recorded; day_ntl_vlm: the same as a 24-h rate.
- touch_depth_usd: median notional of the two touch levels.
- book_seconds, n_trades, book_start_ns, book_end_ns: how much was recorded.
"""

from __future__ import annotations

import math

import polars as pl

from adapters.hyperliquid.common.prices import price_tick_float
from screener.catalog_reader import NS
from screener.catalog_reader import Recording

DAY_S = 86_400

FEATURE_SCHEMA = {
    "asset": pl.String,
    "instrument_id": pl.String,
    "sz_decimals": pl.Int32,
    "book_seconds": pl.Int64,
    "book_start_ns": pl.Int64,
    "book_end_ns": pl.Int64,
    "n_trades": pl.Int64,
    "ref_px": pl.Float64,
    "tick": pl.Float64,
    "bps_per_tick": pl.Float64,
    "quoted_spread_bps": pl.Float64,
    "spread_bps": pl.Float64,
    "spread_ticks": pl.Float64,
    "spread_source": pl.String,
    "touch_depth_usd": pl.Float64,
    "vol_1h_bps": pl.Float64,
    "volume_usd": pl.Float64,
    "day_ntl_vlm": pl.Float64,
}
RETURNS_SCHEMA = {"asset": pl.String, "t": pl.Int64, "ret": pl.Float64}


def interval_returns(rec: Recording, vol_interval_s: int) -> pl.DataFrame:
    """Long frame (asset, t, ret): log returns of the last mid of each `vol_interval_s` step, only
    between adjacent steps (a hole in the recording is not one long return)."""
    step_ns = vol_interval_s * NS
    return (
        rec.book.select(t=pl.col("ts") // step_ns * step_ns, mid=(pl.col("bid") + pl.col("ask")) / 2)
        .group_by("t", maintain_order=True)
        .agg(pl.col("mid").last())
        .sort("t")
        .with_columns(
            ret=pl.when(pl.col("t").diff() == step_ns).then((pl.col("mid") / pl.col("mid").shift(1)).log())
        )
        .drop_nulls("ret")
        .select(asset=pl.lit(rec.coin), t="t", ret="ret")
        .cast(RETURNS_SCHEMA)
    )


def recording_features(rec: Recording, grid_s: int, vol_interval_s: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The one-row feature frame of a recording (nulls where the recording cannot tell), and its
    `interval_returns` (for the volatility here and the correlation filter later)."""
    book = rec.book.with_columns(mid=(pl.col("bid") + pl.col("ask")) / 2)
    stats = book.select(
        ref_px=pl.col("mid").median(),
        quoted_spread_bps=((pl.col("ask") - pl.col("bid")) / pl.col("mid")).median() * 1e4,
        touch_depth_usd=((pl.col("bid") * pl.col("bid_sz") + pl.col("ask") * pl.col("ask_sz")) / 2).median(),
        book_start_ns=pl.col("ts").min(),
        book_end_ns=pl.col("ts").max(),
    ).row(0, named=True)
    trades = rec.trades.filter(pl.col("mid").is_not_null())
    effective_half_bps = trades.select(((pl.col("px") - pl.col("mid")).abs() / pl.col("mid")).median() * 1e4).item()
    returns = interval_returns(rec, vol_interval_s)
    book_seconds = book.height * grid_s
    volume_usd = float(trades.select((pl.col("px") * pl.col("sz")).sum()).item())
    ref_px = stats["ref_px"]
    tick = price_tick_float(ref_px, rec.sz_decimals) if ref_px is not None else None
    bps_per_tick = tick / ref_px * 1e4 if tick is not None else None
    spread_bps = (
        max(2 * effective_half_bps, bps_per_tick)
        if effective_half_bps is not None and bps_per_tick is not None
        else None
    )
    vol_1h_bps = (
        float(returns["ret"].std()) * math.sqrt(3600 / vol_interval_s) * 1e4 if returns.height >= 2 else None
    )
    row = {
        "asset": rec.coin,
        "instrument_id": rec.instrument_id,
        "sz_decimals": rec.sz_decimals,
        "book_seconds": book_seconds,
        "book_start_ns": stats["book_start_ns"],
        "book_end_ns": stats["book_end_ns"],
        "n_trades": trades.height,
        "ref_px": ref_px,
        "tick": tick,
        "bps_per_tick": bps_per_tick,
        "quoted_spread_bps": stats["quoted_spread_bps"],
        "spread_bps": spread_bps,
        "spread_ticks": spread_bps / bps_per_tick if spread_bps is not None else None,
        "spread_source": "trades" if spread_bps is not None else None,
        "touch_depth_usd": stats["touch_depth_usd"],
        "vol_1h_bps": vol_1h_bps,
        "volume_usd": volume_usd,
        "day_ntl_vlm": volume_usd * DAY_S / book_seconds if book_seconds else 0.0,
    }
    return pl.DataFrame([row], schema=FEATURE_SCHEMA, orient="row"), returns
