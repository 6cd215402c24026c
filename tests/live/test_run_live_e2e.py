"""run_live.py against hlsim over real sockets: quoting, shutdown, and the fault scenarios."""

from __future__ import annotations

import signal
from decimal import Decimal
from pathlib import Path

import pytest

from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread
from tests.node_kit import ROOT
from tests.node_kit import BookTicker
from tests.node_kit import NodeProcess
from tests.node_kit import TcpProxy
from tests.node_kit import eth_config
from tests.node_kit import place_outside_order
from tests.node_kit import quoting
from tests.node_kit import quoting_node
from tests.redis_kit import RedisServer

pytestmark = pytest.mark.slow


def in_step_with(sim, address: str):
    """A predicate: the node's open orders are exactly the exchange's (compared at one moment)."""

    def check(state: dict) -> bool:
        on_exchange = {str(o["oid"]) for o in sim.open_orders(address)}
        return bool(on_exchange) and on_exchange == {o["venue_order_id"] for o in state["open_orders"]}

    return check


def test_node_quotes_then_cancels_everything_on_sigint(tmp_path: Path, sim, book: BookTicker) -> None:
    with quoting_node(tmp_path, sim, eth_config()) as node:
        node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=10)
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []
    assert node.state()["orders_outstanding"] == 0


def _fill_key(px: object, qty: object, side: str) -> tuple[float, float, str]:
    return round(float(px), 6), round(float(qty), 8), side


def test_fills_during_a_user_ws_drop_are_recovered_and_equal_the_ledger(tmp_path: Path, sim, book: BookTicker) -> None:
    with quoting_node(tmp_path, sim, eth_config()) as node:
        resting = sim.open_orders(node.address)
        bid = next(o for o in resting if o["side"] == "B")
        ask = next(o for o in resting if o["side"] == "A")
        server, engine, address = sim.server, sim.engine, node.address
        half = Decimal(f"{float(ask['sz']) / 2:.4f}")

        def drop_then_fill() -> None:
            # Atomically on the sim loop: the user socket dies first, so both fills happen in the dark.
            server.faults.drop_user_ws(address)
            engine.admin_fill(address, bid["oid"])
            engine.admin_fill(address, ask["oid"], half)

        sim.call(drop_then_fill)
        ledger = sim.fills(node.address)
        assert len(ledger) == 2
        state = node.wait_for("the dark fills", lambda s: len(s["fills"]) >= 2, timeout=20)
        node.wait_for("quotes again", quoting, timeout=20)
        state = node.state()
        ours = sorted(_fill_key(f["px"], f["qty"], "B" if f["side"] == "BUY" else "A") for f in state["fills"])
        theirs = sorted(_fill_key(f["px"], f["sz"], f["side"]) for f in sim.fills(node.address))
        assert ours == theirs
        assert sorted(f["trade_id"] for f in state["fills"]) == sorted(str(f["tid"]) for f in sim.fills(node.address))
        position = float(sim.position(node.address, "ETH")["szi"])
        assert state["instruments"][0]["position"] == pytest.approx(position)
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []


@pytest.mark.parametrize("exec_overrides", [{"use_ws_post": False}, {}], ids=["rest_actions", "shipped_ws_posts"])
def test_market_data_stall_cancels_every_order_of_the_account_on_the_coin_through_the_backup(
    tmp_path: Path, sim, book: BookTicker, exec_overrides: dict
) -> None:
    import time

    primary = TcpProxy(sim.ports[0])
    backup = sim.url_for(sim.add_port())
    endpoints = {"base_url": primary.url, "ws_url": sim.ws_url, "backup_base_urls": [backup]}
    config = eth_config(
        data={**endpoints, "stall_timeout_secs": 1.0, "stall_check_interval_secs": 0.1},
        exec_={**endpoints, **exec_overrides},
    )
    assert config["exec_clients"]["HYPERLIQUID"]["config"]["use_ws_post"] is exec_overrides.get("use_ws_post", True)
    try:
        with quoting_node(tmp_path, sim, config, network=False) as node:
            outside = place_outside_order(sim, False, 0.01, 3010.0, key=node.key, account=node.address)
            assert outside in {o["oid"] for o in sim.open_orders(node.address)}

            primary.refuse()
            sim.faults.stall_market_data(True)
            t0 = time.monotonic()
            while sim.open_orders(node.address) and time.monotonic() - t0 < 10:
                time.sleep(0.02)
            elapsed = time.monotonic() - t0
            assert sim.open_orders(node.address) == []  # the node's quotes and the order placed outside it
            # Stall declared after 1 s of silence; every order must be gone within 2 s of the stall's start.
            assert elapsed <= 2.0, f"cancel-all took {elapsed:.2f} s after the stall began"
            state = node.wait_for("the stall guard", lambda s: "RiskGuard.stall" in s["guard_counts"], timeout=5)
            assert state["running"]
            assert node.stop() == 0
    finally:
        primary.close()


