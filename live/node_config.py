"""Reading the TradingNode JSON config and applying the command line's overrides.

The config has the shape the screener writes to `configs/live.generated.json`. Three optional
top-level sections are read here and removed before Nautilus parses the rest: `"run"` (`RunOptions`),
`"shadow"` (ShadowExecClientConfig fields) and `"shared_budget"` (`SharedBudgetOptions`: several
nodes on one account). Every problem is a `ConfigError` saying what is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlparse

import msgspec
from nautilus_trader.config import TradingNodeConfig

from adapters.hyperliquid.common.constants import NETWORK_REST_URLS
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.parsing.instruments import coin_of
from budget_link.shared_budget import SharedLimits
from budget_link.shared_budget import check_account
from budget_link.shared_budget import check_node_id
from catalog.shipped_data import PROJECT_ROOT
from cli_types import non_finite_problem
from live.errors import ConfigError
from live.factories import take_factories
from live.logs import log
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk.budget_share import ladder_notional_usd
from screener_link.redis_target import ENV_URL_PREFIX
from screener_link.redis_target import redact_url
from screener_link.redis_target import url_from_env

VENUE = "HYPERLIQUID"
ACCOUNT_ENV = "HYPERLIQUID_ACCOUNT"
# `--redis-cache` alone: the URL from this variable (a password stays out of `ps` and config files).
REDIS_CACHE_URL_ENV = "MM_REDIS_CACHE_URL"
REDIS_CACHE_USE_ENV = "env"
DEFAULT_REDIS_CACHE_URL = "redis://127.0.0.1:6379"
HL_CONFIG_PREFIX = "adapters.hyperliquid.config:"
SHADOW_CONFIG_PATH = "shadow.config:ShadowExecClientConfig"
SHADOW_FACTORY_PATH = "shadow.factory:ShadowExecClientFactory"
STRATEGY_PATH = "mm_strategy.market_maker:MarketMaker"
BUDGET_GUARD_PATH = "mm_strategy.budget_guard:BudgetGuard"
BUDGET_GUARD_CONFIG_PATH = "mm_strategy.budget_guard:BudgetGuardConfig"
RISK_GUARD_PATH = "mm_strategy.risk_guard:RiskGuard"
GOVERNOR_PATH = "mm_strategy.governor:RegimeGovernor"
DEFAULT_TRADER_ID = "MM-001"  # a config without a trader_id runs as this one


# What a live run's execution engine keeps checking against the exchange, unless the config sets
# it (a screener-generated config has no `exec_engine` section): start-up reconciliation, open and
# in-flight orders. Not Nautilus's position check: where the cache is short of the exchange it books
# a synthetic order, and the real fill, applied later by the adapter (its fill audit, a reconnect's
# catch-up, the adoption of an outside order), would then count twice. The adapter's fill audit
# (`fill_audit_interval_secs`) recovers missed fills themselves instead.
# A market maker makes orders all day, and Nautilus's cache keeps every one it ever made: closed
# orders an hour old (no reply or fill can still come for them; the adapter's fill dedupe keeps its
# own record) and account states older than an hour are dropped every 10 minutes, so memory and
# what a full garbage collection scans stay bounded on a long run. Only the in-memory cache: a
# Redis-backed one keeps them (`purge_from_database` stays off).
# Overfills are booked, not refused: Hyperliquid's modify places a new order of the size asked, so
# when a fill of the old order reaches us only after the modify (a late push, the fill audit), the
# fills under one client order id can add up to more than the order's quantity. They are real, and
# refusing one would leave the cache's position short of the exchange's.
LIVE_EXEC_ENGINE_DEFAULTS: dict[str, Any] = {
    "allow_overfills": True,
    "reconciliation": True,
    "reconciliation_lookback_mins": 1440,
    "open_check_interval_secs": 10.0,
    "inflight_check_interval_ms": 1000,
    "inflight_check_threshold_ms": 2000,
    "inflight_check_retries": 3,
    "purge_closed_orders_interval_mins": 10,
    "purge_closed_orders_buffer_mins": 60,
    "purge_account_events_interval_mins": 10,
    "purge_account_events_lookback_mins": 60,
}


class RunOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The `"run"` section: how this script runs the node (not Nautilus settings)."""

    mode: str = "live"  # the default when --mode is not given
    shutdown_timeout_secs: float = 10.0
    sweep_on_start: bool = True
    redis_cache_url: str | None = None
    report_dir: str = "reports/shadow"
    status_interval_secs: float = 1.0
    # The start-up and shutdown sweeps cancel only orders on the node's own coins (the exec client's
    # `coins`), not the whole account's: other nodes trade its other coins. On with `shared_budget`.
    own_coins_only: bool = False
    # The garbage collector runs on a timer between events (live/gc_schedule.py), not inside a
    # book handler's order commands: a young collection this often, a full one every
    # gc_full_interval_secs. 0: Python's own automatic collection.
    gc_interval_secs: float = 1.0
    gc_full_interval_secs: float = 600.0

    def __post_init__(self) -> None:
        if self.mode not in ("live", "shadow"):
            raise ValueError(f"run.mode must be live or shadow, got {self.mode!r}")
        if not self.shutdown_timeout_secs > 0 or not self.status_interval_secs > 0:
            raise ValueError("run.shutdown_timeout_secs and run.status_interval_secs must be positive")
        if self.redis_cache_url is not None and not self.redis_cache_url.startswith(("redis://", ENV_URL_PREFIX)):
            raise ValueError(f"run.redis_cache_url must be redis://host:port or env:NAME, got "
                             f"{redact_url(self.redis_cache_url)!r}")
        if not 0 <= self.gc_interval_secs <= 60:
            raise ValueError(f"run.gc_interval_secs must be within 0..60 (0: Python's own), got {self.gc_interval_secs!r}")
        if self.gc_interval_secs and not self.gc_interval_secs <= self.gc_full_interval_secs <= 86_400:
            raise ValueError("run.gc_full_interval_secs must be within run.gc_interval_secs..86400, "
                             f"got {self.gc_full_interval_secs!r}")


