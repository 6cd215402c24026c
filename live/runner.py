"""One run of the node: start-up checks and sweep, build and run, watch, graceful stop, exit code.

A run ends on SIGINT/SIGTERM (at any moment, start-up included), after `--run-secs`, or on a fault
(`live.health`): in every case the strategies stop (cancelling their orders), the node stops, and
the exchange is swept once more. `main` returns an `ExitCode` and prints one `error:` line when the
run did not end cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode

from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.execution.tasks import stop_task
from adapters.hyperliquid.http.errors import REST_ERRORS
from cli_types import check_writable_dir as writable_dir
from cli_types import check_writable_file as writable_file
from dashboard.server import DashboardServer
from dashboard.server import serve as serve_dashboard
from live.cache_watch import CacheWatch
from live.cli import parse_args
from live.errors import ConfigError
from live.errors import ExitCode
from live.errors import StartupError
from live.factories import register_factories
from live.gc_schedule import CollectionSchedule
from live.gc_schedule import schedule_of
from live.health import FaultLatch
from live.health import StartDeadlines
from live.health import trip_on_trading_refused
from live.health import trip_when_no_instrument_trades
from live.health import watch_node
from live.instance_lock import InstanceLocks
from live.logs import log
from live.node_config import RunOptions
from live.node_config import hl_exec_configs
from live.node_config import prepare
from live.node_config import project_path
from live.preflight import cache_url
from live.preflight import preflight
from live.preflight import quoted_coins
from live.preflight import redis_answers
from live.shadow_report import write_report
from live.shutdown import Leftovers
from live.shutdown import final_exchange_check
from live.shutdown import install_stop_signals
from live.shutdown import open_positions
from live.shutdown import wind_down
from live.status import StatusBoard
from live.status import show_status
from live.sweep import settle_swept_orders
from live.sweep import sweep_leftover_orders
from screener_link.redis_target import redact_url

_EXCHANGE_ERRORS = (*REST_ERRORS, ActionFailed, OSError, asyncio.TimeoutError)


class StoppedDuringStartup(Exception):
    """A signal arrived before the node was built: nothing to wind down."""


async def freeze_startup_objects(
    node: TradingNode, timeout_secs: float, collections: CollectionSchedule | None = None,
) -> None:
    """Once trading runs, move everything built at start-up out of the garbage collector's sight:
    later collections then scan only new objects, which shortens their pauses on the hot path.
    With `collections`, the collections then run on its timer, until this task is cancelled."""
    deadline = time.monotonic() + timeout_secs
    while not node.trader.is_running and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    gc.collect()
    gc.freeze()
    if collections is not None:
        await collections.run()


async def unless_stopped[T](work: Awaitable[T], stop: asyncio.Event) -> T:
    """`work`'s result, or `StoppedDuringStartup` (with `work` cancelled) if `stop` is set first."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        stopped.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    raise StoppedDuringStartup


async def start_up(
    config: TradingNodeConfig, exec_configs: list[HyperliquidExecClientConfig], options: RunOptions, keep_orders: bool
) -> set[str]:
    """The start-up checks, then the sweep of orders an earlier run left; returns the swept oids."""
    log.info("start-up checks: the keys, Redis, the exchange's coins")
    await preflight(config, exec_configs)
    if not exec_configs or not options.sweep_on_start or keep_orders:
        return set()
    try:
        return await sweep_leftover_orders(exec_configs, options.own_coins_only)
    except _EXCHANGE_ERRORS as exc:
        raise StartupError(f"the exchange could not be reached for the start-up sweep ({exc}); nothing was sent") from None


@dataclass(frozen=True)
class BuiltNode:
    """The node `main` disposes of once the run is over, and its Redis cache (None without one)."""

    node: TradingNode
    cache_url: str | None


