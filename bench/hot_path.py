"""Hot path: in-process time from a book event to the strategy's order commands, as it runs live.

What is timed (both figures): from the book event (an `OrderBookDeltas`, one exchange message)
reaching its first subscriber after the data engine's own book update — a stamping actor
registered before the others, so the RiskGuard's handler for the event is inside the window (the
governor takes book snapshots on its timer, not per event) — to the MarketMaker's book handler
returning from its last order command of that event. Counted as "with commands" when at least one
order action (submit, modify, cancel; an event's new orders go as one SubmitOrderList, a guard's
cancels as one BatchCancelOrders) was issued in that window, including a cancel a guard's message
caused during the same event. p50/p99 over those events; events that send nothing are a separate
figure. Not timed: the data engine's own book update before dispatch, and queueing before the event
is dispatched.

Primary figure (`p50_us`, `p99_us`) — LIVE kernel: an in-process `TradingNode` (no network) with
`LiveDataEngine`, `LiveRiskEngine`, `LiveExecutionEngine` (engine settings from configs/live.json;
the risk engine at its defaults, as live), a data client for HYPERLIQUID that only takes the
subscriptions (the bench hands the events to the data engine, as a client's `_handle_data` does),
and the shadow execution client (`shadow/`, sends nothing). The shipped ETH capture's
book deltas (grouped per message up to F_LAST, as the live client publishes them), trades and bbo
quotes go through `LiveDataEngine.process` on the node's event loop, stamped with the capture's own
spacing shifted to now, paced at `--speed` (default 60) × market time, each event only after the
node's queues are empty. Here a command returns once it is enqueued for the live risk engine:
order creation, the command objects, the OrderInitialized event's handlers and the enqueue are
inside the window; the risk checks, execution engine and exchange round trip run afterwards on the
loop (the round trip is bench/latency.py). This is what the target (p99 ≤ 200 µs) applies to: in
production the strategy runs on these engines, so this is how long the event loop is held between
a book update and the strategy's orders being handed off.

Why paced: the live risk engine throttles submits on the wall clock (100/s); an unpaced replay
(~1,000× market time) got 6 orders DENIED and the strategy then stopped quoting (it has no
`on_order_denied`: the slots stay "in flight"). Pacing matters for the figure: between events the
loop sleeps, and the next event runs on cold caches — measured on this machine, idle-event p50
~30 µs unpaced, ~55 µs at 120×, ~100 µs at 60×; real time (1×) spaces events further still, so
this figure is if anything optimistic for live. Shadow latency = the backtest's 100 ms / speed.

Like run_live.py (live/runner.py), the node moves what its start-up built out of the garbage
collector's sight once trading runs, and then collects on the timer of configs/live.json's run
section (`gc_interval_secs`, live/gc_schedule.py) instead of Python's automatic collections inside
the events (a baseline's code from before that schedule runs as it did; `live_gc_interval_secs`). Where the time goes, part by part: bench/hot_path_parts.py;
what a pause costs the code that runs after it: bench/order_path.py.

Extra keys (`backtest_p50_us`, `backtest_p99_us`): the same window in a BacktestEngine over the same
data (from the run's quoting start), where each command runs synchronously through the RiskEngine,
ExecutionEngine and the simulated venue (and the OrderSubmitted events it generates) before
`submit_order` returns — kept so nothing is hidden. It costs more per order (the whole command
path to the venue is inside), but its events run back to back on warm caches.

Configuration: the strategy, RegimeGovernor and RiskGuard settings of configs/backtest.json for
ETH (configs/live.json's ETH strategy has the same ladder fields; the backtest file is the one
with the tuned guard settings), with the governor's edge check and action rate off (see
`_add_components`). Differences in the live run, stated: the
strategy quotes from the data's start (no `quote_from_ns`), keeps its journal (live default), and
the governor's timer-driven evaluation runs on the node's wall clock, so it fires `speed` times
less often per market minute (its event handlers do run); fills come from the shadow client's queue
model, so order flow differs from the backtest's — the counts are printed and stored.

    .venv/bin/python bench/hot_path.py    (each engine in its own process; ~90 s)
    .venv/bin/python bench/hot_path.py --baseline --baseline-ref 606d5e7 --rounds 3
        (this checkout's code and the code of a git ref, alternated ABBA; medians per variant, the
        baseline's under baseline_*. This script times both: the ref's packages, from a temporary
        `git archive` of it, go first on the path (BENCH_CODE_ROOT), reading this checkout's
        catalog; default ref: main)
    .venv/bin/python bench/hot_path.py --baseline --batch-off   (the baseline is this code with the
        strategy's batch_actions off instead)
    .venv/bin/python bench/hot_path.py --baseline --baseline-ref HEAD --book-shows-own-orders --rounds 3
        (ours with the strategy's check for its own orders in the book on, as on a live client, against
        the same code with it off, as the shadow client has it: what the check costs. The shadow's book
        holds none of ours, so what the check takes out at our prices is the market's size, and the
        orders sent differ somewhat (the counts are printed). Written to
        bench/results/hot_path_own_orders.json)
    .venv/bin/python bench/hot_path.py --baseline --baseline-ref HEAD --busy-poll --rounds 3
        (ours on an event loop that polls its selector instead of sleeping between events, against
        the same code on asyncio's own loop: whether keeping the core busy keeps the caches warm for
        the next event. Written to bench/results/hot_path_busy_poll.json. The node does not run
        that way: this answers whether it should, on the machine at hand)

`machine_ref_ms` times a fixed pure-Python workload in the same run: this shared machine's speed
moves by ±50% between hours, and the µs figures move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # first: takes bench/ off sys.path
import msgspec
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import ActorConfig
from nautilus_trader.config import LiveDataClientConfig
from nautilus_trader.config import LiveDataEngineConfig
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.config import LiveRiskEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from backtest import runner as backtest_run
from backtest.runner import load_settings
from backtest.runner import parse_utc
from catalog.ingest import ensure_shipped_catalog
from catalog.shipped_data import PROJECT_ROOT
from live.node_config import RunOptions
from live.runner import freeze_startup_objects
from mm_strategy.governor import RegimeGovernor
from mm_strategy.market_maker import MarketMaker
from mm_strategy.risk_guard import RiskGuard
from shadow.config import ShadowExecClientConfig
from shadow.factory import ShadowExecClientFactory

try:
    from live.gc_schedule import schedule_of
except ImportError:  # a baseline's code from before the schedule: Python's own collection, as it ran
    schedule_of = None

F_LAST = int(RecordFlag.F_LAST)

_stamp = [0, 0, 0]  # wall, thread CPU, order actions so far
_cpu: list[int] = []
_samples: list[int] = []
_idle: list[int] = []
_decide: list[int] = []  # event → first command issued (our decision logic + actors)
_per_action: list[float] = []
_commands = [0]  # order actions inside timed events
DEFAULT_SPEED = 60.0
_first = [0]
_strategy: list[MarketMaker] = []
_BATCH = [True]  # the strategy's batch_actions; False for the baseline (`--baseline`)
_OWN_IN_BOOK = [False]  # the strategy's book_shows_own_orders (`--book-shows-own-orders`)
_BUSY_POLL = [False]  # the node's event loop polls instead of sleeping (`--busy-poll`)


class _PollingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's selector asked with a zero timeout, again and again, until something is ready
    or the timeout ends: the loop never sleeps, so nothing else runs on its core between events."""

    def select(self, timeout: float | None = None) -> list:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ready = super().select(0)
            if ready or (deadline is not None and time.monotonic() >= deadline):
                return ready


