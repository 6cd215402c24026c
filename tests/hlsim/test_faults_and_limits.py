"""Fault injection (test API and admin endpoint), rate limits and the two-endpoint setup."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from adapters.hyperliquid.http import rate_limit as client
from adapters.hyperliquid.signing import L1Signer
from hlsim.engine import limits as exchange
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

from .conftest import MAKER_KEY
from .helpers import alo
from .helpers import order_action
from .helpers import post_action
from .helpers import signed_body
from .helpers import statuses
from .test_ws_protocol import _next
from .test_ws_protocol import _open
from .test_ws_protocol import _subscribe


def _info(url: str, body: dict, timeout: float = 5) -> requests.Response:
    return requests.post(url + "/info", json=body, timeout=timeout)


def test_drop_user_ws_closes_only_that_users_connections(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    with _open(eth_book) as user_ws, _open(eth_book) as market_ws:
        _subscribe(user_ws, {"type": "orderUpdates", "user": signer.address})
        _subscribe(market_ws, {"type": "trades", "coin": "ETH"})
        eth_book.faults.drop_user_ws(signer.address)
        with pytest.raises(ConnectionClosed):
            while True:
                user_ws.recv(timeout=5)
        eth_book.trade("ETH", "B", "3000.5", "1")
        assert _next(market_ws, "trades")["data"][0]["px"] == "3000.5"


def test_fills_while_ws_is_down_are_visible_over_rest(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    oid = statuses(post_action(eth_book.rest_url, signer, order_action(alo(0, True, "2999.5", "0.1"))))[0]["resting"]["oid"]
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "userFills", "user": signer.address})
        eth_book.faults.drop_user_ws(signer.address)
    eth_book.fill_order(signer.address, oid, sz="0.04")
    fills = _info(eth_book.rest_url, {"type": "userFills", "user": signer.address}).json()
    assert [(f["oid"], f["sz"]) for f in fills] == [(oid, "0.04")]
    assert eth_book.cancel_order(signer.address, oid)
    status = _info(eth_book.rest_url, {"type": "orderStatus", "user": signer.address, "oid": oid}).json()
    assert status["status"] == "order" and status["order"]["status"] == "canceled"


def test_a_lost_user_message_never_arrives_while_the_connection_stays_up(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    oid = statuses(post_action(eth_book.rest_url, signer, order_action(alo(0, True, "2999.5", "0.1"))))[0]["resting"]["oid"]
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "userFills", "user": signer.address})
        _next(ws, "userFills")  # the snapshot
        eth_book.faults.lose_user_messages(signer.address, "userFills", count=1)
        eth_book.fill_order(signer.address, oid, sz="0.04")  # lost on the way
        eth_book.fill_order(signer.address, oid, sz="0.01")  # arrives
        assert [f["sz"] for f in _next(ws, "userFills")["data"]["fills"]] == ["0.01"]
    fills = _info(eth_book.rest_url, {"type": "userFills", "user": signer.address}).json()
    assert sorted(f["sz"] for f in fills) == ["0.01", "0.04"]  # the exchange's record has both
    with pytest.raises(ValueError, match="channel"):
        eth_book.faults.lose_user_messages(signer.address, "trades")


def test_stall_market_data_stops_pushes_but_rest_answers(eth_book: HlSimThread) -> None:
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "trades", "coin": "ETH"})
        eth_book.faults.stall_market_data(True)
        eth_book.trade("ETH", "B", "3000.5", "1")
        with pytest.raises(TimeoutError):
            _next(ws, "trades", timeout=0.3)
        assert _info(eth_book.rest_url, {"type": "l2Book", "coin": "ETH"}).status_code == 200
        eth_book.faults.stall_market_data(False)
        eth_book.trade("ETH", "B", "3000.5", "2")
        assert _next(ws, "trades")["data"][0]["sz"] == "2.0"


def test_delay_market_data_sends_the_same_pushes_late_and_in_order(eth_book: HlSimThread) -> None:
    with _open(eth_book) as ws:
        _subscribe(ws, {"type": "trades", "coin": "ETH"})
        eth_book.faults.delay_market_data(300)
        start = time.perf_counter()
        eth_book.trade("ETH", "B", "3000.5", "1")
        eth_book.trade("ETH", "B", "3000.5", "2")
        with pytest.raises(TimeoutError):
            _next(ws, "trades", timeout=0.2)
        assert _next(ws, "trades")["data"][0]["sz"] == "1.0"
        assert time.perf_counter() - start >= 0.3
        assert _next(ws, "trades")["data"][0]["sz"] == "2.0"
        eth_book.faults.delay_market_data(0)
        eth_book.trade("ETH", "B", "3000.5", "3")
        assert _next(ws, "trades", timeout=0.2)["data"][0]["sz"] == "3.0"
        with pytest.raises(ValueError, match=">= 0"):
            eth_book.faults.delay_market_data(-1)


def test_stall_all_holds_actions_until_blocks_resume(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    eth_book.faults.stall_all(True)
    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(r=post_action(eth_book.rest_url, signer, order_action(alo(0, True, "2999.5", "0.1"))))
    )
    worker.start()
    time.sleep(0.3)
    assert "r" not in result and eth_book.open_orders(signer.address) == []
    assert _info(eth_book.rest_url, {"type": "meta"}).status_code == 200
    eth_book.faults.stall_all(False)
    worker.join(timeout=5)
    assert "resting" in statuses(result["r"])[0]


def test_delay_replies_holds_the_reply(sim: HlSimThread) -> None:
    sim.faults.delay_replies(300)
    start = time.perf_counter()
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 200
    assert time.perf_counter() - start >= 0.3
    sim.faults.delay_replies(0)


def test_http_status_fault_answers_the_next_requests_then_recovers(sim: HlSimThread) -> None:
    sim.faults.http_status(429, count=2)
    assert [_info(sim.rest_url, {"type": "meta"}).status_code for _ in range(3)] == [429, 429, 200]
    sim.faults.http_status(500)
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 500
    sim.faults.http_status(None)
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 200


def test_refuse_rest_refuses_connections_until_turned_off(sim: HlSimThread) -> None:
    sim.faults.refuse_rest(True)
    with pytest.raises(requests.ConnectionError):
        _info(sim.rest_url, {"type": "meta"}, timeout=2)
    sim.faults.refuse_rest(False)
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 200


def test_admin_endpoint_drives_book_and_faults(sim: HlSimThread) -> None:
    admin = sim.rest_url + "/admin/"
    assert requests.post(admin + "set_book", json={"coin": "ETH", "bids": [["3000", "1"]], "asks": [["3001", "1"]]},
                         timeout=5).json() == {"ok": True, "result": None}
    assert _info(sim.rest_url, {"type": "allMids"}).json() == {"ETH": "3000.5"}
    requests.post(admin + "faults", json={"http_status": 503, "count": 1}, timeout=5)
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 503
    bad = requests.post(admin + "nonsense", json={}, timeout=5)
    assert bad.status_code == 400 and "unknown admin op" in bad.json()["error"]
    lose = {"address": "0x" + "ab" * 20, "channel": "userFills", "count": 2}
    assert requests.post(admin + "faults", json={"lose_user_messages": lose}, timeout=5).json()["ok"]
    bad = requests.post(admin + "faults", json={"lose_user_messages": {**lose, "channel": "bbo"}}, timeout=5)
    assert bad.status_code == 400 and "channel" in bad.json()["error"]


def test_two_ports_share_one_exchange(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    backup = eth_book.url_for(eth_book.add_port())
    oid = statuses(post_action(eth_book.rest_url, signer, order_action(alo(0, True, "2999.5", "0.1"))))[0]["resting"]["oid"]
    orders = _info(backup, {"type": "openOrders", "user": signer.address}).json()
    assert [o["oid"] for o in orders] == [oid]


def test_extra_ports_from_config_start_with_the_server() -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, extra_ports=[0])) as sim:
        assert len(sim.ports) == 2
        assert all(_info(sim.url_for(p), {"type": "meta"}).status_code == 200 for p in sim.ports)


def test_address_budget_refuses_with_the_real_text() -> None:
    signer = L1Signer(MAKER_KEY)
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, address_initial_budget=2)) as sim:
        sim.fund(signer.address, 10_000)
        for _ in range(2):
            assert post_action(sim.rest_url, signer, {"type": "noop"})["status"] == "ok"
        # Past the budget one request per 10 s still passes; the next is refused.
        assert post_action(sim.rest_url, signer, {"type": "noop"})["status"] == "ok"
        reply = post_action(sim.rest_url, signer, {"type": "noop"})
        assert reply == {
            "status": "err",
            "response": "Too many cumulative requests sent (3 > 2) for cumulative volume traded $0. "
            "Place taker orders to free up 1 request per USDC traded.",
        }


def test_ip_weight_limit_answers_429() -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=45)) as sim:
        codes = [_info(sim.rest_url, {"type": "meta"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # meta weighs 20


def test_open_order_limit() -> None:
    signer = L1Signer(MAKER_KEY)
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, max_open_orders=2)) as sim:
        sim.set_book("ETH", bids=[("3000", "1")], asks=[("3001", "1")])
        sim.fund(signer.address, 100_000)
        wires = [alo(0, True, px, "0.01") for px in ("2999", "2998", "2997")]
        result = statuses(post_action(sim.rest_url, signer, order_action(*wires)))
        assert "resting" in result[0] and "resting" in result[1]
        assert result[2] == {"error": "Too many open orders. asset=0"}


def test_user_rate_limit_reports_usage(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    post_action(sim.rest_url, signer, {"type": "noop"})
    reply = _info(sim.rest_url, {"type": "userRateLimit", "user": signer.address}).json()
    assert reply == {"cumVlm": "0.0", "nRequestsUsed": 1, "nRequestsCap": 10000, "nRequestsSurplus": 0}


def test_info_unknown_type_is_422(sim: HlSimThread) -> None:
    reply = _info(sim.rest_url, {"type": "whatever"})
    assert reply.status_code == 422 and "unknown variant" in reply.text
    assert json.loads(_info(sim.rest_url, {"type": "openOrders", "user": "0x" + "00" * 20}).text) == []


def test_hlsim_request_weights_match_the_weights_the_adapter_budgets_with() -> None:
    # The exchange side (hlsim) and the client side (adapter) each encode hyperliquid.md's weights.
    for kind in ("l2Book", "allMids", "clearinghouseState", "orderStatus", "meta", "metaAndAssetCtxs",
                 "openOrders", "userFills", "candleSnapshot", "userRateLimit", "userRole"):
        assert exchange.info_weight(kind) == client.info_weight(kind), kind
    assert client.info_weight("userRole") == 60  # the documentation's weight, not the default 20
    assert [exchange.exchange_weight(n) for n in range(0, 130)] == [client.exchange_weight(n) for n in range(0, 130)]
    assert exchange.exchange_weight(39) == 1 and exchange.exchange_weight(40) == 2


def test_refuse_rest_on_one_port_leaves_the_backup_port_answering(eth_book: HlSimThread) -> None:
    primary = eth_book.ports[0]
    backup = eth_book.add_port()
    with requests.Session() as keep_alive:  # a connection opened before the refusal is cut as well
        assert keep_alive.post(eth_book.rest_url + "/info", json={"type": "meta"}, timeout=5).status_code == 200
        eth_book.faults.refuse_rest(True, port=primary)
        with pytest.raises(requests.ConnectionError):
            keep_alive.post(eth_book.rest_url + "/info", json={"type": "meta"}, timeout=2)
    with pytest.raises(requests.ConnectionError):
        _info(eth_book.rest_url, {"type": "meta"}, timeout=2)
    assert _info(eth_book.url_for(backup), {"type": "allMids"}).json() == {"ETH": "3000.25"}
    assert eth_book.faults.refused_ports == {primary}

    eth_book.faults.refuse_rest(False, port=primary)
    assert _info(eth_book.rest_url, {"type": "meta"}).status_code == 200


def test_refusing_every_port_and_ending_it_keeps_a_single_port_refusal_separate(eth_book: HlSimThread) -> None:
    primary = eth_book.ports[0]
    backup_url = eth_book.url_for(eth_book.add_port())
    eth_book.faults.refuse_rest(True, port=primary)
    eth_book.faults.refuse_rest(True)
    with pytest.raises(requests.ConnectionError):
        _info(backup_url, {"type": "meta"}, timeout=2)
    eth_book.faults.refuse_rest(False)  # ends every refusal, the single-port one included
    assert [_info(u, {"type": "meta"}).status_code for u in (eth_book.rest_url, backup_url)] == [200, 200]
    with pytest.raises(ValueError, match="does not serve port"):
        eth_book.faults.refuse_rest(True, port=1)


def test_drop_user_ws_with_a_refusal_window_keeps_the_user_dark_until_it_ends(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    sub = {"type": "orderUpdates", "user": signer.address}
    with _open(eth_book) as ws:
        _subscribe(ws, sub)
        assert eth_book.faults.drop_user_ws(signer.address, refuse_for_s=1.0) == 1
    started = time.monotonic()
    with _open(eth_book) as ws, _open(eth_book) as market_ws:  # connecting works; subscribing to the user does not
        _subscribe(market_ws, {"type": "trades", "coin": "ETH"})
        ws.send(json.dumps({"method": "subscribe", "subscription": sub}))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        eth_book.trade("ETH", "B", "3000.5", "1")  # other subscriptions are untouched
        assert _next(market_ws, "trades")["data"][0]["px"] == "3000.5"
    time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))
    with _open(eth_book) as ws:
        assert _subscribe(ws, sub)["channel"] == "subscriptionResponse"


def test_drop_market_ws_cuts_market_data_connections_only(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    with _open(eth_book) as user_ws, _open(eth_book) as market_ws:
        _subscribe(user_ws, {"type": "orderUpdates", "user": signer.address})
        _subscribe(market_ws, {"type": "l2Book", "coin": "ETH"})
        assert eth_book.faults.drop_market_ws(refuse_for_s=0.5) == 1
        with pytest.raises(ConnectionClosed):
            while True:
                market_ws.recv(timeout=5)
        with _open(eth_book) as again:
            again.send(json.dumps({"method": "subscribe", "subscription": {"type": "bbo", "coin": "ETH"}}))
            with pytest.raises(ConnectionClosed):
                again.recv(timeout=5)
        user_ws.send(json.dumps({"method": "ping"}))
        assert _next(user_ws) == {"channel": "pong"}
    time.sleep(0.55)
    with _open(eth_book) as ws:
        assert _subscribe(ws, {"type": "bbo", "coin": "ETH"})["channel"] == "subscriptionResponse"


def test_admin_endpoint_refuses_one_port_for_a_while(eth_book: HlSimThread) -> None:
    primary = eth_book.ports[0]
    backup_url = eth_book.url_for(eth_book.add_port())
    reply = requests.post(backup_url + "/admin/faults", json={"refuse_rest_ms": 300, "port": primary}, timeout=5)
    assert reply.json() == {"ok": True, "result": None}
    with pytest.raises(requests.ConnectionError):
        _info(eth_book.rest_url, {"type": "meta"}, timeout=2)
    assert _info(backup_url, {"type": "meta"}).status_code == 200
    time.sleep(0.4)
    assert _info(eth_book.rest_url, {"type": "meta"}).status_code == 200


def test_refuse_rest_after_serves_that_many_requests_then_refuses_every_port(sim: HlSimThread) -> None:
    sim.faults.refuse_rest_after(2)
    assert [_info(sim.rest_url, {"type": "meta"}).status_code for _ in range(2)] == [200, 200]
    with pytest.raises(requests.ConnectionError):
        _info(sim.rest_url, {"type": "meta"}, timeout=2)
    sim.faults.clear()
    assert _info(sim.rest_url, {"type": "meta"}).status_code == 200


@pytest.mark.parametrize("applied", [False, True], ids=["swallowed", "applied_reply_lost"])
def test_hung_ws_posts_get_no_reply_and_are_applied_only_when_asked(eth_book: HlSimThread, applied: bool) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 10_000)
    eth_book.faults.hang_ws_posts(True, applied=applied)
    with _open(eth_book) as ws:
        body = signed_body(signer, order_action(alo(0, True, "2999.5", "0.01")))
        ws.send(json.dumps({"method": "post", "id": 1, "request": {"type": "action", "payload": body}}))
        ws.send(json.dumps({"method": "ping"}))
        assert _next(ws) == {"channel": "pong"}  # the socket still answers; the post never does
        with pytest.raises(TimeoutError):
            _next(ws, "post", timeout=0.5)
        assert len(eth_book.open_orders(signer.address)) == (1 if applied else 0)
        eth_book.faults.hang_ws_posts(False)
        ws.send(json.dumps({"method": "post", "id": 2, "request": {"type": "info", "payload": {"type": "allMids"}}}))
        assert _next(ws, "post")["data"]["id"] == 2


def test_a_deregistered_agent_is_refused_as_an_unknown_signer(sim: HlSimThread) -> None:
    account = L1Signer(MAKER_KEY)
    agent = L1Signer("0x" + "42" * 32)
    sim.fund(account.address, 10_000)
    sim.register_agent(account.address, agent.address)
    assert post_action(sim.rest_url, agent, {"type": "noop"})["status"] == "ok"
    assert sim.deregister_agent(agent.address) and not sim.deregister_agent(agent.address)
    reply = post_action(sim.rest_url, agent, {"type": "noop"})
    assert reply == {"status": "err", "response": f"User or API Wallet {agent.address.lower()} does not exist."}
