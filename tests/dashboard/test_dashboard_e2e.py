"""run_live.py --dashboard against hlsim, looked at through a real headless Chromium: what happens
on the exchange shows on the page within seconds, the page is read-only and shows no secret."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsim.engine.actions import typed_action
from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread
from mm_strategy.risk.day_state import DayState
from mm_strategy.risk.day_state import save_day_state
from mm_strategy.risk.drawdown import NS_PER_DAY
from tests.dashboard.browser_kit import Browser
from tests.node_kit import ETH_ASKS
from tests.node_kit import ETH_BIDS
from tests.node_kit import BookTicker
from tests.node_kit import NodeProcess
from tests.node_kit import eth_config

pytestmark = pytest.mark.slow

SHOWN_WITHIN_S = 5.0  # the page samples twice a second; the rest is the node's own event path
ROUTES = ("/", "/static/dashboard.js", "/static/dashboard.css", "/static/uPlot.iife.min.js",
          "/static/uPlot.min.css", "/api/snapshot", "/api/history")


@pytest.fixture
def sim() -> Iterator:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)) as sim:
        sim.set_book("ETH", bids=ETH_BIDS, asks=ETH_ASKS)
        ticker = BookTicker(sim, ETH_BIDS, ETH_ASKS)
        sim.ticker = ticker  # for the tests that move the market
        yield sim
        ticker.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def page_orders(browser: Browser) -> list[dict]:
    return browser.evaluate(
        "[...document.querySelectorAll('tr[data-order]')].map(r => ({cid: r.dataset.order, side: r.dataset.side,"
        " px: Number(r.dataset.px), ahead: r.querySelector('[data-ahead]').dataset.ahead}))"
    )


def test_the_page_shows_resting_orders_inventory_and_a_fill_within_seconds_of_hlsim(tmp_path: Path, sim) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # A tighter ladder than the shipped one (no fee-edge check), so the first levels sit on the
    # book's displayed levels and have a known queue.
    config = eth_config(strategy={"base_spread_bps": 1.0, "enforce_fee_edge": False, "level_spacing_ticks": 2})
    node = NodeProcess(tmp_path, config, sim.rest_url, args=["--dashboard", str(port)])
    sim.fund(node.address, 100_000)
    browser = None
    try:
        node.start()
        node.wait_for("quotes", lambda s: len(s["open_orders"]) >= 2)
        browser = Browser(tmp_path / "chromium")
        browser.open(base + "/")

        # Our resting orders: the page lists exactly the exchange's, by client order id, price and side.
        on_exchange = sim.open_orders(node.address)
        seen_at = time.monotonic()
        by_cloid = {o["venue_order_id"]: o for o in node.state()["open_orders"]}
        expected = sorted((by_cloid[str(o["oid"])]["client_order_id"], float(o["limitPx"])) for o in on_exchange
                          if str(o["oid"]) in by_cloid)
        assert expected, "the state file and the exchange share no order"
        browser.wait_for(
            f"JSON.stringify([...document.querySelectorAll('tr[data-order]')].map(r => [r.dataset.order,"
            f" Number(r.dataset.px)]).sort()) === {json.dumps(json.dumps(expected, separators=(',', ':')))}",
            SHOWN_WITHIN_S, "the exchange's resting orders",
        )
        assert time.monotonic() - seen_at < SHOWN_WITHIN_S
        assert browser.evaluate("document.querySelectorAll('.ladder tr.mine').length") >= 2  # marked on the book

        # The queue estimate of an order inside the displayed window agrees with hlsim's own queue.
        browser.wait_for("[...document.querySelectorAll('[data-ahead]')].some(c => c.dataset.ahead !== '')",
                         SHOWN_WITHIN_S, "a known queue position")
        oid_of = {o["client_order_id"]: int(o["venue_order_id"]) for o in node.state()["open_orders"]}
        known = [o for o in page_orders(browser) if o["ahead"] != "" and o["cid"] in oid_of]
        assert known
        for order in known:
            truth = sim.queue_ahead(node.address, oid_of[order["cid"]])
            assert truth is not None and abs(float(order["ahead"]) - truth) <= 0.5 + 1e-9, (order, truth)

        # A fill on hlsim: the fill row and the new inventory appear within seconds.
        bid = next(o for o in sim.open_orders(node.address) if o["side"] == "B")
        assert sim.fill_order(node.address, bid["oid"])
        filled_at = time.monotonic()
        browser.wait_for(
            f"[...document.querySelectorAll('tr[data-fill]')].some(r => r.dataset.side === 'BUY'"
            f" && Number(r.dataset.px) === {float(bid['limitPx'])} && Number(r.dataset.qty) === {float(bid['sz'])})",
            SHOWN_WITHIN_S, "the fill",
        )
        position = float(sim.position(node.address, "ETH")["szi"])
        assert position > 0
        browser.wait_for(
            f"Number(document.querySelector('[data-position]').dataset.position) === {position}",
            SHOWN_WITHIN_S, "the new inventory",
        )
        assert time.monotonic() - filled_at < 2 * SHOWN_WITHIN_S
        # The 1-s markout matures on the page.
        browser.wait_for("[...document.querySelectorAll('tr[data-fill] [data-markout=\"1\"]')].some(c => c.textContent !== '…')",
                         SHOWN_WITHIN_S, "the fill's 1-s markout")
        assert browser.evaluate("document.querySelector('[data-user-stream]').dataset.userStream") == "true"
        assert browser.evaluate("Number(document.querySelector('[data-budget-used]').dataset.budgetUsed)") > 0
        shot = browser.screenshot(tmp_path / "dashboard.png")
        assert shot.stat().st_size > 10_000

        # Read-only and secret-free, on the running node.
        for route in (*ROUTES, "/events"):
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                assert fetch(base + route, method)[0] == 405, (method, route)
        key_hex = node.key.removeprefix("0x").lower()
        for route in ROUTES:
            status, body = fetch(base + route)
            assert status == 200, route
            assert key_hex not in body.decode(errors="replace").lower(), route
        assert key_hex not in browser.evaluate("document.documentElement.outerHTML").lower()
        assert node.stop() == 0
    finally:
        if browser is not None:
            browser.close()
        node.ensure_dead()
    log = node.log_path.read_text(errors="replace")
    assert f"dashboard (read-only) on http://127.0.0.1:{port}/" in log
    assert node.key.removeprefix("0x").lower() not in log.lower()
    assert sim.open_orders(node.address) == []


def test_in_shadow_mode_the_page_shows_virtual_orders_with_their_queues_and_no_user_stream(tmp_path: Path, sim) -> None:
    port = free_port()
    config = eth_config(source="configs/shadow.json",
                        strategy={"base_spread_bps": 1.0, "enforce_fee_edge": False, "level_spacing_ticks": 2})
    node = NodeProcess(tmp_path, config, sim.rest_url,
                       args=["--dashboard", f"localhost:{port}", "--report-dir", str(tmp_path / "report")])
    try:
        node.start()
        node.wait_for("virtual quotes", lambda s: len(s["open_orders"]) >= 2)
        deadline = time.monotonic() + SHOWN_WITHIN_S
        while True:
            snapshot = json.loads(fetch(f"http://localhost:{port}/api/snapshot")[1])
            orders = snapshot["instruments"][0]["orders"]
            if (orders and any(o["ahead"] is not None for o in orders)) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert snapshot["mode"] == "shadow"
        assert {o["cid"] for o in orders} == {o["client_order_id"] for o in node.state()["open_orders"]}
        # The virtual orders are not in the book: what the level shows is all ahead of them.
        book = {(True, px): size for px, size in snapshot["instruments"][0]["book"]["bids"]}
        book |= {(False, px): size for px, size in snapshot["instruments"][0]["book"]["asks"]}
        on_levels = [o for o in orders if (o["side"] == "BUY", o["px"]) in book]
        assert on_levels
        for order in on_levels:
            assert order["ahead"] == pytest.approx(book[(order["side"] == "BUY", order["px"])], abs=0.5 + 1e-9)
        assert snapshot["node"]["user_stream"]["applies"] is False
        assert {c["type"] for c in snapshot["node"]["clients"]} == {"HyperliquidDataClient", "ShadowExecutionClient"}
        assert node.stop() == 0
    finally:
        node.ensure_dead()
    assert sim.open_orders(node.address) == []  # nothing was sent


def test_a_node_started_past_its_loss_cap_sends_nothing_and_the_page_says_why(tmp_path: Path, sim) -> None:
    # Review 5: such a node quoted (and filled) for a second before the guard's first check, and
    # the page then showed "QUOTING BLOCKED" with no reason and no day PnL.
    port = free_port()
    day_file = tmp_path / "day.json"
    # The timer's check a minute away: only the check at the first book can stop the first ladder.
    config = eth_config(risk_guard={"day_state_file": str(day_file), "daily_drawdown_cap": 0.001,
                                    "check_interval_ms": 60_000})
    node = NodeProcess(tmp_path, config, sim.rest_url, args=["--dashboard", str(port)])
    sim.fund(node.address, 100_000)
    save_day_state(day_file, f"HYPERLIQUID-{node.address.lower()}",
                   DayState(time.time_ns() // NS_PER_DAY, 100_500.0))  # 500 lost today, the cap is 100.5
    browser = None
    try:
        node.start()
        node.wait_for("the halt", lambda s: s["halted"] is not None and "drawdown" in s["halted"])
        browser = Browser(tmp_path / "chromium")
        browser.open(f"http://127.0.0.1:{port}/")
        browser.wait_for("document.querySelector('[data-control=\"halt\"][data-source=\"drawdown\"]') !== null",
                         SHOWN_WITHIN_S, "the halt on the page")
        row = browser.evaluate("document.querySelector('[data-control=\"halt\"]').textContent")
        assert "daily loss 500.00 USDC" in row and "until " in row
        assert browser.evaluate("document.getElementById('halted').textContent") == "HALTED: drawdown"
        # The reason in full, wrapped within the card (review 6: clipped behind a scroll bar at 1400 px).
        assert browser.evaluate("(c => c.scrollWidth <= c.clientWidth)(document.getElementById('card-controls'))")
        assert browser.evaluate("Number(document.querySelector('[data-day-pnl]').dataset.dayPnl)") == pytest.approx(-500.0)
        status = browser.evaluate("document.querySelector('#instruments').textContent")
        assert "QUOTING BLOCKED (drawdown: daily loss 500.00 USDC" in status
        assert node.stop() == 0
    finally:
        if browser is not None:
            browser.close()
        node.ensure_dead()
    assert node.state()["fills"] == [] and sim.open_orders(node.address) == []
    assert "Submitted" not in node.log_path.read_text(errors="replace")  # not one order went out


def test_a_position_held_before_the_start_counts_in_the_pnl_split_from_the_first_mid(tmp_path: Path, sim) -> None:
    # Review 5: the split started flat, so a restart holding a position showed the run "making"
    # what the account lost on that position.
    port = free_port()
    config = eth_config(strategy={"base_spread_bps": 50.0})  # wide: none of its own fills in the test
    node = NodeProcess(tmp_path, config, sim.rest_url, args=["--dashboard", str(port)])
    sim.fund(node.address, 100_000)
    buy = typed_action({"type": "order", "grouping": "na", "orders": [
        {"a": 0, "b": True, "p": "3000.1", "s": "0.5", "r": False, "t": {"limit": {"tif": "Ioc"}}}]}).orders[0]
    assert "filled" in sim.call(lambda: sim.engine.place_order(node.address.lower(), buy, sim.engine.now_ms()))
    browser = None
    try:
        node.start()
        node.wait_for("quotes", lambda s: len(s["open_orders"]) >= 2)
        browser = Browser(tmp_path / "chromium")
        browser.open(f"http://127.0.0.1:{port}/")
        carried = browser.wait_for("document.querySelector('[data-carried-in]')?.dataset.carriedIn", SHOWN_WITHIN_S,
                                   "the position carried in")
        assert float(carried) == 0.5
        sim.ticker.shift(-5.0)  # the market drops 5 after the first sample: the long position loses 2.5
        deadline = time.monotonic() + SHOWN_WITHIN_S
        while True:
            inst = json.loads(fetch(f"http://127.0.0.1:{port}/api/snapshot")[1])["instruments"][0]
            pnl, mid = inst["pnl"], inst["book"]["mid"]
            if mid < 2996 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert pnl["carried_in"]["mid"] == pytest.approx(3000.05) and mid == pytest.approx(2995.05)
        assert inst["inventory"]["position"] == 0.5 and inst["fill_count"] == 0
        assert pnl["inventory"] == pytest.approx(0.5 * (mid - pnl["carried_in"]["mid"]), abs=1e-6)
        assert (pnl["spread_capture"], pnl["fees"]) == (0.0, 0.0)
        assert node.stop() == 0
    finally:
        if browser is not None:
            browser.close()
        node.ensure_dead()