def test_kill_9_then_restart_leaves_no_orphan_orders(tmp_path: Path, sim, book: BookTicker) -> None:
    with quoting_node(tmp_path, sim, eth_config()) as node:
        node.kill9()
        orphans = {o["oid"] for o in sim.open_orders(node.address)}
        assert orphans  # the killed process left its quotes resting
        node.start()
        node.wait_for("quotes after restart", quoting, timeout=40)
        state = node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=10)
        assert not {o["venue_order_id"] for o in state["open_orders"]} & {str(oid) for oid in orphans}
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []


def test_keep_orders_adopts_the_orders_of_the_earlier_run_so_the_account_never_holds_more_than_one_ladder(
    tmp_path: Path, sim, book: BookTicker
) -> None:
    # Issue 17 item 6: the kept orders used to rest beside the new ladder, managed by nobody (12 orders).
    import time

    node = NodeProcess(tmp_path, eth_config(), sim.rest_url, args=["--keep-orders"])
    sim.fund(node.address, 100_000)
    try:
        node.start()
        ladder = len(node.wait_for("quotes", quoting)["open_orders"])
        node.kill9()
        kept = {str(o["oid"]) for o in sim.open_orders(node.address)}
        assert len(kept) == ladder  # the killed process left its ladder resting
        node.start()
        most = 0
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and node.proc.poll() is None:
            most = max(most, len(sim.open_orders(node.address)))
            time.sleep(0.02)
        assert most <= ladder, f"{most} orders rested at once; the ladder has {ladder}"
        state = node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=10)
        assert "adopted 6 open orders of an earlier run" in node.log_path.read_text(errors="replace")
        assert len(state["open_orders"]) <= ladder
        assert node.stop() == 0
    finally:
        node.ensure_dead()
    assert sim.open_orders(node.address) == []


def test_429_storm_backs_off_without_crashing_or_busy_looping(tmp_path: Path, sim, book: BookTicker) -> None:
    import time

    node = NodeProcess(tmp_path, eth_config(exec_={"use_ws_post": False}), sim.rest_url)
    sim.fund(node.address, 100_000)
    budget = 100_000
    try:
        node.start()
        node.wait_for("quotes", quoting)
        cpu0 = node.cpu_seconds()
        sim.faults.http_status(429, budget)
        t0 = time.monotonic()
        for step in range(12):  # the market moves: the strategy wants to re-quote all along
            book.shift(-0.5 * (step + 1))
            time.sleep(0.35)
        storm_s = time.monotonic() - t0
        requests = budget - (sim.faults.status_remaining or budget)
        cpu = node.cpu_seconds() - cpu0
        sim.faults.http_status(None)
        assert node.proc.poll() is None, node.log_tail()
        assert requests < 20 * storm_s, f"{requests} REST requests in {storm_s:.1f} s of 429s"
        assert cpu < 0.8 * storm_s, f"{cpu:.2f} CPU s in {storm_s:.1f} s"
        node.wait_for("quotes after the storm", quoting, timeout=30)
        node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=10)
        assert node.stop() == 0
    finally:
        node.ensure_dead()
    assert sim.open_orders(node.address) == []


