"""Run the market maker as a Nautilus TradingNode, live on Hyperliquid or in shadow mode.

    python run_live.py --config configs/live.json [--mode live|shadow] [--network mainnet|testnet|URL]

The config is a TradingNode JSON config (the screener writes the same shape to
`configs/live.generated.json`): our data/exec client factories, one MarketMaker per asset, the
RegimeGovernor and the RiskGuard. Two optional top-level sections are read here and removed
before Nautilus parses the rest: `"shadow"` (ShadowExecClientConfig fields) and `"run"`
(`shutdown_timeout_secs`, `sweep_on_start`, `redis_cache_url`, `report_dir`).

- Keys: the agent key comes from the environment (`HYPERLIQUID_AGENT_KEY`, or the exec config's
  `agent_key_env`) or `--key-file`; never from the config. The account address from the config or
  `--account` / `HYPERLIQUID_ACCOUNT`.
- Start-up (live): orders still resting from an earlier run (a crash, a kill -9) are cancelled on the
  exchange first, then the node reconciles (Nautilus mass status), and only then do strategies quote.
- SIGINT/SIGTERM: strategies stop (each cancels its orders), the node waits until no order is
  open or in flight (the cancels were acknowledged), sweeps the exchange once more, then exits.
- `--redis-cache [URL]`: Nautilus's cache in Redis, so a restart keeps orders and positions.
- Shadow mode: the same node with `mm_strategy.shadow` as execution client (nothing is sent);
  on exit it writes the backtest report for the run.
- A status table (rich) on a terminal; a periodic status line in the log otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import msgspec
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from rich.console import Console
from rich.live import Live
from rich.table import Table

from adapters.hyperliquid.config import DEFAULT_AGENT_KEY_ENV
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.constants import NETWORK_REST_URLS
from adapters.hyperliquid.credentials import load_agent_key
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.instruments import meta_universe
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import cancel_action
from mm_strategy import messages as mm_msg

log = logging.getLogger("run_live")

VENUE = "HYPERLIQUID"
ACCOUNT_ENV = "HYPERLIQUID_ACCOUNT"
HL_CONFIG_PREFIX = "adapters.hyperliquid.config:"
SHADOW_CONFIG_PATH = "mm_strategy.shadow.config:ShadowExecClientConfig"
SHADOW_FACTORY_PATH = "mm_strategy.shadow.factory:ShadowExecClientFactory"
STRATEGY_PATH = "mm_strategy.market_maker:MarketMaker"


class RunOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The `"run"` section: how this script runs the node (not Nautilus settings)."""

    mode: str = "live"  # the default when --mode is not given
    shutdown_timeout_secs: float = 10.0
    sweep_on_start: bool = True
    redis_cache_url: str | None = None
    report_dir: str = "reports/shadow"
    status_interval_secs: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in ("live", "shadow"):
            raise ValueError(f"run.mode must be live or shadow, got {self.mode!r}")
        if not self.shutdown_timeout_secs > 0 or not self.status_interval_secs > 0:
            raise ValueError("run.shutdown_timeout_secs and run.status_interval_secs must be positive")
        if self.redis_cache_url is not None and not self.redis_cache_url.startswith("redis://"):
            raise ValueError(f"run.redis_cache_url must be redis://host:port, got {self.redis_cache_url!r}")


class ConfigError(ValueError):
    """The node config or the command line is not usable (the message says why)."""


# -- the config ------------------------------------------------------------------------------------


def load_raw_config(path: str | Path) -> dict[str, Any]:
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a TradingNode config must be a JSON object")
    for key in ("data_clients", "strategies"):
        if not raw.get(key):
            raise ConfigError(f"{path}: '{key}' is missing or empty")
    for strategy in raw["strategies"]:
        if not isinstance(strategy, dict) or "instrument_id" not in strategy.get("config", {}):
            raise ConfigError(f"{path}: every strategy needs a config with an instrument_id")
    return raw


def strategy_instrument_ids(raw: dict[str, Any]) -> list[str]:
    return [s["config"]["instrument_id"] for s in raw["strategies"] if s.get("strategy_path") == STRATEGY_PATH]


