"""The test kit for a node against a real hlsim, shared by tests/adapters and tests/live.

- hlsim with our account: the keys, `prepared_sim`, an order placed outside the node, a refused url;
- an in-process TradingNode with our factories (`node_config`, `run_node`, `Recorder`): the node
  runs on its own event loop in the test thread, hlsim in its thread; every run stops the node,
  disposes it (closing its loop) and leaves no thread behind;
- run_live.py as a real process (`eth_config`, `NodeProcess`), with a TCP relay that can refuse
  (`TcpProxy`) and a scripted book kept alive (`BookTicker`).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import StrategyConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import LimitOrder
from nautilus_trader.trading.strategy import Strategy

from adapters.hyperliquid.common.constants import HYPERLIQUID_CLIENT_ID
from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.execution import HyperliquidExecutionClient
from adapters.hyperliquid.factories import HyperliquidLiveDataClientFactory
from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory
from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread
from live.node_config import LIVE_EXEC_ENGINE_DEFAULTS
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig

# -- hlsim and the test account -----------------------------------------------------------------------

# Throwaway test keys (never funded anywhere but in hlsim).
ACCOUNT_KEY = "0x" + "11" * 32
AGENT_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ACCOUNT = L1Signer(ACCOUNT_KEY).address.lower()
AGENT = L1Signer(AGENT_KEY).address.lower()
ETH_ID = InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID")
ETH_BOOK = {"bids": [(3000.0, 5), (2999.0, 5)], "asks": [(3001.0, 5), (3002.0, 5)]}


@contextmanager
def prepared_sim(**config: Any) -> Iterator[HlSimThread]:
    """hlsim with BTC and ETH listed, our account funded, its agent registered and an ETH book."""
    with run_hlsim_in_thread(HlSimConfig(coins={"BTC": 5, "ETH": 4}, **config)) as sim:
        sim.fund(ACCOUNT, 100_000)
        sim.register_agent(ACCOUNT, AGENT)
        sim.set_book("ETH", **ETH_BOOK)
        yield sim


def place_outside_order(sim: Any, is_buy: bool, sz: float, px: float, coin: str = "ETH", *,
                        key: str = AGENT_KEY, account: str = ACCOUNT) -> int:
    """An ALO order put on the account (ours by default) by another client (the official SDK, with
    `key`), as the web UI or a script would; returns its oid. Blocking: use `asyncio.to_thread` in a scenario."""
    import eth_account
    from hyperliquid.exchange import Exchange

    sdk = Exchange(eth_account.Account.from_key(key), base_url=sim.rest_url, account_address=account)
    reply = sdk.order(coin, is_buy, sz, px, {"limit": {"tif": "Alo"}})
    return reply["response"]["data"]["statuses"][0]["resting"]["oid"]


def refused_url() -> str:
    """A local url nothing listens on: connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- an in-process node ------------------------------------------------------------------------------


class RecorderConfig(StrategyConfig, frozen=True):
    instrument_id: str = "ETH-USD-PERP.HYPERLIQUID"
    subscribe: bool = True
    subscribe_asset_ctx: bool = False  # mark prices and funding rates as well


