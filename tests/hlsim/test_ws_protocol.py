"""WS /ws protocol: greeting, acks, errors, ping/pong, post, snapshots, channels, idle close."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect

from adapters.hyperliquid.signing import L1Signer
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

from .conftest import MAKER_KEY
from .helpers import alo
from .helpers import order_action
from .helpers import signed_body


def _open(sim: HlSimThread) -> ClientConnection:
    ws = connect(sim.ws_url, open_timeout=5)
    assert ws.recv(timeout=5) == "Websocket connection established."
    return ws


def _send(ws: ClientConnection, obj: Any) -> None:
    ws.send(json.dumps(obj))


def _next(ws: ClientConnection, channel: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        msg = json.loads(ws.recv(timeout=max(deadline - time.time(), 0.01)))
        if channel is None or msg["channel"] == channel:
            return msg


def _subscribe(ws: ClientConnection, sub: dict[str, Any]) -> dict[str, Any]:
    _send(ws, {"method": "subscribe", "subscription": sub})
    return _next(ws)


def test_greeting_then_ping_pong(sim: HlSimThread) -> None:
    with _open(sim) as ws:
        _send(ws, {"method": "ping"})
        assert _next(ws) == {"channel": "pong"}


def test_subscribe_is_acked_with_the_subscription_then_snapshot(eth_book: HlSimThread) -> None:
    sub = {"type": "l2Book", "coin": "ETH"}
    with _open(eth_book) as ws:
        assert _subscribe(ws, sub) == {
            "channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": sub}
        }
        book = _next(ws, "l2Book")["data"]
        assert book["coin"] == "ETH" and len(book["levels"][0]) == 3


def test_fast_l2book_carries_five_levels_and_full_carries_twenty(sim: HlSimThread) -> None:
    bids = [(str(3000 - i), "1") for i in range(30)]
    asks = [(str(3001 + i), "1") for i in range(30)]
    sim.set_book("ETH", bids=bids, asks=asks)
    with _open(sim) as ws:
        _subscribe(ws, {"type": "l2Book", "coin": "ETH", "fast": True})
        fast = _next(ws, "l2Book")["data"]["levels"]
        _subscribe(ws, {"type": "l2Book", "coin": "ETH"})
        full = _next(ws, "l2Book")["data"]["levels"]
    assert [len(side) for side in fast] == [5, 5]
    assert [len(side) for side in full] == [20, 20]


def test_invalid_and_duplicate_subscriptions_get_error_texts(sim: HlSimThread) -> None:
    with _open(sim) as ws:
        assert _subscribe(ws, {"type": "l2Book", "coin": "NOPE"}) == {
            "channel": "error", "data": 'Invalid subscription: {"type":"l2Book","coin":"NOPE"}'
        }
        _subscribe(ws, {"type": "trades", "coin": "ETH"})
        assert _subscribe(ws, {"type": "trades", "coin": "ETH"}) == {
            "channel": "error", "data": 'Already subscribed: {"type":"trades","coin":"ETH"}'
        }
        # Wrong JSON types get the same error and keep the connection open.
        for bad in (
            {"type": "trades", "coin": ["ETH"]},
            {"type": "l2Book", "coin": "ETH", "nSigFigs": True},
            {"type": "l2Book", "coin": "ETH", "nSigFigs": 5.0},
            {"type": ["l2Book"], "coin": "ETH"},
        ):
            assert _subscribe(ws, bad) == {"channel": "error", "data": "Invalid subscription: " + json.dumps(bad, separators=(",", ":"))}
        _send(ws, {"method": "ping"})
        assert _next(ws) == {"channel": "pong"}


def test_unsubscribe_is_acked_and_stops_pushes(sim: HlSimThread) -> None:
    sub = {"type": "trades", "coin": "ETH"}
    with _open(sim) as ws:
        _subscribe(ws, sub)
        _send(ws, {"method": "unsubscribe", "subscription": sub})
        assert _next(ws) == {"channel": "subscriptionResponse", "data": {"method": "unsubscribe", "subscription": sub}}
        sim.trade("ETH", "A", "3000", "1")
        _send(ws, {"method": "ping"})
        assert _next(ws) == {"channel": "pong"}  # no trades message came first


def test_unparsable_request_gets_the_parse_error(sim: HlSimThread) -> None:
    with _open(sim) as ws:
        ws.send("hello")
        assert _next(ws) == {"channel": "error", "data": "Error parsing JSON into valid websocket request: hello"}


def test_trades_and_bbo_are_pushed(eth_book: HlSimThread) -> None:
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "trades", "coin": "ETH"})
        _subscribe(ws, {"type": "bbo", "coin": "ETH"})
        assert _next(ws, "bbo")["data"]["bbo"][0] == {"px": "3000.0", "sz": "5.0", "n": 1}
        eth_book.trade("ETH", "B", "3000.5", "0.25")
        [trade] = _next(ws, "trades")["data"]
        assert (trade["coin"], trade["side"], trade["px"], trade["sz"]) == ("ETH", "B", "3000.5", "0.25")
        assert set(trade) >= {"hash", "time", "tid", "users"}
        eth_book.set_book("ETH", bids=[("3000.1", "2")], asks=[("3000.5", "5")])
        assert _next(ws, "bbo")["data"]["bbo"][0] == {"px": "3000.1", "sz": "2.0", "n": 1}


def test_all_mids_are_pushed_on_change(eth_book: HlSimThread) -> None:
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "allMids"})
        assert _next(ws, "allMids")["data"]["mids"]["ETH"] == "3000.25"
        eth_book.set_book("ETH", bids=[("3001", "1")], asks=[("3002", "1")])
        assert _next(ws, "allMids")["data"]["mids"]["ETH"] == "3001.5"


def test_post_info_and_post_action(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    with _open(eth_book) as ws:
        _send(ws, {"method": "post", "id": 7, "request": {"type": "info", "payload": {"type": "allMids"}}})
        reply = _next(ws, "post")["data"]
        assert reply == {"id": 7, "response": {"type": "info", "payload": {"type": "allMids",
                                                                            "data": {"ETH": "3000.25"}}}}
        body = signed_body(signer, order_action(alo(0, True, "2999.5", "0.01")))
        _send(ws, {"method": "post", "id": 8, "request": {"type": "action", "payload": body}})
        reply = _next(ws, "post")["data"]
        assert reply["id"] == 8 and reply["response"]["type"] == "action"
        assert "resting" in reply["response"]["payload"]["response"]["data"]["statuses"][0]


def test_post_action_with_bad_payload_gets_an_error_response(sim: HlSimThread) -> None:
    with _open(sim) as ws:
        _send(ws, {"method": "post", "id": 1, "request": {"type": "action", "payload": {"nonce": 1}}})
        reply = _next(ws, "post")["data"]
        assert reply["id"] == 1 and reply["response"]["type"] == "error"


def test_user_channels_snapshot_first_then_live_updates(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    user = signer.address.lower()
    eth_book.fund(signer.address, 10_000)
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "userFills", "user": signer.address})
        assert _next(ws, "userFills")["data"] == {"isSnapshot": True, "user": user, "fills": []}
        _subscribe(ws, {"type": "orderUpdates", "user": signer.address})
        _subscribe(ws, {"type": "userEvents", "user": signer.address})
        ws.send(json.dumps({"method": "post", "id": 1, "request": {"type": "action", "payload": signed_body(
            signer, order_action(alo(0, True, "3000", "0.01")))}}))
        [update] = _next(ws, "orderUpdates")["data"]
        assert update["status"] == "open" and update["order"]["limitPx"] == "3000.0"
        oid = update["order"]["oid"]
        assert eth_book.fill_order(signer.address, oid)
        fills = _next(ws, "userFills")["data"]
        assert fills["user"] == user and fills["fills"][0]["oid"] == oid
        event = _next(ws, "user")["data"]
        assert event["fills"][0]["oid"] == oid


def test_idle_connection_is_closed_by_the_server() -> None:
    with (
        run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ws_idle_timeout_s=0.5)) as sim,
        _open(sim) as ws,
        pytest.raises(ConnectionClosed),
    ):
        ws.recv(timeout=5)


def test_l2book_cadence_coalesces_changes() -> None:
    config = HlSimConfig(coins={"ETH": 4}, l2_book_interval_ms=500)
    with run_hlsim_in_thread(config) as sim, _open(sim) as ws:
        _subscribe(ws, {"type": "l2Book", "coin": "ETH"})
        _next(ws, "l2Book")  # snapshot on subscribe
        for i in range(5):
            sim.set_book("ETH", bids=[(str(3000 + i), "1")], asks=[("3010", "1")])
        pushes = [_next(ws, "l2Book")["data"]]
        while pushes[-1]["levels"][0][0]["px"] != "3004.0":
            pushes.append(_next(ws, "l2Book")["data"])
        assert len(pushes) < 5  # changes between pushes are coalesced; the last push has the latest state


def test_active_asset_ctx_sends_the_rest_context_then_pushes_changes(eth_book: HlSimThread) -> None:
    sub = {"type": "activeAssetCtx", "coin": "ETH"}
    rest_ctx = requests.post(eth_book.rest_url + "/info", json={"type": "metaAndAssetCtxs"}, timeout=5).json()[1][0]
    with _open(eth_book) as ws:
        assert _subscribe(ws, sub)["channel"] == "subscriptionResponse"
        first = _next(ws, "activeAssetCtx")["data"]
        assert first == {"coin": "ETH", "ctx": rest_ctx} and first["ctx"]["markPx"] == "3000.25"
        eth_book.set_book("ETH", bids=[("3010.0", "1")], asks=[("3011.0", "1")])
        assert _next(ws, "activeAssetCtx")["data"]["ctx"]["markPx"] == "3010.5"
        eth_book.faults.stall_market_data(True)  # market data stall covers the context too
        eth_book.set_book("ETH", bids=[("3020.0", "1")], asks=[("3021.0", "1")])
        with pytest.raises(TimeoutError):
            _next(ws, "activeAssetCtx", timeout=0.3)
        eth_book.faults.stall_market_data(False)
        assert _next(ws, "activeAssetCtx")["data"]["ctx"]["markPx"] == "3020.5"
        bad = {"type": "activeAssetCtx", "coin": "NOPE"}
        assert _subscribe(ws, bad) == {"channel": "error", "data": "Invalid subscription: " + json.dumps(bad, separators=(",", ":"))}
