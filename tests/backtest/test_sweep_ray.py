"""Sweeps on Ray over the shipped WLFI recording (a three-minute window, so a cell takes seconds):
a grid gives, cell for cell, what separate `run_backtest.py` runs give; a bad value fails its cell
alone; the Optuna mode runs its trials; `--ray-address` runs the cells on a cluster.

One local Ray serves the module (its start costs seconds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import run_backtest
from backtest.sweep import command
from backtest.sweep import spec
from backtest.sweep.cell import METRICS
from backtest.sweep.execute import RayStart
from backtest.sweep.execute import ray_session
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta

pytestmark = pytest.mark.slow

ROOT = shipped_data.PROJECT_ROOT
RUN = {"name": "wlfi_short", "instrument": "WLFI-USD-PERP.HYPERLIQUID",
       "start": "2025-09-04T19:50:00Z", "end": "2025-09-04T19:53:00Z"}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> str:
    directory = tmp_path_factory.mktemp("wlfi_catalog")
    ingest_files([shipped_data.four_coin_capture("WLFI")], directory, meta=shipped_meta())
    return str(directory)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[int]:
    with ray_session(num_cpus=2) as cpus:
        yield cpus


@pytest.fixture(scope="module")
def base_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped config's settings over one short WLFI run, with a one-minute warm-up."""
    config = json.loads((ROOT / "configs" / "backtest.json").read_text())
    config.update(runs=[RUN], warmup_s=60.0)
    path = tmp_path_factory.mktemp("base") / "base.json"
    path.write_text(json.dumps(config))
    return path


def _sweep_file(tmp_path: Path, base: Path, **fields) -> Path:
    path = tmp_path / "study.json"
    path.write_text(json.dumps({"base": str(base), **fields}))
    return path


def _backtest_overview(tmp_path: Path, base: Path, catalog: str, values: dict) -> dict:
    """The overview row of one plain `run_backtest.py` run of the base with `values` set."""
    config = json.loads(base.read_text())
    for name, value in values.items():
        section, field = name.split(".")
        config[section][field] = value
    tmp_path.mkdir()
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    reports = tmp_path / "reports"
    assert run_backtest.main(["--config", str(path), "--catalog", catalog, "--report-dir", str(reports)]) == 0
    (row,) = json.loads((reports / "backtest_overview.json").read_text())
    return row


def test_a_grid_gives_cell_for_cell_the_fills_and_metrics_of_separate_backtests(
    tmp_path: Path, local_ray: int, catalog: str, base_config: Path
) -> None:
    grid = {"strategy.base_spread_bps": [4, 6], "strategy.level_spacing_ticks": [2, 3]}
    sweep_path = _sweep_file(tmp_path, base_config, mode="grid", grid=grid)
    reports = tmp_path / "sweep_reports"
    assert run_backtest.main(["--sweep", str(sweep_path), "--catalog", catalog, "--report-dir", str(reports)]) == 0
    table = pl.read_parquet(reports / "sweep_study.parquet")
    assert table.height == 4 and table["cell"].to_list() == [0, 1, 2, 3]
    assert (reports / "sweep_study.html").is_file()
    combos = set()
    for k, cell in enumerate(table.iter_rows(named=True)):
        values = {name: cell[name] for name in grid}
        combos.add(tuple(values.values()))
        alone = _backtest_overview(tmp_path / f"alone_{k}", base_config, catalog, values)
        assert cell["status"] == "ok" and cell["run"] == "wlfi_short"
        assert cell["fills"] > 0
        assert {m: cell[m] for m in METRICS} == {m: alone[m] for m in METRICS}, values
    assert combos == {(4, 2), (4, 3), (6, 2), (6, 3)}


