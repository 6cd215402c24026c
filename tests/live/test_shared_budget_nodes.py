"""Two run_live.py nodes trade different coins of one hlsim account and share its inventory cap
through Redis (`shared_budget`): the cap holds across them, a killed node's share comes back after
its lease, and without Redis both stop adding until it is back."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from budget_link.shared_budget import SharedBudget
from budget_link.shared_budget import SharedLimits
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread
from tests.node_kit import ETH_ASKS
from tests.node_kit import ETH_BIDS
from tests.node_kit import BookTicker
from tests.node_kit import NodeProcess
from tests.node_kit import eth_config
from tests.redis_kit import RedisServer

pytestmark = pytest.mark.slow

CAP_USD = 300.0  # the account's cap; each node's own limit (1,000) is far above it
OWN_LIMIT_USD = 1_000.0
BTC_BIDS = [(60000.0, 0.5), (59999.0, 0.6), (59998.0, 0.8), (59995.0, 1.0), (59990.0, 2.0)]
BTC_ASKS = [(60001.0, 0.5), (60002.0, 0.6), (60003.0, 0.8), (60006.0, 1.0), (60010.0, 2.0)]
MIDS = {"ETH": 3000.05, "BTC": 60000.5}
COINS = ("ETH", "BTC")


@pytest.fixture
def market() -> Iterator[HlSimThread]:
    """hlsim with ETH and BTC listed, both books kept alive."""
    with run_hlsim_in_thread(HlSimConfig(coins={"BTC": 5, "ETH": 4}, ip_weight_per_min=None)) as sim:
        tickers = [BookTicker(sim, ETH_BIDS, ETH_ASKS), BookTicker(sim, BTC_BIDS, BTC_ASKS, coin="BTC")]
        try:
            yield sim
        finally:
            for ticker in tickers:
                ticker.close()


def _nodes(tmp_path: Path, sim: HlSimThread, redis_url: str, *, lease_secs: float = 10.0) -> tuple[str, dict[str, NodeProcess]]:
    """One account, funded; one node per coin, each with its own agent key (one nonce stream each)."""
    account = "0x" + secrets.token_hex(20)
    sim.fund(account, 100_000)
    nodes = {}
    for coin in COINS:
        config = eth_config(coin=coin, strategy={"order_size_usd": 20.0, "max_inventory_usd": OWN_LIMIT_USD})
        config["shared_budget"] = {
            "redis_url": redis_url, "max_total_inventory_usd": CAP_USD, "max_assets": 2,
            "lease_secs": lease_secs, "check_interval_secs": 0.25, "node_id": f"{coin.lower()}-node",
        }
        node = NodeProcess(tmp_path, config, sim.rest_url, name=coin.lower(), account=account)
        sim.register_agent(account, node.signer)
        nodes[coin] = node
    return account, nodes


def _orders(sim: HlSimThread, account: str, coin: str, side: str) -> list[dict[str, Any]]:
    return [o for o in sim.open_orders(account) if o["coin"] == coin and o["side"] == side]


def _inventory_usd(sim: HlSimThread, account: str) -> float:
    """The sum of |position| over the account's coins, at the books' mids, as the exchange has it."""
    return sum(abs(float(sim.position(account, coin)["szi"])) * MIDS[coin] for coin in COINS)


def _wait(what: str, pred: Any, timeout: float, nodes: dict[str, NodeProcess]) -> float:
    """Seconds until `pred()` holds (the nodes must stay up meanwhile)."""
    t0 = time.monotonic()
    while not pred():
        for node in nodes.values():
            assert node.proc is not None and node.proc.poll() is None, f"node exited:\n{node.log_tail()}"
        assert time.monotonic() - t0 < timeout, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - t0


def _quoting_both_sides(sim: HlSimThread, account: str, coin: str) -> bool:
    return bool(_orders(sim, account, coin, "B")) and bool(_orders(sim, account, coin, "A"))


def _start(sim: HlSimThread, account: str, nodes: dict[str, NodeProcess]) -> None:
    for node in nodes.values():
        node.start()
    for coin in COINS:
        _wait(f"{coin} quotes", lambda c=coin: _quoting_both_sides(sim, account, c), 40, nodes)


def _fill_best_bid(sim: HlSimThread, account: str, coin: str) -> bool:
    bids = sorted(_orders(sim, account, coin, "B"), key=lambda o: -float(o["limitPx"]))
    return bool(bids) and sim.fill_order(account, bids[0]["oid"])


def _stop_all(nodes: dict[str, NodeProcess]) -> None:
    for node in nodes.values():
        node.ensure_dead()


def test_the_sum_of_both_nodes_inventories_never_passes_the_shared_cap(tmp_path: Path, market: HlSimThread) -> None:
    sim = market
    account, nodes = _nodes(tmp_path, sim, "redis://127.0.0.1:6379/0")
    try:
        _start(sim, account, nodes)
        peak = 0.0
        t0 = time.monotonic()
        # Fill the best bid of each node in turn, as a falling market would, sampling the exchange's
        # positions after every fill; the nodes re-claim and re-quote between fills.
        while time.monotonic() - t0 < 40:
            filled = [_fill_best_bid(sim, account, coin) for coin in COINS]
            for _ in range(4):
                time.sleep(0.1)
                peak = max(peak, _inventory_usd(sim, account))
            if not any(filled):
                break  # both nodes stopped bidding: the cap is used up
        assert not any(_orders(sim, account, coin, "B") for coin in COINS), "a node still adds past the cap"
        assert peak <= CAP_USD * 1.01, f"inventory ${peak:,.2f} past the shared cap ${CAP_USD:,.0f}"
        assert peak >= CAP_USD - 2 * 20.0, f"the nodes stopped at ${peak:,.2f}, well short of the cap"
        for coin in COINS:  # each still offers its inventory back: reduce-only, not stopped
            assert _orders(sim, account, coin, "A")
        for node in nodes.values():
            assert node.stop() == 0
    finally:
        _stop_all(nodes)


def _live_claims(url: str, account: str) -> dict[str, dict[str, float]]:
    """The claims as every node's claim sees them: those of nodes whose lease is alive (and orphans)."""
    probe = SharedBudget(url, account, "test-probe", SharedLimits(CAP_USD, 2))
    try:
        view = probe.view()
    finally:
        probe.close()
    assert view is not None
    return view.claims


