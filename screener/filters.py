"""Which assets are dropped, and why.

Every filter fills the `drop_reason` column only where it is still null, so the first reason
that applies is the one reported, and a kept asset has `drop_reason` null.

- `dead_coin_reasons`: delisted, isolated-only, no two-sided market, 24h notional volume below
  the minimum ($10M by default), thin open interest.
- `recording_reasons` (a catalog's recordings instead of `/info`): too little book recorded, too
  few trades to measure the spread takers pay, a 24h volume rate below the minimum.
- `no_edge_reasons`: the typical spread cannot pay the maker fee plus the adverse-selection
  allowance (score 0).
- Correlation: `abs_correlation` (pairwise over common candle times), `correlation_clusters`
  (agglomerative clustering on 1 − |ρ|, scikit-learn), `drop_correlated` (best score per cluster).
- `cap_assets`: keep the best `max_assets`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

REASON = "drop_reason"
STAGE = "drop_stage"


@dataclass(frozen=True, slots=True)
class DeadCoinConfig:
    min_volume_usd: float = 10_000_000.0
    min_open_interest_usd: float = 1_000_000.0

    def __post_init__(self) -> None:
        if self.min_volume_usd < 0 or self.min_open_interest_usd < 0:
            raise ValueError("minimum volume and open interest must be >= 0")


def _usd(value: pl.Expr) -> pl.Expr:
    return pl.format("${}M", (value / 1e6).round(2))


def set_reason(df: pl.DataFrame, condition: pl.Expr, reason: pl.Expr, stage: str) -> pl.DataFrame:
    """Where `condition` holds and no reason is set yet: set `drop_reason` (the text shown) and
    `drop_stage` (a short name of the filter, for counting)."""
    df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in (REASON, STAGE) if c not in df.columns)
    hit = pl.col(REASON).is_null() & condition.fill_null(False)
    return df.with_columns(
        pl.when(hit).then(reason).otherwise(pl.col(REASON)).alias(REASON),
        pl.when(hit).then(pl.lit(stage)).otherwise(pl.col(STAGE)).alias(STAGE),
    )


def dead_coin_reasons(universe: pl.DataFrame, config: DeadCoinConfig | None = None) -> pl.DataFrame:
    cfg = config or DeadCoinConfig()
    df = set_reason(universe, pl.col("is_delisted"), pl.lit("delisted"), "delisted")
    df = set_reason(df, pl.col("only_isolated"), pl.lit("isolated-only"), "isolated-only")
    df = set_reason(
        df,
        pl.col("mid_px").is_null() | (pl.col("mark_px") <= 0),
        pl.lit("no two-sided market (no midPx or markPx)"),
        "no market",
    )
    df = set_reason(
        df,
        pl.col("day_ntl_vlm") < cfg.min_volume_usd,
        pl.format("24h volume {} < {}", _usd(pl.col("day_ntl_vlm")), _usd(pl.lit(cfg.min_volume_usd))),
        "low volume",
    )
    return set_reason(
        df,
        pl.col("open_interest_usd") < cfg.min_open_interest_usd,
        pl.format(
            "open interest {} < {}",
            _usd(pl.col("open_interest_usd")),
            _usd(pl.lit(cfg.min_open_interest_usd)),
        ),
        "thin open interest",
    )


@dataclass(frozen=True, slots=True)
class RecordingConfig:
    min_book_minutes: float = 10.0
    min_trades: int = 30
    min_volume_usd: float = 10_000_000.0  # per 24 h, the recorded volume as a rate

    def __post_init__(self) -> None:
        if self.min_book_minutes < 0 or self.min_trades < 1 or self.min_volume_usd < 0:
            raise ValueError("need min_book_minutes >= 0, min_trades >= 1 and min_volume_usd >= 0")


# The stages of `recording_reasons`: an instrument dropped at one of them could not be scored.
RECORDING_STAGES = ("no book", "short recording", "few trades")


def recording_reasons(features: pl.DataFrame, config: RecordingConfig | None = None) -> pl.DataFrame:
    """Drop recorded instruments that cannot be scored, or trade too little (the frame of
    `recorded_features.recording_features`)."""
    cfg = config or RecordingConfig()
    df = set_reason(features, pl.col("book_seconds") == 0, pl.lit("no two-sided book recorded"), "no book")
    df = set_reason(
        df,
        pl.col("book_seconds") < cfg.min_book_minutes * 60,
        pl.format(
            "book recorded for {} min < {} min",
            (pl.col("book_seconds") / 60).round(1),
            pl.lit(cfg.min_book_minutes),
        ),
        "short recording",
    )
    df = set_reason(
        df,
        pl.col("n_trades") < cfg.min_trades,
        pl.format(
            "{} trades < {}: too few to measure the spread takers pay", pl.col("n_trades"), pl.lit(cfg.min_trades)
        ),
        "few trades",
    )
    return set_reason(
        df,
        pl.col("day_ntl_vlm") < cfg.min_volume_usd,
        pl.format(
            "24h volume rate {} < {} ({} traded in {} min)",
            _usd(pl.col("day_ntl_vlm")),
            _usd(pl.lit(cfg.min_volume_usd)),
            _usd(pl.col("volume_usd")),
            (pl.col("book_seconds") / 60).round(1),
        ),
        "low volume",
    )


def no_edge_reasons(scored: pl.DataFrame) -> pl.DataFrame:
    """Drop assets scoring zero, saying whether the spread is unknown or too small for the fee
    and the adverse-selection allowance (the spread named by its source: l2Book, impactPxs, trades)."""
    df = set_reason(scored, pl.col("spread_bps").is_null(), pl.lit("spread unknown"), "spread unknown")
    return set_reason(
        df,
        pl.col("score") <= 0,
        pl.format(
            "spread {} bps ({}) cannot pay 2 × ({} bps maker fee + {} bps adverse selection)",
            pl.col("spread_bps").round(2),
            pl.col("spread_source"),
            pl.col("fee_bps").round(2),
            pl.col("adverse_selection_bps").round(2),
        ),
        "no edge",
    )


def abs_correlation(returns: pl.DataFrame, assets: list[str], min_overlap: int = 24) -> np.ndarray:
    """|ρ| of log returns for each pair of `assets`, over the candle times both have.

    Long frame `returns` (asset, t, ret). Pairs with fewer than `min_overlap` common returns get
    NaN (unknown). Computed for all pairs at once from masked sums.
    """
    n = len(assets)
    if n == 0:
        return np.zeros((0, 0))
    wide = (
        returns.filter(pl.col("asset").is_in(assets))
        .pivot(on="asset", index="t", values="ret", aggregate_function="first")
        .sort("t")
    )
    x = np.full((wide.height, n), np.nan)
    for j, asset in enumerate(assets):
        if asset in wide.columns:
            x[:, j] = wide[asset].to_numpy().astype(float)
    m = (~np.isnan(x)).astype(float)
    x0 = np.nan_to_num(x)
    cnt = m.T @ m  # common observations per pair
    with np.errstate(invalid="ignore", divide="ignore"):
        s_i = x0.T @ m  # sum of x_i over times where j is present too
        s_ii = (x0 * x0).T @ m
        s_ij = x0.T @ x0
        mean_i = s_i / cnt
        var_i = s_ii / cnt - mean_i**2
        cov = s_ij / cnt - mean_i * mean_i.T
        rho = cov / np.sqrt(var_i * var_i.T)
    rho = np.abs(rho)
    rho[(cnt < min_overlap) | ~np.isfinite(rho)] = np.nan
    np.fill_diagonal(rho, 1.0)
    return np.clip(rho, 0.0, 1.0)


def correlation_clusters(abs_rho: np.ndarray, min_abs_corr: float = 0.7) -> np.ndarray:
    """Cluster label per asset: average-linkage agglomerative clustering on 1 − |ρ|, cut at
    1 − `min_abs_corr`. Unknown pairs count as uncorrelated."""
    if not 0 < min_abs_corr <= 1:
        raise ValueError("min_abs_corr must be within (0, 1]")
    n = abs_rho.shape[0]
    if n < 2:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import AgglomerativeClustering  # imported here: ~1-2 s, only needed now

    distance = 1.0 - np.nan_to_num(abs_rho, nan=0.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - min_abs_corr + 1e-12,
    )
    return model.fit_predict(distance)


def drop_correlated(
    scored: pl.DataFrame, returns: pl.DataFrame, min_abs_corr: float = 0.7, min_overlap: int = 24
) -> pl.DataFrame:
    """Among kept assets with candle returns, keep the best score of each correlation cluster."""
    kept = scored.filter(pl.col(REASON).is_null())
    with_returns = set(returns["asset"].unique().to_list())
    candidates = kept.filter(pl.col("asset").is_in(with_returns)).sort("score", descending=True)
    assets = candidates["asset"].to_list()
    if len(assets) < 2:
        return scored
    rho = abs_correlation(returns, assets, min_overlap)
    labels = correlation_clusters(rho, min_abs_corr)
    reasons: dict[str, str] = {}
    best_of: dict[int, int] = {}
    for i, label in enumerate(labels):  # assets are sorted by score: the first of a cluster wins
        if int(label) not in best_of:
            best_of[int(label)] = i
            continue
        b = best_of[int(label)]
        corr = rho[i, b]
        corr_text = f"|ρ|={corr:.2f}" if np.isfinite(corr) else "same cluster"
        reasons[assets[i]] = f"correlated with {assets[b]} ({corr_text}), lower score"
    if not reasons:
        return scored
    table = pl.DataFrame({"asset": list(reasons), "_corr_reason": list(reasons.values())})
    df = scored.join(table, on="asset", how="left")
    return set_reason(df, pl.col("_corr_reason").is_not_null(), pl.col("_corr_reason"), "correlated").drop(
        "_corr_reason"
    )


def cap_assets(scored: pl.DataFrame, max_assets: int) -> pl.DataFrame:
    """Keep the `max_assets` best-scoring kept assets; the rest are dropped with the reason."""
    if max_assets < 1:
        raise ValueError("max_assets must be >= 1")
    ranked = scored.with_columns(
        _rank=pl.when(pl.col(REASON).is_null()).then(
            pl.col("score").rank("ordinal", descending=True).over(pl.col(REASON).is_null())
        )
    )
    return set_reason(
        ranked, pl.col("_rank") > max_assets, pl.lit(f"beyond the {max_assets} best"), "max assets"
    ).drop("_rank")