def parse_redis_url(url: str, what: str) -> tuple[str, int]:
    """(host, port) of a redis://host[:port][/db] url (or of the url `env:NAME` names), or a
    `ValueError` naming `what`."""
    try:
        url = url_from_env(url)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    parsed = urlparse(url)
    try:
        port = parsed.port or 6379  # ValueError for a port that is not 0..65535
    except ValueError:
        port = None
    if parsed.scheme != "redis" or not parsed.hostname or port is None:
        hint = ""
        if "@" in url:
            hint = " (a user or password percent-encoded: '#' as %23, '/' as %2F, '@' as %40, ':' as %3A)"
        raise ValueError(f"{what} must be redis://[user:password@]host:port, got {redact_url(url)!r}{hint}")
    return parsed.hostname, port


class SharedBudgetOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The `"shared_budget"` section: this node is one of several trading one account, which share
    its inventory cap and coin count through Redis (`budget_link`). Off unless the section is there."""

    redis_url: str
    max_total_inventory_usd: float  # the account's cap on the sum of |inventory| over every node's coins
    max_assets: int = 5  # coins the account may hold at once, all nodes together
    lease_secs: float = 10.0  # a node that stops renewing frees its share this long after
    check_interval_secs: float = 1.0  # claims and lease renewal (at most half the lease)
    account: str | None = None  # default: the exec client's account_address
    node_id: str | None = None  # default: trader id, host and process id (unique per run)
    enabled: bool = True

    def __post_init__(self) -> None:
        parse_redis_url(self.redis_url, "shared_budget.redis_url")
        # The lease in the unit the section uses, before SharedLimits checks the rest.
        if not 1.0 <= self.lease_secs <= 600.0:
            raise ValueError(f"shared_budget.lease_secs must be within 1..600, got {self.lease_secs!r}")
        try:
            SharedLimits(self.max_total_inventory_usd, self.max_assets, round(self.lease_secs * 1000))
            if self.account is not None:
                check_account(self.account)
            if self.node_id is not None:
                check_node_id(self.node_id)
        except ValueError as exc:
            raise ValueError(f"shared_budget.{exc}") from None
        if not 0 < self.check_interval_secs <= self.lease_secs / 2:
            raise ValueError("shared_budget.check_interval_secs must be > 0 and at most half of lease_secs")


def default_node_id(trader_id: str) -> str:
    """Unique per process: a restarted node must not inherit the claims of the run it replaces
    (they lapse with that run's lease)."""
    raw = f"{trader_id}-{socket.gethostname()}-{os.getpid()}"
    return re.sub(r"[^A-Za-z0-9_.:-]", "_", raw)[-64:]


def load_raw_config(path: str | Path) -> dict[str, Any]:
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (JSON) file") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a TradingNode config must be a JSON object")
    check_finite_numbers(raw)
    for key in ("data_clients", "strategies"):
        if not raw.get(key):
            raise ConfigError(f"{path}: '{key}' is missing or empty")
    for key in ("data_clients", "exec_clients"):
        section = raw.get(key, {})
        if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
            raise ConfigError(f"{path}: '{key}' must be an object of client entries (objects)")
    for key in ("strategies", "actors"):
        if not isinstance(raw.get(key, []), list):
            raise ConfigError(f"{path}: '{key}' must be a list")
    for strategy in raw["strategies"]:
        config = strategy.get("config") if isinstance(strategy, dict) else None
        if not isinstance(config, dict) or not isinstance(config.get("instrument_id"), str):
            raise ConfigError(f"{path}: every strategy needs a config with an instrument_id")
    return raw