def _hl_client_configs(section: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for spec in section.values():
        if isinstance(spec, dict) and str(spec.get("path", "")).startswith(HL_CONFIG_PREFIX):
            yield spec.setdefault("config", {})


def apply_network(raw: dict[str, Any], network: str) -> None:
    """`mainnet`/`testnet` select the preset urls; an http(s) url points every client at it (e.g. hlsim)."""
    clients = [*_hl_client_configs(raw.get("data_clients", {})), *_hl_client_configs(raw.get("exec_clients", {}))]
    if network in NETWORK_REST_URLS:
        for cfg in clients:
            cfg["network"] = network
            for key in ("base_url", "ws_url", "backup_base_urls", "is_mainnet"):
                cfg.pop(key, None)
    elif network.startswith(("http://", "https://")):
        for cfg in clients:
            cfg["base_url"] = network.rstrip("/")
            cfg.pop("ws_url", None)
    else:
        raise ConfigError(f"--network must be mainnet, testnet or an http(s):// url, got {network!r}")


def apply_backups(raw: dict[str, Any], backups: list[str]) -> None:
    for url in backups:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--backup-url must be an http(s):// url, got {url!r}")
    for cfg in [*_hl_client_configs(raw.get("data_clients", {})), *_hl_client_configs(raw.get("exec_clients", {}))]:
        cfg["backup_base_urls"] = [*cfg.get("backup_base_urls", []), *backups]


def apply_shadow(raw: dict[str, Any], shadow: dict[str, Any]) -> None:
    """Replace the execution clients by the shadow client (it needs no key and sends nothing)."""
    config = {"instrument_ids": strategy_instrument_ids(raw), **shadow}
    raw["exec_clients"] = {VENUE: {"path": SHADOW_CONFIG_PATH, "factory": {"path": SHADOW_FACTORY_PATH}, "config": config}}


def apply_credentials(raw: dict[str, Any], account: str | None, key_file: str | None) -> None:
    for cfg in _hl_client_configs(raw.get("exec_clients", {})):
        if account:
            cfg["account_address"] = account
        if key_file:
            cfg["key_file"] = str(Path(key_file).expanduser())
        if not cfg.get("account_address"):
            raise ConfigError(f"no account address: put it in the exec client config, pass --account or set {ACCOUNT_ENV}")


def apply_redis_cache(raw: dict[str, Any], url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme != "redis" or not parsed.hostname:
        raise ConfigError(f"redis cache url must be redis://host:port, got {url!r}")
    database = {"type": "redis", "host": parsed.hostname, "port": parsed.port or 6379}
    cache = raw.setdefault("cache", {})
    cache["database"] = database
    # Write-through: a kill -9 must not lose the last order events.
    cache.setdefault("buffer_interval_ms", None)
    cache.setdefault("flush_on_start", False)


def take_factories(raw: dict[str, Any]) -> dict[str, dict[str, type]]:
    """Remove the clients' `factory` paths and resolve them to classes, for `TradingNode.add_*_factory`.

    Nautilus 1.231 builds an exec client's importable factory as an *instance*
    (`ImportableFactoryConfig.create()` returns `cls()`) and `TradingNodeBuilder.build_exec_clients`
    then reads `factory.__name__`: AttributeError for any factory class that does not define
    `__name__` as a class attribute. The Hyperliquid factories do (a bare TradingNode builds them
    from the screener's config); the shadow exec factory and Nautilus's own do not, so factories
    are registered by class here.
    """
    from nautilus_trader.common.config import resolve_path

    out: dict[str, dict[str, type]] = {"data_clients": {}, "exec_clients": {}}
    for section, factories in out.items():
        for name, spec in raw.get(section, {}).items():
            if not isinstance(spec, dict) or "factory" not in spec:
                continue
            factory = spec.pop("factory")
            path = factory.get("path") if isinstance(factory, dict) else None
            if not isinstance(path, str):
                raise ConfigError(f"{section}.{name}.factory must be {{'path': 'module:Class'}}")
            try:
                factories[name] = resolve_path(path)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ConfigError(f"{section}.{name}: cannot import factory {path!r} ({exc})") from None
    return out


def node_config(raw: dict[str, Any], log_level: str) -> TradingNodeConfig:
    raw.setdefault("environment", "live")
    raw.setdefault("trader_id", "MM-001")
    raw.setdefault("timeout_post_stop", 1.0)
    raw.setdefault("timeout_disconnection", 5.0)
    raw.setdefault("timeout_connection", 30.0)
    raw.setdefault("timeout_reconciliation", 30.0)
    logging_cfg = raw.setdefault("logging", {})
    logging_cfg.setdefault("log_level", log_level)
    try:
        return TradingNodeConfig.parse(json.dumps(raw))
    except (msgspec.ValidationError, msgspec.DecodeError, TypeError, ValueError) as exc:
        raise ConfigError(f"invalid TradingNode config: {exc}") from None


def prepare(args: argparse.Namespace) -> tuple[TradingNodeConfig, RunOptions, dict[str, dict[str, type]]]:
    """The node config after the command line's overrides; also the run options and the client factories."""
    raw = load_raw_config(args.config)
    try:
        options = msgspec.convert(raw.pop("run", {}), RunOptions)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(f"'run' section: {exc}") from None
    shadow = raw.pop("shadow", {})
    if not isinstance(shadow, dict):
        raise ConfigError("'shadow' section must be an object")
    if args.network:
        apply_network(raw, args.network)
    if args.backup_url:
        apply_backups(raw, args.backup_url)
    args.mode = args.mode or options.mode
    if args.mode == "shadow":
        if args.shadow_latency_ms is not None:
            shadow = {**shadow, "latency_ms": args.shadow_latency_ms}
        apply_shadow(raw, shadow)
    else:
        if not raw.get("exec_clients"):
            raise ConfigError("live mode needs 'exec_clients' (or run with --mode shadow)")
        apply_credentials(raw, args.account or os.environ.get(ACCOUNT_ENV), args.key_file)
    redis_url = args.redis_cache or options.redis_cache_url
    if redis_url:
        apply_redis_cache(raw, redis_url)
    factories = take_factories(raw)
    return node_config(raw, args.log_level), options, factories


def hl_exec_configs(config: TradingNodeConfig) -> list[HyperliquidExecClientConfig]:
    out = []
    for spec in config.exec_clients.values():
        cfg = spec.create() if hasattr(spec, "create") else spec
        if isinstance(cfg, HyperliquidExecClientConfig):
            out.append(cfg)
    return out


# -- start-up sweep ----------------------------------------------------------------------------------


async def exchange_open_orders(config: HyperliquidExecClientConfig) -> list[dict[str, Any]]:
    """The account's open orders as the exchange lists them (REST, with the backups)."""
    assert config.account_address is not None
    http = HyperliquidHttpClient(resolve_endpoints(config).rest_urls, timeout_secs=config.http_timeout_secs)
    try:
        orders = json.loads(await http.info({"type": "openOrders", "user": config.account_address.lower()}))
    finally:
        await http.close()
    if not isinstance(orders, list):
        raise ValueError(f"unexpected openOrders reply: {str(orders)[:200]}")
    return orders


async def sweep_open_orders(config: HyperliquidExecClientConfig) -> list[str]:
    """Cancel every order the exchange lists for the account (left by an earlier run); returns their oids.

    Goes over REST with the exec client's endpoints (backups included), signed with the agent key.
    """
    assert config.account_address is not None
    endpoints = resolve_endpoints(config)
    http = HyperliquidHttpClient(endpoints.rest_urls, timeout_secs=config.http_timeout_secs)
    try:
        address = config.account_address.lower()
        open_orders = json.loads(await http.info({"type": "openOrders", "user": address}))
        if not open_orders:
            return []
        assets = {asset["name"]: i for i, asset in enumerate(meta_universe(await http.info({"type": "meta"})))}
        cancels = [(assets[o["coin"]], int(o["oid"])) for o in open_orders if o.get("coin") in assets]
        if not cancels:
            return []
        signer = L1Signer(load_agent_key(config.agent_key_env, config.key_file).reveal())
        action = cancel_action(cancels)
        nonce = time.time_ns() // 1_000_000
        body = {
            "action": action,
            "nonce": nonce,
            "signature": signer.sign_action(action, nonce, is_mainnet=endpoints.is_mainnet),
            "vaultAddress": None,
            "expiresAfter": None,
        }
        reply = json.loads(await http.exchange(body))
        if reply.get("status") != "ok":
            raise RuntimeError(f"start-up cancel refused: {reply}")
        statuses = reply["response"]["data"]["statuses"]
        return [str(oid) for (_, oid), status in zip(cancels, statuses, strict=True) if status == "success"]
    finally:
        await http.close()


# -- status ------------------------------------------------------------------------------------------


class StatusBoard:
    """Quotes, inventory, PnL and guard states of a running node, as a rich table or a log line."""

    def __init__(self, node: TradingNode) -> None:
        self.node = node
        self.guards: dict[str, str] = {}
        self.guard_counts: dict[str, int] = {}
        self.halted: str | None = None
        self.screener_stale = False
        node.kernel.msgbus.subscribe(mm_msg.TOPIC_GUARD, self._on_guard)
        node.kernel.msgbus.subscribe(mm_msg.TOPIC_CONTROL_ALL, self._on_control)
        node.kernel.msgbus.subscribe(mm_msg.control_topic("*"), self._on_control)

    def _on_guard(self, event: mm_msg.GuardEvent) -> None:
        key = f"{event.source}.{event.guard}"
        self.guards[key] = event.reason
        self.guard_counts[key] = self.guard_counts.get(key, 0) + 1

    def _on_control(self, message: object) -> None:
        if isinstance(message, mm_msg.Halt):
            self.halted = f"{message.source}: {message.reason}"
        elif isinstance(message, mm_msg.Resume) and self.halted and self.halted.startswith(f"{message.source}:"):
            self.halted = None
        elif isinstance(message, mm_msg.SpreadAdjust) and message.source == "screener":
            self.screener_stale = message.reason == "screener feed stale"

    def snapshot(self) -> dict[str, Any]:
        """Everything an operator (or a test) checks: fills, open orders, positions, guards."""
        cache = self.node.cache
        venue = Venue(VENUE)
        fills = []
        for order in cache.orders(venue=venue):
            for event in order.events:
                if type(event).__name__ == "OrderFilled":
                    fills.append(
                        {
                            "trade_id": event.trade_id.value,
                            "venue_order_id": event.venue_order_id.value if event.venue_order_id else None,
                            "client_order_id": event.client_order_id.value,
                            "instrument": event.instrument_id.value,
                            "side": event.order_side.name,
                            "px": str(event.last_px),
                            "qty": str(event.last_qty),
                            "liquidity": event.liquidity_side.name,
                            "ts_event": event.ts_event,
                        }
                    )
        open_orders = [
            {
                "client_order_id": o.client_order_id.value,
                "venue_order_id": o.venue_order_id.value if o.venue_order_id else None,
                "instrument": o.instrument_id.value,
                "side": o.side.name,
                "px": str(o.price),
                "qty": str(o.leaves_qty),
                "status": o.status.name,
            }
            for o in cache.orders_open(venue=venue)
        ]
        orders = cache.orders(venue=venue)
        return {
            "ts_ns": time.time_ns(),
            "first_order_ns": min((o.ts_init for o in orders), default=None),
            "running": self.node.trader.is_running,
            "fills": fills,
            "open_orders": open_orders,
            "orders_outstanding": orders_outstanding(self.node),
            "instruments": self.rows(),
            "guards": dict(self.guards),
            "guard_counts": dict(self.guard_counts),
            "halted": self.halted,
            "screener_stale": self.screener_stale,
        }

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.snapshot(), default=str))
        os.replace(tmp, path)  # readers never see half a file

    def rows(self) -> list[dict[str, Any]]:
        cache = self.node.cache
        portfolio = self.node.portfolio
        out = []
        for strategy in self.node.trader.strategies():
            iid = getattr(strategy, "instrument_id", None)
            if not isinstance(iid, InstrumentId):
                continue
            orders = cache.orders_open(instrument_id=iid)
            bids = sorted((float(o.price) for o in orders if o.side.name == "BUY"), reverse=True)
            asks = sorted(float(o.price) for o in orders if o.side.name == "SELL")
            realized = portfolio.realized_pnl(iid)
            unrealized = portfolio.unrealized_pnl(iid)
            out.append(
                {
                    "instrument": str(iid.symbol),
                    "bids": bids,
                    "asks": asks,
                    "position": float(portfolio.net_position(iid)),
                    "realized": float(realized) if realized is not None else 0.0,
                    "unrealized": float(unrealized) if unrealized is not None else 0.0,
                    "state": str(strategy.state.name),
                }
            )
        return out

    def table(self) -> Table:
        table = Table(title="market maker", expand=False)
        for column in ("instrument", "bids", "asks", "position", "realized", "unrealized", "state"):
            table.add_column(column)
        for row in self.rows():
            table.add_row(
                row["instrument"],
                " ".join(f"{p:g}" for p in row["bids"]) or "-",
                " ".join(f"{p:g}" for p in row["asks"]) or "-",
                f"{row['position']:g}",
                f"{row['realized']:+.4f}",
                f"{row['unrealized']:+.4f}",
                row["state"],
            )
        guards = "; ".join(f"{k}: {v}" for k, v in sorted(self.guards.items())[-4:]) or "none"
        table.caption = f"halt: {self.halted or 'no'} | last guards: {guards}"
        return table

    def line(self) -> str:
        parts = [
            f"{r['instrument']} bids={len(r['bids'])} asks={len(r['asks'])} pos={r['position']:g} "
            f"pnl={r['realized'] + r['unrealized']:+.4f}"
            for r in self.rows()
        ]
        return "status: " + " | ".join(parts) + f" | halt={self.halted or 'no'}"


