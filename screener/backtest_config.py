"""A backtest config for the assets a catalog screen picked, which `run_backtest.py --config FILE`
runs as is (the schema of `configs/backtest.json`, read by `backtest.runner.load_settings`).

One run per pick over the span of it the screen scored: quoting starts `warmup_s` after the first
book sample (the strategy's and the governor's windows fill first) and ends at the last. Each pick
gets its screened parameters as a per-coin strategy override; the shared strategy settings carry
the adverse-selection allowance the screen scored with, so the backtest's fee-edge check and the
screen agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.hyperliquid.common.fees import perp_fee_tier
from screener.catalog_reader import NS
from screener.files import write_json_atomic
from screener.pipeline import ScreenResult

BACKTEST_SUFFIX = ".backtest.json"


@dataclass(frozen=True, slots=True)
class BacktestConfigOptions:
    catalog: Path  # the catalog scored
    fee_tier: int = 0
    starting_usdc: float = 10_000.0
    latency_ms: float = 100.0
    report_dir: str = "reports/screener"
    warmup_s: int = 60

    def __post_init__(self) -> None:
        perp_fee_tier(self.fee_tier)
        if not (math.isfinite(self.starting_usdc) and self.starting_usdc > 0):
            raise ValueError(f"starting_usdc must be a finite number > 0, got {self.starting_usdc}")
        if not 0 <= self.latency_ms <= 60_000 or self.warmup_s < 0:
            raise ValueError("need latency_ms within 0..60000 and warmup_s >= 0")


def backtest_config_path(node_config_path: str | Path) -> Path:
    """Where the backtest config goes: beside the TradingNode config (`live.json` → `live.backtest.json`)."""
    path = Path(node_config_path)
    return path.with_name(path.name.removesuffix(".json") + BACKTEST_SUFFIX)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns // NS, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_backtest_config(result: ScreenResult, options: BacktestConfigOptions) -> dict[str, Any]:
    """The config as a JSON-ready dict; ValueError when the screen kept nothing to backtest."""
    picks = result.selected
    if picks.is_empty():
        raise ValueError("the screen selected no asset: nothing to backtest")
    missing = {"instrument_id", "book_start_ns", "book_end_ns", "adverse_selection_bps"} - set(picks.columns)
    if missing:
        raise ValueError(f"not a catalog screen (no {', '.join(sorted(missing))}): no recorded span to backtest")
    runs = []
    overrides: dict[str, dict[str, Any]] = {}
    for row in picks.sort("rank").iter_rows(named=True):
        start_ns = min(row["book_start_ns"] + options.warmup_s * NS, row["book_end_ns"] - NS)
        day = datetime.fromtimestamp(start_ns // NS, tz=UTC).strftime("%Y%m%d")
        runs.append(
            {
                # A selected asset is letters and digits (the payload's rule): a valid run name.
                "name": f"{row['asset'].lower()}_{day}",
                "instrument": row["instrument_id"],
                "start": _iso(start_ns),
                "end": _iso(row["book_end_ns"]),
            }
        )
        overrides[row["asset"]] = {
            "base_spread_bps": float(row["base_spread_bps"]),
            "level_spacing_ticks": int(row["level_spacing_ticks"]),
            "max_inventory_usd": float(row["max_inventory_usd"]),
            "order_size_usd": float(row["order_size_usd"]),
        }
    return {
        "catalog": str(Path(options.catalog).resolve()),
        "report_dir": options.report_dir,
        "fee_tier": options.fee_tier,
        "latency_ms": options.latency_ms,
        "starting_usdc": options.starting_usdc,
        "runs": runs,
        # The allowance the picks were scored with (one value per screen).
        "strategy": {"adverse_selection_bps": float(picks["adverse_selection_bps"][0]), "enforce_fee_edge": True},
        "strategy_overrides": overrides,
    }


def write_backtest_config(path: str | Path, result: ScreenResult, options: BacktestConfigOptions) -> Path:
    return write_json_atomic(path, build_backtest_config(result, options))
