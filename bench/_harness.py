"""Run as a script, a bench has bench/ first on sys.path, where bench/backtest.py, bench/hlsim.py and
bench/screener.py would shadow the project's packages of the same names. Importing this module (before
any project package) takes bench/ off sys.path and puts the measured code first (this checkout's, or
BENCH_CODE_ROOT's). It also writes a bench's figures where the README says they are:
bench/results/NAME.json.

It also holds what several benches share: the machine's load, and a live node against a local hlsim.
The leading underscore: the benches import it. Run as a script, it measures the fixed cost that
latency.py and node_capacity.py pay per node before and after what they time (medians of RUNS runs):

- `live_node_ready_s`: `run_live.py` started → its first two quotes resting on hlsim (the
  interpreter, the imports, the node's start-up checks and reconciliation, the first book);
- `live_node_stop_s`: SIGINT → the process gone (cancel-all on the exchange, the node's shutdown).

    .venv/bin/python bench/_harness.py [--runs 3]"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
# The code measured first on the path: this checkout's (the venv's .pth file points at the main
# checkout, so a bench run from another worktree would otherwise measure the main checkout's code),
# or BENCH_CODE_ROOT's, a baseline's files that a bench measures with its own script.
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or _HERE.parent).resolve()
sys.path.insert(0, str(CODE_ROOT))

RESULTS_DIR = _HERE / "results"


@contextmanager
def checkout_of(ref: str) -> Iterator[Path]:
    """The files of git `ref` in a temporary folder (`git archive`: the repository is not touched),
    with this checkout's catalog linked in, so a baseline's code reads the same data."""
    import tempfile

    from catalog.ingest import ensure_shipped_catalog

    project = _HERE.parent
    with tempfile.TemporaryDirectory(prefix="bench_baseline_") as tmp:
        root = Path(tmp)
        archive = subprocess.run(["git", "-C", str(project), "archive", ref], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
        (root / "data" / "catalog").symlink_to(ensure_shipped_catalog(project / "data" / "catalog").resolve())
        yield root


def write_results(name: str, result: dict[str, Any]) -> Path:
    """Writes `result` (a flat object of figures, with the command and the date) to bench/results/NAME.json."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path


def machine_load() -> str:
    """The 1/5/15-minute load averages, for a bench's figures: other work on the cores shows there."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def live_node_config(coins: tuple[str, ...], redis_url: str, batch: bool) -> dict[str, Any]:
    """configs/live.json quoting `coins` (each with the ETH maker's settings), `batch_actions` as given,
    and three of the RegimeGovernor's brakes off, because they would (rightly) stop the very actions
    a bench times: the cancel-to-fill hold (a bench re-quotes without fills; after 60 actions it would
    hold quotes), the action rate (without fills it holds quotes for up to 30 s) and the edge check
    (the scripted book's and the majors' spreads cannot pay the maker fee: it stands them down)."""
    from catalog import shipped_data

    raw = json.loads((shipped_data.PROJECT_ROOT / "configs" / "live.json").read_text())
    template = next(s for s in raw["strategies"] if s["config"]["instrument_id"].startswith("ETH-"))
    iids = [f"{coin}-USD-PERP.HYPERLIQUID" for coin in coins]
    raw["strategies"] = []
    for i, iid in enumerate(iids):
        strategy = json.loads(json.dumps(template))
        strategy["config"].update(instrument_id=iid, order_id_tag=f"{i + 1:03d}", batch_actions=batch)
        raw["strategies"].append(strategy)
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = iids
        if actor["actor_path"].endswith("RegimeGovernor"):
            actor["config"]["redis_url"] = redis_url
            actor["config"]["c2f_min_actions"] = 1_000_000
            actor["config"]["edge_check_enabled"] = False
            actor["config"]["action_rate_enabled"] = False
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = len(iids)
            actor["config"]["max_total_inventory_usd"] = 1e9
    for section in ("data_clients", "exec_clients"):
        for spec in raw[section].values():
            spec["config"]["coins"] = list(coins)
    for spec in raw["exec_clients"].values():
        spec["config"]["batch_actions"] = batch
    raw["logging"] = {"log_level": "WARNING"}
    return raw


@contextmanager
def live_node(config: dict[str, Any], work_dir: Path, rest_url: str, address: str, key: str) -> Iterator[subprocess.Popen]:
    """`run_live.py` on `config` against a local hlsim, its output discarded (the bench reads hlsim);
    stopped with SIGINT (killed after 30 s) when the block ends."""
    from catalog import shipped_data

    config_path = work_dir / "node.json"
    config_path.write_text(json.dumps(config))
    proc = subprocess.Popen(
        [sys.executable, "run_live.py", "--config", str(config_path), "--network", rest_url,
         "--account", address, "--no-status", "--log-level", "WARNING"],
        cwd=shipped_data.PROJECT_ROOT, env={**os.environ, "HYPERLIQUID_AGENT_KEY": key},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, timeout_s: float, what: str) -> None:
    """Polls `ready` until it holds; SystemExit naming `what` if the node dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(what)
        time.sleep(0.1)


def _node_start_and_stop() -> tuple[float, float]:
    """One live node quoting ETH on a fresh hlsim: (seconds to its first two quotes, seconds to stop)."""
    import secrets
    import tempfile

    from adapters.hyperliquid.signing import L1Signer
    from hlsim.testing import HlSimConfig
    from hlsim.testing import run_hlsim_in_thread

    key = "0x" + secrets.token_hex(32)
    address = L1Signer(key).address
    with tempfile.TemporaryDirectory() as tmp, run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)) as sim:
        sim.fund(address, 1_000_000)
        sim.set_book("ETH", [(3000.0, 4.0), (2999.9, 6.0)], [(3000.1, 4.0), (3000.2, 6.0)])
        config = live_node_config(("ETH",), "redis://127.0.0.1:6379/0", batch=True)
        t0 = time.perf_counter()
        with live_node(config, Path(tmp), sim.rest_url, address, key) as proc:
            wait_until(lambda: len(sim.open_orders(address)) >= 2, proc, 60, "the node never quoted")
            ready_s = time.perf_counter() - t0
            t1 = time.perf_counter()
        return ready_s, time.perf_counter() - t1


def main(argv: list[str] | None = None) -> int:
    import argparse
    import statistics
    from datetime import UTC
    from datetime import datetime

    parser = argparse.ArgumentParser(description="The live node's fixed start-up and stop cost in the benches.")
    parser.add_argument("--runs", type=int, default=3, help="nodes started one after another (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be ≥ 1")
    load_before = machine_load()
    runs = [_node_start_and_stop() for _ in range(args.runs)]
    for i, (ready_s, stop_s) in enumerate(runs, 1):
        print(f"run {i}: quoting after {ready_s:.2f} s, stopped in {stop_s:.2f} s")
    result = {
        "live_node_ready_s": round(statistics.median(r for r, _ in runs), 2),
        "live_node_stop_s": round(statistics.median(s for _, s in runs), 2),
        "runs": args.runs,
        "machine_load_before": load_before, "machine_load_after": machine_load(),
        "command": " ".join([".venv/bin/python bench/_harness.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=1))
    write_results("_harness", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
