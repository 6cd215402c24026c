"""Node capacity: how many coins one core can quote, and the requests per book event (issue 18).

hlsim (in this process, its own thread) replays the four-coin recording of 2025-09-04 (BTC, ETH,
SOL, WLFI, shipped in data/samples/) at `--speed` (default 5) × real time: four coins at 5× are as
busy as about 20 coins live. One node, the real `run_live.py` in its own process (live mode,
configs/live.json's engines and actors, its ETH strategy's parameters for each coin), quotes all
four. Per run:

- `cpu_fraction`: the node process's CPU time (user + system, all threads, from /proc) over the
  measured wall time, as a fraction of one core;
- `coins_per_core` = 4 × speed / cpu_fraction: coins of live-like traffic one core keeps up with;
- `requests_per_commanding_event`: the signed /exchange requests that reached hlsim (hlsim's
  `Traffic`), over the replayed market messages that drew at least one. A request is charged to
  the last replayed message (l2Book, bbo or trades) of its coin before it arrived (the node acts on
  book events; a request following a fill or a guard's timer is charged to the message before it);
- `loopback_p50_ms` / `loopback_p99_ms`: from a replayed message applied in hlsim (its frames go to
  the socket then) to the first request charged to it, on hlsim's thread with one clock: the
  latency under this load.

The replay starts once the node quotes on the recording's first books; the first `--warmup-s`
market seconds are not measured. The RegimeGovernor's cancel-to-fill hold, action rate and edge
check are off (as in bench/latency.py): the node keeps quoting every coin at full pace, the heavier
case (with them on, the majors stand down and the figures would flatter the node). `--baseline` is the same
with `batch_actions` off (strategy and client: each cancel and modify its own request); by default
both run, alternated (ABBA over `--rounds`), and the figures are medians per variant.

    .venv/bin/python bench/node_capacity.py [--rounds 2] [--market-s 240] [--speed 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import _harness  # first: takes bench/ off sys.path
import numpy as np

from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data
from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread

COINS = {"BTC": 5, "ETH": 4, "SOL": 2, "WLFI": 0}  # szDecimals (data/samples/README.md)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _merged_window(path: Path, start_skip_s: float, span_s: float) -> tuple[int, int]:
    """The four captures merged by receive time into one plain file, `span_s` market seconds from
    `start_skip_s` after the recording's start; returns (lines, first receive ns)."""
    lines: list[tuple[int, bytes]] = []
    for coin in COINS:
        with gzip.open(shipped_data.four_coin_capture(coin), "rb") as fh:
            for line in fh:
                head, _, _ = line.partition(b" ")
                lines.append((int(head), line if line.endswith(b"\n") else line + b"\n"))
    lines.sort(key=lambda x: x[0])
    t0 = lines[0][0] + int(start_skip_s * 1e9)
    t1 = t0 + int(span_s * 1e9)
    window = [line for ts, line in lines if t0 <= ts < t1]
    path.write_bytes(b"".join(window))
    return len(window), t0


