"""The backtest report (`backtest.reporting.report`) for a shadow run of a live TradingNode.

The report module reads a finished `Session`: the strategy's journal (fills, mids, inventory), the
engine's cache and portfolio. A TradingNode offers the same `cache` and `portfolio`, so a shadow run
is reported exactly like a backtest: same metrics, same charts, same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nautilus_trader.live.node import TradingNode

from backtest.reporting import report
from backtest.runner import BacktestSettings
from backtest.runner import RunSpec
from backtest.runner import Session
from mm_strategy.market_maker import MarketMaker


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
                governor=None,
                risk_guard=None,
                data_events=len(strategy.mids),
                wall_s=wall_s,
                quote_from_ns=started_ns,
                settings=settings,
            )
        )
    return sessions


def write_shadow_report(node: TradingNode, report_dir: str | Path, **run: Any) -> dict[str, Path]:
    """Build and write the report of every MarketMaker of a (stopped) shadow node; prints the summary."""
    sessions = shadow_sessions(node, **run)
    reports = [report.build(s) for s in sessions]
    report.print_summary(reports)
    return report.write(reports, Path(report_dir))
