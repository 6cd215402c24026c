"""run_backtest.py --sweep: what the command line refuses before any Ray starts, and what a plain
backtest does not load."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

import run_backtest
from adapters.hyperliquid.parsing.instruments import perp_instrument
from backtest.sweep.execute import CELL_PACKAGES
from catalog.shipped_data import PROJECT_ROOT

SWEEP = {"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "grid",
         "grid": {"strategy.base_spread_bps": [4, 6]}}


def _sweep(tmp_path: Path, **changes) -> str:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(SWEEP | changes))
    return str(path)


@pytest.mark.parametrize("option", [["--fee-tier", "1"], ["--start", "2025-09-04T19:50"], ["--all"],
                                    ["--config", "configs/backtest.json"], ["--instruments", "ETH"]])
def test_an_option_the_sweep_file_decides_is_refused_beside_sweep(tmp_path: Path, option: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run_backtest.main(["--sweep", _sweep(tmp_path), *option])
    assert exc.value.code == 2 and f"{option[0]} cannot be combined with --sweep" in capsys.readouterr().err


def test_ray_address_without_sweep_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run_backtest.main(["--ray-address", "127.0.0.1:6380"])
    assert exc.value.code == 2 and "--ray-address goes with --sweep" in capsys.readouterr().err


def test_a_bad_sweep_file_ends_the_command_with_its_error(tmp_path: Path, capsys) -> None:
    path = _sweep(tmp_path, grid={"strategy.base_sprad_bps": [4]})
    assert run_backtest.main(["--sweep", path, "--catalog", "/nonexistent"]) == 2
    err = capsys.readouterr().err
    assert "bad sweep" in err and "base_sprad_bps" in err


def test_a_missing_catalog_is_refused_before_any_cell(tmp_path: Path, capsys) -> None:
    assert run_backtest.main(["--sweep", _sweep(tmp_path), "--catalog", str(tmp_path / "nope")]) == 2
    assert "catalog not found" in capsys.readouterr().err


def test_a_catalog_without_the_runs_instrument_is_refused_before_ray_starts(tmp_path: Path, capsys, monkeypatch) -> None:
    # Review 4: Ray started, then every cell failed with "not in the catalog".
    import backtest.sweep.execute

    def no_ray(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("Ray was started")

    monkeypatch.setattr(backtest.sweep.execute, "RayStart", no_ray)
    empty = tmp_path / "empty_catalog"
    empty.mkdir()
    assert run_backtest.main(["--sweep", _sweep(tmp_path), "--catalog", str(empty)]) == 2
    err = capsys.readouterr().err
    assert f"the catalog at {empty} holds no WLFI-USD-PERP.HYPERLIQUID, which the sweep's runs trade" in err.replace("\n", "")


@pytest.mark.parametrize(("address", "message"), [
    ("nowhere", "expected HOST:PORT, ray://HOST:PORT or auto"),
    ("host:99999", "expected HOST:PORT"),
    ("ray://host:10001", "ray[client]"),
    ("http://192.0.2.2:6390", "(not http://)"),
])
def test_a_malformed_ray_address_is_refused(tmp_path: Path, address: str, message: str, capsys) -> None:
    assert run_backtest.main(["--sweep", _sweep(tmp_path), "--ray-address", address]) == 2
    assert message in capsys.readouterr().err


def test_a_ray_address_where_nothing_listens_fails_at_once(tmp_path: Path, capsys) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sweep = _sweep(tmp_path)
    catalog = tmp_path / "catalog"  # the run's instrument, no data: enough to pass the checks before Ray
    ParquetDataCatalog(str(catalog)).write_data([perp_instrument("WLFI", 0)])
    code = run_backtest.main(["--sweep", sweep, "--ray-address", f"127.0.0.1:{port}", "--catalog", str(catalog)])
    assert code == 2 and f"no Ray cluster answers at 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.redis
def test_a_ray_address_where_redis_answers_fails_at_once_saying_it_is_not_ray(tmp_path: Path, capsys) -> None:
    # Review 5: Ray's default head port is Redis's; ray.init waited on Redis without end, deaf to Ctrl-C.
    catalog = tmp_path / "catalog"
    ParquetDataCatalog(str(catalog)).write_data([perp_instrument("WLFI", 0)])
    code = run_backtest.main(["--sweep", _sweep(tmp_path), "--ray-address", "127.0.0.1:6379", "--catalog", str(catalog)])
    assert code == 2 and "is not a Ray head" in capsys.readouterr().err


def test_a_cluster_refusing_for_want_of_its_token_says_what_to_set() -> None:
    try:
        try:
            raise RuntimeError("Traceback (most recent call last): ... Unauthenticated: RPC error: InvalidAuthToken")
        except RuntimeError as cause:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6380") from cause
    except ConnectionError as exc:
        text = run_backtest.sweep_error_text(exc)
    assert text.startswith("Failed to connect to Ray cluster at 10.0.0.1:6380 (the cluster uses Ray's token")
    assert "RAY_AUTH_MODE=token" in text and "Traceback" not in text


def _loaded_after(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", f"import sys; {code}; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    return out.stdout.split()


def test_ray_and_optuna_are_loaded_only_when_a_sweep_runs() -> None:
    loaded = _loaded_after("import run_backtest, backtest.runner, backtest.reporting.report, backtest.sweep.command; "
                           "run_backtest.parse_args([])")
    assert not [m for m in loaded if m.split(".")[0] in ("ray", "optuna")]


def test_the_packages_shipped_to_a_cluster_hold_everything_a_cell_imports() -> None:
    ours = {p.name for p in PROJECT_ROOT.iterdir() if (p / "__init__.py").is_file()}
    imported = {m.split(".")[0] for m in _loaded_after("import backtest.sweep.cell")} & ours
    assert imported <= set(CELL_PACKAGES), imported - set(CELL_PACKAGES)
    assert "backtest" in imported