def check_finite_numbers(value: Any, where: str = "config") -> None:
    """NaN and ±Infinity (which Python's JSON reader accepts) are refused with the field's path."""
    problem = non_finite_problem(value, where)
    if problem is not None:
        raise ConfigError(problem)


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
    # The shadow's positions exist only in this process: the exchange would report them flat, and
    # the position check would "correct" them away.
    engine = raw.get("exec_engine")
    if isinstance(engine, dict):
        engine.pop("position_check_interval_secs", None)
    # The shadow's losses are virtual: they must not start a live run's day halted.
    for config in _risk_guard_configs(raw):
        config.pop("day_state_file", None)
    # Nothing of ours rests on the exchange: its book is the market's alone.
    for strategy in raw.get("strategies") or []:
        if strategy.get("strategy_path") == STRATEGY_PATH and isinstance(strategy.get("config"), dict):
            strategy["config"]["book_shows_own_orders"] = False


def apply_live_exec_engine(raw: dict[str, Any]) -> None:
    engine = raw.setdefault("exec_engine", {})
    if not isinstance(engine, dict):
        raise ConfigError("'exec_engine' section must be an object")
    for key, value in LIVE_EXEC_ENGINE_DEFAULTS.items():
        engine.setdefault(key, value)


def apply_day_state(raw: dict[str, Any]) -> None:
    """A live RiskGuard without a `day_state_file` (a screener-generated config) keeps its day in
    state/, per trader: the daily loss cap then holds across restarts whatever the config. A
    relative path is the project's, wherever the node is started from: read from the current
    folder, a restart from another one found no day and forgot a loss-cap halt."""
    trader_id = raw.get("trader_id", DEFAULT_TRADER_ID)
    for config in _risk_guard_configs(raw):
        config.setdefault("day_state_file", f"state/risk_guard_day_{trader_id}.json")
        config["day_state_file"] = str(project_path(config["day_state_file"]))


def project_path(path: str | Path) -> Path:
    """A path from a config file: `~` expanded, a relative one taken from the project root."""
    expanded = Path(path).expanduser()
    return expanded if expanded.is_absolute() else PROJECT_ROOT / expanded


