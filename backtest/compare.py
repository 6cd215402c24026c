"""Shadow mode vs backtest on the same replay: how closely do their fills agree?

    python -m backtest.compare [--minutes 4] [--latency-ms 50] [--matching queue_model|backtest_venue]
        [--out reports/shadow_vs_backtest.json] [--reuse-shadow EARLIER_OUT.json]

1. The first `--minutes` of the shipped ETH capture are replayed by hlsim at 1x (real time, so the
   strategy's and guards' clocks see the market's true pace); `run_live.py --mode shadow` (the shipped
   `configs/shadow.json`, ETH only, no screener feed, the full 20-level `l2Book` instead of the 5-level
   `fast` one) trades it with the shadow execution client (`--matching`: hlsim's queue rules, or the
   backtest venue's).
2. Two backtests (`backtest.runner.run_session`, the same strategy and actor settings and
   latency) quote from the moment the shadow node's first order reached the virtual book (mapped
   back to the recording's clock):
   - `backtest_same_input`: over the stream the shadow node saw, rebuilt offline with hlsim's own
     replayer (`replay_data.shadow_view_data`: the book with the bbo frames applied, as published);
   - `backtest_catalog`: over the catalog's copy of the capture (diffs of the 20-level snapshots,
     bbo only as quotes), which is what `run_backtest.py` uses.
3. All are summarised with the backtest report's metrics, and each shadow fill is matched to a
   backtest fill of the same side and price within 2 s (recording time).

What remains different with the same input and the same rules: the node's wall clock (asyncio
latency, processing delays, hlsim's pacing) vs the backtest's exact timestamps, so orders reach the
book at slightly different moments and a ladder placed a moment later has other sizes or prices.
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
from simulation.matcher import MATCHING_MODES

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


def shadow_node_config(latency_ms: float, matching: str = "queue_model") -> dict[str, Any]:
    raw = json.loads((ROOT / "configs" / "shadow.json").read_text())
    raw["strategies"] = [s for s in raw["strategies"] if s["config"]["instrument_id"] == IID]
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = [IID]
        actor["config"].pop("redis_url", None)  # no screener: both runs keep the same parameters
        if actor["actor_path"].endswith("RegimeGovernor"):
            # The comparison is of fills on the same quotes: the edge check would stand this ETH
            # capture (a one-tick spread) down in both, and the action rate's steps follow each
            # side's own clock, so the two would quote differently.
            actor["config"].update(edge_check_enabled=False, action_rate_enabled=False)
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = 1
    for spec in raw["data_clients"].values():
        spec["config"]["coins"] = ["ETH"]
        # The full 20-level l2Book, like the recording the backtest's catalog holds: the `fast` feed
        # shows 5 levels (~1.3 bps on this capture), closer than the ladder's first level, so every
        # shadow order would sit outside the window with an unknown queue.
        spec["config"]["l2_book_fast"] = False
    raw["shadow"]["latency_ms"] = latency_ms
    raw["shadow"]["matching"] = matching
    raw["logging"] = {"log_level": "WARNING"}
    return raw


def run_shadow(capture: Path, seconds: float, latency_ms: float, tmp: Path, matching: str = "queue_model") -> dict[str, Any]:
    from hlsim.testing import HlSimConfig
    from hlsim.testing import run_hlsim_in_thread

    config_path = tmp / "shadow.json"
    config_path.write_text(json.dumps(shadow_node_config(latency_ms, matching)))
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


def run_backtest(
    start_ns: int, end_ns: int, latency_ms: float, node_config: dict[str, Any], capture: Path | None = None,
) -> dict[str, Any]:
    """The backtest over the catalog's copy of the capture, or (`capture` given) over the stream the
    shadow node saw when hlsim replayed it (`replay_data.shadow_view_data`)."""
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from backtest.reporting import report
    from backtest.runner import BacktestSettings
    from backtest.runner import RunSpec
    from backtest.runner import run_session
    from catalog.ingest import ensure_shipped_catalog

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
    data = None
    if capture is not None:
        from backtest.replay_data import shadow_view_data
        from backtest.runner import instrument_for_tier

        inst = instrument_for_tier(catalog, IID, settings.fee_tier)
        data = shadow_view_data(capture, inst, "ETH", inst.size_precision)
    session = run_session(settings, spec, catalog, start_ns=start_ns, end_ns=end_ns, data=data)
    built = report.build(session)
    fills = [{"ts": f.ts_ns, "side": f.side, "px": f.px, "qty": f.qty} for f in built.fills]
    from dataclasses import asdict

    out = {"metrics": asdict(built.metrics), "run": built.run, "fills": fills}
    if data is not None:
        out["same_orders"] = same_orders_fills(session, data)
    return out


def same_orders_fills(session: Any, data: list[Any]) -> dict[str, Any]:
    """The backtest's own orders replayed through both shadow matchers on the same data: what the
    matching rule alone changes (fill count and volume), orders and timing held fixed."""
    from backtest import rule_replay
    from simulation.matcher import BacktestVenueMatcher
    from simulation.matcher import QueueMatcher
    from simulation.queue_model import make_queue_rule

    orders = session.engine.cache.orders()
    timeline = rule_replay.order_timeline(orders)
    lot = float(session.instrument.size_increment)
    rule = make_queue_rule("conservative", 2.0)
    out = {}
    for name, fills in (
        ("backtest_venue", rule_replay.venue_fills(orders)),
        ("shadow_backtest_venue_rules", rule_replay.replay(data, timeline, BacktestVenueMatcher(rule, lot), session.instrument.id)),
        ("shadow_queue_model_rules", rule_replay.replay(data, timeline, QueueMatcher(rule, lot), session.instrument.id)),
    ):
        out[name] = {"fills": len(fills), "volume_usd": round(sum(f.qty * f.price for f in fills), 2)}
    return out


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


def _summary(metrics: dict[str, Any], actions: dict[str, int]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("fills", "volume_usd", "fees", "total_pnl", "maker_share")} | {"actions": actions}


def agreement(shadow_fills: list[dict[str, Any]], backtest_fills: list[dict[str, Any]]) -> dict[str, Any]:
    matched = match_fills(shadow_fills, backtest_fills)
    return {
        "shadow_fills_matched_in_backtest": matched,
        "matched_share": round(matched / len(shadow_fills), 3) if shadow_fills else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="minutes of the ETH capture to replay")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "shadow_vs_backtest.json")
    parser.add_argument("--matching", choices=MATCHING_MODES, default="queue_model",
                        help="the shadow client's fill rules (backtest_venue = the backtest venue's)")
    parser.add_argument("--reuse-shadow", type=Path, default=None,
                        help="take the shadow run from this earlier output (same --minutes) instead of replaying at 1x")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        capture = tmp / "eth_head.ws.gz"
        first_ns, last_ns = truncated_capture(shipped_data.eth_capture(), capture, args.minutes)
        if args.reuse_shadow is not None:
            shadow_part = json.loads(args.reuse_shadow.read_text())["shadow_run"]
        else:
            span_s = (last_ns - first_ns) / 1e9
            shadow = run_shadow(capture, span_s + 3.0, args.latency_ms, tmp, args.matching)
            # hlsim paces record i at replay start + (recv_i - first); map the node's wall clock back.
            offset = first_ns - shadow["replay_started_ns"]
            first_order_ns = shadow["state"].get("first_order_ns")
            shadow_part = {
                "matching": args.matching,
                "quote_from_ns": (first_order_ns + offset) if first_order_ns else first_ns,
                "summary": _summary(shadow["summary"]["metrics"], shadow["summary"]["run"]["actions"]),
                "fills": [
                    {"ts": f["ts_event"] + offset, "side": f["side"], "px": float(f["px"]), "qty": float(f["qty"])}
                    for f in shadow["state"]["fills"]
                ],
            }
        quote_from = shadow_part["quote_from_ns"]
        node_config = shadow_node_config(args.latency_ms)
        # Same input: the stream the shadow node saw (hlsim's re-published book with bbo applied).
        same = run_backtest(quote_from, last_ns, args.latency_ms, node_config, capture=capture)
    # The catalog's copy of the recording (diffs of the 20-level snapshots; bbo only as quotes).
    recorded = run_backtest(quote_from, last_ns, args.latency_ms, node_config)
    shadow_fills = shadow_part["fills"]
    result = {
        "window": [datetime.fromtimestamp(quote_from / 1e9, UTC).isoformat(), datetime.fromtimestamp(last_ns / 1e9, UTC).isoformat()],
        "latency_ms": args.latency_ms,
        "shadow_book": "l2Book 20 levels (not fast), hlsim pushes on every change",
        "shadow_matching": shadow_part.get("matching", args.matching),
        "shadow": shadow_part["summary"],
        "backtest_same_input": _summary(same["metrics"], same["run"]["actions"]) | agreement(shadow_fills, same["fills"]),
        "same_orders_by_rule": same["same_orders"],
        "backtest_catalog": _summary(recorded["metrics"], recorded["run"]["actions"])
        | agreement(shadow_fills, recorded["fills"]),
        "shadow_run": shadow_part,
        "backtest_same_input_fills": same["fills"],
        "backtest_catalog_fills": recorded["fills"],
    }
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("_fills") and k != "shadow_run"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
