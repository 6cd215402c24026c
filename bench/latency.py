"""Latency audit: a book frame leaving hlsim → the resulting cancel/modify arriving at hlsim, on loopback.

hlsim runs in this process; the node is the real `run_live.py` (live mode, its own process) quoting
ETH on a scripted book. Each trial shifts the whole book by 1.0 (10 ticks, ~3 bps: past the
strategy's re-quote tolerance) and timestamps, on hlsim's thread with one clock:
- t0: the book replaced in hlsim's engine (the l2Book/bbo frames are queued to the socket right then);
- t1: the first order action (modify, cancel or order) of the node reaching hlsim (timed as hlsim
  starts checking its signature, i.e. once the WS/HTTP frame is decoded).
The RegimeGovernor's cancel-to-fill hold, action rate and edge check are off for the bench (every
trial re-quotes with no fill on a one-tick book: they would hold or stand down the quotes and there
would be nothing to time; `_harness.live_node_config`); all else is the shipped configs/live.json.
Writes bench/results/latency.json with p50_ms, p99_ms, max_ms (target p99 <= 5 ms).
`--baseline` also runs the node with `batch_actions` off (each cancel and modify its own request),
alternated with ours (ABBA over `--rounds`); the figures are medians of the runs' p50/p99/max.

    .venv/bin/python bench/latency.py [--baseline] [--rounds N]
"""

from __future__ import annotations

# bench/ holds scripts named like packages (bench/hlsim.py): keep them from shadowing the real ones.
import json
import secrets
import sys
import tempfile
import threading
import time
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import _harness  # first: takes bench/ off sys.path
import numpy as np

from adapters.hyperliquid.signing import L1Signer
from hlsim.api import exchange as exchange_api
from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread

TRIALS = 150
GAP_S = 0.2
BIDS = [(3000.0, 4.0), (2999.9, 6.0), (2999.8, 8.0), (2999.5, 10.0), (2999.0, 20.0)]
ASKS = [(3000.1, 4.0), (3000.2, 6.0), (3000.3, 8.0), (3000.6, 10.0), (3001.0, 20.0)]


def run_once(batch: bool) -> tuple[list[float], int]:
    """One node (batch_actions `batch`), TRIALS book shifts: the latencies (ms) and the trials with no action."""

    key = "0x" + secrets.token_hex(32)
    address = L1Signer(key).address
    arrivals: list[float] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory() as tmp, run_hlsim_in_thread(
        HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)
    ) as sim:
        engine = sim.engine
        original = exchange_api.verify_signer

        def timed_verify(request, is_mainnet):  # type: ignore[no-untyped-def]
            # The first thing hlsim does with an /exchange body (REST or WS post) after decoding it.
            # Every action the node sends here is an order, cancel or modify (no scheduleCancel configured).
            with lock:
                arrivals.append(time.perf_counter())
            return original(request, is_mainnet)

        sim.call(lambda: setattr(exchange_api, "verify_signer", timed_verify))
        sim.fund(address, 1_000_000)
        sim.set_book("ETH", BIDS, ASKS)
        with _harness.live_node(
            _harness.live_node_config(("ETH",), "redis://127.0.0.1:6379/0", batch), Path(tmp), sim.rest_url, address, key,
        ) as proc:
            _harness.wait_until(lambda: len(sim.open_orders(address)) >= 2, proc, 60, "the node never quoted")
            time.sleep(1.0)
            latencies: list[float] = []
            missed = 0
            for trial in range(TRIALS):
                shift = 1.0 if trial % 2 == 0 else 0.0
                # The engine's level shape: (Decimal px, Decimal sz, order count).
                bids = [(Decimal(f"{px + shift:.1f}"), Decimal(str(sz)), 1) for px, sz in BIDS]
                asks = [(Decimal(f"{px + shift:.1f}"), Decimal(str(sz)), 1) for px, sz in ASKS]
                with lock:
                    arrivals.clear()
                t0: list[float] = []
                sim.call(lambda b=bids, a=asks, t=t0: (t.append(time.perf_counter()), engine.set_book("ETH", b, a)))
                time.sleep(GAP_S)
                with lock:
                    first = min((t for t in arrivals if t >= t0[0]), default=None)
                if first is None:
                    missed += 1
                    continue
                latencies.append((first - t0[0]) * 1000.0)
    return latencies, missed


def main(argv: list[str] | None = None) -> int:
    import argparse
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", action="store_true",
                        help="also run the node with batch_actions off, alternated with ours (ABBA)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per variant; figures are medians over them")
    args = parser.parse_args(argv)
    load_before = _harness.machine_load()
    variants = [True, False] if args.baseline else [True]
    per_run: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    every: dict[bool, list[float]] = {True: [], False: []}
    missed_all = {True: 0, False: 0}
    for r in range(args.rounds):
        for batch in variants if r % 2 == 0 else list(reversed(variants)):
            latencies, missed = run_once(batch)
            values = np.array(latencies)
            per_run[batch].append({"p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99)),
                                   "max_ms": float(values.max())})
            every[batch] += latencies
            missed_all[batch] += missed
            print(f"round {r + 1} {'ours' if batch else 'baseline'}: " + ", ".join(
                f"{k} {v:.3f}" for k, v in per_run[batch][-1].items()) + f" ({len(values)} trials, {missed} missed)")

    def med(batch: bool, key: str) -> float:
        return round(statistics.median(run[key] for run in per_run[batch]), 3)

    result: dict = {k: med(True, k) for k in ("p50_ms", "p99_ms", "max_ms")}
    if per_run[False]:
        result |= {f"baseline_{k}": med(False, k) for k in ("p50_ms", "p99_ms", "max_ms")}
    result |= {
        "trials_per_run": TRIALS, "rounds": args.rounds, "missed": missed_all[True],
        "machine_load_before": load_before, "machine_load_after": _harness.machine_load(),
        "command": " ".join([".venv/bin/python bench/latency.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    latencies = every[True]
    missed = missed_all[True]
    values = np.array(latencies)
    hist, edges = np.histogram(values, bins=[0, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 20, 50, 1e9])
    print(f"ours, all runs: trials {TRIALS * args.rounds}, measured {len(values)}, no action within "
          f"{GAP_S * 1000:.0f} ms: {missed}")
    for count, lo, hi in zip(hist, edges[:-1], edges[1:], strict=True):
        label = f"[{lo:g}, {hi:g}) ms" if hi < 1e9 else f">= {lo:g} ms"
        print(f"  {label:>16} {count:4d} {'#' * int(count)}")
    print(json.dumps(result, indent=1))
    _harness.write_results("latency", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
