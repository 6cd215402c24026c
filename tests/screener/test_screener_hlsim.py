"""The screener over HTTP against hlsim, the local Hyperliquid-compatible exchange."""

from __future__ import annotations

import time

import polars as pl
import pytest

from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread
from screener.filters import REASON
from screener.filters import DeadCoinConfig
from screener.info_client import HttpInfoClient
from screener.pipeline import ScreenConfig
from screener.pipeline import screen


def test_screen_reads_books_from_a_local_exchange_over_http() -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4, "kPEPE": 0, "BTC": 5})) as sim:
        sim.set_book("ETH", bids=[(3000.0, 50.0), (2999.9, 10.0)], asks=[(3003.0, 40.0), (3003.1, 10.0)])
        sim.set_book("kPEPE", bids=[(0.005, 2_000_000)], asks=[(0.005006, 3_000_000)])
        client = HttpInfoClient(sim.rest_url)
        try:
            result = screen(client, ScreenConfig(dead=DeadCoinConfig(0, 0)), int(time.time() * 1000))
        finally:
            client.close()
    rows = {r["asset"]: r for r in result.table.iter_rows(named=True)}
    eth, kpepe, btc = rows["ETH"], rows["kPEPE"], rows["BTC"]
    assert eth["spread_source"] == "l2Book"
    assert eth["spread_ticks"] == pytest.approx(30.0)  # 3.0 on ETH's 0.1 grid
    assert eth["touch_depth_usd"] == pytest.approx((3000.0 * 50 + 3003.0 * 40) / 2)
    assert kpepe["spread_ticks"] == pytest.approx(6.0)  # 1e-6 grid: szDecimals 0
    assert eth["score"] > kpepe["score"] > 0
    assert btc[REASON] == "no two-sided market (no midPx or markPx)"  # a listed perp without a book
    # The local exchange reports no volume: nothing can be carried as inventory, so nothing is chosen.
    assert result.table.filter(pl.col(REASON).is_null()).is_empty()
    assert eth["drop_stage"] == "inventory budget"
    assert result.snapshot.assets == []