def test_a_cell_with_a_bad_value_fails_alone_with_its_error(
    tmp_path: Path, local_ray: int, catalog: str, base_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep_path = _sweep_file(tmp_path, base_config, mode="grid", grid={"strategy.base_spread_bps": [5, -1]})
    code = run_backtest.main(["--sweep", str(sweep_path), "--catalog", catalog, "--report-dir", str(tmp_path)])
    assert code == 2 and "1 of 2 cell(s) failed" in capsys.readouterr().err
    table = pl.read_parquet(tmp_path / "sweep_study.parquet")
    good, bad = table.iter_rows(named=True)
    assert good["status"] == "ok" and good["fills"] > 0 and good["error"] is None
    assert bad["status"] == "error" and bad["net_pnl"] is None and "base_spread_bps" in bad["error"]


def test_the_optuna_mode_runs_its_trials_and_records_each(
    tmp_path: Path, local_ray: int, catalog: str, base_config: Path
) -> None:
    space = {"strategy.base_spread_bps": {"low": 3, "high": 8}, "strategy.level_spacing_ticks": {"low": 1, "high": 4}}
    sweep = spec.load(_sweep_file(tmp_path, base_config, mode="optuna", trials=3, space=space, seed=7))
    result = command.run(sweep, Path(catalog), tmp_path)
    table = pl.read_parquet(result.parquet)
    assert table["trial"].to_list() == [0, 1, 2] and table["status"].to_list() == ["ok"] * 3
    assert all(3 <= v <= 8 for v in table["strategy.base_spread_bps"])
    assert table.schema["strategy.level_spacing_ticks"] == pl.Int64
    assert all(1 <= v <= 4 for v in table["strategy.level_spacing_ticks"])
    best = table.sort("net_pnl", descending=True).row(0, named=True)
    assert result.best is not None and result.best.startswith(f"best trial {best['trial']}: net_pnl {best['net_pnl']:+.4f}")


def test_an_optuna_search_with_a_seed_draws_the_same_values_again(
    tmp_path: Path, local_ray: int, catalog: str, base_config: Path
) -> None:
    space = {"strategy.base_spread_bps": {"low": 3, "high": 8}, "strategy.fair_price": {"choices": ["mid", "microprice"]}}
    sweep = spec.load(_sweep_file(tmp_path, base_config, mode="optuna", trials=2, space=space, seed=11))
    first, again = (command.run(sweep, Path(catalog), tmp_path / name) for name in ("first", "again"))
    drawn = [sorted((r["trial"], r["values"]["strategy.base_spread_bps"], r["values"]["strategy.fair_price"])
                    for r in result.rows) for result in (first, again)]
    assert drawn[0] == drawn[1]
    assert len({v for _, v, _ in drawn[0]}) == 2  # two trials, two draws


def test_a_ray_already_running_in_the_process_is_used_and_left_running(local_ray: int) -> None:
    import ray

    started = RayStart()
    assert started.wait() == local_ray == 2
    started.stop()
    assert ray.is_initialized() and ray.cluster_resources().get("CPU") == 2


def test_a_local_ray_starts_without_the_api_server_the_monitor_and_the_log_monitor_and_leaves_ray_init_as_it_was(
    local_ray: int,
) -> None:
    """The dashboard head (Ray's API server), the autoscaler's monitor and the log monitor serve a
    local sweep nothing and cost about a second of its start; the patch that leaves them out lasts
    only for the sweep's own ray.init."""
    import ray

    ray_processes = _descendants_command_lines(os.getpid())
    assert any("raylet" in cmd for cmd in ray_processes)  # the instance is this process's own
    for script in ("dashboard/dashboard.py", "autoscaler/_private/monitor.py", "_private/log_monitor.py"):
        assert not any(script in cmd for cmd in ray_processes), script
    node_class = ray._private.node.Node
    for method in ("start_api_server", "start_monitor", "start_log_monitor"):
        assert getattr(node_class, method).__qualname__ == f"Node.{method}"


_IDLE_WORKERS_LOADED = """
import os, sys, time
from backtest.sweep.execute import RayStart

def parent(pid):
    return int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])

def idle_workers():  # this instance's: the raylet this process started is their parent
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"ray::IDLE") and parent(parent(pid)) == os.getpid():
                yield pid
        except (OSError, ValueError):
            continue

ray = RayStart(num_cpus=2)
ray.wait()
deadline = time.monotonic() + 20
loaded = []
while time.monotonic() < deadline:
    loaded = ["nautilus_trader" in open(f"/proc/{pid}/maps").read() for pid in idle_workers()]
    if len(loaded) == 2 and all(loaded):
        break
    time.sleep(0.2)
ray.stop()
print(loaded)
"""


def test_a_local_rays_workers_load_the_cells_code_before_any_cell_is_submitted() -> None:
    """They import it while the driver is still connecting, not when the first cell reaches them."""
    done = subprocess.run([sys.executable, "-c", _IDLE_WORKERS_LOADED], capture_output=True, text=True, timeout=90,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[True, True]"


def _descendants_command_lines(pid: int) -> list[str]:
    """The command lines of `pid`'s child processes and theirs, from /proc."""
    children: dict[int, list[int]] = {}
    command_lines: dict[int, str] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rpartition(")")[2].split()[1])
            command_lines[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(proc.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(command_lines[child])
        todo.extend(children.get(child, []))
    return found


def test_ray_address_runs_the_cells_on_that_cluster(tmp_path: Path, catalog: str, base_config: Path) -> None:
    """A cluster of this machine, started by another process; the sweep joins it with --ray-address
    and ships the project's packages to it as py_modules. The cluster uses Ray's token
    authentication (its default for a new instance): a driver joining by address must say so."""
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    head = subprocess.Popen(
        [sys.executable, "-c", "import sys, ray; info = ray.init(address='local', num_cpus=1, include_dashboard=False); "
         "print(info.address_info['gcs_address'], flush=True); sys.stdin.read(); ray.shutdown()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert head.stdout is not None and head.stdin is not None
        address = head.stdout.readline().strip()
        sweep_path = _sweep_file(tmp_path, base_config, mode="grid", grid={"latency_ms": [100]})
        done = subprocess.run(
            [sys.executable, str(ROOT / "run_backtest.py"), "--sweep", str(sweep_path), "--ray-address", address,
             "--catalog", catalog, "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env,
        )
        assert done.returncode == 0, done.stderr
        (cell,) = pl.read_parquet(tmp_path / "sweep_study.parquet").iter_rows(named=True)
        assert cell["status"] == "ok" and cell["fills"] > 0
    finally:
        if head.stdin is not None:
            head.stdin.close()
        head.wait(timeout=60)


def test_ctrl_c_stops_a_sweep_and_keeps_the_cells_that_finished(tmp_path: Path, catalog: str, base_config: Path) -> None:
    # Review 5: SIGINT left the driver and its workers running; only SIGTERM ended them.
    sweep_path = _sweep_file(tmp_path, base_config, mode="grid", grid={"strategy.base_spread_bps": list(range(3, 23))})
    sweep = subprocess.Popen(
        [sys.executable, str(ROOT / "run_backtest.py"), "--sweep", str(sweep_path), "--catalog", catalog,
         "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    try:
        assert sweep.stdout is not None
        lines = []
        for line in sweep.stdout:  # off a terminal: a progress line per tenth of the cells
            lines.append(line)
            if line.startswith("2/20 cells"):
                break
        assert lines[0].startswith("sweep study: 20 cell(s)"), lines
        sweep.send_signal(signal.SIGINT)
        out, _ = sweep.communicate(timeout=30)
    finally:
        sweep.kill()
    assert sweep.returncode == 130, "".join(lines) + out
    assert "interrupted" in out
    table = pl.read_parquet(tmp_path / "sweep_study.parquet")
    assert 2 <= len(table) < 20 and set(table["status"]) == {"ok"}