async def show_status(board: StatusBoard, interval: float, use_table: bool, state_file: Path | None) -> None:
    next_line = time.monotonic() + 10.0
    with contextlib.ExitStack() as stack:
        live = None
        if use_table:
            live = stack.enter_context(Live(board.table(), console=Console(stderr=True), refresh_per_second=4))
        while True:
            await asyncio.sleep(interval)
            if state_file is not None:
                board.write(state_file)
            if live is not None:
                live.update(board.table())
            elif time.monotonic() >= next_line:
                next_line = time.monotonic() + 10.0
                log.info(board.line())


# -- running -----------------------------------------------------------------------------------------


def orders_outstanding(node: TradingNode) -> int:
    venue = Venue(VENUE)
    cache = node.cache
    return len(cache.orders_open(venue=venue)) + len(cache.orders_inflight(venue=venue))


async def settle_swept_orders(node: TradingNode, swept: set[str], timeout_secs: float) -> int:
    """Orders the start-up sweep cancelled that a restored (Redis) cache still holds as open: they are
    cancelled at the venue, so the execution client reports them cancelled. Returns how many."""
    deadline = time.monotonic() + timeout_secs
    while not node.trader.is_running and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    settled = 0
    ts = node.kernel.clock.timestamp_ns()
    for order in node.cache.orders_open(venue=Venue(VENUE)):
        if order.venue_order_id is None or order.venue_order_id.value not in swept:
            continue
        for client in node.kernel.exec_engine.get_clients_for_orders([order]):
            client.generate_order_canceled(
                order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id, ts
            )
            settled += 1
    if settled:
        log.warning(f"start-up: {settled} orders restored from the cache were cancelled by the start-up sweep")
    return settled


