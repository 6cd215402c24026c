"""Edge and order churn of the default config (configs/backtest.json) over the shipped data: the
four-coin recording of 2025-09-04, the ETH capture and the BTC archive hour, one run each as the
main job runs them. Writes bench/results/edge.json with the issue's keys:

- `max_actions_per_usdc`: the highest actions per USDC traded over the runs that traded (≤ 1.0);
- `max_idle_actions_per_10s`: the highest actions per 10 s over the runs that traded nothing (≤ 1);
- `wlfi_net_pnl_usdc`, `wlfi_fills`, `wlfi_spread_capture_usdc`, `wlfi_fees_usdc`;
- per major of the recording (`btc`, `eth`, `sol`): `_stood_down`, `_net_pnl_usdc`, `_traded_usdc`,
  `_loss_limit_usdc` (1.5 bps of the traded notional) and `_ok` (stood down, or net PnL ≥ −limit);
- `runs`: the runs' names, and per run its `_status` line (the report's first line when stood down).

    .venv/bin/python bench/edge.py
"""

from __future__ import annotations

import json
import sys
from datetime import UTC
from datetime import datetime

import _harness  # first: takes bench/ off sys.path
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from backtest.reporting import report
from backtest.runner import load_settings
from backtest.runner import run_session
from catalog.ingest import ensure_shipped_catalog
from catalog.shipped_data import PROJECT_ROOT

MAJORS = {"btc": "btc_20250904", "eth": "eth_20250904", "sol": "sol_20250904"}
WLFI = "wlfi_20250904"
LOSS_LIMIT_BPS = 1.5


def main() -> int:
    settings = load_settings(PROJECT_ROOT / "configs" / "backtest.json")
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(PROJECT_ROOT / "data" / "catalog")))
    # The default config's runs, each once: the probabilistic WLFI twin is the main job's range of
    # fills, not another market.
    runs = [r for r in settings.runs if r.queue_rule is None]
    reports = {}
    for spec in runs:
        session = run_session(settings, spec, catalog, log_level="OFF")
        reports[spec.name] = report.build(session)
        session.engine.dispose()
    out: dict[str, object] = {"runs": ",".join(r.name for r in runs)}  # flat: no lists
    traded = []
    idle = []
    for name, r in reports.items():
        m = r.metrics
        span_s = (r.times[-1] - r.times[0]) / 1e9 if len(r.times) > 1 else 0.0
        per_10s = m.actions / span_s * 10 if span_s else 0.0
        if m.volume_usd > 0:
            traded.append(m.actions_per_usdc)
        else:
            idle.append(per_10s)
        out[f"{name}_status"] = r.status or f"quoted: {m.fills} fills, ${m.volume_usd:,.0f} traded, {m.actions} actions"
        print(f"{name:18s} net {m.total_pnl:+8.2f}  capture {m.spread_capture:+6.2f}  fees {-m.fees:+6.2f}  "
              f"fills {m.fills:4d}  traded ${m.volume_usd:8,.0f}  actions {m.actions:5d}  "
              f"per USDC {m.actions_per_usdc if m.actions_per_usdc is not None else float('nan'):.3f}  "
              f"per 10 s {per_10s:.3f}")
        if r.status:
            print(f"{'':18s} {r.status}")
    out["max_actions_per_usdc"] = round(max(traded), 3) if traded else None
    out["max_idle_actions_per_10s"] = round(max(idle), 3) if idle else None
    w = reports[WLFI].metrics
    out.update({
        "wlfi_net_pnl_usdc": round(w.total_pnl, 2), "wlfi_fills": w.fills,
        "wlfi_spread_capture_usdc": round(w.spread_capture, 2), "wlfi_fees_usdc": round(w.fees, 2),
        "wlfi_capture_above_fees": w.spread_capture > w.fees,
    })
    for coin, name in MAJORS.items():
        r = reports[name]
        limit = LOSS_LIMIT_BPS / 1e4 * r.metrics.volume_usd
        stood = r.status is not None
        out.update({
            f"{coin}_stood_down": stood, f"{coin}_net_pnl_usdc": round(r.metrics.total_pnl, 2),
            f"{coin}_traded_usdc": round(r.metrics.volume_usd, 2), f"{coin}_loss_limit_usdc": round(limit, 2),
            f"{coin}_ok": stood or r.metrics.total_pnl >= -limit,
        })
    out["command"] = ".venv/bin/python bench/edge.py"
    out["date"] = datetime.now(tz=UTC).isoformat(timespec="seconds")
    print(json.dumps({k: v for k, v in out.items() if not k.endswith("_status")}, indent=2))
    _harness.write_results("edge", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
