"""Features and the maker-edge score, on the shipped mainnet reply and on constructed rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from screener.features import MISSING_BOOK
from screener.features import MISSING_CANDLES
from screener.features import book_frame
from screener.features import market_features
from screener.features import universe_frame
from screener.features import volatility_frame
from screener.info_client import OfflineInfoClient
from screener.scoring import ScoreConfig
from screener.scoring import maker_fee_bps
from screener.scoring import score_assets


@pytest.fixture(scope="module")
def source(info_dir: Path) -> OfflineInfoClient:
    return OfflineInfoClient(info_dir)


@pytest.fixture(scope="module")
def shipped_features(source: OfflineInfoClient) -> pl.DataFrame:
    candles = {"kPEPE": source.candles("kPEPE", "1h", 0, 0)}
    uni = universe_frame(source.universe())
    return market_features(uni, book_frame([source.l2_book("DYDX")]), volatility_frame(candles))


def _row(df: pl.DataFrame, asset: str) -> dict:
    return df.filter(pl.col("asset") == asset).row(0, named=True)


def test_maker_fee_comes_from_the_adapter_fee_table() -> None:
    assert maker_fee_bps(0) == pytest.approx(1.5)
    assert maker_fee_bps(3) == pytest.approx(0.4)
    assert maker_fee_bps(6) == 0.0
    with pytest.raises(ValueError, match="fee tier"):
        maker_fee_bps(7)


def test_tick_size_follows_significant_figures_and_size_decimals(shipped_features: pl.DataFrame) -> None:
    assert _row(shipped_features, "BTC")["tick"] == pytest.approx(1.0)  # 91026.5: 5 sig figs, ≤ 1
    assert _row(shipped_features, "ETH")["tick"] == pytest.approx(0.1)
    assert _row(shipped_features, "kPEPE")["tick"] == pytest.approx(1e-6)  # szDecimals 0: ≤ 6 decimals
    assert _row(shipped_features, "DYDX")["tick"] == pytest.approx(1e-4)  # the 2023 book at 2.11


def test_spread_comes_from_the_book_when_there_is_one_else_from_impact_prices(
    shipped_features: pl.DataFrame,
) -> None:
    dydx = _row(shipped_features, "DYDX")
    assert dydx["spread_source"] == "l2Book"
    assert dydx["spread"] == pytest.approx(2.1124 - 2.111)
    assert dydx["spread_ticks"] == pytest.approx(14.0)
    assert dydx["touch_depth_usd"] == pytest.approx((2.111 * 134.4 + 2.1124 * 352.3) / 2)
    assert MISSING_BOOK not in dydx["missing"]
    btc = _row(shipped_features, "BTC")
    assert btc["spread_source"] == "impactPxs"
    assert btc["spread_bps"] == pytest.approx((91030.2 - 91026.0) / 91026.5 * 1e4)
    assert btc["touch_depth_usd"] is None
    assert btc["missing"] == [MISSING_BOOK, MISSING_CANDLES]


def test_kpepe_volatility_is_the_std_of_hourly_log_returns(source: OfflineInfoClient) -> None:
    candles = source.candles("kPEPE", "1h", 0, 0)
    closes = np.array([c.c for c in candles])
    expected = np.std(np.diff(np.log(closes)), ddof=1) * 1e4
    vols = volatility_frame({"kPEPE": candles})
    assert vols["candle_vol_1h_bps"][0] == pytest.approx(expected)
    assert vols["n_returns"][0] == len(candles) - 1
    assert 10 < expected < 200  # a meme coin in 2023: tens of bps an hour


def test_volatility_of_shorter_candles_is_scaled_to_an_hour(source: OfflineInfoClient) -> None:
    hourly = source.candles("kPEPE", "1h", 0, 0)
    as_15m = [
        c.__class__(**{**{f: getattr(c, f) for f in c.__struct_fields__}, "T": c.t + 899_999}) for c in hourly
    ]
    ratio = (
        volatility_frame({"kPEPE": as_15m})["candle_vol_1h_bps"][0]
        / volatility_frame({"kPEPE": hourly})["candle_vol_1h_bps"][0]
    )
    assert ratio == pytest.approx(2.0)  # sqrt(60 / 15)


def test_majors_cannot_pay_the_tier0_maker_fee_and_score_zero(shipped_features: pl.DataFrame) -> None:
    scored = score_assets(shipped_features, maker_fee_bps(0))
    for asset in ("BTC", "ETH", "SOL", "XRP"):
        assert _row(scored, asset)["score"] == 0.0, asset
    assert _row(scored, "kPEPE")["score"] > 0  # 5.8 bps spread: 2.9 bps per fill > 1.5 + 0.5 bps


def test_without_a_maker_fee_the_btc_spread_still_cannot_pay_adverse_selection(shipped_features: pl.DataFrame) -> None:
    # 0.46 bps: 0.23 bps per fill, below the 0.5 bps allowance of the strategy's fee-edge check.
    assert _row(score_assets(shipped_features, maker_fee_bps(4)), "BTC")["score"] == 0.0
    no_allowance = ScoreConfig(adverse_selection_bps=0.0)
    assert _row(score_assets(shipped_features, maker_fee_bps(4), no_allowance), "BTC")["score"] > 0


def _rows(**cols: list) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "spread_bps": [10.0] * n,
        "spread_ticks": [20.0] * n,
        "day_ntl_vlm": [50e6] * n,
        "touch_depth_usd": [20e3] * n,
        "vol_1h_bps": [30.0] * n,
    }
    base.update(cols)
    return pl.DataFrame(base, schema_overrides={"touch_depth_usd": pl.Float64})


def test_granular_ticks_under_a_wide_spread_beat_a_one_tick_spread() -> None:
    s = score_assets(_rows(spread_ticks=[20.0, 1.0]), 1.5)["score"]
    assert s[0] > 2 * s[1] > 0


def test_spread_below_twice_the_fee_plus_adverse_selection_scores_zero_even_when_liquid() -> None:
    s = score_assets(_rows(spread_bps=[3.9, 4.1], day_ntl_vlm=[5e9, 5e9]), 1.5)["score"]  # 2 × (1.5 + 0.5)
    assert s[0] == 0.0 and s[1] > 0


def test_volatility_depth_and_volume_move_the_score_the_expected_way() -> None:
    vol = score_assets(_rows(vol_1h_bps=[10.0, 200.0]), 1.5)["score"]
    assert vol[0] > vol[1]
    liq = score_assets(_rows(day_ntl_vlm=[500e6, 20e6], touch_depth_usd=[200e3, 2e3]), 1.5)["score"]
    assert liq[0] > liq[1]


def test_missing_depth_scores_from_volume_alone_and_unknown_spread_scores_zero() -> None:
    s = score_assets(_rows(touch_depth_usd=[None, 20e3], spread_bps=[10.0, None]), 1.5)
    assert s["score"][0] > 0
    assert s["liquidity"][0] == pytest.approx(math.log10(50) / 3)
    assert s["score"][1] == 0.0