def _claims(url: str, account: str) -> dict[str, float]:
    client = redis.Redis.from_url(url)
    try:
        return {k.decode(): float(v) for k, v in client.hgetall(f"mm:budget:{account.lower()}:claims").items()}
    finally:
        client.close()


def test_a_killed_nodes_reservation_is_freed_within_its_lease_and_the_other_node_uses_it(
    tmp_path: Path, market: HlSimThread
) -> None:
    sim = market
    url = "redis://127.0.0.1:6379/0"
    lease = 2.0
    account, nodes = _nodes(tmp_path, sim, url, lease_secs=lease)
    try:
        _start(sim, account, nodes)
        # BTC fills until the account's cap leaves it no room: ETH (flat) keeps its one-ladder claim.
        t0 = time.monotonic()
        while _orders(sim, account, "BTC", "B") and time.monotonic() - t0 < 30:
            _fill_best_bid(sim, account, "BTC")
            time.sleep(0.5)
        _wait("BTC out of room", lambda: not _orders(sim, account, "BTC", "B"), 10, nodes)
        assert "eth-node|ETH" in _claims(url, account)

        nodes["ETH"].kill9()
        del nodes["ETH"]  # (it is dead: `_wait` watches the living)
        # Freed for every claim (the script counts only claims under a live lease) once the lease lapses.
        freed = _wait("the killed node's reservation to go", lambda: "eth-node" not in _live_claims(url, account),
                      lease + 5, nodes)
        assert freed <= lease + 1.0, f"freed after {freed:.2f} s (lease {lease} s)"
        _wait("BTC to bid again with the freed room", lambda: bool(_orders(sim, account, "BTC", "B")), 10, nodes)
        claims = _claims(url, account)
        assert claims["btc-node|BTC"] > CAP_USD - 140.0 + 1.0  # more than what was left beside ETH's claim
        assert nodes["BTC"].stop() == 0
    finally:
        _stop_all(nodes)


