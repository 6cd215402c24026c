"""One run of the node: start-up sweep, build and run, status, graceful stop, shadow report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from pathlib import Path

from nautilus_trader.live.node import TradingNode

from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.http.errors import REST_ERRORS
from cli_types import check_writable_dir as writable_dir
from dashboard.server import DashboardServer
from dashboard.server import serve as serve_dashboard
from live.cli import parse_args
from live.errors import ConfigError
from live.errors import StartupError
from live.factories import register_factories
from live.logs import log
from live.node_config import hl_exec_configs
from live.node_config import prepare
from live.preflight import preflight
from live.shadow_report import write_report
from live.shutdown import final_exchange_check
from live.shutdown import install_stop_signals
from live.shutdown import wind_down
from live.status import StatusBoard
from live.status import show_status
from live.sweep import settle_swept_orders
from live.sweep import sweep_leftover_orders


async def freeze_startup_objects(node: TradingNode, timeout_secs: float) -> None:
    """Once trading runs, move everything built at start-up out of the garbage collector's sight:
    later collections then scan only new objects, which shortens their pauses on the hot path."""
    import gc

    deadline = time.monotonic() + timeout_secs
    while not node.trader.is_running and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    gc.collect()
    gc.freeze()


async def run(args: argparse.Namespace, holder: list[TradingNode]) -> int:
    """Run until a signal (or `--run-secs`), then wind down; the node is left in `holder` for disposal."""
    config, options, factories = prepare(args)  # also settles args.mode
    # Where the run writes at its end, checked now: a bad path must not surface after the run.
    state_file = Path(args.state_file) if args.state_file else None
    if state_file is not None:
        check_writable_file(state_file, "--state-file")
    if args.mode == "shadow":
        check_writable_dir(Path(args.report_dir or options.report_dir), "report dir")
    exec_configs = hl_exec_configs(config) if args.mode == "live" else []
    await preflight(config, exec_configs)
    swept: set[str] = set()
    if exec_configs and options.sweep_on_start and not args.keep_orders:
        try:
            swept = await sweep_leftover_orders(exec_configs)
        except _EXCHANGE_ERRORS as exc:
            raise StartupError(f"the exchange could not be reached for the start-up sweep ({exc}); nothing was sent") from None

    loop = asyncio.get_running_loop()
    node = TradingNode(config=config, loop=loop)
    holder.append(node)
    register_factories(node, factories)
    node.build()
    stop = install_stop_signals(loop)
    board = StatusBoard(node)
    dashboard = await start_dashboard(node, args)
    started_ns = time.time_ns()
    started = time.monotonic()
    run_task = asyncio.create_task(node.run_async())
    freeze_task = asyncio.create_task(freeze_startup_objects(node, config.timeout_connection))
    status_task = asyncio.create_task(
        show_status(
            board, options.status_interval_secs, sys.stderr.isatty() and not args.no_status, state_file
        )
    )
    settle_task = (
        asyncio.create_task(settle_swept_orders(node, swept, config.timeout_connection + config.timeout_reconciliation))
        if swept
        else None
    )
    waiters = [asyncio.create_task(stop.wait()), run_task]
    if args.run_secs:
        waiters.append(asyncio.create_task(asyncio.sleep(args.run_secs)))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for task in (settle_task, freeze_task):
        if task is not None and not task.done():
            task.cancel()
    log.warning("shutting down: cancelling all orders")
    left = await wind_down(node, options.shutdown_timeout_secs)
    if left:
        log.error(f"{left} orders still open or in flight in the cache after {options.shutdown_timeout_secs} s")
    status_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await status_task
    if dashboard is not None:
        await dashboard.stop()
    await node.stop_async()
    if exec_configs:
        left = await final_exchange_check(exec_configs)  # live: the exchange, not the cache, decides
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(run_task, 5.0)
    if state_file is not None:
        board.write(state_file)
    if args.mode == "shadow":
        write_report(node, config, args.report_dir or options.report_dir, started_ns, started)
    return 0 if not left else 1


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


_EXCHANGE_ERRORS = (*REST_ERRORS, ActionFailed, OSError, asyncio.TimeoutError)


def check_writable_file(path: Path, what: str) -> None:
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder")
    if not path.parent.is_dir():
        raise ConfigError(f"{what} {path}: folder {path.parent} does not exist")


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
    holder: list[TradingNode] = []
    try:
        return loop.run_until_complete(run(args, holder))
    except (ConfigError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if holder:
            holder[0].dispose()  # closes the loop
        elif not loop.is_closed():
            loop.close()