def _cpu_secs(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def run_once(replay_file: Path, batch: bool, speed: float, warmup_s: float) -> dict[str, Any]:
    key = "0x" + secrets.token_hex(32)
    address = L1Signer(key).address
    lock = threading.Lock()
    measuring = [False]
    last_frame: dict[int, int] = {}  # asset → index of its last replayed message
    frames: list[tuple[float, int]] = []  # (time, asset) of each replayed message while measuring
    charged: dict[int, list[float]] = {}  # frame index → arrival times of the requests charged to it
    kinds: dict[str, int] = {}
    assets = {coin: i for i, coin in enumerate(COINS)}

    with tempfile.TemporaryDirectory() as tmp, run_hlsim_in_thread(
        HlSimConfig(coins=dict(COINS), ip_weight_per_min=None, address_initial_budget=10_000_000)
    ) as sim:
        server = sim.server
        replayer = server.replayer
        original_apply = replayer.apply

        def timed_apply(channel: str, data: Any) -> None:
            original_apply(channel, data)
            if not measuring[0]:
                return
            coin = data.get("coin") if isinstance(data, dict) else (data[0].get("coin") if data else None)
            asset = assets.get(coin)  # type: ignore[arg-type]
            if asset is not None:
                with lock:
                    last_frame[asset] = len(frames)
                    frames.append((time.perf_counter(), asset))

        def on_request(kind: str, request_assets: tuple[int, ...]) -> None:
            if not measuring[0]:
                return
            now = time.perf_counter()
            with lock:
                kinds[kind] = kinds.get(kind, 0) + 1
                for asset in request_assets[:1]:  # one coin per request: one strategy's event
                    frame = last_frame.get(asset)
                    if frame is not None:
                        charged.setdefault(frame, []).append(now)

        sim.call(lambda: setattr(replayer, "apply", timed_apply))
        sim.call(lambda: setattr(sim.engine.traffic, "listener", on_request))
        sim.fund(address, 10_000_000)
        # The recording's first book of each coin, so the node has something to quote on.
        with open(replay_file, "rb") as fh:
            first_books: dict[str, Any] = {}
            for line in fh:
                msg = json.loads(line.partition(b" ")[2])
                if msg.get("channel") == "l2Book" and msg["data"]["coin"] not in first_books:
                    first_books[msg["data"]["coin"]] = msg["data"]
                if len(first_books) == len(COINS):
                    break
        for data in first_books.values():
            sim.call(original_apply, "l2Book", data)
        with _harness.live_node(
            _harness.live_node_config(tuple(COINS), "redis://127.0.0.1:6379/0", batch), Path(tmp), sim.rest_url, address, key,
        ) as proc:
            _harness.wait_until(
                lambda: len({o["coin"] for o in sim.open_orders(address)}) >= len(COINS), proc, 90,
                "the node never quoted all four coins",
            )
            time.sleep(1.0)
            sim.call(_start, replayer.run(replay_file, speed))
            time.sleep(warmup_s / speed)
            with lock:
                measuring[0] = True
            cpu0, wall0 = _cpu_secs(proc.pid), time.perf_counter()
            while not replayer.stats.done:
                if proc.poll() is not None:
                    raise SystemExit("the node stopped during the replay")
                time.sleep(0.2)
            cpu1, wall1 = _cpu_secs(proc.pid), time.perf_counter()
            with lock:
                measuring[0] = False
    cpu_fraction = (cpu1 - cpu0) / (wall1 - wall0)
    latencies = [(min(times) - frames[i][0]) * 1000.0 for i, times in charged.items()]
    requests = sum(len(t) for t in charged.values())
    return {
        "cpu_fraction": cpu_fraction,
        "coins_per_core": len(COINS) * speed / cpu_fraction,
        "requests_per_commanding_event": requests / len(charged) if charged else float("nan"),
        "loopback_p50_ms": float(np.percentile(latencies, 50)) if latencies else float("nan"),
        "loopback_p99_ms": float(np.percentile(latencies, 99)) if latencies else float("nan"),
        "commanding_events": len(charged),
        "replayed_messages": len(frames),
        "requests": sum(kinds.values()),
        "requests_by_kind": kinds,
        "measured_wall_s": wall1 - wall0,
    }


def _start(coro: Any) -> None:
    """Runs the replay as a task of hlsim's loop (called on that loop)."""
    import asyncio

    task = asyncio.get_running_loop().create_task(coro)
    _TASKS.append(task)  # a reference, so the task is not collected mid-run


_TASKS: list[Any] = []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs, ours and the baseline alternated (ABBA)")
    parser.add_argument("--market-s", type=float, default=240.0, help="market seconds replayed per run, warm-up included")
    parser.add_argument("--warmup-s", type=float, default=30.0, help="market seconds not measured at the replay's start")
    parser.add_argument("--skip-s", type=float, default=60.0, help="market seconds of the recording skipped at its start")
    parser.add_argument("--speed", type=float, default=5.0, help="replay pace, × real time")
    parser.add_argument("--baseline", action="store_true", help="only the baseline (batch_actions off)")
    parser.add_argument("--ours", action="store_true", help="only ours (batch_actions on)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or not args.speed > 0 or args.warmup_s >= args.market_s:
        parser.error("--rounds ≥ 1, --speed > 0 and --warmup-s < --market-s")
    variants = [True] if args.ours else [False] if args.baseline else [True, False]
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    load_before = _harness.machine_load()
    with tempfile.TemporaryDirectory() as tmp:
        replay_file = Path(tmp) / "four_coins.ws"
        n, _ = _merged_window(replay_file, args.skip_s, args.market_s)
        print(f"replaying {n} messages ({args.market_s:g} market s at {args.speed:g}×) per run; load {load_before}")
        for r in range(args.rounds):
            order = variants if r % 2 == 0 else list(reversed(variants))
            for batch in order:
                result = run_once(replay_file, batch, args.speed, args.warmup_s)
                runs[batch].append(result)
                label = "ours    " if batch else "baseline"
                print(f"  round {r + 1} {label}: cpu {result['cpu_fraction']:.3f} core, "
                      f"{result['coins_per_core']:.0f} coins/core, "
                      f"{result['requests_per_commanding_event']:.3f} requests/commanding event "
                      f"({result['requests']} requests, {result['commanding_events']} events, {result['requests_by_kind']}), "
                      f"loopback p50 {result['loopback_p50_ms']:.2f} / p99 {result['loopback_p99_ms']:.2f} ms")

    def med(batch: bool, name: str) -> float:
        return round(statistics.median(r[name] for r in runs[batch]), 3)

    keys = ("cpu_fraction", "coins_per_core", "requests_per_commanding_event", "loopback_p50_ms", "loopback_p99_ms",
            "commanding_events", "requests")
    result: dict[str, Any] = {}
    if runs[True]:
        result |= {k: med(True, k) for k in keys}
    if runs[False]:
        result |= {f"baseline_{k}": med(False, k) for k in keys}
    cmd = " ".join([".venv/bin/python bench/node_capacity.py", *(argv if argv is not None else sys.argv[1:])])
    result |= {
        "coins": len(COINS), "replay_speed": args.speed, "market_s_per_run": args.market_s, "warmup_s": args.warmup_s,
        "rounds": args.rounds, "machine_load_before": load_before, "machine_load_after": _harness.machine_load(),
        "command": cmd.strip(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=1))
    _harness.write_results("node_capacity", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
