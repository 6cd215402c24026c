"""REST and WS clients over real sockets against hlsim: failover, 429 backoff, weights, post."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import HyperliquidEndpointsDown
from adapters.hyperliquid.http.errors import HyperliquidRateLimited
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.client import WsNotConnected
from tests.node_kit import refused_url


def test_429_is_retried_after_a_growing_jittered_backoff_then_succeeds(sim) -> None:
    async def run() -> tuple[bytes, float, int]:
        http = HyperliquidHttpClient([sim.rest_url], backoff_initial_secs=0.1, backoff_max_secs=1.0)
        sim.faults.http_status(429, count=2)
        t0 = time.monotonic()
        try:
            raw = await http.info({"type": "meta"})
        finally:
            await http.close()
        return raw, time.monotonic() - t0, http.rate_limits.ip_weight_last_minute(time.time_ns())

    raw, elapsed, weight = asyncio.run(run())
    assert [a["name"] for a in msgspec.json.decode(raw)["universe"]] == ["BTC", "ETH"]
    assert elapsed >= 0.05 + 0.1  # at least half of each step (0.1 s, then 0.2 s)
    assert weight == 3 * 20  # three requests of weight 20 were counted, no more


def test_persistent_429_raises_after_a_bounded_number_of_requests(sim) -> None:
    async def run() -> int:
        http = HyperliquidHttpClient([sim.rest_url], backoff_initial_secs=0.02, max_429_retries=3)
        sim.faults.http_status(429)
        try:
            with pytest.raises(HyperliquidRateLimited):
                await http.info({"type": "l2Book", "coin": "ETH"})
        finally:
            sim.faults.http_status(None)
            await http.close()
        return http.rate_limits.ip_weight_last_minute(time.time_ns())

    assert asyncio.run(run()) == 4 * 2  # 1 + 3 retries of weight 2: never a spin


def test_refused_primary_fails_over_in_order_and_all_down_is_a_clear_error(sim) -> None:
    async def run() -> None:
        tracker = RateLimitTracker()
        http = HyperliquidHttpClient([refused_url(), sim.rest_url], rate_limits=tracker)
        try:
            raw = await http.info({"type": "clearinghouseState", "user": "0x" + "0" * 40})
            assert b"marginSummary" in raw and http.failovers == 1
            # While the primary is marked down, requests start at the backup (no second refusal).
            await http.info({"type": "meta"})
            assert http.failovers == 1
        finally:
            await http.close()
        dead = HyperliquidHttpClient([refused_url(), refused_url()])
        try:
            with pytest.raises(HyperliquidEndpointsDown, match="every endpoint failed"):
                await dead.info({"type": "meta"})
        finally:
            await dead.close()

    asyncio.run(run())


def test_ws_post_answers_like_rest_and_a_closed_socket_refuses_posts(sim) -> None:
    async def run() -> None:
        received: list[tuple[str, bytes]] = []
        ws = HyperliquidWebSocketClient(sim.ws_url, lambda ch, data, ns: received.append((ch, data)))
        await ws.connect()
        try:
            await ws.subscribe({"type": "bbo", "coin": "ETH"})
            reply = await ws.post("info", {"type": "meta"}, timeout_secs=5.0)
            assert reply.type == "info"
            payload = msgspec.json.decode(reply.payload)  # info replies come wrapped: {type, data}
            assert [a["name"] for a in payload["data"]["universe"]] == ["BTC", "ETH"]
            await asyncio.to_thread(sim.set_book, "ETH", bids=[(2999.0, 1)], asks=[(3003.0, 1)])
            deadline = time.monotonic() + 5
            while not any(ch == "bbo" for ch, _ in received) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert any(ch == "bbo" for ch, _ in received)
        finally:
            await ws.close()
        with pytest.raises(WsNotConnected):
            await ws.post("info", {"type": "meta"}, timeout_secs=1.0)

    asyncio.run(run())


def test_pings_keep_the_connection_alive_and_a_silent_connection_is_replaced(sim) -> None:
    async def run() -> None:
        ws = HyperliquidWebSocketClient(sim.ws_url, lambda ch, data, ns: None, ping_interval_secs=0.1)
        await ws.connect()
        try:
            await asyncio.sleep(0.5)  # pings answered with pongs: no reconnect
            assert ws.reconnects == 0 and ws.is_connected
            ws._last_recv_ns -= 60 * 1_000_000_000  # as if the server had gone silent a minute ago
            deadline = time.monotonic() + 5
            while ws.reconnects == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert ws.reconnects == 1 and ws.is_connected
        finally:
            await ws.close()

    asyncio.run(run())
