"""The dashboard's HTTP server: GET only, local by default, bounded per-client queues, and a
sampler that a slow or silent browser cannot hold up."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import pytest
from nautilus_trader.live.node import TradingNode

from dashboard.address import ListenAddress
from dashboard.collector import Collector
from dashboard.server import KEEPALIVE
from dashboard.server import STATIC_FILES
from dashboard.server import DashboardServer
from dashboard.server import FrameQueue
from dashboard.server import serve

ROUTES = ("/", *(f"/static/{name}" for name in STATIC_FILES), "/api/snapshot", "/api/history", "/events")
NON_GET = ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT")
LOCAL = ListenAddress("127.0.0.1", 0)


async def started(node: TradingNode, **options: Any) -> DashboardServer:
    return await serve(node, LOCAL, "live", **options)


def test_every_route_refuses_every_method_but_get(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node)
        try:
            async with aiohttp.ClientSession() as http:
                for route in (*ROUTES, "/nowhere", "/static/../collector.py"):
                    for method in NON_GET:
                        async with http.request(method, server.url.rstrip("/") + route) as reply:
                            assert reply.status == 405, (method, route)
                            if method != "HEAD":
                                assert reply.headers["Allow"] == "GET"
        finally:
            await server.stop()

    built_node.run(scenario())


def test_get_serves_the_page_its_files_and_json_with_a_same_origin_policy(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node)
        base = server.url.rstrip("/")
        try:
            async with aiohttp.ClientSession() as http:
                for route in ROUTES[:-1]:
                    async with http.get(base + route) as reply:
                        assert reply.status == 200, route
                        assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
                        assert reply.headers["X-Content-Type-Options"] == "nosniff"
                async with http.get(base + "/api/snapshot") as reply:
                    snapshot = await reply.json()
                assert snapshot["trader_id"] == "TESTER-001"
                assert [i["id"] for i in snapshot["instruments"]] == ["ETH-USD-PERP.HYPERLIQUID"]
                async with http.get(base + "/static/../dashboard/server.py") as reply:
                    assert reply.status == 404
                async with http.get(base + "/static/server.py") as reply:
                    assert reply.status == 404
        finally:
            await server.stop()

    built_node.run(scenario())


def test_requests_with_parameters_a_body_or_a_foreign_host_name_are_refused(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node)
        base = server.url.rstrip("/")
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(base + "/api/snapshot?order=buy") as reply:
                    assert reply.status == 400
                async with http.get(base + "/api/snapshot", data=b"x") as reply:
                    assert reply.status == 400
                # A page elsewhere that re-binds its DNS name to 127.0.0.1 sends its own name.
                async with http.get(base + "/api/snapshot", headers={"Host": "attacker.example"}) as reply:
                    assert reply.status == 421
                async with http.get(base + "/api/snapshot", headers={"Host": f"localhost:{server.bound_port}"}) as reply:
                    assert reply.status == 200
        finally:
            await server.stop()

    built_node.run(scenario())


def test_the_page_loads_nothing_from_outside_and_has_no_way_to_send() -> None:
    from importlib import resources

    static = resources.files("dashboard") / "static"
    page = (static / "index.html").read_text()
    script = (static / "dashboard.js").read_text()
    # Every src/href of the page is one of the server's own paths.
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert ref.startswith("/static/"), ref
    assert not re.search(r"https?://", page + script)
    for sender in ("fetch(", "XMLHttpRequest", "WebSocket", "sendBeacon", "<form", "method:"):
        assert sender not in page + script, sender


def test_server_sent_events_start_with_the_history_then_one_snapshot_per_sample(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node, interval_s=0.2)
        try:
            async with aiohttp.ClientSession() as http, http.get(server.url + "events") as reply:
                assert reply.headers["Content-Type"] == "text/event-stream"
                events = []
                while len(events) < 3:
                    line = (await asyncio.wait_for(reply.content.readline(), 5)).decode()
                    if line.startswith("event: "):
                        events.append(line.split()[1])
                    elif line.startswith("data: ") and events[-1] == "snapshot":
                        assert json.loads(line[6:])["instruments"][0]["id"] == "ETH-USD-PERP.HYPERLIQUID"
                assert events[0] == "history" and set(events[1:]) == {"snapshot"}
        finally:
            await server.stop()

    built_node.run(scenario())


def test_a_silent_browser_never_slows_the_sampler_and_its_queue_stays_bounded(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node, interval_s=0.2, frames_per_client=3, write_timeout_s=1.0)
        try:
            # A client that asks for the stream and never reads a byte.
            _, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
            writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.3)
            assert server.clients == 1
            before = server.samples
            await asyncio.sleep(2.0)
            assert server.samples - before >= 8  # still every 0.2 s
            (queue,) = server._clients
            assert len(queue) <= 3
            writer.transport.abort()  # the browser closes: its queue goes with it
            await asyncio.sleep(0.6)
            assert server.clients == 0
        finally:
            await server.stop()

    built_node.run(scenario())


def test_viewers_beyond_the_limit_are_turned_away(built_node) -> None:
    async def scenario() -> None:
        server = await started(built_node.node, max_clients=1)
        try:
            async with aiohttp.ClientSession() as http, http.get(server.url + "events") as first:
                await first.content.readline()
                async with http.get(server.url + "events") as second:
                    assert second.status == 503
        finally:
            await server.stop()

    built_node.run(scenario())


def test_a_full_frame_queue_drops_its_oldest_frame_and_never_blocks() -> None:
    async def scenario() -> None:
        queue = FrameQueue(2)
        for frame in (b"1", b"2", b"3"):
            queue.offer(frame)
        assert len(queue) == 2 and queue.dropped == 1
        assert [await queue.get(1.0), await queue.get(1.0)] == [b"2", b"3"]
        assert await queue.get(0.05) == KEEPALIVE  # nothing new: a keep-alive comment
        queue.offer(None)
        assert await queue.get(1.0) is None  # the server is stopping

    asyncio.run(scenario())


def test_a_taken_port_is_an_os_error_and_leaves_nothing_subscribed(built_node) -> None:
    async def scenario() -> None:
        first = await started(built_node.node)
        collector = Collector(built_node.node, "live")
        taken = DashboardServer(collector, ListenAddress("127.0.0.1", first.bound_port))
        try:
            with pytest.raises(OSError):
                await taken.start()
            assert not collector._attached
        finally:
            await first.stop()

    built_node.run(scenario())


def test_settings_that_would_flood_the_page_are_refused(built_node) -> None:
    collector = Collector(built_node.node, "live")
    with pytest.raises(ValueError, match="interval_s"):
        DashboardServer(collector, LOCAL, interval_s=0.05)
    with pytest.raises(ValueError):
        DashboardServer(collector, LOCAL, frames_per_client=0)
    with pytest.raises(ValueError, match="mode"):
        Collector(built_node.node, "paper")
