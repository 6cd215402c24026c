"""One screening run: fetch what is needed, score, filter, derive parameters, build the snapshot.

`screen_inputs` is pure (replies in, result out) and is what the benchmark times;
`screen` fetches the replies from an `InfoSource` first (l2Book and candles only for the coins
that survive the dead-coin filter) and records what could not be fetched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

import polars as pl

from adapters.hyperliquid.schemas.info import Candle
from adapters.hyperliquid.schemas.info import L2BookReply
from screener.features import book_frame
from screener.features import market_features
from screener.features import returns_frame
from screener.features import universe_frame
from screener.features import volatility_frame
from screener.filters import REASON
from screener.filters import DeadCoinConfig
from screener.filters import cap_assets
from screener.filters import dead_coin_reasons
from screener.filters import drop_correlated
from screener.filters import no_edge_reasons
from screener.info_client import InfoError
from screener.info_client import InfoSource
from screener.info_client import InfoUnavailable
from screener.info_client import Universe
from screener.params import ParamsConfig
from screener.params import derive_params
from screener.scoring import ScoreConfig
from screener.scoring import maker_fee_bps
from screener.scoring import score_assets
from screener_link.payload import MAX_ASSETS
from screener_link.payload import AssetParams
from screener_link.payload import ScreenerSnapshot
from screener_link.payload import make_snapshot

_log = logging.getLogger(__name__)

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class ScreenConfig:
    fee_tier: int = 0
    max_assets: int = 5
    dead: DeadCoinConfig = field(default_factory=DeadCoinConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    params: ParamsConfig = field(default_factory=ParamsConfig)
    candle_interval: str = "1h"
    candle_lookback_h: int = 72
    min_abs_corr: float = 0.7
    min_overlap: int = 24
    # l2Book snapshots per coin (the typical spread is their median), `book_sample_interval_s` apart.
    book_samples: int = 1
    book_sample_interval_s: float = 5.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_assets <= MAX_ASSETS:  # a snapshot holds at most MAX_ASSETS
            raise ValueError(f"max_assets must be within 1..{MAX_ASSETS}, got {self.max_assets}")
        if not 1 <= self.book_samples <= 60 or self.book_sample_interval_s < 0:
            raise ValueError("book_samples must be within 1..60 and book_sample_interval_s >= 0")
        if self.candle_lookback_h < 2 or self.min_overlap < 2:
            raise ValueError("candle_lookback_h and min_overlap must be >= 2")
        maker_fee_bps(self.fee_tier)  # validates the tier


@dataclass(frozen=True, slots=True)
class ScreenResult:
    table: pl.DataFrame  # every asset, ranked: kept first by score, then dropped with drop_reason
    snapshot: ScreenerSnapshot
    fee_bps: float
    notes: list[str]

    @property
    def selected(self) -> pl.DataFrame:
        return self.table.filter(pl.col(REASON).is_null())


@dataclass(slots=True)
class Inputs:
    universe: Universe
    books: list[L2BookReply] = field(default_factory=list)
    candles: dict[str, list[Candle]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


PARAM_COLUMNS = ("base_spread_bps", "max_inventory_usd", "level_spacing_ticks", "order_size_usd", "score")


def screen_inputs(
    universe: Universe,
    books: list[L2BookReply],
    candles: Mapping[str, list[Candle]],
    config: ScreenConfig,
    now_ms: int,
    notes: list[str] | None = None,
) -> ScreenResult:
    uni = dead_coin_reasons(universe_frame(universe), config.dead)
    features = market_features(uni, book_frame(books), volatility_frame(candles))
    return rank_and_select(features, returns_frame(candles), config, now_ms, notes)


def rank_and_select(
    features: pl.DataFrame,
    returns: pl.DataFrame,
    config: ScreenConfig,
    now_ms: int,
    notes: list[str] | None = None,
) -> ScreenResult:
    """Score, drop (no edge, parameters out of bounds, correlated, beyond the cap), rank, and build
    the snapshot of the kept assets. `features` holds one row per asset (`drop_reason` set where an
    earlier filter dropped it); `returns` is the long (asset, t, ret) frame for the correlation."""
    fee_bps = maker_fee_bps(config.fee_tier)
    scored = no_edge_reasons(score_assets(features, fee_bps, config.score))
    with_params = derive_params(scored, config.params, config.max_assets)
    decorrelated = drop_correlated(with_params, returns, config.min_abs_corr, config.min_overlap)
    final = cap_assets(decorrelated, config.max_assets)
    table = final.sort(
        pl.col(REASON).is_not_null(), pl.col("score"), pl.col("day_ntl_vlm"), descending=[False, True, True]
    ).with_columns(rank=pl.int_range(1, pl.len() + 1))
    kept = table.filter(pl.col(REASON).is_null())
    assets = [
        AssetParams(
            asset=row["asset"],
            base_spread_bps=float(row["base_spread_bps"]),
            max_inventory_usd=float(row["max_inventory_usd"]),
            level_spacing_ticks=int(row["level_spacing_ticks"]),
            order_size_usd=float(row["order_size_usd"]),
            score=round(float(row["score"]), 6),
        )
        for row in kept.select("asset", *PARAM_COLUMNS).iter_rows(named=True)
    ]
    return ScreenResult(
        table=table, snapshot=make_snapshot(now_ms, assets), fee_bps=fee_bps, notes=list(notes or [])
    )


def fetch_inputs(
    source: InfoSource, config: ScreenConfig, now_ms: int, sleep: Callable[[float], None] = time.sleep
) -> Inputs:
    """The universe, then l2Book (`book_samples` rounds) and candles for the coins passing the
    dead-coin filter.

    A per-coin reply that is missing or invalid is recorded in `notes` and the coin is scored
    from what remains; an invalid or missing universe raises InfoError.
    """
    universe = source.universe()
    alive = dead_coin_reasons(universe_frame(universe), config.dead).filter(pl.col(REASON).is_null())
    coins = alive["asset"].to_list()
    inputs = Inputs(universe=universe)
    start_ms = now_ms - config.candle_lookback_h * HOUR_MS
    no_book: set[str] = set()
    for round_ in range(config.book_samples):
        if round_:
            sleep(config.book_sample_interval_s)
        for coin in coins:
            if coin in no_book:
                continue
            try:
                inputs.books.append(source.l2_book(coin))
            except InfoUnavailable:
                no_book.add(coin)
                inputs.notes.append(f"{coin}: no l2Book available")
            except InfoError as exc:
                inputs.notes.append(f"{coin}: l2Book rejected ({exc})")
                _log.warning("%s", exc)
    for coin in coins:
        try:
            inputs.candles[coin] = source.candles(coin, config.candle_interval, start_ms, now_ms)
        except InfoUnavailable:
            inputs.notes.append(f"{coin}: no {config.candle_interval} candles available")
        except InfoError as exc:
            inputs.notes.append(f"{coin}: candles rejected ({exc})")
            _log.warning("%s", exc)
    return inputs


def screen(source: InfoSource, config: ScreenConfig, now_ms: int) -> ScreenResult:
    inputs = fetch_inputs(source, config, now_ms)
    return screen_inputs(inputs.universe, inputs.books, inputs.candles, config, now_ms, inputs.notes)


class InfoScreening:
    """Screens of the `/info` replies of one source (live or saved)."""

    def __init__(self, source: InfoSource, config: ScreenConfig) -> None:
        self.source = source
        self.config = config

    def describe(self) -> str:
        return self.source.describe()

    def screen(self, now_ms: int) -> ScreenResult:
        return screen(self.source, self.config, now_ms)

    def close(self) -> None:
        self.source.close()