class Recorder(Strategy):
    """Subscribes to the market data and records every event it receives."""

    def __init__(self, config: RecorderConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.events: list[Any] = []
        self.quotes: list[Any] = []
        self.deltas: list[Any] = []
        self.trades: list[Any] = []
        self.marks: list[Any] = []
        self.funding: list[Any] = []

    def on_start(self) -> None:
        if self.config.subscribe:
            self.subscribe_quote_ticks(self.instrument_id)
            self.subscribe_order_book_deltas(self.instrument_id)
            self.subscribe_trade_ticks(self.instrument_id)
        if self.config.subscribe_asset_ctx:
            self.subscribe_mark_prices(self.instrument_id)
            self.subscribe_funding_rates(self.instrument_id)

    def on_quote_tick(self, tick: Any) -> None:
        self.quotes.append(tick)

    def on_order_book_deltas(self, deltas: Any) -> None:
        self.deltas.append(deltas)

    def on_trade_tick(self, tick: Any) -> None:
        self.trades.append(tick)

    def on_mark_price(self, mark_price: Any) -> None:
        self.marks.append(mark_price)

    def on_funding_rate(self, funding_rate: Any) -> None:
        self.funding.append(funding_rate)

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def events_of(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]

    def limit(self, side: OrderSide, px: str, qty: str, *, post_only: bool = True,
              tif: TimeInForce = TimeInForce.GTC) -> LimitOrder:
        instrument = self.cache.instrument(self.instrument_id)
        order = self.order_factory.limit(
            instrument_id=self.instrument_id,
            order_side=side,
            quantity=instrument.make_qty(Decimal(qty)),
            price=instrument.make_price(Decimal(px)),
            time_in_force=tif,
            post_only=post_only,
        )
        self.submit_order(order)
        return order


def client_configs(sim: Any, data_overrides: dict[str, Any] | None = None, **exec_overrides: Any) -> dict[str, Any]:
    """The node's data/exec client entries, as a JSON node config holds them."""
    common = {"base_url": sim.rest_url, "coins": ["ETH"]}
    exec_config = {
        **common,
        "account_address": ACCOUNT,
        "reconnect_backoff_initial_secs": 0.5,
        **exec_overrides,
    }
    return {
        "data_clients": {
            "HYPERLIQUID": {
                "path": "adapters.hyperliquid.config:HyperliquidDataClientConfig",
                "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveDataClientFactory"},
                "config": {**common, "stall_timeout_secs": 30.0, **(data_overrides or {})},
            }
        },
        "exec_clients": {
            "HYPERLIQUID": {
                "path": "adapters.hyperliquid.config:HyperliquidExecClientConfig",
                "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveExecClientFactory"},
                "config": exec_config,
            }
        },
    }


def node_config(
    sim: Any,
    *,
    log_level: str = "WARNING",
    reconciliation: bool = True,
    data_overrides: dict[str, Any] | None = None,
    open_check: bool = False,
    **exec_overrides: Any,
) -> TradingNodeConfig:
    """`open_check`: Nautilus's open-order check on, as run_live has it, every second (from 1 s in)."""
    # Overfills booked, as run_live.py has it (live/node_config.py says why).
    engine: dict[str, Any] = {"reconciliation": reconciliation, "reconciliation_lookback_mins": 60,
                              "allow_overfills": LIVE_EXEC_ENGINE_DEFAULTS["allow_overfills"]}
    if open_check:
        engine |= {"open_check_interval_secs": 1.0, "open_check_threshold_ms": 500, "reconciliation_startup_delay_secs": 1.0}
    raw = {
        "trader_id": "TESTER-001",
        "logging": {"log_level": log_level, "bypass_logging": False},
        "exec_engine": engine,
        "timeout_connection": 10.0,
        "timeout_reconciliation": 10.0,
        "timeout_portfolio": 5.0,
        "timeout_disconnection": 5.0,
        "timeout_post_stop": 0.5,
        **client_configs(sim, data_overrides, **exec_overrides),
    }
    return TradingNodeConfig.parse(json.dumps(raw))


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def eth_quoter(**config: Any) -> MarketMaker:
    """A MarketMaker on ETH: three levels a side from 4 bps, cancel-and-replace re-quotes (no
    modifies: a move of the book gives cancels and new orders), fee-edge check and journal off;
    `config` overrides."""
    return MarketMaker(MarketMakerConfig(**{
        "instrument_id": str(ETH_ID), "order_id_tag": "MM1", "base_spread_bps": 4.0, "level_spacing_ticks": 2,
        "order_size_usd": 20.0, "max_inventory_usd": 500.0, "use_modify": False, "enforce_fee_edge": False,
        "record_journal": False, **config,
    }))


async def ladder_quoted(sim: HlSimThread, mm: MarketMaker) -> None:
    """Until `eth_quoter`'s six quotes rest on hlsim and none is in flight."""
    await wait_for(lambda: len(sim.open_orders(ACCOUNT)) == 6, timeout=10.0, what="six quotes")
    await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="quotes settled")


