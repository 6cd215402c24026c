"""The full backtest over the shipped data, and run_backtest's handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from rich.console import Console

import run_backtest
from backtest.reporting import report
from backtest.runner import load_settings
from backtest.runner import run_session
from backtest.sweep.cell import CellTask
from backtest.sweep.cell import run_cell
from catalog.ingest import ensure_shipped_catalog

DEFAULT_CONFIG = run_backtest.DEFAULT_CONFIG


@pytest.fixture(scope="module")
def shipped_catalog(tmp_path_factory, hl_data) -> ParquetDataCatalog:
    return ParquetDataCatalog(str(ensure_shipped_catalog(tmp_path_factory.mktemp("catalog"))))


def _run(shipped_catalog, name: str, **governor):
    settings = load_settings(DEFAULT_CONFIG)
    if governor:
        settings = msgspec.structs.replace(settings, governor={**(settings.governor or {}), **governor})
    spec = next(r for r in settings.runs if r.name == name)
    return report.build(run_session(settings, spec, shipped_catalog))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["eth_capture", "btc_archive_hour"])
def test_without_the_edge_check_the_backtest_fills_on_several_levels_as_a_maker_only(shipped_catalog, name: str) -> None:
    # The fill path itself: with the edge check on these runs stand down (the next test).
    r = _run(shipped_catalog, name, edge_check_enabled=False)
    m = r.metrics
    assert len([lvl for lvl, n in m.fills_per_level.items() if lvl >= 1 and n > 0]) >= 2
    assert all(f.maker for f in r.fills) and m.maker_share == pytest.approx(1.0)
    # Fees are charged at the tier-0 maker rate on every fill, and the split adds up to the account.
    assert m.fees == pytest.approx(m.volume_usd * 0.00015, rel=1e-3)
    assert m.total_pnl == pytest.approx(r.engine_pnl, abs=1e-6)
    assert r.fee_check["required_edge_bps"] == pytest.approx(2.0)
    assert r.fee_check["quoting_at_the_touch_would_pay_fee"] is True
    assert r.fee_check["governor_edge_check"] == "off"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["eth_capture", "btc_archive_hour"])
def test_the_default_backtest_stands_a_major_down_and_says_so_first(shipped_catalog, name: str) -> None:
    # A 0.3-0.5 bps market spread cannot pay the 1.5 bps maker fee: no fills, almost no actions,
    # and the run's first line says why, with the figures.
    r = _run(shipped_catalog, name)
    assert r.metrics.fills == 0
    assert r.status is not None and r.status.startswith("stood down: no edge at tier 0: expected capture")
    assert "maker fee 1.50" in r.status
    # The report's own row says what the governor estimated, beside the ladder's fixed check.
    assert r.fee_check["governor_edge_check"].startswith("expected capture")
    console = Console(record=True, width=170)
    report.print_summary([r], console)
    text = console.export_text()
    assert "ladder fee edge" in text
    assert any("governor edge check" in line and "expected capture" in line for line in text.splitlines()), text
    span_s = (r.times[-1] - r.times[0]) / 1e9
    assert r.metrics.actions <= span_s / 10  # at most one action per 10 s while not trading


def test_unknown_config_fields_are_rejected_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "bt.json"
    bad.write_text(json.dumps({"runs": [{"name": "x", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "fee_teir": 1}))
    with pytest.raises(ValueError, match=r"bt\.json"):
        load_settings(bad)


def test_cli_rejects_a_bad_fee_tier_and_an_unknown_instrument(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run_backtest.main(["--fee-tier", "9", "--catalog", "/nonexistent"])
    assert exc.value.code == 2 and "fee tier" in capsys.readouterr().err
    assert run_backtest.main(["--instruments", "DOGE", "--catalog", "/nonexistent"]) == 2
    assert "DOGE" in capsys.readouterr().err
    # Every name given must match a run: ETH does, DOGE does not.
    assert run_backtest.main(["--instruments", "ETH,DOGE", "--catalog", "/nonexistent"]) == 2
    assert "DOGE" in capsys.readouterr().err


def _config(tmp_path: Path, **changes) -> Path:
    cfg = json.loads(DEFAULT_CONFIG.read_text())
    cfg.update(changes)
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(cfg))
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"latency_ms": 1e300}, "latency_ms"),
        ({"starting_usdc": 0}, "starting_usdc"),
        ({"warmup_s": -1}, "warmup_s"),
        ({"warmup_s": 10 * 86_400}, "warmup_s"),
        ({"runs": [{"name": "a", "instrument": "ETH-USD-PERP.HYPERLIQUID"}] * 2}, "unique"),
        ({"runs": [{"name": "../x", "instrument": "ETH-USD-PERP.HYPERLIQUID"}]}, "run name"),
        ({"runs": [{"name": "a", "instrument": "ETH"}]}, "not an instrument id"),
        ({"calendar_path": "/nonexistent/calendar.json"}, "calendar_path"),
        ({"risk_guard": {"daily_drawdown_cap": 5}}, "cap"),
        ({"risk_guard": {"daily_drawdown_cap": -1}}, r"risk_guard: daily_drawdown_cap must be in \(0, 1\), got -1$"),
        ({"strategy": {"base_spread_bps": -1}}, "base_spread_bps"),
    ],
)
def test_bad_settings_are_refused_when_the_config_is_read(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings(_config(tmp_path, **changes))


def test_an_override_for_a_coin_no_run_trades_is_noted_before_the_runs(eth_two_months, tmp_path: Path, capsys) -> None:
    # Review 7: a misspelt coin ("BTCC" for "BTC") dropped its override in silence.
    runs = [{"name": "eth", "instrument": "ETH-USD-PERP.HYPERLIQUID", "start": "2025-12-10T21:11:00Z",
             "end": "2025-12-10T21:11:30Z"}]
    path = _config(tmp_path, runs=runs, report_dir=str(tmp_path / "reports"),
                   strategy_overrides={"BTCC": {"requote_tolerance_ticks": 6}, "ETH": {"requote_tolerance_ticks": 2}})
    assert run_backtest.main(["--config", str(path), "--catalog", eth_two_months.path]) == 0
    out = capsys.readouterr().out
    assert "note: strategy_overrides names BTCC, which no run of the config trades: ignored (the runs trade ETH)" in out


@pytest.mark.parametrize("number", ["1e400", "NaN", "-Infinity"])
def test_a_number_that_is_not_finite_is_refused_naming_its_field(tmp_path: Path, number: str) -> None:
    # Review 7: msgspec called 1e400 "JSON is malformed: invalid character".
    path = _config(tmp_path)
    text = path.read_text()
    path.write_text(text.replace('"order_size_usd": 50.0', f'"order_size_usd": {number}', 1))
    assert number in path.read_text()
    with pytest.raises(ValueError, match=r"strategy\.order_size_usd: (inf|nan|-inf) is not a finite number"):
        load_settings(path)


def test_a_folder_as_config_or_as_report_dir_is_refused_before_any_run(tmp_path: Path, capsys) -> None:
    assert run_backtest.main(["--config", str(tmp_path), "--catalog", "/nonexistent"]) == 2
    assert "is a folder" in capsys.readouterr().err
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert run_backtest.main(["--report-dir", str(a_file), "--catalog", "/nonexistent"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert run_backtest.main(["--report-dir", str(a_file / "below"), "--catalog", "/nonexistent"]) == 2
    assert "a part of that path is a file" in capsys.readouterr().err


def test_a_failing_run_does_not_lose_the_others_report(shipped_catalog, tmp_path: Path, capsys) -> None:
    runs = [
        {"name": "eth_short", "instrument": "ETH-USD-PERP.HYPERLIQUID", "start": "2025-12-10T21:11:00Z",
         "end": "2025-12-10T21:12:00Z"},
        {"name": "after_the_data", "instrument": "BTC-USD-PERP.HYPERLIQUID", "start": "2030-01-01T00:00:00Z"},
    ]
    path = _config(tmp_path, runs=runs, report_dir=str(tmp_path / "reports"))
    assert run_backtest.main(["--config", str(path), "--catalog", shipped_catalog.path]) == 2
    out = capsys.readouterr().err
    assert "after its data ends" in out and "1 run(s) failed" in out
    summary = json.loads((tmp_path / "reports" / "backtest_summary.json").read_text())
    assert [r["name"] for r in summary] == ["eth_short"]


def test_cli_rejects_a_missing_catalog(capsys, tmp_path: Path) -> None:
    assert run_backtest.main(["--catalog", str(tmp_path / "nope")]) == 2
    assert "catalog not found" in capsys.readouterr().err


def test_strategy_settings_are_type_checked_when_the_config_is_read(tmp_path: Path) -> None:
    cfg = json.loads(DEFAULT_CONFIG.read_text())
    cfg["strategy"]["base_spread_bps"] = "wide"
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="bad strategy settings"):
        load_settings(path)


def test_a_window_that_ends_before_it_starts_is_refused(shipped_catalog) -> None:
    settings = load_settings(DEFAULT_CONFIG)
    btc = next(r for r in settings.runs if r.instrument.startswith("BTC"))
    with pytest.raises(ValueError, match="is not after the start"):
        run_session(settings, btc, shipped_catalog, start_ns=btc_end_ns(btc) + 1)


@pytest.mark.slow
def test_a_run_the_daily_loss_cap_halts_says_so_first_and_its_sweep_cell_too(shipped_catalog) -> None:
    # Review 4: the halt showed only as "RiskGuard.drawdown: 1" among the guard firings.
    settings = load_settings(DEFAULT_CONFIG)
    settings = msgspec.structs.replace(
        settings, governor={**(settings.governor or {}), "edge_check_enabled": False},
        risk_guard={**(settings.risk_guard or {}), "daily_drawdown_cap": 0.00001},  # 0.10 USDC of 10,000
    )
    spec = next(r for r in settings.runs if r.name == "eth_capture")
    r = report.build(run_session(settings, spec, shipped_catalog))
    assert r.status is not None and r.status.startswith("halted by the daily loss cap at 2025-12-10T")
    assert "of day-start equity 10,000.00: every order cancelled" in r.status
    assert report.overview([r])[0]["status"] == r.status

    base = msgspec.to_builtins(settings)
    row = run_cell(CellTask(0, "eth_capture", {}, base, shipped_catalog.path))
    assert row["status"] == "ok" and row["stopped_quoting"] == r.status


def test_a_window_inside_a_gap_of_the_recording_is_refused_as_a_gap_not_as_the_end_of_the_data(shipped_catalog) -> None:
    # Review 3: the four-coin recording has no WLFI data from 19:58:12 to 19:58:30; the window in
    # between was refused as "after its data ends", though the data runs on to 20:21.
    from backtest.runner import parse_utc

    settings = load_settings(DEFAULT_CONFIG)
    wlfi = next(r for r in settings.runs if r.instrument.startswith("WLFI"))
    with pytest.raises(ValueError, match=r"no data between 2025-09-04T19:58:14\+00:00 and 2025-09-04T19:58:25\+00:00: "
                                         r"the recording has a gap there .* its data runs to 2025-09-04T20:2"):
        run_session(settings, wlfi, shipped_catalog, start_ns=parse_utc("2025-09-04T19:58:14Z"),
                    end_ns=parse_utc("2025-09-04T19:58:25Z"))


def btc_end_ns(spec) -> int:
    from backtest.runner import parse_utc

    return parse_utc(spec.end)


def test_a_run_dated_past_the_year_2262_is_refused_in_words_not_a_timestamp_overflow(eth_two_months, tmp_path: Path, capsys) -> None:
    runs = [{"name": "eth", "instrument": "ETH-USD-PERP.HYPERLIQUID"}]
    path = _config(tmp_path, runs=runs, report_dir=str(tmp_path / "reports"))
    argv = ["--config", str(path), "--catalog", eth_two_months.path, "--start", "2520-01-01T00:00Z", "--end", "2520-01-02T00:00Z"]
    assert run_backtest.main(argv) == 2
    err = capsys.readouterr().err
    assert "quoting would start at 2520-01-01T00:00:00+00:00, after its data ends" in err
    assert "Out of bounds" not in err and "Traceback" not in err
