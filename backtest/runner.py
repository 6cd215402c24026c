"""One backtest session over the catalog: settings, the simulated Hyperliquid venue, and the
strategy with its actors. Used by `run_backtest.py` and `bench/backtest.py`.

Why a `BacktestEngine` per run rather than `BacktestNode`: the fee tier is configuration, and the
catalog's instruments carry the tier they were ingested with, so each run rebuilds its instrument
for the configured tier before adding it; and the report reads the strategy's and actors' own
journals, which the engine hands back directly. The venue options are exactly the node's
(`BacktestVenueConfig`): L2_MBP book, queue position, liquidity consumption, trade execution,
a latency model and maker/taker fees from the instrument.

Which queue rule fills resting orders is a run's `queue_rule` (default: the config's, "nautilus"):
"nautilus" is the venue's own queue as above; "conservative" and "probabilistic" are hlsim's and
the shadow client's rules, run inside the venue by `backtest.queue_fills` (see there).

What a run reads: its window only (`backtest.window`): from `start` less `warmup_s` to `end`, the
book rebuilt from the last snapshot before that, streamed into the engine in chunks (the engine's
own streaming mode, `run(streaming=True)` per chunk, then `end()`), so memory is bounded by the
chunk whatever the window or the catalog holds.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from nautilus_trader.accounting.error import AccountError
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.engine import BacktestEngineConfig
from nautilus_trader.backtest.models import LatencyModel
from nautilus_trader.common.component import is_backtest_force_stop
from nautilus_trader.config import DataEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import RiskEngineConfig
from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.enums import AccountType
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.common.fees import perp_fees
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.parsing.instruments import perp_instrument
from backtest import window
from backtest.margin import check_leverage
from backtest.margin import default_leverage
from backtest.margin_venue import VenueHandle
from backtest.margin_venue import install as install_margin_check
from backtest.queue_fills import DEFAULT_QUEUE_RULE
from backtest.queue_fills import QueueFillModule
from backtest.queue_fills import check_queue_rule
from backtest.window import RunWindow
from backtest.window import run_window
from catalog.reader import last_ts_init
from cli_types import non_finite_problem
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig

HYPERLIQUID = Venue("HYPERLIQUID")


class RunSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    instrument: str
    start: str | None = None  # ISO UTC; quoting starts here (data is read from `warmup_s` before it)
    end: str | None = None
    queue_rule: str | None = None  # None: the config's `queue_rule`
    leverage: int | None = None  # None: the config's `leverage`


class BacktestSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    runs: list[RunSpec]
    catalog: str = "data/catalog"
    report_dir: str = "reports"
    fee_tier: int = 0
    latency_ms: float = 100.0
    starting_usdc: float = 10_000.0
    strategy: dict[str, Any] = {}
    strategy_overrides: dict[str, dict[str, Any]] = {}  # per coin, e.g. {"BTC": {"base_spread_bps": 5}}
    governor: dict[str, Any] | None = {}  # None: no RegimeGovernor
    risk_guard: dict[str, Any] | None = {}  # None: no RiskGuard
    calendar_path: str | None = None
    warmup_s: float = 300.0  # data read before each run's start, for the actors' windows and the book
    queue_rule: str = DEFAULT_QUEUE_RULE  # what fills resting orders (`backtest.queue_fills.QUEUE_RULES`)
    # The account's leverage on every run's coin (`backtest.margin`): orders beyond what the account
    # value margins at it are refused. None: min(20, the coin's maxLeverage).
    leverage: int | None = None


MAX_LATENCY_MS = 60_000.0  # a one-way latency past a minute is a broken setting, not a venue
MAX_WARMUP_S = 86_400.0  # a warm-up past a day is a broken setting: the engine would replay it all
_RUN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # names files of the report


def load_settings(path: str | Path) -> BacktestSettings:
    try:
        settings = msgspec.json.decode(Path(path).read_bytes(), type=BacktestSettings)
    except FileNotFoundError:
        raise ValueError(f"backtest config not found: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"backtest config {path} is a folder, not a file") from None
    except msgspec.DecodeError as exc:
        raise ValueError(f"bad backtest config {path}: {_non_finite_in_file(path) or exc}") from exc
    except msgspec.ValidationError as exc:
        raise ValueError(f"bad backtest config {path}: {exc}") from exc
    try:
        check_settings(settings)
    except ValueError as exc:
        raise ValueError(f"bad backtest config {path}: {exc}") from None
    return settings


def _non_finite_in_file(path: str | Path) -> str | None:
    """msgspec refuses `1e400`, `NaN` and `Infinity` as malformed JSON; Python's reader takes them,
    so the refusal can name the field instead."""
    try:
        return non_finite_problem(json.loads(Path(path).read_text()))
    except (ValueError, OSError):
        return None


def unused_overrides_note(settings: BacktestSettings) -> str | None:
    """A line naming the coins of `strategy_overrides` that no run trades: a misspelt coin would drop
    its override in silence. A note, not an error: a config cut down to fewer runs keeps the
    overrides of the coins it no longer trades, rightly. (`check_settings` checks the values of
    the traded coins'.) For a whole config, not a sweep's cell nor an `--instruments` choice."""
    traded = {coin_of(spec.instrument) for spec in settings.runs}
    unused = sorted(set(settings.strategy_overrides) - traded)
    if not unused:
        return None
    return (f"note: strategy_overrides names {', '.join(unused)}, which no run of the config trades: ignored "
            f"(the runs trade {', '.join(sorted(traded))})")

def check_settings(settings: BacktestSettings) -> None:
    """What can be checked without the catalog (raises ValueError saying what is wrong)."""
    if not settings.runs:
        raise ValueError("no runs")
    if not 0 <= settings.latency_ms <= MAX_LATENCY_MS:
        raise ValueError(f"latency_ms must be in 0..{MAX_LATENCY_MS:.0f}, got {settings.latency_ms}")
    if not 0 <= settings.warmup_s <= MAX_WARMUP_S:
        raise ValueError(f"warmup_s must be in 0..{MAX_WARMUP_S:.0f} seconds, got {settings.warmup_s}")
    if not (math.isfinite(settings.starting_usdc) and settings.starting_usdc > 0):
        raise ValueError(f"starting_usdc must be a finite number > 0, got {settings.starting_usdc}")
    perp_fees(settings.fee_tier)  # raises on an unknown tier
    check_queue_rule(settings.queue_rule)
    if settings.leverage is not None:
        check_leverage(settings.leverage)
    names = [r.name for r in settings.runs]
    for spec in settings.runs:
        if not _RUN_NAME.fullmatch(spec.name):
            raise ValueError(f"run name {spec.name!r}: letters, digits, '_', '-', '.' only (it names report files)")
        try:
            InstrumentId.from_str(spec.instrument)
        except ValueError:
            raise ValueError(f"run {spec.name}: not an instrument id: {spec.instrument!r}") from None
        start, end = parse_utc(spec.start), parse_utc(spec.end)
        if start is not None and end is not None and end <= start:
            raise ValueError(f"run {spec.name}: the end is not after the start")
        if spec.queue_rule is not None:
            check_queue_rule(spec.queue_rule, f"run {spec.name}: queue_rule")
        if spec.leverage is not None:
            check_leverage(spec.leverage, f"run {spec.name}: leverage")
    if len(set(names)) != len(names):
        raise ValueError(f"run names must be unique, got {names}")
    if settings.calendar_path is not None and not Path(settings.calendar_path).is_file():
        raise ValueError(f"calendar_path {settings.calendar_path}: no such file")
    for spec in settings.runs:  # each run's components, built once: a bad setting fails before any run
        MarketMaker(strategy_config(settings, spec.instrument, 0))
        if (gov_cfg := governor_config(settings, spec.instrument)) is not None:
            RegimeGovernor(gov_cfg)
        if (guard_cfg := risk_guard_config(settings, spec.instrument)) is not None:
            try:
                RiskGuard(guard_cfg)
            except ValueError as exc:
                raise ValueError(f"risk_guard: {exc}") from None


def queue_rule_of(settings: BacktestSettings, spec: RunSpec) -> str:
    """The queue rule a run of `spec` uses: its own, else the config's."""
    return spec.queue_rule if spec.queue_rule is not None else settings.queue_rule


def leverage_of(settings: BacktestSettings, spec: RunSpec, instrument: CryptoPerpetual) -> int:
    """The account's leverage on a run's coin: the run's, else the config's, else the default
    (`backtest.margin.default_leverage`); never above the coin's maxLeverage (ValueError naming the field)."""
    max_leverage = (instrument.info or {}).get("maxLeverage")
    if spec.leverage is not None:
        return check_leverage(spec.leverage, f"run {spec.name}: leverage", max_leverage)
    if settings.leverage is not None:
        return check_leverage(settings.leverage, f"leverage (run {spec.name})", max_leverage)
    return default_leverage(max_leverage)


def governor_config(settings: BacktestSettings, instrument_id: str) -> RegimeGovernorConfig | None:
    if settings.governor is None:
        return None
    fields = {"instrument_ids": [instrument_id], **settings.governor}
    if settings.calendar_path:
        fields.setdefault("calendar_path", settings.calendar_path)
    return _convert(fields, RegimeGovernorConfig, "governor")


def risk_guard_config(settings: BacktestSettings, instrument_id: str) -> RiskGuardConfig | None:
    if settings.risk_guard is None:
        return None
    return _convert({"instrument_ids": [instrument_id], **settings.risk_guard}, RiskGuardConfig, "risk_guard")


def _convert(fields: dict[str, Any], cls: type, section: str) -> Any:
    try:
        return msgspec.convert(fields, cls)
    except msgspec.ValidationError as exc:
        raise ValueError(f"bad {section} settings: {exc}") from None


def parse_utc(text: str | None) -> int | None:
    """ISO time → ns since epoch; a time without a zone is taken as UTC."""
    if text is None:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO time: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1_000_000_000)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def make_engine(
    instruments: list[CryptoPerpetual],
    latency_ms: float = 100.0,
    starting_usdc: float = 10_000.0,
    log_level: str = "ERROR",
    bypass_risk: bool = False,
    max_order_submit_rate: str | None = None,
    queue_rule: str = DEFAULT_QUEUE_RULE,
    leverages: dict[InstrumentId, int] | None = None,
) -> BacktestEngine:
    """A BacktestEngine with the Hyperliquid venue: L2 book, queue position, liquidity
    consumption, trade execution, one-way latency `latency_ms`, netting margin account in USDC.
    `max_order_submit_rate` ("N/HH:MM:SS") overrides the risk engine's submit throttle.
    `queue_rule` other than "nautilus": resting orders fill by that `simulation` rule through a
    `QueueFillModule`, and the venue's own trade-driven queue is off (`backtest.queue_fills`).
    Orders the account cannot margin are refused as on the exchange (`backtest.margin_venue`), at
    `leverages` per instrument (default: min(20, its maxLeverage))."""
    check_queue_rule(queue_rule)
    by_module = queue_rule != "nautilus"
    handle = VenueHandle()
    engine = BacktestEngine(
        BacktestEngineConfig(
            logging=LoggingConfig(log_level=log_level, bypass_logging=log_level == "OFF"),
            # One batch per exchange event (deltas up to F_LAST) instead of one handler call per delta.
            data_engine=DataEngineConfig(buffer_deltas=True),
            risk_engine=RiskEngineConfig(bypass=bypass_risk)
            if max_order_submit_rate is None
            else RiskEngineConfig(bypass=bypass_risk, max_order_submit_rate=max_order_submit_rate),
        ),
    )
    engine.add_venue(
        venue=HYPERLIQUID,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=USDC,
        starting_balances=[Money(starting_usdc, USDC)],
        default_leverage=Decimal(5),
        book_type=BookType.L2_MBP,
        latency_model=LatencyModel(base_latency_nanos=int(latency_ms * 1_000_000)),
        # With the module, trades fill nothing at the venue and its queue is unused: the module decides.
        trade_execution=not by_module,
        liquidity_consumption=True,
        queue_position=not by_module,
        modules=[handle, QueueFillModule(queue_rule)] if by_module else [handle],
    )
    for inst in instruments:
        engine.add_instrument(inst)
    install_margin_check(engine, handle, leverages)
    return engine