def _actions() -> int:
    return sum(_strategy[0].actions.values()) if _strategy else 0


class _StampConfig(ActorConfig, frozen=True):
    instrument_id: str


class Stamp(Actor):
    """First subscriber to the book: notes when the event reached the components."""

    def __init__(self, config: _StampConfig) -> None:
        super().__init__(config)
        self.iid = InstrumentId.from_str(config.instrument_id)

    def on_start(self) -> None:
        self.subscribe_order_book_deltas(self.iid, book_type=BookType.L2_MBP)

    def on_order_book_deltas(self, deltas) -> None:
        _first[0] = 0
        _stamp[2] = _actions()
        _stamp[1] = time.thread_time_ns()
        _stamp[0] = time.perf_counter_ns()


class TimedMarketMaker(MarketMaker):
    def submit_order(self, order, *args, **kwargs) -> None:
        self._first_command()
        super().submit_order(order, *args, **kwargs)

    def modify_order(self, order, *args, **kwargs) -> None:
        self._first_command()
        super().modify_order(order, *args, **kwargs)

    def cancel_order(self, order, *args, **kwargs) -> None:
        self._first_command()
        super().cancel_order(order, *args, **kwargs)

    def submit_order_list(self, order_list, *args, **kwargs) -> None:
        self._first_command()
        super().submit_order_list(order_list, *args, **kwargs)

    def cancel_orders(self, orders, *args, **kwargs) -> None:
        self._first_command()
        super().cancel_orders(orders, *args, **kwargs)

    def _first_command(self) -> None:
        if _first[0] == 0:
            _first[0] = time.perf_counter_ns()

    def on_order_book_deltas(self, deltas) -> None:
        super().on_order_book_deltas(deltas)
        elapsed = time.perf_counter_ns() - _stamp[0]
        cpu = time.thread_time_ns() - _stamp[1]
        if self.clock.timestamp_ns() < self.config.quote_from_ns:
            return
        sent = _actions() - _stamp[2]
        (_samples if sent else _idle).append(elapsed)
        if sent:
            _cpu.append(cpu)
            _decide.append(_first[0] - _stamp[0])
            _per_action.append(elapsed / sent)
            _commands[0] += sent


