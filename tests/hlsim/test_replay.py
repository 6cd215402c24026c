"""Replay of the shipped recordings into the engine (adapters.hyperliquid.parsing.recordings underneath)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.hyperliquid.parsing.recordings import iter_records
from hlsim.config import HlSimConfig
from hlsim.engine.actions import OrderWire
from hlsim.engine.actions import typed_action
from hlsim.engine.exchange import NullListener
from hlsim.engine.exchange import SimExchange
from hlsim.replay import recording as replay
from hlsim.replay.recording import Replayer
from hlsim.replay.recording import check_replay_source

USER = "0x" + "ab" * 20


def _replayer(coins: dict[str, int]) -> Replayer:
    engine = SimExchange(HlSimConfig(coins=coins))
    engine.fund(USER, 1_000_000)
    return Replayer(engine)


def _wire(is_buy: bool, px: str, sz: str) -> OrderWire:
    action = typed_action({"type": "order", "grouping": "na", "orders": [
        {"a": 0, "b": is_buy, "p": px, "s": sz, "r": False, "t": {"limit": {"tif": "Alo"}}}]})
    return action.orders[0]


def test_btc_capture_leaves_the_book_of_its_last_snapshot(hl_data: Path) -> None:
    path = hl_data / "BTC_20250126_1914.ws.gz"
    replayer = _replayer({"BTC": 5})
    stats = asyncio.run(replayer.run(path, 0))
    last = [r for r in iter_records(path) if r.channel == "l2Book"][-1].data
    bids, asks = replayer.engine.l2_levels("BTC", 20)
    assert [str(px) for px, _, _ in bids[:3]] == [lvl["px"] for lvl in last["levels"][0][:3]]
    assert [str(px) for px, _, _ in asks[:3]] == [lvl["px"] for lvl in last["levels"][1][:3]]
    assert stats.books == 46 and stats.skipped == 0 and stats.trades > 0


@pytest.mark.slow
def test_eth_capture_fills_a_resting_ask_as_the_price_rises_through_it(hl_data: Path) -> None:
    replayer = _replayer({"ETH": 4})
    engine = replayer.engine
    oid = None
    for rec in iter_records(hl_data / "ETH_20251210_2110.ws.gz"):
        replayer.apply(rec.channel, rec.data)
        if oid is None and rec.channel == "l2Book":
            best_ask = engine.books["ETH"].best("A")
            status = engine.place_order(USER, _wire(False, str(best_ask), "0.01"), engine.now_ms())
            oid = status["resting"]["oid"]
    fills = engine.accounts[USER].fills
    assert [f["oid"] for f in fills] == [oid] and fills[0]["crossed"] is False
    assert engine.accounts[USER].positions["ETH"].szi == Decimal("-0.01")
    # The capture ends near 3343, above the first ask (~3331).
    assert engine.books["ETH"].best("B") > Decimal(fills[0]["px"])


def test_archive_hour_replays_books_only(hl_data: Path) -> None:
    path = hl_data / "archive" / "market_data" / "20240101" / "12" / "l2Book" / "BTC.lz4"
    replayer = _replayer({"BTC": 5})
    records = iter_records(path)
    for _, rec in zip(range(50), records, strict=False):
        replayer.apply(rec.channel, rec.data)
    assert replayer.stats.books == 50 and replayer.engine.books["BTC"].best("B") is not None


def test_malformed_messages_are_counted_not_fatal() -> None:
    replayer = _replayer({"ETH": 4})
    replayer.apply("l2Book", {"coin": "ETH", "levels": "nonsense"})
    replayer.apply("trades", [{"coin": "ETH", "side": "X", "px": "1", "sz": "1"}])
    replayer.apply("bbo", json.loads('{"coin": "ETH", "bbo": [{"px": "bad", "sz": "1"}, null]}'))
    assert replayer.stats.skipped == 3


@pytest.mark.slow
def test_catalog_replay_rebuilds_the_book_and_trades(hl_data: Path, tmp_path: Path) -> None:
    from catalog.ingest import ingest_files

    capture = hl_data / "BTC_20250126_1914.ws.gz"
    ingest_files([capture], tmp_path / "catalog")
    replayer = _replayer({"BTC": 5})
    stats = asyncio.run(replayer.run(tmp_path / "catalog", 0))
    # 46 snapshots, one identical to the one before: it left no deltas in the catalog.
    assert stats.books == 45 and stats.trades > 0 and stats.skipped == 0
    last = [r for r in iter_records(capture) if r.channel == "l2Book"][-1].data
    bids, asks = replayer.engine.l2_levels("BTC", 20)
    assert [str(px) for px, _, _ in bids[:5]] == [lvl["px"] for lvl in last["levels"][0][:5]]
    assert [sz for _, sz, _ in asks[:5]] == [Decimal(lvl["sz"]) for lvl in last["levels"][1][:5]]


def _bbo(time_ms: int, bid: tuple[str, str], ask: tuple[str, str]) -> dict:
    return {"coin": "ETH", "time": time_ms, "bbo": [{"px": bid[0], "sz": bid[1]}, {"px": ask[0], "sz": ask[1]}]}


def test_trades_of_a_block_are_applied_before_its_earlier_delivered_bbo() -> None:
    replayer = _replayer({"ETH": 4})
    engine = replayer.engine
    replayer.feed(1_000_000_000, "l2Book", {"coin": "ETH", "time": 1000, "levels": [
        [{"px": "3000.0", "sz": "5"}], [{"px": "3001.0", "sz": "2"}, {"px": "3001.5", "sz": "5"}]]})
    replayer.finish()
    oid = engine.place_order(USER, _wire(False, "3001", "0.5"), engine.now_ms())["resting"]["oid"]
    # Block 2000: buyers take 1.5 of the 2 ahead; the feed sends its bbo (level left at 0.5) first.
    replayer.feed(1_010_000_000, "bbo", _bbo(2000, ("3000.0", "5"), ("3001.0", "0.5")))
    replayer.feed(1_030_000_000, "trades", [{"coin": "ETH", "side": "B", "px": "3001.0", "sz": "1.5", "time": 2000}])
    replayer.finish()
    # Trades first: front 2 → 0.5; then the bbo (0.5 left) changes nothing. No fill: 0.5 is still ahead.
    assert engine.accounts[USER].fills == []
    assert engine.orders[oid].queue.front == 0.5


def test_held_depth_is_applied_once_the_hold_window_passes() -> None:
    replayer = _replayer({"ETH": 4})
    replayer.feed(1_000_000_000, "bbo", _bbo(1000, ("3000.0", "5"), ("3001.0", "2")))
    assert replayer.engine.books["ETH"].best("B") is None
    replayer.feed(1_200_000_000, "bbo", _bbo(1200, ("3000.5", "5"), ("3001.0", "2")))
    assert replayer.engine.books["ETH"].best("B") == Decimal("3000.0")


class _Published(NullListener):
    """What the engine hands to its subscribers (the WS hub in the server)."""

    def __init__(self) -> None:
        self.trades_seen: list[dict] = []

    def trades(self, coin: str, trades: list[dict]) -> None:
        self.trades_seen.extend(trades)


def test_a_bad_trade_in_a_message_still_publishes_the_good_ones_before_it() -> None:
    listener = _Published()
    replayer = Replayer(SimExchange(HlSimConfig(coins={"ETH": 4}), listener))
    good = {"coin": "ETH", "side": "A", "px": "3000.0", "sz": "0.5", "time": 1, "tid": 1}
    replayer.apply("trades", [good, {**good, "px": "not a number", "tid": 2}])
    assert replayer.stats.skipped == 1
    assert [(t["px"], t["sz"]) for t in listener.trades_seen] == [("3000.0", "0.5")]


def _bbo_line(recv_ns: int, coin: str) -> str:
    return f'{recv_ns} {{"channel":"bbo","data":{{"coin":"{coin}","time":1,"bbo":[null,null]}}}}'


@pytest.mark.parametrize("filler", ["BTC records", "corrupt lines"])
def test_replay_source_check_looks_only_at_the_first_lines(
    filler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay, "PEEK_LINES", 5)
    first = [_bbo_line(1, "BTC")]
    fill = [_bbo_line(2, "BTC") if filler == "BTC records" else "not json"] * 10
    path = tmp_path / "late_eth.ws"
    path.write_text("\n".join([*first, *fill, _bbo_line(3, "ETH")]) + "\n")
    check_replay_source(path, ["BTC"])
    with pytest.raises(ValueError, match=r"no market data for ETH in its first 5 lines \(it has BTC\)"):
        check_replay_source(path, ["ETH"])


def test_replay_source_check_accepts_a_catalog_for_its_coins_only(hl_data: Path, tmp_path: Path) -> None:
    from catalog.ingest import ingest_files

    ingest_files([hl_data / "BTC_20250126_1914.ws.gz"], tmp_path / "catalog")
    check_replay_source(tmp_path / "catalog", ["SOL", "BTC"])
    with pytest.raises(ValueError, match="not a ParquetDataCatalog with OrderBookDelta or TradeTick data for SOL"):
        check_replay_source(tmp_path / "catalog", ["SOL"])
