"""Screening a catalog's recordings: the four-coin recording of 2025-09-04 picks WLFI and drops the
majors, whose spread cannot pay the maker fee plus adverse selection."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from screener.catalog_reader import NS
from screener.catalog_reader import ReadConfig
from screener.catalog_reader import open_catalog
from screener.catalog_reader import perp_instruments
from screener.catalog_reader import read_recording
from screener.catalog_screen import CatalogScreenConfig
from screener.catalog_screen import NoUsableInstrument
from screener.catalog_screen import screen_catalog
from screener.filters import REASON
from screener.filters import STAGE
from screener.pipeline import ScreenResult

# The four-coin recording (19:46-20:21 UTC); the catalog also holds other days of BTC and ETH.
SEP_4 = (1_757_012_400 * NS, 1_757_019_600 * NS)  # 2025-09-04 19:00 .. 21:00 UTC
DEC_10 = (1_765_400_400 * NS, 1_765_404_000 * NS)  # 2025-12-10 21:00 .. 22:00 UTC: the ETH capture


def _screen(catalog_dir: Path, window: tuple[int, int] | None = None) -> ScreenResult:
    start, end = window or (None, None)
    config = CatalogScreenConfig(start_ns=start, end_ns=end)
    return screen_catalog(open_catalog(catalog_dir), config, int(time.time() * 1000))


@pytest.fixture(scope="module")
def sep_4(shipped_catalog_dir: Path) -> ScreenResult:
    return _screen(shipped_catalog_dir, SEP_4)


def _rows(result: ScreenResult) -> dict[str, dict]:
    return {row["asset"]: row for row in result.table.iter_rows(named=True)}


def test_the_four_coin_recording_picks_wlfi_alone(sep_4: ScreenResult) -> None:
    assert sep_4.selected["asset"].to_list() == ["WLFI"]
    assert [a.asset for a in sep_4.snapshot.assets] == ["WLFI"]


def test_the_majors_are_dropped_because_their_spread_cannot_pay_the_fee_and_adverse_selection(
    sep_4: ScreenResult,
) -> None:
    rows = _rows(sep_4)
    for coin in ("BTC", "ETH", "SOL"):
        assert rows[coin][STAGE] == "no edge", coin
        assert rows[coin][REASON].endswith(
            "bps (trades) cannot pay 2 × (1.5 bps maker fee + 0.5 bps adverse selection)"
        ), rows[coin][REASON]
        assert rows[coin]["spread_bps"] < 2 * (1.5 + 0.5)


def test_wlfi_takers_pay_more_than_its_quoted_spread(sep_4: ScreenResult) -> None:
    wlfi = _rows(sep_4)["WLFI"]
    assert wlfi["quoted_spread_bps"] == pytest.approx(2.7, abs=0.1)  # the touch alone would not pay
    assert wlfi["spread_bps"] > 2 * (1.5 + 0.5) > wlfi["quoted_spread_bps"]
    assert wlfi["bps_per_tick"] == pytest.approx(1e-5 / wlfi["ref_px"] * 1e4)  # 5 significant figures
    assert 30 < wlfi["book_seconds"] / 60 < 36  # 19:46:57 .. 20:21:45 less the 18 s hole
    assert wlfi["volume_usd"] == pytest.approx(2.9e6, rel=0.05)
    assert wlfi["day_ntl_vlm"] == pytest.approx(wlfi["volume_usd"] * 86_400 / wlfi["book_seconds"])
    assert wlfi["vol_1h_bps"] > _rows(sep_4)["BTC"]["vol_1h_bps"] > 0


def test_the_window_scores_only_what_was_recorded_inside_it(shipped_catalog_dir: Path) -> None:
    rows = _rows(_screen(shipped_catalog_dir, DEC_10))
    assert {coin: rows[coin][STAGE] for coin in ("BTC", "SOL", "WLFI")} == dict.fromkeys(
        ("BTC", "SOL", "WLFI"), "no book"
    )
    assert rows["ETH"][STAGE] == "no edge"  # the ETH capture of 2025-12-10 alone
    assert rows["ETH"]["n_trades"] > 1_000


def test_a_catalog_with_no_usable_instrument_says_why_for_each(archive_only_catalog_dir: Path) -> None:
    with pytest.raises(NoUsableInstrument, match=r"no usable instrument .*BTC: 0 trades < 30"):
        _screen(archive_only_catalog_dir)


def test_reading_in_small_chunks_gives_the_same_recording(shipped_catalog_dir: Path) -> None:
    catalog = open_catalog(shipped_catalog_dir)
    wlfi = next(i for i in perp_instruments(catalog) if str(i.id).startswith("WLFI-"))
    whole = read_recording(catalog, wlfi)
    chunked = read_recording(catalog, wlfi, config=ReadConfig(chunk_s=60))
    assert whole.book.equals(chunked.book) and whole.trades.equals(chunked.trades)


def test_the_book_is_not_sampled_inside_a_hole_of_the_recording(shipped_catalog_dir: Path) -> None:
    catalog = open_catalog(shipped_catalog_dir)
    wlfi = next(i for i in perp_instruments(catalog) if str(i.id).startswith("WLFI-"))
    recording = read_recording(catalog, wlfi, config=ReadConfig(max_gap_s=5.0))
    gaps = recording.book.select(gap_s=pl.col("ts").diff() / NS).filter(pl.col("gap_s") > 1)["gap_s"]
    assert gaps.len() == 1 and 12 <= gaps[0] <= 20  # the 18 s hole at 19:58:12, less the 5 s grace
    assert recording.trades["mid"].null_count() < recording.trades.height / 50
