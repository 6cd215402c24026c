"""Per-asset parameters, and a whole screening run over the shipped `/info` folder."""

from __future__ import annotations

import math
import time
from pathlib import Path

import polars as pl
import pytest

from screener.features import book_frame
from screener.filters import REASON
from screener.filters import DeadCoinConfig
from screener.info_client import OfflineInfoClient
from screener.params import ParamsConfig
from screener.params import derive_params
from screener.pipeline import ScreenConfig
from screener.pipeline import fetch_inputs
from screener.pipeline import screen
from screener.report import wide_quote_warnings
from screener_link.payload import decode
from screener_link.payload import encode


def _scored(**cols: list) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "asset": [f"X{i}" for i in range(n)],
        "spread_bps": [10.0] * n,
        "fee_bps": [1.5] * n,
        "vol_1h_bps": [30.0] * n,
        "bps_per_tick": [0.5] * n,
        "touch_depth_usd": [100e3] * n,
        "day_ntl_vlm": [50e6] * n,
        REASON: [None] * n,
    }
    base.update(cols)
    return pl.DataFrame(base, schema_overrides={"touch_depth_usd": pl.Float64, REASON: pl.String})


def test_base_spread_is_the_widest_of_market_fee_and_volatility_floors() -> None:
    cfg = ParamsConfig(min_edge_bps=0.5, vol_horizon_s=60, vol_multiple=1.0)
    out = derive_params(_scored(spread_bps=[10.0, 1.0, 1.0], vol_1h_bps=[30.0, 1.0, 300.0]), cfg)
    market, fee_floor, vol_floor = out["base_spread_bps"].to_list()
    assert market == 10.0
    assert fee_floor == 4.0  # 2 × (1.5 fee + 0.5 edge): each fill pays its fee
    assert vol_floor == pytest.approx(math.ceil(2 * 300 * math.sqrt(60 / 3600) * 10) / 10)


def test_max_inventory_is_bounded_by_budget_depth_and_volume() -> None:
    cfg = ParamsConfig(
        capital_budget_usd=10_000, max_asset_fraction=0.25, depth_multiple=2.0, volume_fraction=0.001
    )
    out = derive_params(
        _scored(touch_depth_usd=[100e3, 500.0, None], day_ntl_vlm=[50e6, 50e6, 1e6]),
        cfg,
    )
    assert out["max_inventory_usd"].to_list() == [2500.0, 1000.0, 1000.0]  # budget, 2 × depth, 0.1% of volume


def test_inventories_of_all_selected_assets_fit_in_the_capital_budget() -> None:
    cfg = ParamsConfig(capital_budget_usd=10_000, max_asset_fraction=0.25)
    assert derive_params(_scored(spread_bps=[10.0]), cfg, max_assets=2)["max_inventory_usd"][0] == 2500.0
    out = derive_params(_scored(spread_bps=[10.0] * 8), cfg, max_assets=8)
    assert out["max_inventory_usd"].sum() <= 10_000
    assert out["max_inventory_usd"][0] == 1250.0


def test_a_max_assets_above_the_candidates_splits_the_budget_among_the_candidates_only() -> None:
    cfg = ParamsConfig(capital_budget_usd=10_000, max_asset_fraction=1.0)
    scored = _scored(spread_bps=[10.0] * 3, **{REASON: [None, None, "delisted"]})
    out = derive_params(scored, cfg, max_assets=200)
    assert out["max_inventory_usd"].to_list()[:2] == [5000.0, 5000.0]  # 2 candidates, not 200 shares


def test_order_size_fits_the_ladder_in_the_inventory_and_respects_the_minimum() -> None:
    out = derive_params(_scored(touch_depth_usd=[100e3, 10.0, 50.0]))
    assert out["order_size_usd"].to_list() == [357.0, 12.0, 14.0]  # 2500 / 7; floor of $12; 100 / 7
    reasons = out[REASON].to_list()
    assert reasons[0] is None and reasons[2] is None
    assert reasons[1] == "inventory budget $20.0 below two minimum orders"


def test_level_spacing_is_half_the_half_spread_in_ticks_and_at_least_one() -> None:
    out = derive_params(_scored(spread_bps=[10.0, 10.0], bps_per_tick=[0.5, 20.0]))
    assert out["level_spacing_ticks"].to_list() == [5, 1]  # 0.5 × 5 bps / 0.5 bps per tick


@pytest.fixture(scope="module")
def shipped_run(info_dir: Path):  # type: ignore[no-untyped-def]
    return screen(OfflineInfoClient(info_dir), ScreenConfig(max_assets=5), int(time.time() * 1000))


def test_offline_screen_selects_fee_paying_alts_and_says_what_is_missing(shipped_run) -> None:
    table, snap = shipped_run.table, shipped_run.snapshot
    assert table.height == 227
    selected = table.filter(pl.col(REASON).is_null())
    assert selected.height == len(snap.assets) == 5
    assert [a.asset for a in snap.assets] == selected["asset"].to_list()
    assert selected["score"].is_sorted(descending=True)
    assert (selected["spread_bps"] > 2 * (1.5 + 0.5)).all()  # the tier-0 fee and adverse selection
    drop = dict(zip(table["asset"], table["drop_stage"], strict=True))
    assert drop["BTC"] == drop["ETH"] == "no edge"
    assert drop["MATIC"] == "delisted"
    assert (
        table.filter(pl.col("drop_stage").is_in(["no edge", "max assets"]) | pl.col(REASON).is_null()).height
        == 18
    )
    assert "BTC: no l2Book available" in shipped_run.notes
    assert "kPEPE: no 1h candles available" not in shipped_run.notes
    assert dict(zip(table["asset"], table["vol_source"], strict=True))["kPEPE"] == "candles"
    assert decode(encode(snap)) == snap


def test_a_higher_fee_tier_never_selects_fewer_assets(info_dir: Path) -> None:
    source = OfflineInfoClient(info_dir)
    now = int(time.time() * 1000)
    tier0 = screen(source, ScreenConfig(fee_tier=0, max_assets=50), now).selected
    tier4 = screen(source, ScreenConfig(fee_tier=4, max_assets=50), now).selected
    assert set(tier0["asset"]) <= set(tier4["asset"])
    assert "SOL" in set(tier4["asset"]) and "SOL" not in set(tier0["asset"])


def test_several_book_samples_are_fetched_and_their_median_spread_used(info_dir: Path) -> None:
    source = OfflineInfoClient(info_dir)
    slept: list[float] = []
    config = ScreenConfig(dead=DeadCoinConfig(min_volume_usd=0, min_open_interest_usd=0), book_samples=3)
    inputs = fetch_inputs(source, config, int(time.time() * 1000), sleep=slept.append)
    assert [b.coin for b in inputs.books] == ["DYDX"] * 3
    assert slept == [5.0, 5.0]
    assert inputs.notes.count("BTC: no l2Book available") == 1  # asked once, not once per round
    books = book_frame(inputs.books)
    assert books.row(0, named=True)["n_books"] == 3


def test_only_picks_quoted_five_times_their_market_or_wider_are_warned_of() -> None:
    kept = pl.DataFrame({"asset": ["WIDE", "NEAR", "NOBOOK"], "spread_bps": [2.7, 2.0, None],
                         "base_spread_bps": [72.5, 9.9, 40.0]})
    (line,) = wide_quote_warnings(kept)
    assert line.startswith("WIDE quotes 72.5 bps wide against a 2.70 bps market (27x, set by its volatility)")