def _setup():
    settings = load_settings(PROJECT_ROOT / "configs" / "backtest.json")
    spec = settings.runs[0]
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(PROJECT_ROOT / "data" / "catalog")))
    inst = backtest_run.instrument_for_tier(catalog, spec.instrument, settings.fee_tier)
    data = backtest_run.load_data(catalog, settings, spec)
    return settings, spec, inst, data


def _add_components(add_actor, add_strategy, settings, spec, quote_from_ns: int, record_journal: bool) -> MarketMaker:
    """Stamp first (so it is the book's first subscriber), then the governor, the RiskGuard and the
    strategy, with the backtest config's settings (configs/backtest.json) for ETH."""
    add_actor(Stamp(_StampConfig(instrument_id=spec.instrument)))
    # The edge check and the action rate off (issue 16): they rightly stand the thin ETH window down
    # and hold its re-quotes, and a strategy that sends almost no commands leaves nothing to time.
    governor = {**(settings.governor or {}), "edge_check_enabled": False, "action_rate_enabled": False}
    settings = msgspec.structs.replace(settings, governor=governor)
    add_actor(RegimeGovernor(backtest_run.governor_config(settings, spec.instrument)))
    add_actor(RiskGuard(backtest_run.risk_guard_config(settings, spec.instrument)))
    cfg = backtest_run.strategy_config(settings, spec.instrument, quote_from_ns)
    cfg = msgspec.structs.replace(cfg, record_journal=record_journal, batch_actions=_BATCH[0])
    if _OWN_IN_BOOK[0]:
        cfg = msgspec.structs.replace(cfg, book_shows_own_orders=True)
    _strategy.append(TimedMarketMaker(cfg))
    add_strategy(_strategy[0])
    return _strategy[0]