def instrument_for_tier(catalog: ParquetDataCatalog, instrument_id: str, fee_tier: int) -> CryptoPerpetual:
    found = catalog.instruments(instrument_ids=[instrument_id])
    if not found:
        raise ValueError(f"instrument {instrument_id} is not in the catalog at {catalog.path}")
    inst = found[0]
    maker, _ = perp_fees(fee_tier)
    if inst.maker_fee == maker:
        return inst
    info = inst.info or {}
    return perp_instrument(coin_of(inst.id), inst.size_precision, fee_tier=fee_tier, max_leverage=info.get("maxLeverage"))


@dataclass
class Session:
    """A finished run: the engine (for its cache/portfolio) and the components."""

    spec: RunSpec
    instrument: CryptoPerpetual
    engine: BacktestEngine
    strategy: MarketMaker
    governor: RegimeGovernor | None
    risk_guard: RiskGuard | None
    data_events: int
    wall_s: float
    quote_from_ns: int
    settings: BacktestSettings
    extra: dict[str, Any] = field(default_factory=dict)
    queue_rule: str | None = None  # what filled its resting orders (None: not a backtest's, e.g. a shadow node)
    leverage: int | None = None  # the account's leverage on its coin (None: not a backtest's)


def window_of(settings: BacktestSettings, spec: RunSpec, start_ns: int | None = None, end_ns: int | None = None) -> RunWindow:
    """The catalog window a run of `spec` reads (start/end override the spec's)."""
    start_ns = start_ns if start_ns is not None else parse_utc(spec.start)
    end_ns = end_ns if end_ns is not None else parse_utc(spec.end)
    return run_window(spec.instrument, start_ns, end_ns, settings.warmup_s)


