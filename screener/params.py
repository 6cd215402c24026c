"""Per-asset quoting parameters derived from the market features.

- base_spread_bps: the full L1 quoted spread (ask − bid over mid, bps). At least the typical market
  spread, at least 2 × (maker fee + minimum edge) so each fill pays its fee, and at least
  2 × vol_multiple × the volatility over the quote horizon (σ_1h · √(horizon/1h)).
- max_inventory_usd: the smallest of the per-asset share of the capital budget, a multiple of the touch depth
  (when a book was read) and a fraction of the 24h volume: never hold more than the market can
  take back as a maker.
- level_spacing_ticks: distance between ladder levels, a fraction of the half spread in ticks (≥ 1).
- order_size_usd: the L1 size, so that a full side of the ladder (sizes 1×, 2×, 4× = 7 units)
  fits within the inventory limit; never below the exchange minimum plus a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from screener.filters import REASON
from screener.filters import set_reason
from screener_link.payload import MAX_BASE_SPREAD_BPS
from screener_link.payload import MAX_INVENTORY_USD
from screener_link.payload import MAX_LEVEL_SPACING_TICKS
from screener_link.payload import MIN_ORDER_USD


@dataclass(frozen=True, slots=True)
class ParamsConfig:
    capital_budget_usd: float = 10_000.0
    max_asset_fraction: float = 0.25  # of the capital budget, per asset
    depth_multiple: float = 2.0  # inventory cap as a multiple of the touch depth
    volume_fraction: float = 0.001  # inventory cap as a fraction of the 24h volume
    min_edge_bps: float = 0.5  # per fill, above the maker fee
    vol_horizon_s: float = 60.0
    vol_multiple: float = 1.0
    spacing_fraction: float = 0.5  # of the half spread
    ladder_units: float = 7.0  # 1x + 2x + 4x
    min_order_usd: float = 12.0  # exchange minimum is $10: keep a margin for price moves

    def __post_init__(self) -> None:
        positive = (
            self.capital_budget_usd,
            self.depth_multiple,
            self.volume_fraction,
            self.vol_horizon_s,
            self.spacing_fraction,
            self.ladder_units,
        )
        if any(v <= 0 for v in positive) or not 0 < self.max_asset_fraction <= 1:
            raise ValueError("params config: budgets, multiples and fractions must be positive")
        if self.min_order_usd < MIN_ORDER_USD:
            raise ValueError(f"min_order_usd must be >= the exchange minimum of ${MIN_ORDER_USD:g}")
        if self.capital_budget_usd * self.max_asset_fraction > MAX_INVENTORY_USD:
            raise ValueError(f"per-asset budget above the payload limit of ${MAX_INVENTORY_USD:,.0f}")
        if self.min_edge_bps < 0 or self.vol_multiple < 0:
            raise ValueError("min_edge_bps and vol_multiple must be >= 0")


def derive_params(
    scored: pl.DataFrame, config: ParamsConfig | None = None, max_assets: int = 1
) -> pl.DataFrame:
    """Add base_spread_bps, max_inventory_usd, level_spacing_ticks, order_size_usd; drop (with the
    reason) kept assets whose inventory budget cannot hold two minimum orders.

    The per-asset budget is the capital budget × min(max_asset_fraction, 1 / n), n the smaller of
    `max_assets` and the assets still kept, so the inventories of all selected assets together
    never exceed the capital budget (and a large `max_assets` does not starve the few candidates).
    """
    if max_assets < 1:
        raise ValueError("max_assets must be >= 1")
    cfg = config or ParamsConfig()
    shares = max(1, min(max_assets, scored.filter(pl.col(REASON).is_null()).height))
    per_asset_budget = cfg.capital_budget_usd * min(cfg.max_asset_fraction, 1.0 / shares)
    horizon = math.sqrt(cfg.vol_horizon_s / 3600.0)
    df = scored.with_columns(
        base_spread_bps=(
            pl.max_horizontal(
                pl.col("spread_bps"),
                2 * (pl.col("fee_bps") + cfg.min_edge_bps),
                2 * cfg.vol_multiple * pl.col("vol_1h_bps").fill_null(0.0) * horizon,
            )
            * 10
        ).ceil()
        / 10,  # up to the next 0.1 bps
        max_inventory_usd=pl.min_horizontal(
            pl.lit(per_asset_budget),
            cfg.depth_multiple * pl.col("touch_depth_usd"),  # null (ignored) without a book
            cfg.volume_fraction * pl.col("day_ntl_vlm"),
        ).floor(),
    )
    df = df.with_columns(
        base_spread_bps=pl.col("base_spread_bps").round(1),
        level_spacing_ticks=(cfg.spacing_fraction * pl.col("base_spread_bps") / 2 / pl.col("bps_per_tick"))
        .round()
        .clip(1, MAX_LEVEL_SPACING_TICKS)
        .cast(pl.Int64),
        order_size_usd=(pl.col("max_inventory_usd") / cfg.ladder_units)
        .clip(lower_bound=cfg.min_order_usd)
        .floor(),
    )
    df = set_reason(
        df,
        pl.col("base_spread_bps") > MAX_BASE_SPREAD_BPS,
        pl.format(
            "base spread {} bps above the {} bps limit",
            pl.col("base_spread_bps"),
            pl.lit(MAX_BASE_SPREAD_BPS),
        ),
        "too wide",
    )
    return set_reason(
        df,
        pl.col("max_inventory_usd") < 2 * cfg.min_order_usd,
        pl.format("inventory budget ${} below two minimum orders", pl.col("max_inventory_usd")),
        "inventory budget",
    )