def _q99(values: list[int]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float(values[0]) if values else 0.0


def _figures() -> dict:
    if not _samples:
        raise RuntimeError("no book event produced an order command")
    us = 1000.0
    return {
        "p50_us": round(statistics.median(_samples) / us, 1),
        "p99_us": round(_q99(_samples) / us, 1),
        "events_with_commands": len(_samples),
        "commands_in_timed_events": _commands[0],
        "events_without_commands": len(_idle),
        "cpu_p50_us": round(statistics.median(_cpu) / us, 1),
        "cpu_p99_us": round(_q99(_cpu) / us, 1),
        "first_command_p50_us": round(statistics.median(_decide) / us, 1),
        "first_command_p99_us": round(_q99(_decide) / us, 1),
        "per_order_action_p50_us": round(statistics.median(_per_action) / us, 1),
        "idle_events_p50_us": round(statistics.median(_idle) / us, 1) if _idle else None,
        "idle_events_p99_us": round(_q99(_idle) / us, 1) if _idle else None,
    }


def run_backtest() -> dict:
    """The same components in a BacktestEngine: every command runs synchronously to the simulated venue."""
    settings, spec, inst, data = _setup()
    engine = backtest_run.make_engine([inst], settings.latency_ms, settings.starting_usdc, log_level="OFF")
    strategy = _add_components(engine.add_actor, engine.add_strategy, settings, spec,
                               quote_from_ns=parse_utc(spec.start), record_journal=False)
    backtest_run.replay(engine, [data])
    engine.dispose()
    return {**_figures(), "actions": dict(strategy.actions)}


# ---------------------------------------------------------------------------------------------
# Live part: a TradingNode (live kernel, LiveDataEngine / LiveRiskEngine / LiveExecutionEngine)
# ---------------------------------------------------------------------------------------------


class _FeedDataClientConfig(LiveDataClientConfig, frozen=True):
    instrument_id: str = ""


class _FeedDataClient(LiveMarketDataClient):
    """The node's data client for the venue: it takes the subscriptions (nothing to connect to);
    the bench hands the capture's events to the data engine itself, as a client's `_handle_data`
    would."""

    def __init__(self, loop, client_id, venue, msgbus, cache, clock, instrument) -> None:
        super().__init__(loop=loop, client_id=client_id, venue=venue, msgbus=msgbus, cache=cache, clock=clock,
                         instrument_provider=InstrumentProvider())
        self._instrument = instrument

    async def _connect(self) -> None:
        self._handle_data(self._instrument)

    async def _disconnect(self) -> None:
        pass

    async def _subscribe(self, command) -> None:
        pass

    async def _subscribe_order_book_deltas(self, command) -> None:
        pass

    async def _subscribe_order_book_snapshots(self, command) -> None:
        pass

    async def _subscribe_quote_ticks(self, command) -> None:
        pass

    async def _subscribe_trade_ticks(self, command) -> None:
        pass

    async def _subscribe_bars(self, command) -> None:
        pass

    async def _subscribe_instrument(self, command) -> None:
        pass

    async def _unsubscribe(self, command) -> None:
        pass

    async def _unsubscribe_order_book_deltas(self, command) -> None:
        pass

    async def _unsubscribe_quote_ticks(self, command) -> None:
        pass

    async def _unsubscribe_trade_ticks(self, command) -> None:
        pass

    async def _unsubscribe_bars(self, command) -> None:
        pass


_INSTRUMENT: list = []


class _FeedDataClientFactory(LiveDataClientFactory):
    @staticmethod
    def create(loop, name, config, msgbus, cache, clock):  # type: ignore[override]
        return _FeedDataClient(loop, ClientId(name), Venue(name), msgbus, cache, clock, _INSTRUMENT[0])


def _live_events(data: list) -> list[tuple[int, str, object]]:
    """The catalog's data as a live client delivers it: book deltas grouped per exchange message
    (up to F_LAST) as one `OrderBookDeltas`, trades and quotes one by one; ordered by time."""
    out: list[tuple[int, str, object]] = []
    batch: list = []
    for item in data:
        if isinstance(item, OrderBookDelta):
            batch.append(item)
            if item.flags & F_LAST:
                out.append((item.ts_init, "book", batch))
                batch = []
        elif isinstance(item, TradeTick):
            out.append((item.ts_init, "trade", item))
        elif isinstance(item, QuoteTick):
            out.append((item.ts_init, "quote", item))
    out.sort(key=lambda e: e[0])
    return out


def _restamp(kind: str, item, ts: int):
    """The event as the live data client builds it: stamped with the node's clock on receipt."""
    if kind == "book":
        deltas = [OrderBookDelta(d.instrument_id, d.action, d.order, d.flags, d.sequence, ts, ts) for d in item]
        return OrderBookDeltas(deltas[0].instrument_id, deltas)
    if kind == "trade":
        return TradeTick(item.instrument_id, item.price, item.size, item.aggressor_side, item.trade_id, ts, ts)
    return QuoteTick(item.instrument_id, item.bid_price, item.ask_price, item.bid_size, item.ask_size, ts, ts)


def run_live(passes: int, speed: float, on_built: Callable[[TradingNode], None] | None = None,
             throttle: bool = True) -> dict:
    """Replays the ETH capture through a TradingNode's data engine, one event after the other.
    `on_built(node)` runs once the node is built, before it runs (bench/dashboard.py attaches there).
    `throttle=False` lifts the live risk engine's order-rate limits (100 submits/modifies a second),
    which a replay much faster than 60x would otherwise trip (orders DENIED, the quoting stalled)."""
    settings, spec, inst, data = _setup()
    _INSTRUMENT.append(inst)
    events = _live_events(data)
    raw_live = json.loads((PROJECT_ROOT / "configs" / "live.json").read_text())
    shadow_latency_ms = settings.latency_ms / speed  # the backtest's one-way latency, in market time
    if _BUSY_POLL[0]:
        asyncio.set_event_loop(asyncio.SelectorEventLoop(_PollingSelector()))  # the node takes the set loop
    node = TradingNode(TradingNodeConfig(
        trader_id="MM-001",
        logging=LoggingConfig(log_level="ERROR"),
        risk_engine=LiveRiskEngineConfig() if throttle else LiveRiskEngineConfig(
            max_order_submit_rate="1000000/00:00:01", max_order_modify_rate="1000000/00:00:01"),
        data_engine=LiveDataEngineConfig(**raw_live["data_engine"]),
        exec_engine=LiveExecEngineConfig(**raw_live["exec_engine"]),
        data_clients={"HYPERLIQUID": _FeedDataClientConfig(instrument_id=spec.instrument)},
        exec_clients={"HYPERLIQUID": ShadowExecClientConfig(
            latency_ms=shadow_latency_ms, instrument_ids=(spec.instrument,),
            starting_balance_usdc=settings.starting_usdc)},
    ))
    node.add_data_client_factory("HYPERLIQUID", _FeedDataClientFactory)
    node.add_exec_client_factory("HYPERLIQUID", ShadowExecClientFactory)
    strategy = _add_components(node.trader.add_actor, node.trader.add_strategy, settings, spec, quote_from_ns=0,
                               record_journal=True)
    node.build()
    if on_built is not None:
        on_built(node)
    loop = node.get_event_loop()
    kernel = node.kernel
    info: dict = {}

    async def feed() -> None:
        deadline = time.monotonic() + 60
        while not (strategy.is_running and kernel.exec_engine.check_connected() and kernel.data_engine.check_connected()):
            if time.monotonic() > deadline:
                info["error"] = "node did not start"
                await node.stop_async()
                return
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        # As run_live.py does once trading runs: what start-up built leaves the collector's sight, and
        # the collections run on the schedule of configs/live.json's run section.
        await freeze_startup_objects(node, timeout_secs=0.0)
        collections = schedule_of(msgspec.convert(raw_live.get("run", {}), RunOptions)) if schedule_of else None
        info["gc_interval_secs"] = collections.interval_secs if collections is not None else 0.0
        collecting = asyncio.create_task(collections.run()) if collections is not None else None
        clock = kernel.clock
        process = kernel.data_engine.process
        de, re_, ee = kernel.data_engine, kernel.risk_engine, kernel.exec_engine
        # Timestamps: the capture's own spacing, shifted to now (the data-driven logic — RiskGuard
        # windows, the strategy's pauses and lifetimes — sees market time as in the backtest).
        # Each pass starts with the capture's book snapshot; time runs on from the previous pass.
        topic = f"data.book.deltas.{inst.id.venue}.{inst.id.symbol.topic()}"
        info["book_subscribers"] = [str(sub.handler) for sub in kernel.msgbus.subscriptions(topic)]
        last = clock.timestamp_ns()
        wall0 = time.perf_counter_ns()
        for _ in range(passes):
            offset = max(clock.timestamp_ns(), last + 1_000_000_000) - events[0][0]
            pass_wall0 = time.perf_counter_ns()
            for ts, kind, item in events:
                # Paced at `speed` × market time: the risk engine's order-rate throttle (wall clock,
                # 100 submits/s by default) must see a realistic rate, not a flood.
                lag = pass_wall0 + (ts - events[0][0]) / speed - time.perf_counter_ns()
                if lag > 0:
                    await asyncio.sleep(lag / 1e9)
                process(_restamp(kind, item, ts + offset))
                # The next event arrives once the node has handled this one and its commands have
                # reached the execution client (queues empty), as with a live feed's spacing.
                await asyncio.sleep(0)
                while de.data_qsize() or re_.cmd_qsize() or ee.cmd_qsize() or ee.evt_qsize():
                    await asyncio.sleep(0)
                for _ in range(3):  # the client's per-command tasks
                    await asyncio.sleep(0)
            last = events[-1][0] + offset
        info["replay_secs"] = (time.perf_counter_ns() - wall0) / 1e9
        if collecting is not None:
            collecting.cancel()
            info["gc"] = collections.figures()
        await asyncio.sleep(0.2)
        info["orders_in_cache"] = len(kernel.cache.orders(strategy_id=strategy.id))
        info["guard_firings"] = {type(a).__name__: dict(getattr(a, "firings", {})) for a in node.trader.actors()}
        info["shadow_fills"] = sum(
            len(o.trade_ids) for o in kernel.cache.orders(strategy_id=strategy.id))
        info["order_status"] = dict(Counter(o.status_string() for o in kernel.cache.orders(strategy_id=strategy.id)))
        info["open_orders"] = len(kernel.cache.orders_open(strategy_id=strategy.id))
        info["risk_engine"] = type(kernel.risk_engine).__name__
        info["exec_engine"] = type(kernel.exec_engine).__name__
        info["data_engine"] = type(kernel.data_engine).__name__
        await node.stop_async()

    loop.create_task(feed())
    node.run()
    node.dispose()
    if "error" in info:
        raise RuntimeError(info["error"])
    return {**_figures(), "shadow_latency_ms": shadow_latency_ms, "events_fed": len(events) * passes, "passes": passes, "speed": speed,
            "actions": dict(strategy.actions), **info}


def _part(name: str, passes: int, speed: float, batch_off: bool = False, code_root: Path | None = None,
          own_in_book: bool = False, busy_poll: bool = False) -> dict:
    """Each measurement in its own process (one Nautilus kernel per process): this bench script,
    timing the code of this checkout or, with `code_root`, a baseline's (its packages first on the
    path: `_harness.CODE_ROOT`), so both variants are timed by the same harness and settings."""
    cmd = [sys.executable, __file__, "--part", name, "--passes", str(passes), "--speed", str(speed)]
    if batch_off:
        cmd.append("--baseline")  # the part's flag for batch_actions off
    if own_in_book:
        cmd.append("--book-shows-own-orders")
    if busy_poll:
        cmd.append("--busy-poll")
    env = os.environ | {"BENCH_CODE_ROOT": str(code_root or PROJECT_ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} part failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict) -> str:
    return (f"{label}: p50 {r['p50_us']} µs, p99 {r['p99_us']} µs over {r['events_with_commands']} events with "
            f"commands ({r['commands_in_timed_events']} order actions); events without commands "
            f"({r['events_without_commands']}): p50 {r['idle_events_p50_us']} µs, p99 {r['idle_events_p99_us']} µs; "
            f"thread CPU p50 {r['cpu_p50_us']} / p99 {r['cpu_p99_us']} µs; event → first command p50 "
            f"{r['first_command_p50_us']} µs; per order action p50 {r['per_order_action_p50_us']} µs")


def _machine_reference_ms() -> float:
    """Median time of a fixed pure-Python workload: this shared machine's speed varies by ±50%
    from hour to hour, and the µs figures above move with it; this lets two runs be compared."""
    def work() -> float:
        total = 0.0
        d: dict[int, float] = {}
        for i in range(20_000):
            d[i & 1023] = total = total + (i % 7) * 0.5
        return total

    times = []
    for _ in range(31):
        t0 = time.perf_counter_ns()
        work()
        times.append(time.perf_counter_ns() - t0)
    return round(statistics.median(times) / 1e6, 3)


def _keys(live: dict, backtest: dict) -> dict:
    """One run's figures under the result file's keys."""
    return {
        "p50_us": live["p50_us"],
        "p99_us": live["p99_us"],
        "live_events_with_commands": live["events_with_commands"],
        "live_commands_in_timed_events": live["commands_in_timed_events"],
        "live_idle_events": live["events_without_commands"],
        "live_idle_p50_us": live["idle_events_p50_us"],
        "live_idle_p99_us": live["idle_events_p99_us"],
        "live_cpu_p99_us": live["cpu_p99_us"],
        "live_first_command_p50_us": live["first_command_p50_us"],
        "live_first_command_p99_us": live["first_command_p99_us"],
        "live_per_order_action_p50_us": live["per_order_action_p50_us"],
        "live_passes": live["passes"],
        "live_replay_speed": live["speed"],
        "live_gc_interval_secs": live.get("gc_interval_secs", 0.0),
        "backtest_p50_us": backtest["p50_us"],
        "backtest_p99_us": backtest["p99_us"],
        "backtest_events_with_commands": backtest["events_with_commands"],
        "backtest_idle_p50_us": backtest["idle_events_p50_us"],
        "backtest_idle_p99_us": backtest["idle_events_p99_us"],
    }


def _rev(ref: str) -> str:
    return subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", ref],
                          capture_output=True, text=True, check=True).stdout.strip()