def load_data(catalog: ParquetDataCatalog, settings: BacktestSettings, spec: RunSpec) -> list:
    """Everything a run of `spec` replays, as one list (for benchmarks that time the engine alone)."""
    return window.load(catalog, window_of(settings, spec))


def replay(engine: BacktestEngine, chunks: Iterable[list]) -> int:
    """Feed the chunks through the engine's streaming mode and end the run; returns the events fed.

    The same sequence as `BacktestNode`'s chunked run: per chunk add_data, run(streaming=True),
    clear_data; then end(). A chunk never splits one ts_init (`backtest.window`), so timers and
    venue settlement see what a one-shot run over the same data sees."""
    events = 0
    try:
        for chunk in chunks:
            # Validation looks at the first item only and would forget the book data at clear_data:
            # the venue's data client exists already (add_instrument registered it).
            engine.add_data(chunk, validate=False, sort=True)
            engine.run(streaming=True)
            engine.clear_data()
            events += len(chunk)
            if is_backtest_force_stop():  # run() has ended the backtest already
                return events
    except AccountError:
        pass  # the engine logged it and stopped, as a one-shot run does; the run is reported as it stands
    engine.end()
    return events


def strategy_config(settings: BacktestSettings, instrument_id: str, quote_from_ns: int) -> MarketMakerConfig:
    fields = dict(settings.strategy)
    fields.update(settings.strategy_overrides.get(coin_of(instrument_id), {}))
    fields["instrument_id"] = instrument_id
    fields["quote_from_ns"] = quote_from_ns
    fields["book_shows_own_orders"] = False  # the book is the recorded market's: none of ours is in it
    try:
        return msgspec.convert(fields, MarketMakerConfig)
    except msgspec.ValidationError as exc:
        raise ValueError(f"bad strategy settings for {instrument_id}: {exc}") from exc