def run_node(
    config: TradingNodeConfig,
    scenario: Callable[[TradingNode, Recorder], Awaitable[None]],
    *,
    strategy_config: RecorderConfig | None = None,
    timeout: float = 30.0,
    actors: Sequence[Actor] = (),
    strategies: Sequence[Strategy] = (),
    register_factories: bool = True,
) -> None:
    """Build a node with our factories (plus `actors`), run `scenario(node, recorder)` once it is running, then
    stop and dispose it (closing its loop), whatever happened. `register_factories=False` leaves the
    factories to the config's own `factory.path` entries (what a bare TradingNode does)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(config=config, loop=loop)
    recorder = Recorder(strategy_config or RecorderConfig())
    node.trader.add_strategy(recorder)
    for actor in actors:
        node.trader.add_actor(actor)
    for strategy in strategies:
        node.trader.add_strategy(strategy)
    if register_factories:
        node.add_data_client_factory("HYPERLIQUID", HyperliquidLiveDataClientFactory)
        node.add_exec_client_factory("HYPERLIQUID", HyperliquidLiveExecClientFactory)
    node.build()

    async def main() -> None:
        run_task = loop.create_task(node.run_async())
        try:
            await wait_for(lambda: node.is_running or run_task.done(), timeout=20.0, what="node running")
            if run_task.done():
                run_task.result()
            await wait_for(lambda: recorder.is_running, timeout=5.0, what="strategy running")
            await asyncio.wait_for(scenario(node, recorder), timeout)
        finally:
            await node.stop_async()
            await asyncio.sleep(0.1)
            if not run_task.done():
                run_task.cancel()
            try:
                await run_task
            except (asyncio.CancelledError, Exception):
                pass
            # Leave no task behind for dispose() to find on a closed loop.
            pending = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    try:
        loop.run_until_complete(main())
    finally:
        node.dispose()
        asyncio.set_event_loop(None)


def exec_client(node: TradingNode) -> HyperliquidExecutionClient:
    return node.kernel.exec_engine._clients[HYPERLIQUID_CLIENT_ID]


def data_client(node: TradingNode) -> HyperliquidDataClient:
    return node.kernel.data_engine._clients[HYPERLIQUID_CLIENT_ID]


def record_request_kinds(sim: Any) -> list[str]:
    """The kinds of the /exchange requests that reach hlsim from now on, in arrival order."""
    kinds: list[str] = []
    sim.call(lambda: setattr(sim.engine.traffic, "listener", lambda kind, assets: kinds.append(kind)))
    return kinds


def record_topic(node: TradingNode, topic: str) -> list[Any]:
    seen: list[Any] = []
    node.kernel.msgbus.subscribe(topic, seen.append)
    return seen


class FailingStrategyConfig(StrategyConfig, frozen=True):
    instrument_id: str = "ETH-USD-PERP.HYPERLIQUID"


class FailingStrategy(Strategy):
    """A strategy whose start fails, as a bug in its `on_start` would."""

    def on_start(self) -> None:
        raise RuntimeError("on_start failed on purpose")


def failing_strategy_entry(order_id_tag: str = "FAIL") -> dict[str, Any]:
    """The node-config entry of a `FailingStrategy` (for run_live.py's JSON config)."""
    return {
        "strategy_path": "tests.node_kit:FailingStrategy",
        "config_path": "tests.node_kit:FailingStrategyConfig",
        "config": {"instrument_id": "ETH-USD-PERP.HYPERLIQUID", "order_id_tag": order_id_tag},
    }


@contextmanager
def silent_server() -> Iterator[str]:
    """A local url that accepts connections and never answers (an exchange that hangs); yields its url."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, name="silent-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


# -- run_live.py as a process -------------------------------------------------------------------------

ROOT = shipped_data.PROJECT_ROOT
ETH_BIDS = [(3000.0, 4.0), (2999.9, 6.0), (2999.8, 8.0), (2999.5, 10.0), (2999.0, 20.0)]
ETH_ASKS = [(3000.1, 4.0), (3000.2, 6.0), (3000.3, 8.0), (3000.6, 10.0), (3001.0, 20.0)]


def eth_config(
    *,
    redis_url: str = "redis://127.0.0.1:6379/0",
    data: dict[str, Any] | None = None,
    exec_: dict[str, Any] | None = None,
    risk_guard: dict[str, Any] | None = None,
    governor: dict[str, Any] | None = None,
    strategy: dict[str, Any] | None = None,
    run: dict[str, Any] | None = None,
    source: str = "configs/live.json",
    coin: str = "ETH",
) -> dict[str, Any]:
    """The shipped live config narrowed to one coin (ETH unless told), with per-test overrides."""
    raw = json.loads((ROOT / source).read_text())
    iid = f"{coin}-USD-PERP.HYPERLIQUID"
    raw["strategies"] = [s for s in raw["strategies"] if s["config"]["instrument_id"] == iid]
    raw["strategies"][0]["config"].update(strategy or {})
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = [iid]
        if actor["actor_path"].endswith("RegimeGovernor"):
            actor["config"]["redis_url"] = redis_url
            # The node tests run the plumbing on a replay of ETH, whose one-tick spread the edge
            # check rightly stands down (and whose idle churn the action rate would slow): off
            # unless a test turns them on.
            actor["config"].update({"edge_check_enabled": False, "action_rate_enabled": False, **(governor or {})})
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = 1
            actor["config"].update(risk_guard or {})
    for section, extra in (("data_clients", data), ("exec_clients", exec_)):
        for spec in raw.get(section, {}).values():
            spec["config"]["coins"] = [coin]
            spec["config"].update(extra or {})
    raw.setdefault("run", {}).update({"status_interval_secs": 0.2, **(run or {})})
    return raw


def cached_eth_position(cache: Any) -> Decimal:
    """The node's net ETH position, as its cache holds it (the sum of its open positions)."""
    return sum((Decimal(str(p.signed_decimal_qty())) for p in cache.positions_open(instrument_id=ETH_ID)), Decimal(0))


async def resting_limit(rec: Recorder, side: OrderSide, px: str, qty: str) -> LimitOrder:
    """Once the node quotes: a post-only limit order of the Recorder, returned once the exchange accepted it."""
    await wait_for(lambda: rec.quotes, what="quotes")
    order = rec.limit(side, px, qty)
    await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
    return order


def in_test_folder(config: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """`config` with the RiskGuard's day state (a path relative to where run_live.py runs) in `tmp`,
    so no test reads or leaves a day in the checkout's state/ folder."""
    config = json.loads(json.dumps(config))
    for actor in config.get("actors", []):
        if not actor.get("actor_path", "").endswith(":RiskGuard"):
            continue
        path = actor["config"].get("day_state_file") or "state/risk_guard_day.json"  # none: run_live would set one
        if not Path(path).is_absolute():
            actor["config"]["day_state_file"] = str(tmp / path)
    return config


class NodeProcess:
    """One run_live.py process; its state file is read back as JSON. `account`: the key is that
    account's agent (else the key is the account's own)."""

    def __init__(self, tmp: Path, config: dict[str, Any], rest_url: str, *, key: str | None = None,
                 args: list[str] | None = None, name: str = "node", network: bool = True,
                 account: str | None = None) -> None:
        self.tmp = tmp
        self.key = key or "0x" + secrets.token_hex(32)
        self.signer = L1Signer(self.key).address
        self.address = account or self.signer
        self.config_path = tmp / f"{name}.json"
        self.config_path.write_text(json.dumps(in_test_folder(config, tmp), indent=1))
        self.state_path = tmp / f"{name}.state.json"
        self.log_path = tmp / f"{name}.log"
        self.rest_url = rest_url
        self.args = args or []
        self.network = network  # False: the config's own urls (no --network)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> NodeProcess:
        self.state_path.unlink(missing_ok=True)
        self.starts += 1
        env = {**os.environ, "HYPERLIQUID_AGENT_KEY": self.key}
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [sys.executable, "run_live.py", "--config", str(self.config_path),
             *(["--network", self.rest_url] if self.network else []),
             "--account", self.address, "--no-status", "--state-file", str(self.state_path), *self.args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_for(self, what: str, pred: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited ({self.proc.returncode}) waiting for {what}:\n{self.log_tail()}")
            state = self.state()
            if state is not None and pred(state):
                return state
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last state {self.state()}\n{self.log_tail()}")

    def wait_exit(self, timeout: float) -> int:
        """The exit code of a node that ends by itself within `timeout` s."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"node still running after {timeout} s:\n{self.log_tail()}") from None

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        """Until the node's log holds `text` (the node must keep running meanwhile)."""
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text(errors="replace"):
            assert self.proc is not None and self.proc.poll() is None, f"node exited:\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"no {text!r} in the log after {timeout} s:\n{self.log_tail()}"
            time.sleep(0.05)

    def sigterm_to_exit(self, timeout: float) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the node took to end."""
        assert self.proc is not None
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit(timeout)
        return code, time.monotonic() - sent

    def run_to_exit(self, timeout: float) -> int:
        """Start the node and return the exit code it ends with by itself within `timeout` s."""
        try:
            self.start()
            return self.wait_exit(timeout)
        finally:
            self.ensure_dead()

    def error_lines(self) -> list[str]:
        """The `error:` lines run_live printed (its one-line reasons for a non-zero exit)."""
        return [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.startswith("error:")]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"node did not exit within {timeout} s after {sig}:\n{self.log_tail()}") from None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        keep = [ln for ln in lines if "config." not in ln]
        return "\n".join(keep[-n:])

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quoting(state: dict[str, Any]) -> bool:
    """A state file's predicate: a ladder rests and no order of the node is still on its way."""
    return len(state["open_orders"]) >= 2 and not state["orders_outstanding"] - len(state["open_orders"])


@contextmanager
def quoting_node(tmp: Path, sim: Any, config: dict[str, Any], usdc: float = 100_000, **node_args: Any) -> Iterator[NodeProcess]:
    """A run_live.py process on an account funded with `usdc`, started and quoting; killed on the way
    out if it still runs."""
    node = NodeProcess(tmp, config, sim.rest_url, **node_args)
    sim.fund(node.address, usdc)
    try:
        node.start()
        node.wait_for("quotes", quoting)
        yield node
    finally:
        node.ensure_dead()


class TcpProxy:
    """A loopback TCP relay in front of a port; `refuse()` stops listening and cuts open connections,
    so the endpoint behind it looks down (connection refused) while the port behind it stays up."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._loop = asyncio.new_event_loop()
        self._writers: set[Any] = set()
        self._server: Any = None
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="tcp-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: Any, dst: Any) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    def refuse(self) -> None:
        async def stop() -> None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)

    def close(self) -> None:
        self.refuse()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class BookTicker:
    """Keeps a scripted book alive (a live book is never silent): re-publishes it every `period` s
    with the deepest bid's size nudged, so the stall guard only fires when a test stalls the data."""

    def __init__(self, sim: Any, bids: list[tuple[float, float]], asks: list[tuple[float, float]],
                 period: float = 0.3, coin: str = "ETH") -> None:
        self.sim = sim
        self.coin = coin
        self._lock = threading.Lock()
        self._bids, self._asks = list(bids), list(asks)
        self._stop = threading.Event()
        self._period = period
        self._thread = threading.Thread(target=self._run, name="book-ticker", daemon=True)
        sim.set_book(coin, bids=bids, asks=asks)
        self._thread.start()

    def set(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        with self._lock:
            self._bids, self._asks = list(bids), list(asks)
            self.sim.set_book(self.coin, bids=self._bids, asks=self._asks)

    def shift(self, delta: float) -> None:
        """Move the whole scripted book by `delta` (from the shipped ETH levels)."""
        self.set([(px + delta, sz) for px, sz in ETH_BIDS], [(px + delta, sz) for px, sz in ETH_ASKS])

    def _run(self) -> None:
        flip = False
        while not self._stop.wait(self._period):
            flip = not flip
            with self._lock:
                bids = list(self._bids)
                px, sz = bids[-1]
                bids[-1] = (px, sz + (0.5 if flip else 0.0))
                try:
                    self.sim.set_book(self.coin, bids=bids, asks=self._asks)
                except Exception:
                    return  # the sim is shutting down

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
