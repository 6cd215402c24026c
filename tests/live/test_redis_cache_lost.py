"""The node's Redis cache going away while it trades: said at once and shown in the state file, the
trading goes on (the exchange stays the record a restart reconciles from), the cache's return is
said too, and a shutdown while it is away ends within the shutdown timeout, every order cancelled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.node_kit import BookTicker
from tests.node_kit import eth_config
from tests.node_kit import quoting_node
from tests.redis_kit import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_a_lost_redis_cache_is_said_and_shown_and_its_return_too(
    tmp_path: Path, sim, book: BookTicker, private_redis: RedisServer
) -> None:
    config = eth_config(run={"shutdown_timeout_secs": 5.0})
    with quoting_node(tmp_path, sim, config, args=["--redis-cache", f"redis://127.0.0.1:{private_redis.port}"]) as node:
        assert node.state()["cache_database"]["reachable"] is True
        private_redis.stop()
        node.wait_for_log("the Redis cache", timeout=10)
        state = node.wait_for("the cache shown down", lambda s: s["cache_database"]["reachable"] is False, timeout=10)
        assert state["running"] and state["open_orders"]  # still quoting
        private_redis.start()
        node.wait_for("the cache shown back", lambda s: s["cache_database"]["reachable"] is True, timeout=15)
        assert "Redis cache is back" in node.log_path.read_text()
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []


def test_a_shutdown_while_the_redis_cache_is_away_ends_within_the_timeout(
    tmp_path: Path, sim, book: BookTicker, private_redis: RedisServer
) -> None:
    config = eth_config(run={"shutdown_timeout_secs": 5.0})
    with quoting_node(tmp_path, sim, config, args=["--redis-cache", f"redis://127.0.0.1:{private_redis.port}"]) as node:
        private_redis.stop()
        node.wait_for("the cache shown down", lambda s: s["cache_database"]["reachable"] is False, timeout=10)
        started = time.monotonic()
        code = node.stop(timeout=60)
        took = time.monotonic() - started
    assert sim.open_orders(node.address) == []  # cancelled, Redis or not
    assert took < 25, f"the shutdown took {took:.0f} s"
    assert code == 0