def _risk_guard_configs(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [actor["config"] for actor in raw.get("actors") or []
            if str(actor.get("actor_path", "")) == RISK_GUARD_PATH and isinstance(actor.get("config"), dict)]


def apply_credentials(raw: dict[str, Any], account: str | None, key_file: str | None) -> None:
    for cfg in _hl_client_configs(raw.get("exec_clients", {})):
        if account:
            cfg["account_address"] = account
        if key_file:
            cfg["key_file"] = str(Path(key_file).expanduser())
        if not cfg.get("account_address"):
            raise ConfigError(f"no account address: put it in the exec client config, pass --account or set {ACCOUNT_ENV}")


def apply_keep_orders(raw: dict[str, Any]) -> None:
    """`--keep-orders`: each market maker claims the open orders of its instrument that the start-up
    reconciliation finds on the exchange (Nautilus's `external_order_claims`), and adopts them into its
    ladder; left unclaimed they would rest beside the new ladder, managed by nobody."""
    for strategy in raw["strategies"]:
        if strategy.get("strategy_path") == STRATEGY_PATH:
            config = strategy["config"]
            config.setdefault("external_order_claims", [config["instrument_id"]])


def apply_redis_cache(raw: dict[str, Any], url: str) -> None:
    try:
        host, port = parse_redis_url(url, "redis cache url")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    parsed = urlparse(url)
    # Nautilus's Redis cache has no database setting: it always writes to database 0.
    if parsed.path.strip("/") not in ("", "0"):
        raise ConfigError(f"redis cache url: Nautilus's cache always uses Redis database 0, got {redact_url(url)!r}")
    database: dict[str, Any] = {"type": "redis", "host": host, "port": port}
    # As Redis clients read a URL: user and password percent-decoded ("%40" is "@").
    if parsed.username:
        database["username"] = unquote(parsed.username)
    if parsed.password is not None:
        database["password"] = unquote(parsed.password)
    cache = raw.setdefault("cache", {})
    cache["database"] = database
    # Write-through: a kill -9 must not lose the last order events.
    cache.setdefault("buffer_interval_ms", None)
    cache.setdefault("flush_on_start", False)


def apply_shared_budget(raw: dict[str, Any], shared: SharedBudgetOptions) -> None:
    """Add the BudgetGuard for every market maker's instrument, and have each market maker wait
    for its first claim before quoting (reduce-only until then)."""
    accounts = {cfg.get("account_address") for cfg in _hl_client_configs(raw.get("exec_clients", {}))}
    account = shared.account or (accounts.pop() if len(accounts) == 1 else None)
    try:
        check_account(account if isinstance(account, str) else "")
    except ValueError:
        raise ConfigError(f"shared_budget.account must be the one account's 0x address, got {account!r}") from None
    if not all(cfg.get("coins") for cfg in _hl_client_configs(raw.get("exec_clients", {}))):
        # The sweeps then cancel only these coins' orders: the other nodes' coins are theirs.
        raise ConfigError("shared_budget: every exec client must list its coins (the node's own, not the account's)")
    if any(a.get("actor_path") == BUDGET_GUARD_PATH for a in raw.get("actors", [])):
        raise ConfigError("the config already has a BudgetGuard actor: the shared_budget section adds it")
    defaults = MarketMakerConfig(instrument_id="X-USD-PERP.HYPERLIQUID")
    iids, headroom, limits = [], [], []
    for strategy in raw["strategies"]:
        if strategy.get("strategy_path") != STRATEGY_PATH:
            continue
        cfg = strategy["config"]
        cfg["await_inventory_cap"] = True
        iids.append(cfg["instrument_id"])
        try:
            headroom.append(ladder_notional_usd(
                float(cfg.get("order_size_usd", defaults.order_size_usd)),
                tuple(float(m) for m in cfg.get("size_multipliers", defaults.size_multipliers)),
            ))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"strategy {cfg['instrument_id']}: {exc}") from None
        limits.append(float(cfg.get("max_inventory_usd", defaults.max_inventory_usd)))
    if not iids:
        raise ConfigError("shared_budget: no market maker in 'strategies' to share the budget with")
    for iid, side, limit in zip(iids, headroom, limits, strict=True):
        claim = min(side, limit)  # what a flat coin claims (budget_share.share_request)
        if claim >= shared.max_total_inventory_usd:
            log.warning(
                f"shared_budget: {iid} claims {claim:,.0f} USD when flat (one ladder side, within its "
                f"max_inventory_usd), the whole shared cap of {shared.max_total_inventory_usd:,.0f}: while "
                "it holds that, every other coin on the account quotes reduce-only; raise "
                "max_total_inventory_usd or lower its order sizes")
    raw.setdefault("actors", []).append({
        "actor_path": BUDGET_GUARD_PATH,
        "config_path": BUDGET_GUARD_CONFIG_PATH,
        "config": {
            "instrument_ids": iids,
            "redis_url": shared.redis_url,
            "account": account.lower(),
            "node_id": shared.node_id or default_node_id(str(raw.get("trader_id", DEFAULT_TRADER_ID))),
            "max_total_inventory_usd": shared.max_total_inventory_usd,
            "max_assets": shared.max_assets,
            "lease_ms": round(shared.lease_secs * 1000),
            "check_interval_ms": round(shared.check_interval_secs * 1000),
            # Each Redis call blocks the node's loop at most this long (Redis away): well inside a tick.
            "redis_timeout_ms": max(1, min(250, round(shared.check_interval_secs * 1000) // 4)),
            "headroom_usd": headroom,
            "max_inventory_usd": limits,
        },
    })


def node_config(raw: dict[str, Any], log_level: str) -> TradingNodeConfig:
    raw.setdefault("environment", "live")
    raw.setdefault("trader_id", DEFAULT_TRADER_ID)
    raw.setdefault("timeout_post_stop", 1.0)
    raw.setdefault("timeout_disconnection", 5.0)
    raw.setdefault("timeout_connection", 30.0)
    raw.setdefault("timeout_reconciliation", 30.0)
    logging_cfg = raw.setdefault("logging", {})
    logging_cfg.setdefault("log_level", log_level)
    # Colour codes only on a terminal: in a log file they break grep and log shippers.
    logging_cfg.setdefault("log_colors", sys.stdout.isatty())
    encode_database_credentials(raw)
    try:
        config = TradingNodeConfig.parse(json.dumps(raw))
    except (msgspec.ValidationError, msgspec.DecodeError, TypeError, ValueError) as exc:
        raise ConfigError(f"invalid TradingNode config: {exc}") from None
    check_components(config)
    return config


def encode_database_credentials(raw: dict[str, Any]) -> None:
    """Nautilus builds redis://user:password@host:port from its database config without encoding
    either (a '#' or '/' in a password fails to parse, after the start-up checks passed), and the
    Redis client percent-decodes what it reads: so the node config holds them percent-encoded."""
    for section in ("cache", "message_bus"):
        database = (raw.get(section) or {}).get("database")
        if not isinstance(database, dict):
            continue
        for field in ("username", "password"):
            if isinstance(database.get(field), str):
                database[field] = quote(database[field], safe="")


def check_components(config: TradingNodeConfig) -> None:
    """Build every client config, actor and strategy once, so a bad value is refused here, before
    the start-up sweep touches the exchange (Nautilus would only find it at `node.build()`)."""
    from nautilus_trader.common.config import ActorFactory
    from nautilus_trader.trading.config import StrategyFactory

    parts: list[tuple[str, Any]] = [
        *((f"data_clients.{name}", lambda spec=spec: spec.create()) for name, spec in config.data_clients.items()),
        *((f"exec_clients.{name}", lambda spec=spec: spec.create()) for name, spec in config.exec_clients.items()),
        *((f"actors[{i}] ({a.actor_path})", lambda a=a: ActorFactory.create(a)) for i, a in enumerate(config.actors)),
        *(
            (f"strategies[{i}] ({s.strategy_path})", lambda s=s: StrategyFactory.create(s))
            for i, s in enumerate(config.strategies)
        ),
    ]
    built: dict[str, Any] = {}
    for where, build in parts:
        try:
            built[where] = build()
        except Exception as exc:  # whatever the component's own validation raises
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"{where}: {message}") from None
    check_strategy_ids_and_instruments({w: c for w, c in built.items() if w.startswith("strategies[")})
    check_clients_serve_quoted_coins(config)
    check_flatten_has_hard_exit(config)
    check_guards_watch_quoted_instruments(config)


def check_strategy_ids_and_instruments(strategies: dict[str, Any]) -> None:
    """One strategy per id (Nautilus would stop with a traceback at `build()`), and one market maker per
    instrument: two would quote the same book twice over, each blind to the other's inventory."""
    ids: dict[str, str] = {}
    quoted: dict[str, str] = {}
    for where, strategy in strategies.items():
        sid = str(strategy.id)
        if sid in ids:
            raise ConfigError(f"{where}: strategy id {sid} is also {ids[sid]}'s; give each strategy its own order_id_tag")
        ids[sid] = where
        if type(strategy).__name__ == STRATEGY_PATH.rsplit(":", 1)[1]:
            instrument = str(strategy.instrument_id)
            if instrument in quoted:
                raise ConfigError(f"{where}: {instrument} is already quoted by {quoted[instrument]}; one market maker per instrument")
            quoted[instrument] = where


def _quoted(config: TradingNodeConfig) -> dict[str, str]:
    """Each instrument a market maker quotes -> where that strategy is in the config."""
    return {str(s.config["instrument_id"]): f"strategies[{i}]"
            for i, s in enumerate(config.strategies) if s.strategy_path == STRATEGY_PATH}


def check_clients_serve_quoted_coins(config: TradingNodeConfig) -> None:
    """A coin left out of the clients' `coins` would stop its strategy only once the node runs, the
    others already quoting."""
    quoted = _quoted(config)
    for section, clients in (("data_clients", config.data_clients), ("exec_clients", config.exec_clients)):
        for name, spec in clients.items():
            cfg = spec.config
            coins = cfg.get("coins") if isinstance(cfg, dict) else getattr(cfg, "coins", None)
            if coins is None:  # every coin the exchange lists
                continue
            for instrument, where in quoted.items():
                try:
                    coin = coin_of(instrument)
                except ValueError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
                if coin not in coins:
                    raise ConfigError(
                        f"{where} quotes {instrument} but {section}.{name}.coins {list(coins)} leaves out "
                        f"{coin}: add it there or remove the strategy")


def check_flatten_has_hard_exit(config: TradingNodeConfig) -> None:
    """The RiskGuard's `flatten_on_breach` asks each market maker to flatten: one whose hard exit is off
    would keep its position through the halt."""
    flatteners = [i for i, a in enumerate(config.actors)
                  if a.actor_path == RISK_GUARD_PATH and a.config.get("flatten_on_breach")]
    if not flatteners:
        return
    for i, s in enumerate(config.strategies):
        if s.strategy_path == STRATEGY_PATH and not s.config.get("hard_exit_enabled", False):
            raise ConfigError(
                f"actors[{flatteners[0]}].config.flatten_on_breach needs the market makers' hard exit, and "
                f"strategies[{i}] ({s.config['instrument_id']}) has hard_exit_enabled off: its position would "
                "stay open through the halt; set hard_exit_enabled: true, or flatten_on_breach: false")


def check_guards_watch_quoted_instruments(config: TradingNodeConfig) -> None:
    """Where the config has a RiskGuard or a RegimeGovernor, every quoted instrument is in its list: one
    left out of the RiskGuard's would trade outside the loss cap, the capital limits and the stall and
    flow pulls; one left out of the governor's without its edge check and action rate."""
    quoted = _quoted(config)
    for path, kind, what in (
        (RISK_GUARD_PATH, "RiskGuard", "the daily loss cap, the capital limits and the stall and flow pulls"),
        (GOVERNOR_PATH, "RegimeGovernor", "the edge check and the action rate"),
    ):
        watching = [i for i, a in enumerate(config.actors) if a.actor_path == path]
        if not watching:
            continue
        watched = {str(iid) for i in watching for iid in config.actors[i].config.get("instrument_ids") or ()}
        for instrument, where in quoted.items():
            if instrument not in watched:
                raise ConfigError(
                    f"{where} quotes {instrument} but no {kind} watches it (actors[{watching[0]}].config.instrument_ids): "
                    f"it would trade without {what}; add it to the list")


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
    try:
        shared = msgspec.convert(raw.pop("shared_budget"), SharedBudgetOptions) if "shared_budget" in raw else None
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(f"'shared_budget' section: {exc}") from None
    if args.network:
        apply_network(raw, args.network)
    if args.backup_url:
        apply_backups(raw, args.backup_url)
    args.mode = args.mode or options.mode
    if args.mode == "shadow":
        if shared is not None and shared.enabled:
            log.warning("shared_budget is for live nodes: a shadow run holds no inventory on the account; ignored")
        if args.shadow_latency_ms is not None:
            shadow = {**shadow, "latency_ms": args.shadow_latency_ms}
        apply_shadow(raw, shadow)
    else:
        if not raw.get("exec_clients"):
            raise ConfigError("live mode needs 'exec_clients' (or run with --mode shadow)")
        apply_credentials(raw, args.account or os.environ.get(ACCOUNT_ENV), args.key_file)
        apply_live_exec_engine(raw)
        apply_day_state(raw)
        if args.keep_orders:
            apply_keep_orders(raw)
        if shared is not None and shared.enabled:
            apply_shared_budget(raw, shared)
            options = msgspec.structs.replace(options, own_coins_only=True)
    redis_url = args.redis_cache or options.redis_cache_url
    if redis_url == REDIS_CACHE_USE_ENV:
        redis_url = os.environ.get(REDIS_CACHE_URL_ENV) or DEFAULT_REDIS_CACHE_URL
    if redis_url:
        try:
            redis_url = url_from_env(redis_url)  # Nautilus's cache takes host, port and password as such
        except ValueError as exc:
            raise ConfigError(f"redis cache url: {exc}") from None
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


def fee_tier(config: TradingNodeConfig) -> int:
    for spec in config.data_clients.values():
        cfg = spec.create() if hasattr(spec, "create") else spec
        tier = getattr(cfg, "fee_tier", None)
        if isinstance(tier, int):
            return tier
    return 0