def test_what_a_killed_node_held_stays_counted_after_its_lease(tmp_path: Path, market: HlSimThread) -> None:
    sim = market
    url = "redis://127.0.0.1:6379/0"
    lease = 2.0
    account, nodes = _nodes(tmp_path, sim, url, lease_secs=lease)
    try:
        _start(sim, account, nodes)
        for _ in range(3):  # ETH takes some inventory
            assert _fill_best_bid(sim, account, "ETH")
            time.sleep(0.5)
        eth_held = abs(float(sim.position(account, "ETH")["szi"])) * MIDS["ETH"]
        assert eth_held > 50.0
        _wait("ETH's claim to cover its inventory", lambda: _claims(url, account).get("eth-node|ETH", 0) >= eth_held, 5, nodes)

        nodes["ETH"].kill9()
        del nodes["ETH"]
        _wait("the killed node's claim to go", lambda: "eth-node|ETH" not in _claims(url, account), lease + 5, nodes)
        assert _claims(url, account)["~|ETH"] >= eth_held - 1.0  # its inventory, still on the account
        # BTC now fills until it has no room left: ETH's leftover inventory still counts against the cap.
        t0 = time.monotonic()
        while _orders(sim, account, "BTC", "B") and time.monotonic() - t0 < 30:
            _fill_best_bid(sim, account, "BTC")
            time.sleep(0.5)
        _wait("BTC out of room", lambda: not _orders(sim, account, "BTC", "B"), 10, nodes)
        total = _inventory_usd(sim, account)
        assert total <= CAP_USD * 1.01, f"inventory ${total:,.2f} past the cap: the dead node's share was given away"
        btc = abs(float(sim.position(account, "BTC")["szi"])) * MIDS["BTC"]
        assert btc >= CAP_USD - eth_held - 2 * 20.0  # BTC used the headroom the dead node returned
        assert nodes["BTC"].stop() == 0
    finally:
        _stop_all(nodes)


def test_without_redis_both_nodes_only_reduce_and_add_again_once_it_is_back(
    tmp_path: Path, market: HlSimThread
) -> None:
    sim = market
    server = RedisServer()  # our own: the machine's Redis stays up for everyone else
    server.start()
    account, nodes = _nodes(tmp_path, sim, server.url)
    try:
        _start(sim, account, nodes)
        for coin in COINS:  # some inventory each, so reduce-only still quotes (the asks)
            assert _fill_best_bid(sim, account, coin)
        for coin in COINS:
            _wait(f"{coin} quoting again", lambda c=coin: _quoting_both_sides(sim, account, c), 10, nodes)

        server.stop()
        for coin in COINS:
            _wait(f"{coin} to stop bidding", lambda c=coin: not _orders(sim, account, c, "B"), 5, nodes)
        held = {coin: float(sim.position(account, coin)["szi"]) for coin in COINS}
        time.sleep(1.5)  # a few claim ticks with Redis away: still no bids, the asks stay
        for coin in COINS:
            assert not _orders(sim, account, coin, "B")
            assert _orders(sim, account, coin, "A")
            assert float(sim.position(account, coin)["szi"]) == held[coin]
            state = nodes[coin].state()
            assert state is not None
            cap = state["shared_budget"][f"{coin}-USD-PERP.HYPERLIQUID"]
            assert cap["reduce_only"] and "Redis unreachable" in cap["reason"]

        server.start()  # same port, empty: the nodes claim afresh
        for coin in COINS:
            _wait(f"{coin} to bid again", lambda c=coin: bool(_orders(sim, account, c, "B")), 10, nodes)
        for node in nodes.values():
            assert node.stop() == 0
    finally:
        _stop_all(nodes)
        server.stop()
