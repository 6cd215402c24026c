"""Maker-edge score: how much a post-only quoter can earn per fill on an asset, discounted.

    edge_bps    = spread_bps / 2 − maker_fee_bps − adverse_selection_bps   (per maker fill)
    score       = max(edge_bps, 0) × granularity × liquidity × vol_penalty

- An asset whose typical spread cannot pay the maker fee plus the adverse-selection allowance on
  both legs scores exactly zero: the strategy's own fee-edge check (a level must sit at least
  maker fee + `adverse_selection_bps` from fair) would not quote it at that spread.
- granularity = spread_ticks / (spread_ticks + granularity_half_ticks): granular ticks under a wide
  spread leave room to step inside the spread and still earn (a 1-tick spread cannot be improved).
- liquidity: mean of a log-scaled 24h-volume factor and (when an `l2Book` was read) a log-scaled
  touch-depth factor, each in [0, 1].
- vol_penalty = 1 / (1 + vol_1h_bps / vol_ref_bps): adverse selection grows with volatility.

Pure functions on the frame of `screener.features.market_features`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from adapters.hyperliquid.common.fees import perp_fee_tier

# The strategy's default allowance (`MarketMakerConfig.adverse_selection_bps`), so the screener
# keeps what the strategy's fee-edge check would quote.
ADVERSE_SELECTION_BPS = 0.5


@dataclass(frozen=True, slots=True)
class ScoreConfig:
    adverse_selection_bps: float = ADVERSE_SELECTION_BPS
    granularity_half_ticks: float = 2.0
    volume_floor_usd: float = 1e6  # liquidity factor 0 at or below
    volume_full_usd: float = 1e9  # liquidity factor 1 at or above
    depth_floor_usd: float = 1e3
    depth_full_usd: float = 1e6
    vol_ref_bps: float = 100.0  # hourly volatility that halves the score

    def __post_init__(self) -> None:
        if self.granularity_half_ticks <= 0 or self.vol_ref_bps <= 0:
            raise ValueError("granularity_half_ticks and vol_ref_bps must be positive")
        if not 0 <= self.adverse_selection_bps < 100:
            raise ValueError(f"adverse_selection_bps must be within [0, 100), got {self.adverse_selection_bps}")
        if (
            not 0 < self.volume_floor_usd < self.volume_full_usd
            or not 0 < self.depth_floor_usd < self.depth_full_usd
        ):
            raise ValueError("need 0 < floor < full for the volume and depth scales")


def maker_fee_bps(fee_tier: int) -> float:
    """The maker fee of a perp fee tier in basis points (tier 0: 1.5 bps)."""
    return float(perp_fee_tier(fee_tier).maker * Decimal(10_000))


def _log_scale(col: str, floor: float, full: float) -> pl.Expr:
    return ((pl.col(col).clip(lower_bound=floor) / floor).log10() / math.log10(full / floor)).clip(0.0, 1.0)


def score_assets(features: pl.DataFrame, fee_bps: float, config: ScoreConfig | None = None) -> pl.DataFrame:
    """Add fee_bps, adverse_selection_bps, edge_bps, granularity, liquidity, vol_penalty and score
    (0 when the spread is unknown)."""
    if fee_bps < 0:
        raise ValueError("fee_bps must be >= 0 (a small account earns no rebate)")
    cfg = config or ScoreConfig()
    out = features.with_columns(
        fee_bps=pl.lit(fee_bps),
        adverse_selection_bps=pl.lit(cfg.adverse_selection_bps),
        edge_bps=pl.col("spread_bps") / 2 - fee_bps - cfg.adverse_selection_bps,
        granularity=pl.col("spread_ticks") / (pl.col("spread_ticks") + cfg.granularity_half_ticks),
        liquidity=pl.mean_horizontal(
            _log_scale("day_ntl_vlm", cfg.volume_floor_usd, cfg.volume_full_usd),
            _log_scale("touch_depth_usd", cfg.depth_floor_usd, cfg.depth_full_usd),
        ),
        vol_penalty=1.0 / (1.0 + pl.col("vol_1h_bps").fill_null(0.0) / cfg.vol_ref_bps),
    )
    return out.with_columns(
        score=(
            pl.col("edge_bps").clip(lower_bound=0.0)
            * pl.col("granularity")
            * pl.col("liquidity")
            * pl.col("vol_penalty")
        )
        .fill_nan(0.0)
        .fill_null(0.0)
    )
