"""The pure parts of a catalog screen: features of a recording, the recording filter, the backtest
config, on constructed recordings."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from screener.backtest_config import BacktestConfigOptions
from screener.backtest_config import backtest_config_path
from screener.backtest_config import build_backtest_config
from screener.catalog_reader import BOOK_SCHEMA
from screener.catalog_reader import NS
from screener.catalog_reader import TRADE_SCHEMA
from screener.catalog_reader import Recording
from screener.filters import REASON
from screener.filters import STAGE
from screener.filters import RecordingConfig
from screener.filters import recording_reasons
from screener.pipeline import ScreenConfig
from screener.pipeline import ScreenResult
from screener.pipeline import rank_and_select
from screener.recorded_features import interval_returns
from screener.recorded_features import recording_features

T0 = 1_757_016_000 * NS  # 2025-09-04 20:00 UTC


def _recording(mids: list[float], trades: list[tuple[float, float, float]], spread: float = 0.001) -> Recording:
    """A book one sample a second around `mids` (ask − bid = `spread`, 100 a side) and trades
    (px, sz, mid) one a second."""
    book = pl.DataFrame(
        {
            "ts": [T0 + i * NS for i in range(len(mids))],
            "bid": [m - spread / 2 for m in mids],
            "ask": [m + spread / 2 for m in mids],
            "bid_sz": [100.0] * len(mids),
            "ask_sz": [100.0] * len(mids),
        },
        schema=BOOK_SCHEMA,
    )
    trade_frame = pl.DataFrame(
        [(T0 + i * NS, px, sz, mid) for i, (px, sz, mid) in enumerate(trades)], schema=TRADE_SCHEMA, orient="row"
    )
    return Recording("ABC-USD-PERP.HYPERLIQUID", "ABC", 2, book, trade_frame)


def test_the_spread_scored_is_twice_the_median_distance_of_trades_from_the_mid() -> None:
    # Distances 1, 2 and 30 bps from a mid of 100: the median is 2 bps, so 4 bps paid by takers.
    rec = _recording([100.0] * 60, [(100.01, 1.0, 100.0), (99.98, 1.0, 100.0), (100.30, 1.0, 100.0)])
    row = recording_features(rec, grid_s=1, vol_interval_s=10)[0].row(0, named=True)
    assert row["spread_bps"] == pytest.approx(4.0)
    assert row["quoted_spread_bps"] == pytest.approx(0.1)
    assert row["spread_source"] == "trades"
    assert row["tick"] == 0.01 and row["bps_per_tick"] == pytest.approx(1.0)  # 100.00: 5 significant figures
    assert row["spread_ticks"] == pytest.approx(4.0)


def test_the_spread_is_at_least_one_tick() -> None:
    rec = _recording([100.0] * 60, [(100.0, 1.0, 100.0)] * 3)  # every trade at the mid
    assert recording_features(rec, 1, 10)[0]["spread_bps"][0] == pytest.approx(1.0)


def test_trades_without_a_mid_do_not_count() -> None:
    rec = _recording([100.0] * 60, [(100.02, 5.0, 100.0), (150.0, 1000.0, None)])
    row = recording_features(rec, 1, 10)[0].row(0, named=True)
    assert row["n_trades"] == 1 and row["volume_usd"] == pytest.approx(500.1)
    assert row["day_ntl_vlm"] == pytest.approx(500.1 * 86_400 / 60)  # 60 s recorded


def test_volatility_comes_from_interval_returns_scaled_to_an_hour() -> None:
    mids = [100.0 * (1.01 if (i // 10) % 2 else 1.0) for i in range(60)]  # ±1% every 10 s
    rec = _recording(mids, [])
    rets = interval_returns(rec, 10)["ret"].to_list()
    assert len(rets) == 5 and rets[0] == pytest.approx(math.log(1.01))
    vol = recording_features(rec, 1, 10)[0]["vol_1h_bps"][0]
    assert vol == pytest.approx(pl.Series(rets).std() * math.sqrt(360) * 1e4)


def test_a_hole_in_the_book_is_not_one_long_return() -> None:
    flat = _recording([100.0] * 30 + [110.0] * 30, [])
    # The second half recorded 10 minutes later: the 10% jump falls in the hole.
    later = pl.when(pl.col("ts") >= T0 + 30 * NS).then(pl.col("ts") + 600 * NS).otherwise(pl.col("ts"))
    rec = Recording(flat.instrument_id, flat.coin, flat.sz_decimals, flat.book.with_columns(ts=later), flat.trades)
    assert interval_returns(rec, 10)["ret"].abs().max() == 0.0


def test_an_empty_recording_has_no_spread_and_no_volume() -> None:
    row = recording_features(_recording([], []), 1, 60)[0].row(0, named=True)
    assert row["book_seconds"] == 0 and row["spread_bps"] is None and row["day_ntl_vlm"] == 0.0


def _features(**cols: list) -> pl.DataFrame:
    base = {"asset": ["A"], "book_seconds": [3600], "n_trades": [500], "day_ntl_vlm": [50e6], "volume_usd": [2e6]}
    return pl.DataFrame({**base, **cols})


@pytest.mark.parametrize(
    ("cols", "stage", "reason"),
    [
        ({"book_seconds": [0]}, "no book", "no two-sided book recorded"),
        ({"book_seconds": [300]}, "short recording", "book recorded for 5.0 min < 10.0 min"),
        ({"n_trades": [29]}, "few trades", "29 trades < 30: too few to measure the spread takers pay"),
        ({"day_ntl_vlm": [5e6]}, "low volume", "24h volume rate $5.0M < $10.0M ($2.0M traded in 60.0 min)"),
    ],
)
def test_recordings_that_cannot_be_scored_or_trade_too_little_are_dropped(cols: dict, stage: str, reason: str) -> None:
    row = recording_reasons(_features(**cols), RecordingConfig()).row(0, named=True)
    assert (row[STAGE], row[REASON]) == (stage, reason)


def test_a_recording_with_enough_book_trades_and_volume_is_kept() -> None:
    assert recording_reasons(_features())[REASON][0] is None


def _picked() -> ScreenResult:
    mids = [100.0] * 1200
    trades = [(100.05 if i % 2 else 99.95, 1000.0, 100.0) for i in range(100)]  # 5 bps from the mid
    features, rets = recording_features(_recording(mids, trades), 1, 60)
    features = features.with_columns(missing=pl.lit([], dtype=pl.List(pl.String)))
    return rank_and_select(recording_reasons(features), rets, ScreenConfig(), T0 // 1_000_000)


def test_the_backtest_config_runs_each_pick_from_after_the_warm_up_to_its_last_sample(tmp_path: Path) -> None:
    config = build_backtest_config(_picked(), BacktestConfigOptions(catalog=tmp_path, fee_tier=2, warmup_s=60))
    run = {"name": "abc_20250904", "instrument": "ABC-USD-PERP.HYPERLIQUID"}
    assert config["runs"] == [{**run, "start": "2025-09-04T20:01:00Z", "end": "2025-09-04T20:19:59Z"}]
    assert config["catalog"] == str(tmp_path.resolve()) and config["fee_tier"] == 2
    assert set(config["strategy_overrides"]["ABC"]) == {
        "base_spread_bps", "level_spacing_ticks", "max_inventory_usd", "order_size_usd"
    }


def test_a_screen_without_recorded_spans_has_no_backtest(tmp_path: Path) -> None:
    result = _picked()
    with pytest.raises(ValueError, match="not a catalog screen"):
        build_backtest_config(
            ScreenResult(result.table.drop("book_start_ns"), result.snapshot, result.fee_bps, []),
            BacktestConfigOptions(catalog=tmp_path),
        )


def test_the_backtest_config_goes_beside_the_node_config() -> None:
    assert backtest_config_path("configs/live.generated.json") == Path("configs/live.generated.backtest.json")
    assert backtest_config_path("out/node") == Path("out/node.backtest.json")
