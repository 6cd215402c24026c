"""Hot path: in-process time from a book event to the strategy's order commands.

Replays the shipped ETH capture (the default backtest's run, full stack: RiskGuard, RegimeGovernor,
MarketMaker) and, for every book event during which at least one order command was sent (by the
strategy's own handler, or by a guard's message the RiskGuard published while handling the same
event), measures from the first subscriber seeing the event (a stamping actor registered before
the others, so the RiskGuard's handler for the event is included) to the strategy's handler
returning from its last command. The data engine's own book update before dispatch is not
included. p50/p99 over all such events after the quoting start. Writes
bench/results/hot_path.json (p50_us, p99_us).

What "returning from its last command" includes: Nautilus's synchronous command path (order
creation, RiskEngine checks, ExecutionEngine, the backtest execution client) and, in a backtest,
the OrderSubmitted events that client generates and dispatches before returning (a live client
sends asynchronously and reports later), so the figure is if anything conservative. The
commands go out as Nautilus commands: several placements of one side as one SubmitOrderList,
several cancels as one BatchCancelOrders.

Method change (performance pass, 2026-11-25): the "did this event send commands" test now counts
commands from the stamp rather than from the strategy handler's entry, so a guard's cancel
triggered by the same event is not filed as an idle event; batch commands are timed too.

    .venv/bin/python bench/hot_path.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import msgspec
from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from catalog.ingest import ensure_shipped_catalog
from catalog.shipped_data import PROJECT_ROOT
from mm_strategy import backtest_run
from mm_strategy.backtest_run import load_settings
from mm_strategy.backtest_run import parse_utc
from mm_strategy.market_maker import MarketMaker

_stamp = [0, 0, 0]  # wall, thread CPU, order actions so far
_cpu: list[int] = []
_samples: list[int] = []
_idle: list[int] = []
_decide: list[int] = []  # event → first command issued (our decision logic + actors)
_per_action: list[float] = []
_first = [0]
_strategy: list[MarketMaker] = []


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


def main() -> int:
    settings = load_settings(PROJECT_ROOT / "configs" / "backtest.json")
    settings = msgspec.structs.replace(settings, strategy={**settings.strategy, "record_journal": False})
    spec = settings.runs[0]
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(PROJECT_ROOT / "data" / "catalog")))
    inst = backtest_run.instrument_for_tier(catalog, spec.instrument, settings.fee_tier)
    data = backtest_run.load_data(catalog, spec.instrument, parse_utc(spec.end))
    engine = backtest_run.make_engine([inst], settings.latency_ms, settings.starting_usdc, log_level="OFF")
    engine.add_data(data)
    engine.add_actor(Stamp(_StampConfig(instrument_id=spec.instrument)))
    from mm_strategy.governor import RegimeGovernor
    from mm_strategy.governor import RegimeGovernorConfig
    from mm_strategy.risk_guard import RiskGuard
    from mm_strategy.risk_guard import RiskGuardConfig

    engine.add_actor(RegimeGovernor(msgspec.convert({"instrument_ids": [spec.instrument], **settings.governor}, RegimeGovernorConfig)))
    engine.add_actor(RiskGuard(msgspec.convert({"instrument_ids": [spec.instrument], **settings.risk_guard}, RiskGuardConfig)))
    cfg = backtest_run.strategy_config(settings, spec.instrument, parse_utc(spec.start))
    _strategy.append(TimedMarketMaker(cfg))
    engine.add_strategy(_strategy[0])
    engine.run()
    engine.dispose()
    if not _samples:
        print("no book event produced an order command", file=sys.stderr)
        return 1
    q = statistics.quantiles(_samples, n=100)
    qi = statistics.quantiles(_idle, n=100) if len(_idle) > 1 else [0.0] * 99
    result = {
        "p50_us": round(statistics.median(_samples) / 1000, 1),
        "p99_us": round(q[98] / 1000, 1),
        "events_with_commands": len(_samples),
        "cpu_p50_us": round(statistics.median(_cpu) / 1000, 1),
        "cpu_p99_us": round(statistics.quantiles(_cpu, n=100)[98] / 1000, 1),
        "first_command_p50_us": round(statistics.median(_decide) / 1000, 1),
        "first_command_p99_us": round(statistics.quantiles(_decide, n=100)[98] / 1000, 1),
        "per_order_action_p50_us": round(statistics.median(_per_action) / 1000, 1),
        "idle_events_p50_us": round(statistics.median(_idle) / 1000, 1) if _idle else None,
        "idle_events_p99_us": round(qi[98] / 1000, 1),
        "command": ".venv/bin/python bench/hot_path.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(f"book event → order commands: p50 {result['p50_us']} µs, p99 {result['p99_us']} µs "
          f"over {len(_samples)} events with commands (target p99 ≤ 200 µs); events without commands: "
          f"p50 {result['idle_events_p50_us']} µs, p99 {result['idle_events_p99_us']} µs")
    print(f"same path in thread CPU time (excludes preemption by other processes): p50 {result['cpu_p50_us']} µs, "
          f"p99 {result['cpu_p99_us']} µs")
    print(f"event → first command issued: p50 {result['first_command_p50_us']} µs, p99 {result['first_command_p99_us']} µs; "
          f"per order action (incl. Nautilus order creation, risk/exec engines): p50 {result['per_order_action_p50_us']} µs")
    # The results file holds exactly the keys plus command and date; the rest is printed.
    keep = {k: result[k] for k in ("p50_us", "p99_us", "command", "date")}
    out = Path(__file__).resolve().parent / "results" / "hot_path.json"
    out.write_text(json.dumps(keep, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