def build_node(
    config: TradingNodeConfig, factories: dict[str, dict[str, type]], holder: list[BuiltNode], cache_db: str | None,
) -> TradingNode:
    node = TradingNode(config=config, loop=asyncio.get_running_loop())
    holder.append(BuiltNode(node, cache_db))
    register_factories(node, factories)
    node.build()
    return node


async def first_of(*waits: Awaitable[object]) -> None:
    """Return when the first of `waits` completes (the others are cancelled)."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()


def ending(fault: str | None, orders_left: Leftovers, config_error: bool = False) -> tuple[ExitCode, str | None]:
    """The exit code of a run and its one error line (None for a clean stop). `config_error`: the
    fault is a setting to fix (exit 2: a supervisor does not restart it)."""
    parts = [f"stopped: {fault}"] if fault else []
    if orders_left:
        parts.append(orders_left.describe())
    if orders_left:
        return ExitCode.ORDERS_LEFT, "; ".join(parts)
    if fault:
        return (ExitCode.CONFIG if config_error else ExitCode.FAULT), parts[0]
    return ExitCode.CLEAN, None


async def run(args: argparse.Namespace, holder: list[BuiltNode]) -> int:
    """Run until a signal, `--run-secs` or a fault, then wind down; the node is left in `holder` for disposal."""
    locks = InstanceLocks()
    try:
        return await _run(args, holder, locks)
    finally:
        locks.release()


async def _run(args: argparse.Namespace, holder: list[BuiltNode], locks: InstanceLocks) -> int:
    config, options, factories = prepare(args)  # also settles args.mode
    state_file = check_outputs(args, options)
    exec_configs = hl_exec_configs(config) if args.mode == "live" else []
    loop = asyncio.get_running_loop()
    stop = install_stop_signals(loop)
    # Before the sweep, which would cancel another node's orders; one lock per account, however
    # many of its clients there are.
    for account in sorted({(c.account_address or "").lower() for c in exec_configs}):
        locks.acquire(account, quoted_coins(config))
    try:
        swept = await unless_stopped(start_up(config, exec_configs, options, args.keep_orders), stop)
    except StoppedDuringStartup:
        log.warning("stopped during the start-up checks; nothing was placed")
        return ExitCode.CLEAN
    cache_db = cache_url(config)
    node = build_node(config, factories, holder, cache_db)
    install_stop_signals(loop, stop)  # the TradingNode put its own handlers in place: ours wind down first
    latch = FaultLatch()
    trip_on_trading_refused(node, latch)
    trip_when_no_instrument_trades(node, latch)
    collections = schedule_of(options)
    cache_watch = CacheWatch(cache_db) if cache_db is not None else None
    board = StatusBoard(node, collections, cache_watch)
    dashboard = await start_dashboard(node, args)
    started_ns, started = time.time_ns(), time.monotonic()
    run_task = asyncio.create_task(node.run_async())
    start_wait = config.timeout_connection + config.timeout_reconciliation
    helpers = [
        asyncio.create_task(freeze_startup_objects(node, start_wait, collections)),
        asyncio.create_task(watch_node(node, run_task, StartDeadlines.of(config), latch)),
        asyncio.create_task(settle_swept_orders(node, swept, start_wait)) if swept else None,
        asyncio.create_task(cache_watch.run()) if cache_watch is not None else None,
    ]
    status_task = asyncio.create_task(
        show_status(board, options.status_interval_secs, sys.stderr.isatty() and not args.no_status, state_file)
    )
    await first_of(stop.wait(), latch.wait(), *([asyncio.sleep(args.run_secs)] if args.run_secs else []))
    for task in helpers:
        await stop_task(task)
    if latch.reason is not None:
        log.error(f"stopping on a fault: {latch.reason}")
    left = await shut_down(node, run_task, exec_configs, options, dashboard)
    held = open_positions(node)
    if held is not None:
        log.warning(f"positions left open (a stop cancels orders, it does not close positions): {held}")
    await stop_task(status_task)
    if state_file is not None:
        board.write(state_file)
    if args.mode == "shadow":
        write_report(node, config, args.report_dir or str(project_path(options.report_dir)), started_ns, started)
    code, line = ending(latch.reason, left, latch.is_config_error)
    if line is not None:
        print(f"error: {line}", file=sys.stderr)
    return code


async def shut_down(
    node: TradingNode,
    run_task: asyncio.Task,
    exec_configs: list[HyperliquidExecClientConfig],
    options: RunOptions,
    dashboard: DashboardServer | None,
) -> Leftovers:
    """Cancel everything, stop the dashboard and the node, sweep the exchange; returns the orders left
    open (live: the exchange's count, unless the node never connected to it and so cannot have placed any)."""
    log.warning("shutting down: cancelling all orders")
    connected = node.kernel.exec_engine.check_connected()
    in_cache = await wind_down(node, options.shutdown_timeout_secs)
    if in_cache:
        log.error(f"{in_cache} orders still open or in flight in the cache after {options.shutdown_timeout_secs} s")
    left = Leftovers(orders=in_cache)
    if dashboard is not None:
        await dashboard.stop()
    await node.stop_async()
    if exec_configs:
        left = (
            await final_exchange_check(exec_configs, options.shutdown_timeout_secs, options.own_coins_only)
            if connected else Leftovers()
        )
    if not connected:
        run_task.cancel()  # still inside Nautilus's wait for the connection: nothing left to run
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(run_task, 5.0)
    return left


def check_outputs(args: argparse.Namespace, options: RunOptions) -> Path | None:
    """Where the run writes at its end, checked now: a bad path must not surface after the run."""
    state_file = Path(args.state_file) if args.state_file else None
    if state_file is not None:
        check_writable_file(state_file, "--state-file")
    if args.mode == "shadow":
        check_writable_dir(Path(args.report_dir) if args.report_dir else project_path(options.report_dir), "report dir")
    return state_file


async def start_dashboard(node: TradingNode, args: argparse.Namespace) -> DashboardServer | None:
    """`--dashboard`: the read-only page, started before the node runs so that it hears every bus message."""
    if args.dashboard is None:
        return None
    try:
        server = await serve_dashboard(node, args.dashboard, args.mode)
    except OSError as exc:
        raise ConfigError(f"--dashboard {args.dashboard.host}:{args.dashboard.port}: {exc.strerror or exc}") from None
    log.info(f"dashboard (read-only) on {server.url}")
    return server


def check_writable_file(path: Path, what: str) -> None:
    # The status board writes into an existing folder (it creates none), so the folder must be there.
    if not path.is_dir() and not path.parent.is_dir():
        raise ConfigError(f"{what} {path}: folder {path.parent} does not exist")
    try:
        writable_file(path, what)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def check_writable_dir(path: Path, what: str) -> None:
    try:
        writable_dir(path, what)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    holder: list[BuiltNode] = []
    code: int = ExitCode.FAULT
    try:
        code = loop.run_until_complete(run(args, holder))
    except (ConfigError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = ExitCode.CONFIG
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = ExitCode.FAULT
    finally:
        if holder:
            dispose_or_exit(holder[0], code)  # closes the loop
        elif not loop.is_closed():
            loop.close()
    return code


def dispose_or_exit(built: BuiltNode, code: int) -> None:
    """Dispose of the node, unless its Redis cache is away: Nautilus closes the cache last and waits
    for its last writes without end (holding the interpreter). Every order is cancelled and the
    exchange swept by then: the process says so and exits with `code`, without those writes; a
    restart reconciles from the exchange."""
    url = built.cache_url
    if url is None or redis_answers(url):
        built.node.dispose()
        return
    print(f"error: the Redis cache {redact_url(url)} does not answer: exiting without the node's last writes to it "
          "(nothing is open on the exchange; a restart reconciles from it)", file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.3)  # Nautilus's log lines reach the file from its own thread
    os._exit(code)