def test_drawdown_breach_cancels_everything_and_halts(tmp_path: Path, sim, book: BookTicker) -> None:
    import time

    config = eth_config(risk_guard={"daily_drawdown_cap": 0.002, "check_interval_ms": 100})
    with quoting_node(tmp_path, sim, config, usdc=1_000) as node:
        bid = next(o for o in sim.open_orders(node.address) if o["side"] == "B")
        sim.fill_order(node.address, bid["oid"])
        for step in range(1, 20):  # the market falls 10%: the long inventory loses > 0.2% of equity
            book.shift(-15.0 * step)
            time.sleep(0.15)
            state = node.state()
            if state and state["halted"]:
                break
        state = node.wait_for("the halt", lambda s: s["halted"] is not None, timeout=10)
        assert state["halted"].startswith("drawdown")
        node.wait_for("all cancelled", lambda s: s["orders_outstanding"] == 0, timeout=5)
        assert sim.open_orders(node.address) == []
        for step in range(5):  # still halted while the market keeps moving
            book.shift(-300.0 + step)
            time.sleep(0.2)
        assert sim.open_orders(node.address) == []
        assert node.stop() == 0

        # Restarted the same day, the node keeps the halt (the shipped config's day state, in this
        # test's folder): the morning's loss is not forgotten.
        node.start()
        state = node.wait_for("the halt kept", lambda s: (s["halted"] or "").startswith("drawdown"), timeout=40)
        assert "(since before a restart)" in state["halted"]
        time.sleep(2.0)
        assert sim.open_orders(node.address) == [] and node.state()["orders_outstanding"] == 0
        assert node.stop() == 0


class SnapshotPublisher:
    """Publishes the screener's ETH parameters every 0.3 s, as the screener would; errors while Redis is down."""

    def __init__(self, url: str) -> None:
        import threading

        from screener_link.publish import ScreenerPublisher

        self.publisher = ScreenerPublisher(url, timeout_s=0.2)
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import time

        import redis

        from screener_link.payload import AssetParams
        from screener_link.payload import make_snapshot

        params = AssetParams(asset="ETH", base_spread_bps=8.0, max_inventory_usd=1500.0, level_spacing_ticks=3,
                             order_size_usd=50.0, score=1.0)
        while not self._stop.wait(0.3):
            try:
                self.publisher.publish(make_snapshot(int(time.time() * 1000), [params]))
                self.published += 1
            except redis.RedisError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.publisher.close()


def test_redis_killed_mid_run_keeps_quoting_on_the_last_config_then_recovers(
    tmp_path: Path, sim, book: BookTicker, private_redis: RedisServer
) -> None:
    publisher = SnapshotPublisher(private_redis.url)
    config = eth_config(redis_url=private_redis.url, governor={"screener_stale_after_s": 2.0})
    node = NodeProcess(tmp_path, config, sim.rest_url)
    sim.fund(node.address, 100_000)
    try:
        node.start()
        node.wait_for("the screener's parameters", lambda s: "RegimeGovernor.screener_params" in s["guard_counts"])
        node.wait_for("quotes", quoting)
        private_redis.stop()  # killed (SIGKILL)
        state = node.wait_for("the stale flag", lambda s: s["screener_stale"], timeout=15)
        assert state["running"] and quoting(state)
        assert len(sim.open_orders(node.address)) >= 2  # still quoting while Redis is gone
        assert state["guard_counts"]["RegimeGovernor.screener_params"] == 1  # the last config is kept
        private_redis.start()
        state = node.wait_for("recovery", lambda s: not s["screener_stale"], timeout=20)
        assert quoting(node.wait_for("quotes", quoting))
        assert node.stop() == 0
    finally:
        node.ensure_dead()
        publisher.close()
    assert sim.open_orders(node.address) == []