def _medians(runs: list[dict]) -> dict:
    return {k: round(statistics.median(r[k] for r in runs), 1) if isinstance(runs[0][k], float) else
            statistics.median(r[k] for r in runs) for k in runs[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("live", "backtest"), help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=3,
                        help="live: replays of the capture in one node (default 3: ~2,000 timed events)")
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                        help=f"live: replay pace, × market time (default {DEFAULT_SPEED:g})")
    parser.add_argument("--baseline", action="store_true",
                        help="alternate with a baseline: the code of --baseline-ref, or with --batch-off this code "
                             "with batch_actions off (with --part: batch_actions off)")
    parser.add_argument("--baseline-ref", default="main",
                        help="with --baseline: the git ref whose code is the baseline (default main)")
    parser.add_argument("--batch-off", action="store_true",
                        help="with --baseline: the baseline is this code with the strategy's batch_actions off")
    parser.add_argument("--book-shows-own-orders", action="store_true",
                        help="ours: the strategy's check for its own orders in the book on, as on a live client "
                             "(the shadow's book holds none of ours: this times the check, not its effect); "
                             "writes bench/results/hot_path_own_orders.json")
    parser.add_argument("--busy-poll", action="store_true",
                        help="ours: the node's event loop polls instead of sleeping between events; "
                             "writes bench/results/hot_path_busy_poll.json")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --baseline: pairs of runs, ours and the baseline alternated (ABBA); medians")
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be ≥ 1")
    if not args.speed > 0:
        parser.error("--speed must be positive")
    if args.rounds < 1:
        parser.error("--rounds must be ≥ 1")
    if args.busy_poll and args.book_shows_own_orders:
        parser.error("--busy-poll and --book-shows-own-orders each compare one thing: one at a time")
    if args.part:
        _BATCH[0] = not args.baseline
        _OWN_IN_BOOK[0] = args.book_shows_own_orders
        _BUSY_POLL[0] = args.busy_poll
        result = run_live(args.passes, args.speed) if args.part == "live" else run_backtest()
        print(json.dumps(result))
        return 0
    with ExitStack() as stack:
        baseline_root = PROJECT_ROOT
        if args.baseline and not args.batch_off:
            baseline_root = stack.enter_context(_harness.checkout_of(args.baseline_ref))
        return _compare(args, argv, baseline_root)