async def freeze_startup_objects(node: TradingNode, timeout_secs: float) -> None:
    """Once trading runs, move everything built at start-up out of the garbage collector's sight:
    later collections then scan only new objects, which shortens their pauses on the hot path."""
    import gc

    deadline = time.monotonic() + timeout_secs
    while not node.trader.is_running and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    gc.collect()
    gc.freeze()


async def wind_down(node: TradingNode, timeout_secs: float) -> int:
    """Stop the strategies (each cancels its orders), wait for the acknowledgements; returns orders left."""
    if node.trader.is_running:
        node.trader.stop()
    deadline = time.monotonic() + timeout_secs
    while orders_outstanding(node) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return orders_outstanding(node)


async def run(args: argparse.Namespace, holder: list[TradingNode]) -> int:
    """Run until a signal (or `--run-secs`), then wind down; the node is left in `holder` for disposal."""
    config, options, factories = prepare(args)  # also settles args.mode
    exec_configs = hl_exec_configs(config) if args.mode == "live" else []
    swept: set[str] = set()
    if exec_configs and options.sweep_on_start and not args.keep_orders:
        for cfg in exec_configs:
            oids = await sweep_open_orders(cfg)
            if oids:
                log.warning(f"start-up: cancelled {len(oids)} orders left on the exchange by an earlier run")
            swept.update(oids)

    loop = asyncio.get_running_loop()
    node = TradingNode(config=config, loop=loop)
    holder.append(node)
    for name, factory in factories["data_clients"].items():
        node.add_data_client_factory(name, factory)
    for name, factory in factories["exec_clients"].items():
        node.add_exec_client_factory(name, factory)
    node.build()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)  # replaces the node's own handler: we wind down first
    board = StatusBoard(node)
    started_ns = time.time_ns()
    started = time.monotonic()
    run_task = asyncio.create_task(node.run_async())
    freeze_task = asyncio.create_task(freeze_startup_objects(node, config.timeout_connection))
    state_file = Path(args.state_file) if args.state_file else None
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
    await node.stop_async()
    if exec_configs:
        # The exchange is the truth: sweep what still rests there, then count what is left.
        left = 0
        for cfg in exec_configs:
            try:
                late = await sweep_open_orders(cfg)
                if late:
                    log.error(f"shutdown: {len(late)} orders were still resting on the exchange; cancelled")
                left += len(await exchange_open_orders(cfg))
            except Exception as exc:
                log.error(f"shutdown: cannot verify the exchange's open orders ({type(exc).__name__}: {exc})")
                left += 1
        if left:
            log.error(f"shutdown: {left} orders remain open on the exchange")
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(run_task, 5.0)
    if state_file is not None:
        board.write(state_file)
    if args.mode == "shadow":
        from mm_strategy.shadow.report import write_shadow_report

        shadow_cfg = next(iter(config.exec_clients.values())).create()
        report_dir = args.report_dir or options.report_dir
        files = write_shadow_report(
            node,
            report_dir,
            started_ns=started_ns,
            wall_s=time.monotonic() - started,
            starting_usdc=shadow_cfg.starting_balance_usdc,
            latency_ms=shadow_cfg.latency_ms,
            fee_tier=_fee_tier(config),
        )
        log.info(f"shadow report: {files.get('html')}")
    return 0 if not left else 1