def test_shadow_mode_on_the_eth_replay_produces_the_backtest_report(tmp_path: Path) -> None:
    import json

    from catalog import shipped_data

    replay = HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None, replay=str(shipped_data.eth_capture()),
                         replay_speed=30.0)
    report_dir = tmp_path / "report"
    with run_hlsim_in_thread(replay) as sim:
        # Quotes close to the touch and guards that stay quiet at 30× speed: the run fills.
        config = eth_config(
            source="configs/shadow.json",
            risk_guard={"tfi_min_trades": 1000, "micro_move_bps": 100.0, "ofi_min_events": 100_000},
            strategy={"base_spread_bps": 1.0, "enforce_fee_edge": False},
            governor={"edge_check_enabled": True},
        )
        node = NodeProcess(tmp_path, config, sim.rest_url, args=["--run-secs", "12", "--report-dir", str(report_dir)])
        try:
            node.start()
            assert node.proc.wait(90) == 0, node.log_tail()
        finally:
            node.ensure_dead()
        assert sim.open_orders(node.address) == [] and sim.fills(node.address) == []  # nothing was sent
    summary = json.loads((report_dir / "backtest_summary.json").read_text())
    assert [run["name"] for run in summary] == ["shadow_ETH-USD-PERP"]
    run = summary[0]
    assert run["run"]["actions"]["submit"] > 0
    state_fills = len(node.state()["fills"])
    assert state_fills > 0 and run["metrics"]["fills"] == state_fills
    assert (report_dir / "backtest.html").stat().st_size > 1000
    # The node's own governor, as the run had it (review 6: the report said "off" while it probed).
    assert run["fee_check"]["governor_edge_check"] not in ("off", "–"), run["fee_check"]
    # Its one-line summary in the node's log (not a terminal) is whole, not squeezed into "…".
    rows = [line for line in node.log_path.read_text().splitlines() if "│ shadow_ETH-USD-PERP" in line]
    assert rows and "…" not in rows[0], rows


def test_the_shadow_report_counts_the_fills_of_the_wind_down(tmp_path: Path, sim, book: BookTicker) -> None:
    import json

    report_dir = tmp_path / "report"
    # Cancels take 2 s to reach the virtual exchange: the quotes still rest after the strategy stopped.
    args = ["--report-dir", str(report_dir), "--shadow-latency-ms", "2000"]
    node = NodeProcess(tmp_path, eth_config(source="configs/shadow.json"), sim.rest_url, args=args)
    try:
        node.start()
        state = node.wait_for("quotes", lambda s: len(s["open_orders"]) >= 2)
        assert state["fills"] == []
        node.proc.send_signal(signal.SIGINT)
        node.wait_for_log("shutting down", timeout=10)
        sim.trade("ETH", "A", 2990.0, 100)  # through every bid
        sim.trade("ETH", "B", 3010.0, 100)  # through every ask
        assert node.proc.wait(60) == 0, node.log_tail()
    finally:
        node.ensure_dead()
    state_fills = len(node.state()["fills"])
    summary = json.loads((report_dir / "backtest_summary.json").read_text())
    assert state_fills > 0 and summary[0]["metrics"]["fills"] == state_fills


def test_with_the_redis_cache_a_restart_after_kill_9_keeps_fills_and_position(
    tmp_path: Path, sim, book: BookTicker, private_redis: RedisServer
) -> None:
    with quoting_node(tmp_path, sim, eth_config(), args=["--redis-cache", f"redis://127.0.0.1:{private_redis.port}"]) as node:
        bid = next(o for o in sim.open_orders(node.address) if o["side"] == "B")
        sim.fill_order(node.address, bid["oid"])
        node.wait_for("the fill", lambda s: len(s["fills"]) == 1)
        node.kill9()
        node.start()
        state = node.wait_for("quotes after restart", quoting, timeout=40)
        node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=10)
        (tid,) = [str(f["tid"]) for f in sim.fills(node.address)]
        assert [f["trade_id"] for f in state["fills"]] == [tid]  # restored from Redis, not re-emitted
        assert state["instruments"][0]["position"] == pytest.approx(float(sim.position(node.address, "ETH")["szi"]))
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []
    assert "\x1b[" not in node.log_path.read_text()  # a log file, not a terminal: no colour codes (review 6)
    # A stop cancels orders, not positions: it says what stays on the account (review 6).
    szi = float(sim.position(node.address, "ETH")["szi"])
    assert f"positions left open (a stop cancels orders, it does not close positions): ETH-USD-PERP {szi:+g}" in (
        node.log_path.read_text())


def test_service_script_runs_the_node_and_sigterm_cancels_everything(tmp_path: Path, sim, book: BookTicker) -> None:
    import json
    import os
    import signal
    import subprocess


    node = NodeProcess(tmp_path, eth_config(), sim.rest_url)  # for its key, config file and state reader
    sim.fund(node.address, 100_000)
    env = {**os.environ, "MM_CONFIG": str(node.config_path), "MM_NETWORK": sim.rest_url,
           "HYPERLIQUID_ACCOUNT": node.address, "HYPERLIQUID_AGENT_KEY": node.key, "MM_LOG_DIR": str(tmp_path)}
    proc = subprocess.Popen(["bash", "scripts/start_mm_bot.sh", "--state-file", str(node.state_path)], cwd=ROOT, env=env)
    node.proc = proc  # the script execs the node: same process
    try:
        node.wait_for("quotes", quoting)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        node.ensure_dead()
    assert sim.open_orders(node.address) == []
    assert json.loads(node.state_path.read_text())["orders_outstanding"] == 0
    assert "shutting down" in (tmp_path / "mm-bot.log").read_text()


