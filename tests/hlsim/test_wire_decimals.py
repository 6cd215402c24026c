"""hlsim writes every price and size to the coin's decimals, whatever it replays: a replayed source
with float noise (a catalog's summed level sizes) never reaches a client as "123641.99999999999"."""

from __future__ import annotations

import json
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from adapters.hyperliquid.common.prices import decimals_of
from adapters.hyperliquid.common.prices import is_valid_hl_price
from catalog import shipped_data
from catalog.ingest import ingest_files
from hlsim.config import HlSimConfig
from hlsim.engine.exchange import SimExchange
from hlsim.replay.recording import Replayer
from hlsim.testing import run_hlsim_in_thread

WLFI_SZ_DECIMALS = 0


def _numbers(channel: str, data: Any) -> list[tuple[str, str]]:
    """(px, sz) strings of a market-data message."""
    if channel == "l2Book":
        return [(lvl["px"], lvl["sz"]) for side in data["levels"] for lvl in side]
    if channel == "bbo":
        return [(lvl["px"], lvl["sz"]) for lvl in data["bbo"] if lvl]
    if channel == "trades":
        return [(t["px"], t["sz"]) for t in data]
    return []


def _on_the_coins_grid(px: str, sz: str, sz_decimals: int) -> bool:
    return decimals_of(sz) <= sz_decimals and is_valid_hl_price(px, sz_decimals) and "e" not in px + sz.lower()


def test_a_replayed_size_with_float_noise_is_written_at_the_coins_decimals() -> None:
    engine = SimExchange(HlSimConfig(coins={"WLFI": WLFI_SZ_DECIMALS}))
    replayer = Replayer(engine)
    noisy = {"coin": "WLFI", "time": 1, "levels": [
        [{"px": "0.187000", "sz": "123641.99999999999", "n": 1}],
        [{"px": "0.18710000000000002", "sz": "2379.0000001", "n": 1}],
    ]}
    replayer.apply("l2Book", noisy)
    bids, asks = engine.l2_levels("WLFI", 20)
    assert bids == [(Decimal("0.187"), Decimal("123642"), 1)]
    assert asks == [(Decimal("0.1871"), Decimal("2379"), 1)]


@pytest.mark.slow
def test_a_catalog_replay_sends_only_numbers_on_the_coins_grid_on_every_channel(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    ingest_files([shipped_data.four_coin_capture("WLFI")], catalog, meta=shipped_data.mainnet_meta())
    config = HlSimConfig(coins={"WLFI": WLFI_SZ_DECIMALS}, replay=str(catalog), replay_speed=200.0,
                         ip_weight_per_min=None)
    seen: dict[str, int] = {"l2Book": 0, "bbo": 0, "trades": 0}
    bad: list[tuple[str, str, str]] = []
    with run_hlsim_in_thread(config) as sim, connect(sim.ws_url, open_timeout=5) as ws:
        ws.recv(timeout=5)  # greeting
        for kind in seen:
            ws.send(json.dumps({"method": "subscribe", "subscription": {"type": kind, "coin": "WLFI"}}))
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline and min(seen.values()) < 20:
            msg = json.loads(ws.recv(timeout=5))
            channel = msg["channel"]
            if channel not in seen:
                continue
            seen[channel] += 1
            bad += [(channel, px, sz) for px, sz in _numbers(channel, msg["data"])
                    if not _on_the_coins_grid(px, sz, WLFI_SZ_DECIMALS)]
        request = urllib.request.Request(sim.rest_url + "/info", data=b'{"type":"l2Book","coin":"WLFI"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as reply:
            rest_book = json.loads(reply.read())
    assert min(seen.values()) >= 20, seen
    assert bad == []
    assert _numbers("l2Book", rest_book)
    assert all(_on_the_coins_grid(px, sz, WLFI_SZ_DECIMALS) for px, sz in _numbers("l2Book", rest_book))
