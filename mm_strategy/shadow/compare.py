"""Shadow mode vs backtest on the same replay: how closely do their fills agree?

    python -m mm_strategy.shadow.compare [--minutes 4] [--latency-ms 50] [--out reports/shadow_vs_backtest.json]

1. The first `--minutes` of the shipped ETH capture are replayed by hlsim at 1x (real time, so the
   strategy's and guards' clocks see the market's true pace); `run_live.py --mode shadow` (the shipped
   `configs/shadow.json`, ETH only, no screener feed) trades it with the shadow execution client.
2. The backtest (`mm_strategy.backtest_run.run_session`, the same strategy and actor settings and
   latency) runs over the catalog's copy of the same capture, quoting from the moment the shadow
   node's first order reached the virtual book (mapped back to the recording's clock).
3. Both are summarised with the backtest report's metrics, and each shadow fill is matched to a
   backtest fill of the same side and price within 2 s (recording time).

Known sources of difference: hlsim re-publishes the book as 5-level `l2Book` (fast) + `bbo` frames
with its own timestamps while the backtest reads the recorded 20-level diffs; Nautilus's backtest
queue model (only trades and level deletes move the queue) vs the conservative rule here; the
node's wall-clock latency vs the backtest's fixed latency model.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from catalog import shipped_data

ROOT = shipped_data.PROJECT_ROOT
IID = "ETH-USD-PERP.HYPERLIQUID"
MATCH_WINDOW_NS = 2_000_000_000


def truncated_capture(src: Path, dst: Path, minutes: float) -> tuple[int, int]:
    """Copy the first `minutes` of a WS capture (`<recv ns> <json>` lines); returns (first, last) recv ns."""
    first = last = None
    with gzip.open(src, "rt") as fin, gzip.open(dst, "wt") as fout:
        for line in fin:
            ns = int(line.split(" ", 1)[0])
            first = ns if first is None else first
            if ns - first > minutes * 60e9:
                break
            last = ns
            fout.write(line)
    assert first is not None and last is not None
    return first, last


def shadow_node_config(latency_ms: float) -> dict[str, Any]:
    raw = json.loads((ROOT / "configs" / "shadow.json").read_text())
    raw["strategies"] = [s for s in raw["strategies"] if s["config"]["instrument_id"] == IID]
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = [IID]
        actor["config"].pop("redis_url", None)  # no screener: both runs keep the same parameters
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = 1
    for spec in raw["data_clients"].values():
        spec["config"]["coins"] = ["ETH"]
    raw["shadow"]["latency_ms"] = latency_ms
    raw["logging"] = {"log_level": "WARNING"}
    return raw


def run_shadow(capture: Path, seconds: float, latency_ms: float, tmp: Path) -> dict[str, Any]:
    from hlsim.testing import HlSimConfig
    from hlsim.testing import run_hlsim_in_thread

    config_path = tmp / "shadow.json"
    config_path.write_text(json.dumps(shadow_node_config(latency_ms)))
    state_path = tmp / "shadow.state.json"
    report_dir = tmp / "shadow_report"
    replay = HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None, replay=str(capture), replay_speed=1.0)
    started_ns = time.time_ns()
    with run_hlsim_in_thread(replay) as sim:
        proc = subprocess.run(
            [sys.executable, "run_live.py", "--config", str(config_path), "--network", sim.rest_url,
             "--run-secs", str(seconds), "--report-dir", str(report_dir), "--state-file", str(state_path),
             "--no-status", "--log-level", "WARNING"],
            cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120, env={**os.environ},
        )
    if proc.returncode != 0:
        raise RuntimeError(f"shadow run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    summary = json.loads((report_dir / "backtest_summary.json").read_text())[0]
    state = json.loads(state_path.read_text())
    return {"replay_started_ns": started_ns, "summary": summary, "state": state}


def run_backtest(start_ns: int, end_ns: int, latency_ms: float, node_config: dict[str, Any]) -> dict[str, Any]:
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from catalog.ingest import ensure_shipped_catalog
    from mm_strategy.backtest_run import BacktestSettings
    from mm_strategy.backtest_run import RunSpec
    from mm_strategy.backtest_run import run_session
    from mm_strategy.reporting import report

    strategy = dict(node_config["strategies"][0]["config"])
    for key in ("instrument_id", "order_id_tag"):
        strategy.pop(key, None)
    actors = {a["actor_path"].rsplit(":", 1)[1]: dict(a["config"]) for a in node_config["actors"]}
    for cfg in actors.values():
        cfg.pop("instrument_ids", None)
    spec = RunSpec(name="backtest_ETH", instrument=IID)
    settings = BacktestSettings(
        runs=[spec], latency_ms=latency_ms,
        starting_usdc=node_config["shadow"].get("starting_balance_usdc", 10_000.0),
        strategy=strategy, governor=actors.get("RegimeGovernor", {}), risk_guard=actors.get("RiskGuard", {}),
    )
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog()))
    session = run_session(settings, spec, catalog, start_ns=start_ns, end_ns=end_ns)
    built = report.build(session)
    fills = [{"ts": f.ts_ns, "side": f.side, "px": f.px, "qty": f.qty} for f in built.fills]
    from dataclasses import asdict

    return {"metrics": asdict(built.metrics), "run": built.run, "fills": fills}


def match_fills(shadow: list[dict[str, Any]], backtest: list[dict[str, Any]]) -> int:
    """Shadow fills with a backtest fill of the same side and price within the window (each used once)."""
    unused = list(backtest)
    matched = 0
    for f in shadow:
        for i, g in enumerate(unused):
            if g["side"] == f["side"] and abs(g["px"] - f["px"]) < 1e-9 and abs(g["ts"] - f["ts"]) <= MATCH_WINDOW_NS:
                matched += 1
                del unused[i]
                break
    return matched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="minutes of the ETH capture to replay")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "shadow_vs_backtest.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        capture = tmp / "eth_head.ws.gz"
        first_ns, last_ns = truncated_capture(shipped_data.eth_capture(), capture, args.minutes)
        span_s = (last_ns - first_ns) / 1e9
        shadow = run_shadow(capture, span_s + 3.0, args.latency_ms, tmp)
    # hlsim paces record i at replay start + (recv_i - first); map the node's wall clock back.
    offset = first_ns - shadow["replay_started_ns"]
    shadow_fills = [
        {"ts": f["ts_event"] + offset, "side": f["side"], "px": float(f["px"]), "qty": float(f["qty"])}
        for f in shadow["state"]["fills"]
    ]
    first_order_ns = shadow["state"].get("first_order_ns")
    quote_from = (first_order_ns + offset) if first_order_ns else first_ns
    backtest = run_backtest(quote_from, last_ns, args.latency_ms, shadow_node_config(args.latency_ms))
    sm, bm = shadow["summary"]["metrics"], backtest["metrics"]
    matched = match_fills(shadow_fills, backtest["fills"])
    result = {
        "window": [datetime.fromtimestamp(quote_from / 1e9, UTC).isoformat(), datetime.fromtimestamp(last_ns / 1e9, UTC).isoformat()],
        "latency_ms": args.latency_ms,
        "shadow": {k: sm[k] for k in ("fills", "volume_usd", "fees", "total_pnl", "maker_share")} | {"actions": shadow["summary"]["run"]["actions"]},
        "backtest": {k: bm[k] for k in ("fills", "volume_usd", "fees", "total_pnl", "maker_share")} | {"actions": backtest["run"]["actions"]},
        "shadow_fills_matched_in_backtest": matched,
        "matched_share": round(matched / len(shadow_fills), 3) if shadow_fills else None,
    }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
