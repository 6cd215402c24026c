"""The report written after a shadow run (the backtest report of `backtest.reporting`)."""

from __future__ import annotations

import time

from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode

from live.logs import log
from live.node_config import fee_tier


def write_report(node: TradingNode, config: TradingNodeConfig, report_dir: str, started_ns: int, started: float) -> None:
    """Write the shadow run's report to `report_dir`; `started` is the run's `time.monotonic()` start."""
    from backtest.reporting.node_run import write_shadow_report

    shadow_cfg = next(iter(config.exec_clients.values())).create()
    files = write_shadow_report(
        node,
        report_dir,
        started_ns=started_ns,
        wall_s=time.monotonic() - started,
        starting_usdc=shadow_cfg.starting_balance_usdc,
        latency_ms=shadow_cfg.latency_ms,
        fee_tier=fee_tier(config),
    )
    log.info(f"shadow report: {files.get('html')}")