def run_session(
    settings: BacktestSettings,
    spec: RunSpec,
    catalog: ParquetDataCatalog,
    start_ns: int | None = None,
    end_ns: int | None = None,
    log_level: str = "ERROR",
    with_actors: bool = True,
    data: list | None = None,
    chunk_rows: int = window.CHUNK_ROWS,
) -> Session:
    """One run over its catalog window (`window_of`). `data` (book deltas, trades, quotes of the
    run's instrument) replaces what would be read from the catalog, e.g. the stream a shadow node
    saw (`backtest.replay_data`)."""
    import time

    InstrumentId.from_str(spec.instrument)  # validates the id
    run = window_of(settings, spec, start_ns, end_ns)
    start_ns, end_ns = run.start_ns, run.end_ns
    if start_ns is not None and end_ns is not None and end_ns <= start_ns:
        raise ValueError(f"run {spec.name}: the end ({_iso(end_ns)}) is not after the start ({_iso(start_ns)})")
    inst = instrument_for_tier(catalog, spec.instrument, settings.fee_tier)
    if data is None:
        last_ns = last_ts_init(catalog, spec.instrument, end_ns)
        chunks: Iterator[list] = iter(())
        if last_ns is not None and (start_ns is None or start_ns <= last_ns):
            chunks = window.stream(catalog, run, chunk_rows)
    else:
        data = [d for d in data if end_ns is None or d.ts_init <= end_ns]
        last_ns = max((d.ts_init for d in data), default=None)
        chunks = iter([data] if data else [])
    if last_ns is None:
        raise ValueError(f"run {spec.name}: no data for {run.describe()}")
    if start_ns is not None and start_ns > last_ns:
        data_end = last_ts_init(catalog, spec.instrument) if data is None else last_ns
        if end_ns is not None and data_end is not None and data_end > end_ns:
            # Data before the window and after it, none in it: a hole in the recording, not its end.
            raise ValueError(
                f"run {spec.name}: no data between {_iso(start_ns)} and {_iso(end_ns)}: the recording has a gap "
                f"there (nothing after {_iso(last_ns)} until past the window; its data runs to {_iso(data_end)})")
        raise ValueError(f"run {spec.name}: quoting would start at {_iso(start_ns)}, after its data ends ({_iso(last_ns)})")
    first = next(chunks, None)
    if not first:
        raise ValueError(f"run {spec.name}: no data for {run.describe()}")
    if start_ns is None:
        start_ns = first[0].ts_init
    queue_rule = queue_rule_of(settings, spec)
    leverage = leverage_of(settings, spec, inst)
    engine = make_engine([inst], settings.latency_ms, settings.starting_usdc, log_level=log_level, queue_rule=queue_rule,
                         leverages={inst.id: leverage})
    strategy = MarketMaker(strategy_config(settings, spec.instrument, start_ns))
    engine.add_strategy(strategy)
    governor = risk_guard = None
    gov_cfg = governor_config(settings, spec.instrument)
    if with_actors and gov_cfg is not None:
        governor = RegimeGovernor(gov_cfg)
        engine.add_actor(governor)
    guard_cfg = risk_guard_config(settings, spec.instrument)
    if with_actors and guard_cfg is not None:
        risk_guard = RiskGuard(guard_cfg)
        engine.add_actor(risk_guard)
    t0 = time.perf_counter()
    c0 = time.process_time()
    events = replay(engine, itertools.chain([first], chunks))
    wall = time.perf_counter() - t0
    session = Session(spec, inst, engine, strategy, governor, risk_guard, events, wall, start_ns, settings,
                      queue_rule=queue_rule, leverage=leverage)
    session.extra["cpu_s"] = time.process_time() - c0
    return session