def _fee_tier(config: TradingNodeConfig) -> int:
    for spec in config.data_clients.values():
        cfg = spec.create() if hasattr(spec, "create") else spec
        tier = getattr(cfg, "fee_tier", None)
        if isinstance(tier, int):
            return tier
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", required=True, type=Path, help="TradingNode JSON config")
    parser.add_argument("--mode", choices=("live", "shadow"), help="default: the config's run.mode, else live")
    parser.add_argument("--network", help="mainnet, testnet or a REST url (e.g. a local hlsim)")
    parser.add_argument("--backup-url", action="append", default=[], help="backup REST endpoint (repeatable)")
    parser.add_argument("--account", help=f"main account address (else the config or ${ACCOUNT_ENV})")
    parser.add_argument("--key-file", help=f"agent key file (else ${DEFAULT_AGENT_KEY_ENV})")
    parser.add_argument("--redis-cache", nargs="?", const="redis://127.0.0.1:6379", help="keep state in Redis")
    parser.add_argument("--keep-orders", action="store_true", help="do not cancel leftover orders at start-up")
    parser.add_argument("--shadow-latency-ms", type=float, help="shadow mode: one-way latency")
    parser.add_argument("--report-dir", help="shadow mode: where the report goes")
    parser.add_argument("--run-secs", type=float, help="stop (gracefully) after this many seconds")
    parser.add_argument("--no-status", action="store_true", help="no status table")
    parser.add_argument("--state-file", help="write the node's state (fills, orders, guards) here as JSON, every second")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


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
    finally:
        if holder:
            holder[0].dispose()  # closes the loop
        elif not loop.is_closed():
            loop.close()


if __name__ == "__main__":
    sys.exit(main())
