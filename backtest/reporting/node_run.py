"""The backtest report (`backtest.reporting.report`) for a shadow run of a live TradingNode.

The report module reads a finished `Session`: the strategy's journal (fills, mids, inventory), the
engine's cache and portfolio. A TradingNode offers the same `cache` and `portfolio`, so a shadow run
is reported exactly like a backtest: same metrics, same charts, same files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order

from backtest.reporting import report
from backtest.runner import BacktestSettings
from backtest.runner import RunSpec
from backtest.runner import Session
from mm_strategy.governor import RegimeGovernor
from mm_strategy.market_maker import MarketMaker
from mm_strategy.risk_guard import RiskGuard


def shadow_sessions(
    node: TradingNode,
    *,
    started_ns: int,
    wall_s: float,
    starting_usdc: float,
    latency_ms: float,
    fee_tier: int,
) -> list[Session]:
    """One `Session` per MarketMaker of the node (the node stands in for the backtest engine)."""
    strategies = [s for s in node.trader.strategies() if isinstance(s, MarketMaker)]
    runs = [RunSpec(name=f"shadow_{s.instrument_id.symbol}", instrument=str(s.instrument_id)) for s in strategies]
    settings = BacktestSettings(
        runs=runs, starting_usdc=starting_usdc, latency_ms=latency_ms, fee_tier=fee_tier, governor=None, risk_guard=None
    )
    sessions = []
    for strategy, spec in zip(strategies, runs, strict=True):
        instrument = node.cache.instrument(strategy.instrument_id)
        if instrument is None:
            continue
        sessions.append(
            Session(
                spec=spec,
                instrument=instrument,
                engine=node,  # type: ignore[arg-type]  # duck-typed: the report reads .cache and .portfolio
                strategy=strategy,
                governor=_watching(node, RegimeGovernor, strategy.instrument_id),
                risk_guard=_watching(node, RiskGuard, strategy.instrument_id),
                data_events=len(strategy.mids),
                wall_s=wall_s,
                quote_from_ns=started_ns,
                settings=settings,
            )
        )
    return sessions


def _watching[A](node: TradingNode, kind: type[A], instrument_id: InstrumentId) -> A | None:
    """The node's actor of `kind` that watches `instrument_id` (its report rows read it), if any."""
    for actor in node.trader.actors():
        if isinstance(actor, kind) and instrument_id in getattr(actor, "instrument_ids", ()):
            return actor
    return None


def journal_late_fills(strategy: MarketMaker, cache: Cache) -> int:
    """Add to the strategy's journal the fills of its orders that came after it stopped, and return how many.

    A stopped strategy is told of no event, but its orders can still fill while their cancels are on
    their way (the wind-down): the node's cache, which the state file counts, has those fills and the
    journal, which the report reads, would not. Only fills from the journal's last one on are
    candidates (earlier ones all reached the running strategy; the journal may have dropped its oldest).
    """
    journal = strategy.fills
    since = journal[-1][0] if journal else 0
    journaled = Counter((f[0], f[1], f[3], f[4]) for f in journal if f[0] >= since)
    late: list[tuple[OrderFilled, Order]] = []
    for order in cache.orders(strategy_id=strategy.id):
        for event in order.events:
            if not isinstance(event, OrderFilled) or event.ts_event < since:
                continue
            key = (event.ts_event, event.order_side.name, float(event.last_px), float(event.last_qty))
            if journaled[key]:
                journaled[key] -= 1
            else:
                late.append((event, order))
    mid = strategy.mids[-1][1] if strategy.mids else None
    position = strategy.inventory[-1][1] if strategy.inventory else 0.0
    for event, order in sorted(late, key=lambda item: item[0].ts_event):
        px, qty = float(event.last_px), float(event.last_qty)
        tag = order.tags[0] if order.tags else ""
        level = int(tag[1:]) if tag.startswith("L") and tag[1:].isdigit() else 0
        journal.append((event.ts_event, event.order_side.name, level, px, qty, float(event.commission),
                        event.liquidity_side.name == "MAKER", mid if mid is not None else px))
        position += qty if event.order_side.name == "BUY" else -qty
        strategy.inventory.append((event.ts_event, position))
    return len(late)


def write_shadow_report(node: TradingNode, report_dir: str | Path, **run: Any) -> dict[str, Path]:
    """Build and write the report of every MarketMaker of a (stopped) shadow node; prints the summary."""
    for strategy in node.trader.strategies():
        if isinstance(strategy, MarketMaker):
            journal_late_fills(strategy, node.cache)
    sessions = shadow_sessions(node, **run)
    reports = [report.build(s) for s in sessions]
    report.print_summary(reports)
    return report.write(reports, Path(report_dir))
