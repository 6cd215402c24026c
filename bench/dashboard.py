"""Does a dashboard slow the hot path? bench/hot_path.py's live measurement (the LIVE kernel, the
shipped ETH capture paced at 60× market time, the shadow client), run in rounds of three:

- `without`: no dashboard;
- `server`: `dashboard.server.serve` on the node (port 0, loopback) before it runs, its sampler
  every 0.5 s (the default) on the node's loop, no browser: the dashboard's own cost in the node;
- `browsers`: the same with two Chromium processes (Debian's, the flags of
  tests/dashboard/browser_kit.py) showing the page over server-sent events for the whole replay.
  The browsers run on the same two cores as the node, as they would on a small box; the replay
  starts once both pages are connected; their CPU time is measured too.

Each run is its own process (one Nautilus kernel per process); the conditions alternate inside
each round so that the machine's drift (±50% between hours here) falls on all alike. Reported:
the median over runs of each run's p50 and p99 (µs, book event → the strategy's last order
command), the ratios to `without`, and how long one dashboard sample holds the node's loop.

    .venv/bin/python bench/dashboard.py    (3 rounds of 1 pass per run: ~7 min)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from types import ModuleType

import _harness  # noqa: F401  (first: takes bench/ off sys.path, where this file would shadow `dashboard`)
from nautilus_trader.live.node import TradingNode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _hot_path() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hot_path", BENCH / "hot_path.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONDITIONS = ("without", "server", "browsers")


def _session_cpu_seconds(session_id: int) -> float:
    """User + system CPU of every live process in a session (a browser and its children)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def _until(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("the browsers did not connect to the dashboard")
        await asyncio.sleep(0.05)


def run_part(condition: str, passes: int, speed: float) -> dict:
    from dashboard.address import ListenAddress
    from dashboard.server import serve
    from tests.dashboard.browser_kit import Browser

    hot_path = _hot_path()
    attached: dict = {}
    browsers = []

    def attach(node: TradingNode) -> None:
        loop = node.get_event_loop()
        server = loop.run_until_complete(serve(node, ListenAddress("127.0.0.1", 0), "shadow"))
        attached["server"] = server
        profiles = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
        if condition == "browsers":
            browsers.extend(Browser(profiles / f"browser{i}", server.url, devtools=False) for i in range(2))
            # Measured once both pages show the stream: the browsers' start-up is not part of it.
            loop.run_until_complete(_until(lambda: server.clients == 2, 60.0))

    try:
        result = hot_path.run_live(passes, speed, on_built=attach if condition != "without" else None)
        browser_cpu = sum(_session_cpu_seconds(b.proc.pid) for b in browsers)
    finally:
        for browser in browsers:
            browser.close()
    out = {
        "p50_us": result["p50_us"], "p99_us": result["p99_us"], "events_with_commands": result["events_with_commands"],
        "idle_p50_us": result["idle_events_p50_us"], "replay_secs": result["replay_secs"],
    }
    if condition != "without":
        server = attached["server"]
        times = sorted(server.sample_time_ns)
        out |= {"dashboard_samples": server.samples, "dashboard_clients_at_end": server.clients,
                "dashboard_sample_errors": server.sample_errors, "browser_cpu_s": round(browser_cpu, 2),
                "sample_p50_us": round(statistics.median(times) / 1000, 1),
                "sample_p99_us": round(statistics.quantiles(times, n=100)[98] / 1000, 1),
                "sample_max_us": round(times[-1] / 1000, 1)}
    return out


def _part(condition: str, passes: int, speed: float) -> dict:
    cmd = [sys.executable, __file__, "--part", condition, "--passes", str(passes), "--speed", str(speed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"part failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=CONDITIONS, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three conditions (default 3)")
    parser.add_argument("--passes", type=int, default=1, help="replays of the capture per run (default 1)")
    parser.add_argument("--speed", type=float, default=60.0, help="replay pace, × market time (default 60)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.passes < 1 or not args.speed > 0:
        parser.error("--rounds and --passes must be ≥ 1, --speed positive")
    if args.part:
        print(json.dumps(run_part(args.part, args.passes, args.speed)))
        return 0
    runs: dict[str, list[dict]] = {name: [] for name in CONDITIONS}
    for i in range(args.rounds):
        for name in CONDITIONS:
            r = _part(name, args.passes, args.speed)
            runs[name].append(r)
            print(f"round {i + 1} {name:>8}: p50 {r['p50_us']} µs, p99 {r['p99_us']} µs over "
                  f"{r['events_with_commands']} events" + (
                      f"; {r['dashboard_samples']} samples (p50 {r['sample_p50_us']} µs), "
                      f"{r['dashboard_clients_at_end']} browsers connected, browsers' CPU {r['browser_cpu_s']} s"
                      if name != "without" else ""), flush=True)

    def median(name: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[name]), 1)

    dashboard_runs = runs["server"] + runs["browsers"]
    result = {
        "p50_us_without": median("without", "p50_us"),
        "p50_us_server": median("server", "p50_us"),
        "p50_us_browsers": median("browsers", "p50_us"),
        "p99_us_without": median("without", "p99_us"),
        "p99_us_server": median("server", "p99_us"),
        "p99_us_browsers": median("browsers", "p99_us"),
        "idle_p50_us_without": median("without", "idle_p50_us"),
        "idle_p50_us_server": median("server", "idle_p50_us"),
        "idle_p50_us_browsers": median("browsers", "idle_p50_us"),
        "p50_ratio_server": round(median("server", "p50_us") / median("without", "p50_us"), 3),
        "p99_ratio_server": round(median("server", "p99_us") / median("without", "p99_us"), 3),
        "p50_ratio_browsers": round(median("browsers", "p50_us") / median("without", "p50_us"), 3),
        "p99_ratio_browsers": round(median("browsers", "p99_us") / median("without", "p99_us"), 3),
        "rounds": args.rounds,
        "passes_per_run": args.passes,
        "replay_speed": args.speed,
        "replay_secs_per_run": median("without", "replay_secs"),
        "events_with_commands_per_run": round(statistics.median(r["events_with_commands"] for r in runs["without"])),
        "dashboard_samples_per_run": round(statistics.median(r["dashboard_samples"] for r in dashboard_runs)),
        "browsers_connected_at_end": min(r["dashboard_clients_at_end"] for r in runs["browsers"]),
        "browsers_cpu_s_per_run": median("browsers", "browser_cpu_s"),
        "dashboard_sample_errors": sum(r["dashboard_sample_errors"] for r in dashboard_runs),
        # How long one sample (read the node, encode, offer to the browsers) holds the node's loop.
        "sample_p50_us": median("server", "sample_p50_us"),
        "sample_p99_us": median("server", "sample_p99_us"),
        "sample_max_us": max(r["sample_max_us"] for r in dashboard_runs),
        "command": ".venv/bin/python bench/dashboard.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    (BENCH / "results" / "dashboard.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
