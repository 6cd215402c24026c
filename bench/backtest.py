"""Backtest throughput: events/s of the full stack (MarketMaker + RegimeGovernor + RiskGuard on
the default config, its edge check off so that the strategy quotes) against a bare replay of the same catalog data (same engine and venue, no
components), both measured in this run on the shipped ETH capture; medians of 5 alternating
runs. Wall clock is what the results file holds; the CPU-time ratio (less sensitive to other
processes on a shared machine) is printed beside it. Writes bench/results/backtest.json.

    .venv/bin/python bench/backtest.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)
import msgspec
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from backtest import runner as backtest_run
from backtest import window
from backtest.runner import load_settings
from backtest.runner import run_session
from catalog.ingest import ensure_shipped_catalog
from catalog.shipped_data import PROJECT_ROOT

RUNS = 5
_cpu: dict[str, list[float]] = {"bare": [], "full": []}


def bare(settings, spec, catalog) -> tuple[int, float]:
    inst = backtest_run.instrument_for_tier(catalog, spec.instrument, settings.fee_tier)
    engine = backtest_run.make_engine([inst], settings.latency_ms, settings.starting_usdc, log_level="OFF")
    t0 = time.perf_counter()
    c0 = time.process_time()
    # Streamed from the catalog like the full run (whose wall time includes reading its window).
    events = backtest_run.replay(engine, window.stream(catalog, backtest_run.window_of(settings, spec)))
    wall = time.perf_counter() - t0
    _cpu["bare"].append(time.process_time() - c0)
    engine.dispose()
    return events, wall


def full(settings, spec, catalog) -> tuple[int, float, int]:
    session = run_session(settings, spec, catalog, log_level="OFF")
    _cpu["full"].append(session.extra["cpu_s"])  # the streamed replay, like the bare figure
    actions = sum(session.strategy.actions.values())
    session.engine.dispose()
    return session.data_events, session.wall_s, actions


def main() -> int:
    settings = load_settings(PROJECT_ROOT / "configs" / "backtest.json")
    # The edge check off: it stands the ETH capture down (a one-tick spread cannot pay the fee), and a
    # full stack that quotes nothing would measure the replay, not the strategy's work per event.
    settings = msgspec.structs.replace(settings, governor={**(settings.governor or {}), "edge_check_enabled": False})
    spec = settings.runs[0]
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(PROJECT_ROOT / "data" / "catalog")))
    full_rates, bare_rates = [], []
    actions = 0
    events = 0
    for _ in range(RUNS):
        n, wall = bare(settings, spec, catalog)
        bare_rates.append(n / wall)
        events, wall, actions = full(settings, spec, catalog)
        full_rates.append(events / wall)
    result = {
        "full_events_per_s": round(statistics.median(full_rates)),
        "bare_events_per_s": round(statistics.median(bare_rates)),
        "full_vs_bare_ratio": round(statistics.median(full_rates) / statistics.median(bare_rates), 3),
        "events": events,
        "order_actions_full": actions,
        "run": spec.name,
        "command": ".venv/bin/python bench/backtest.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(f"{spec.name}: {events:,} events; full stack {result['full_events_per_s']:,} events/s, bare replay "
          f"{result['bare_events_per_s']:,} events/s → ratio {result['full_vs_bare_ratio']} (target ≥ 0.40); "
          f"{actions} order actions in the full run")
    cpu_ratio = statistics.median(_cpu["bare"]) / statistics.median(_cpu["full"])
    print(f"in CPU time: bare {statistics.median(_cpu['bare']):.3f} s, full {statistics.median(_cpu['full']):.3f} s "
          f"→ ratio {cpu_ratio:.3f}")
    # The results file holds exactly the keys plus command and date; the rest is printed.
    keep = {k: result[k] for k in ("full_events_per_s", "bare_events_per_s", "full_vs_bare_ratio", "command", "date")}
    out = Path(__file__).resolve().parent / "results" / "backtest.json"
    out.write_text(json.dumps(keep, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
