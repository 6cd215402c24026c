"""The official hyperliquid-python-sdk, unmodified, works against hlsim over real sockets."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread


def _statuses(reply: dict) -> list:
    assert reply["status"] == "ok", reply
    return reply["response"]["data"]["statuses"]


def test_info_meta_lists_configured_coins_with_size_decimals(sim: HlSimThread) -> None:
    info = Info(base_url=sim.rest_url, skip_ws=True)
    universe = info.meta()["universe"]
    assert [(u["name"], u["szDecimals"]) for u in universe] == [("ETH", 4), ("BTC", 5)]
    assert info.name_to_asset("BTC") == 1


def test_info_l2_snapshot_has_levels_best_first(eth_book: HlSimThread) -> None:
    info = Info(base_url=eth_book.rest_url, skip_ws=True)
    book = info.l2_snapshot("ETH")
    bids, asks = book["levels"]
    assert [b["px"] for b in bids] == ["3000.0", "2999.5", "2999.0"]
    assert [a["px"] for a in asks] == ["3000.5", "3001.0", "3001.5"]
    assert bids[0] == {"px": "3000.0", "sz": "5.0", "n": 1}


def test_exchange_alo_order_rests_and_shows_in_open_orders(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    reply = exchange.order("ETH", True, 0.01, 2999.5, {"limit": {"tif": "Alo"}})
    oid = _statuses(reply)[0]["resting"]["oid"]
    info = Info(base_url=eth_book.rest_url, skip_ws=True)
    orders = info.open_orders(wallet.address)
    assert [(o["oid"], o["coin"], o["side"], o["limitPx"], o["sz"]) for o in orders] == [
        (oid, "ETH", "B", "2999.5", "0.01")
    ]


def test_exchange_alo_that_would_cross_is_rejected_with_the_bbo(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    reply = exchange.order("ETH", True, 0.01, 3000.5, {"limit": {"tif": "Alo"}})
    assert _statuses(reply) == [
        {"error": "Post only order would have immediately matched, bbo was 3000.0@3000.5. asset=0"}
    ]


def test_exchange_bulk_orders_cancel_and_cancel_by_cloid(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    cloid = Cloid.from_int(7)
    reply = exchange.bulk_orders(
        [
            {"coin": "ETH", "is_buy": True, "sz": 0.01, "limit_px": 2999.0, "order_type": {"limit": {"tif": "Alo"}},
             "reduce_only": False},
            {"coin": "ETH", "is_buy": False, "sz": 0.01, "limit_px": 3001.0, "order_type": {"limit": {"tif": "Gtc"}},
             "reduce_only": False, "cloid": cloid},
        ]
    )
    first, second = _statuses(reply)
    assert second["resting"]["cloid"] == cloid.to_raw()
    assert _statuses(exchange.cancel("ETH", first["resting"]["oid"])) == ["success"]
    assert _statuses(exchange.cancel_by_cloid("ETH", cloid)) == ["success"]
    assert _statuses(exchange.cancel("ETH", first["resting"]["oid"])) == [
        {"error": "Order was never placed, already canceled, or filled."}
    ]
    assert eth_book.open_orders(wallet.address) == []


def test_exchange_modify_gives_a_new_oid(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    oid = _statuses(exchange.order("ETH", True, 0.01, 2999.0, {"limit": {"tif": "Alo"}}))[0]["resting"]["oid"]
    reply = exchange.modify_order(oid, "ETH", True, 0.02, 2999.5, {"limit": {"tif": "Alo"}})
    assert reply["status"] == "ok", reply
    [order] = eth_book.open_orders(wallet.address)
    assert order["oid"] != oid and order["limitPx"] == "2999.5" and order["sz"] == "0.02"


def test_schedule_cancel_is_refused_below_the_volume_gate(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    reply = exchange.schedule_cancel(int(time.time() * 1000) + 10_000)
    assert reply == {
        "status": "err",
        "response": "Cannot set scheduled cancel time until enough volume traded. Required: $1000000. Traded: $0.0.",
    }


def test_schedule_cancel_without_gate_cancels_all_orders_when_due(wallet: LocalAccount) -> None:
    config = HlSimConfig(
        coins={"ETH": 4}, schedule_cancel_volume_gate=False, schedule_cancel_min_ahead_ms=100, ip_weight_per_min=None
    )
    with run_hlsim_in_thread(config) as sim:
        sim.set_book("ETH", bids=[("3000", "1")], asks=[("3001", "1")])
        sim.fund(wallet.address, 10_000)
        exchange = Exchange(wallet, base_url=sim.rest_url)
        _statuses(exchange.order("ETH", True, 0.01, 2999.0, {"limit": {"tif": "Alo"}}))
        assert exchange.schedule_cancel(int(time.time() * 1000) + 1000) == {
            "status": "ok", "response": {"type": "default"}
        }
        deadline = time.time() + 5
        while sim.open_orders(wallet.address) and time.time() < deadline:
            time.sleep(0.1)
        assert sim.open_orders(wallet.address) == []


def test_user_state_and_user_fills_after_a_taker_fill(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    reply = exchange.order("ETH", True, 0.5, 3000.5, {"limit": {"tif": "Ioc"}})
    assert _statuses(reply)[0]["filled"]["totalSz"] == "0.5"
    info = Info(base_url=eth_book.rest_url, skip_ws=True)
    state = info.user_state(wallet.address)
    [pos] = state["assetPositions"]
    assert pos["position"]["coin"] == "ETH" and pos["position"]["szi"] == "0.5"
    assert pos["position"]["entryPx"] == "3000.5"
    [fill] = info.user_fills(wallet.address)
    assert fill["crossed"] is True and fill["dir"] == "Open Long"
    # Taker fee tier 0: 0.045% of 1500.25 = 0.6751125, rounded to 6 decimals (half-even).
    assert Decimal(fill["fee"]) == Decimal("0.675112")


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.slow
def test_sdk_websocket_subscriptions_receive_book_trades_fills_and_order_updates(
    eth_book: HlSimThread, wallet: LocalAccount
) -> None:
    eth_book.fund(wallet.address, 10_000)
    threads_before = set(threading.enumerate())
    info = Info(base_url=eth_book.rest_url, skip_ws=False)
    got: dict[str, list] = {"l2Book": [], "trades": [], "userFills": [], "orderUpdates": []}
    try:
        info.subscribe({"type": "l2Book", "coin": "ETH"}, lambda m: got["l2Book"].append(m))
        info.subscribe({"type": "trades", "coin": "ETH"}, lambda m: got["trades"].append(m))
        info.subscribe({"type": "userFills", "user": wallet.address}, lambda m: got["userFills"].append(m))
        info.subscribe({"type": "orderUpdates", "user": wallet.address}, lambda m: got["orderUpdates"].append(m))
        _wait_for(lambda: got["l2Book"] and got["userFills"])
        assert got["userFills"][0]["data"]["isSnapshot"] is True
        exchange = Exchange(wallet, base_url=eth_book.rest_url)
        oid = _statuses(exchange.order("ETH", True, 0.01, 3000.0, {"limit": {"tif": "Alo"}}))[0]["resting"]["oid"]
        eth_book.trade("ETH", "A", "3000.0", "6")  # 5 ahead, then ours
        _wait_for(lambda: len(got["userFills"]) >= 2 and got["trades"])
        live = got["userFills"][-1]["data"]
        assert "isSnapshot" not in live and live["fills"][0]["oid"] == oid and live["fills"][0]["crossed"] is False
        _wait_for(lambda: any(u["status"] == "filled" for m in got["orderUpdates"] for u in m["data"]))
        statuses = [u["status"] for m in got["orderUpdates"] for u in m["data"]]
        assert statuses == ["open", "filled"]
        assert got["trades"][0]["data"][0]["px"] == "3000.0"
    finally:
        info.disconnect_websocket()
    # websocket-client's reader thread can miss the close and sleep out its 10 s select timeout
    # (a client-side race, the same against the real exchange), so allow for it.
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=15)
        assert not thread.is_alive(), thread


def test_schedule_cancel_less_than_five_seconds_ahead_is_refused(wallet: LocalAccount) -> None:
    config = HlSimConfig(coins={"ETH": 4}, schedule_cancel_volume_gate=False, ip_weight_per_min=None)
    with run_hlsim_in_thread(config) as sim:
        sim.fund(wallet.address, 10_000)
        reply = Exchange(wallet, base_url=sim.rest_url).schedule_cancel(int(time.time() * 1000) + 2_000)
        assert reply == {"status": "err", "response": "Scheduled cancel time too early, must be at least 5 seconds from now."}


def test_update_leverage_and_market_open_through_the_sdk(eth_book: HlSimThread, wallet: LocalAccount) -> None:
    eth_book.fund(wallet.address, 10_000)
    exchange = Exchange(wallet, base_url=eth_book.rest_url)
    assert exchange.update_leverage(5, "ETH") == {"status": "ok", "response": {"type": "default"}}
    assert exchange.update_leverage(500, "ETH")["status"] == "err"
    reply = exchange.market_open("ETH", False, 0.1)  # IOC at mid - 5%, sweeps the bid
    assert _statuses(reply)[0]["filled"]["avgPx"] == "3000.0"
    state = Info(base_url=eth_book.rest_url, skip_ws=True).user_state(wallet.address)
    [pos] = state["assetPositions"]
    assert pos["position"]["leverage"] == {"type": "cross", "value": 5} and pos["position"]["szi"] == "-0.1"