def test_on_a_terminal_the_status_table_shows_quotes_and_guards(tmp_path: Path, sim, book: BookTicker) -> None:
    import json
    import os
    import pty
    import select
    import subprocess
    import time


    config = eth_config(source="configs/shadow.json")
    path = tmp_path / "shadow.json"
    path.write_text(json.dumps(config))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys_executable(), "run_live.py", "--config", str(path), "--network", sim.rest_url, "--run-secs", "6",
         "--report-dir", str(tmp_path / "report"), "--log-level", "ERROR"],
        cwd=ROOT, stdout=slave, stderr=slave, env={**os.environ, "COLUMNS": "200"},
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert code == 0, text[-3000:]
    assert "market maker" in text and "ETH-USD-PERP" in text
    assert "last guards" in text


def sys_executable() -> str:
    import sys

    return sys.executable


def test_a_running_node_collects_on_its_timer_and_shows_the_pauses_in_the_state_file(
    tmp_path: Path, sim, book: BookTicker,
) -> None:
    config = eth_config(run={"gc_interval_secs": 0.2, "gc_full_interval_secs": 0.6})
    with quoting_node(tmp_path, sim, config) as node:
        state = node.wait_for(
            "a full collection", lambda s: (s["garbage_collection"] or {}).get("full_collections", 0) >= 1, timeout=10,
        )
        figures = state["garbage_collection"]
        assert figures["collections"] >= 3 and figures["max_pause_us"] > 0
        assert node.stop() == 0


def test_a_filled_order_leaves_the_cache_on_the_engines_purge_and_the_node_stays_in_step_with_the_exchange(
    tmp_path: Path, sim, book: BookTicker,
) -> None:
    config = eth_config()
    # The shipped purge every 10 minutes of orders closed an hour ago, brought to its shortest: every
    # minute, each order closed before it.
    config["exec_engine"].update(purge_closed_orders_interval_mins=1, purge_closed_orders_buffer_mins=0)
    with quoting_node(tmp_path, sim, config) as node:
        bid = next(o for o in sim.open_orders(node.address) if o["side"] == "B")
        engine, address = sim.engine, node.address
        sim.call(lambda: engine.admin_fill(address, bid["oid"]))
        filled = node.wait_for("the fill", lambda s: len(s["fills"]) == 1, timeout=20)["fills"][0]
        node.wait_for("the filled order in the cache", lambda s: s["orders_in_cache"] > len(s["open_orders"]), timeout=10)
        node.wait_for_log(f"Purged order {filled['client_order_id']}", timeout=90)
        state = node.wait_for("the node and the exchange to agree", in_step_with(sim, node.address), timeout=20)
        assert [f["trade_id"] for f in state["fills"]] == [str(f["tid"]) for f in sim.fills(node.address)]
        assert state["instruments"][0]["position"] == pytest.approx(float(sim.position(node.address, "ETH")["szi"]))
        assert quoting(state)
        assert node.stop() == 0
    assert sim.open_orders(node.address) == []


def test_a_second_node_on_the_same_account_and_coin_is_refused_and_the_first_keeps_its_orders(
    tmp_path: Path, sim, book: BookTicker
) -> None:
    # Review 6: the second one's start-up sweep cancelled the first's ladder as "left by an earlier
    # run", then both quoted.
    with quoting_node(tmp_path, sim, eth_config()) as first:
        resting = sorted(o["oid"] for o in sim.open_orders(first.address))
        second = NodeProcess(tmp_path, eth_config(), sim.rest_url, key=first.key, name="second")
        second.start()
        assert second.wait_exit(60) == 1
        log = second.log_path.read_text()
        assert f"another node (pid {first.proc.pid}) already trades ETH for account {first.address.lower()}" in log
        assert sorted(o["oid"] for o in sim.open_orders(first.address)) == resting  # untouched
        assert first.stop() == 0