def _compare(args: argparse.Namespace, argv: list[str] | None, baseline_root: Path) -> int:
    variants = [False, True] if args.baseline else [False]  # is_baseline
    runs: dict[bool, list[dict]] = {False: [], True: []}
    load_before = _harness.machine_load()
    baseline_label = "baseline (batch_actions off)" if args.batch_off else f"baseline ({args.baseline_ref})"
    for r in range(args.rounds):
        for is_baseline in variants if r % 2 == 0 else list(reversed(variants)):
            root = baseline_root if is_baseline else PROJECT_ROOT
            batch_off = is_baseline and args.batch_off
            own_in_book = args.book_shows_own_orders and not is_baseline
            live = _part("live", args.passes, args.speed, batch_off, root, own_in_book,
                         busy_poll=args.busy_poll and not is_baseline)
            backtest = _part("backtest", args.passes, args.speed, batch_off, root, own_in_book)
            runs[is_baseline].append(_keys(live, backtest))
            label = baseline_label if is_baseline else "ours"
            print(f"round {r + 1}, {label}:")
            print("  " + _line(f"LIVE kernel ({live['risk_engine']}, {live['exec_engine']}, shadow client; replay "
                               f"{live['replay_secs']:.1f} s)", live) + f"; actions {live['actions']}"
                  + (f"; collections on a {live['gc_interval_secs']:g} s timer: {live['gc']}" if "gc" in live else
                     "; Python's automatic collection"))
            print("  " + _line("BACKTEST engine (commands synchronous through the simulated venue)", backtest)
                  + f"; actions {backtest['actions']}")
    print("targets: p99_us ≤ 500, live_first_command_p99_us ≤ 250 (the live figures)")
    result = _medians(runs[False])
    if runs[True]:
        result |= {f"baseline_{k}": v for k, v in _medians(runs[True]).items()}
        result["baseline"] = "batch_actions off" if args.batch_off else f"git {args.baseline_ref} ({_rev(args.baseline_ref)})"
    result |= {
        "book_shows_own_orders": args.book_shows_own_orders,
        "busy_poll": args.busy_poll,
        "rounds": args.rounds,
        "machine_ref_ms": _machine_reference_ms(),
        "machine_load_before": load_before,
        "machine_load_after": _harness.machine_load(),
        "command": " ".join([".venv/bin/python bench/hot_path.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    name = ("hot_path_own_orders" if args.book_shows_own_orders else
            "hot_path_busy_poll" if args.busy_poll else "hot_path")
    _harness.write_results(name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
