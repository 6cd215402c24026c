"""run_backtest over a trader's own catalog: the config's catalog is only read, and --all backtests
whatever the catalog holds without a config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

import run_backtest
from backtest.runner import parse_utc
from backtest.segments import segment_runs
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_configs_own_catalog_is_only_read(btc_hour_alone: ParquetDataCatalog, tmp_path: Path, capsys) -> None:
    mine = tmp_path / "my_catalog"
    shutil.copytree(btc_hour_alone.path, mine)
    before = _files(mine)
    config = json.loads(run_backtest.DEFAULT_CONFIG.read_text())
    config.update(
        catalog=str(mine), report_dir=str(tmp_path / "reports"), warmup_s=60,
        runs=[{"name": "btc", "instrument": "BTC-USD-PERP.HYPERLIQUID", "start": "2024-01-01T12:05:00Z",
               "end": "2024-01-01T12:08:00Z"}],
    )
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(config))
    assert run_backtest.main(["--config", str(path)]) == 0
    assert _files(mine) == before  # no shipped recording ingested, no instrument rewritten
    assert [r["name"] for r in json.loads((tmp_path / "reports" / "backtest_summary.json").read_text())] == ["btc"]


def test_all_backtests_every_instrument_of_a_catalog_without_a_config(
    btc_hour_among_others: ParquetDataCatalog, tmp_path: Path, capsys
) -> None:
    reports = tmp_path / "reports"
    code = run_backtest.main(
        ["--catalog", btc_hour_among_others.path, "--all", "--report-dir", str(reports), "--end", "2024-01-01T12:10:00Z"]
    )
    out = capsys.readouterr().out
    assert code == 0
    # The 25 s capture of 2025-01-26 and the recording of 2025-09-04 lie after --end.
    assert out.count("skipped BTC-USD-PERP.HYPERLIQUID") == 2
    summary = json.loads((reports / "backtest_summary.json").read_text())
    assert [r["name"] for r in summary] == ["BTC_20240101T120001"]
    assert summary[0]["run"]["quote_from"] == "2024-01-01T12:05:02+00:00"  # the segment's start + the 300 s warm-up


def test_a_config_whose_runs_miss_the_catalog_points_to_all(btc_hour_alone: ParquetDataCatalog, tmp_path: Path, capsys) -> None:
    assert run_backtest.main(["--catalog", btc_hour_alone.path, "--report-dir", str(tmp_path)]) == 2
    assert f"run_backtest.py --catalog {btc_hour_alone.path} --all" in capsys.readouterr().err


def test_each_recorded_segment_is_its_own_run(eth_two_months: ParquetDataCatalog) -> None:
    runs, skipped = segment_runs(eth_two_months, warmup_s=300)
    assert [(r.name, r.start, r.end) for r in runs] == [
        ("ETH_20250904T194656", "2025-09-04T19:51:57+00:00", "2025-09-04T20:21:46+00:00"),
        ("ETH_20251210T211035", "2025-12-10T21:15:36+00:00", "2025-12-10T21:34:21+00:00"),
    ]
    assert skipped == []


def test_a_shorter_max_gap_splits_at_the_holes_of_a_recording(eth_two_months: ParquetDataCatalog) -> None:
    runs, _ = segment_runs(eth_two_months, warmup_s=60, max_gap_s=120)
    dec = [r for r in runs if r.name.startswith("ETH_20251210")]
    assert len(dec) == 2  # the December capture misses about 5 minutes around 21:17
    assert parse_utc(dec[1].start) - parse_utc(dec[0].end) > 120 * 10**9


def test_a_segment_no_longer_than_the_warm_up_is_skipped_and_said_so(tmp_path: Path, hl_data: Path) -> None:
    ingest_files([shipped_data.btc_capture()], tmp_path, meta=shipped_meta())
    runs, skipped = segment_runs(ParquetDataCatalog(str(tmp_path)), warmup_s=60)
    assert runs == []
    assert skipped == ["BTC-USD-PERP.HYPERLIQUID 2025-01-26T19:14:03+00:00 .. 2025-01-26T19:14:29+00:00 (25 s): "
                       "not longer than the 60 s warm-up"]


@pytest.mark.parametrize("flag", ["--warmup-s", "--max-gap-s"])
def test_negative_seconds_are_refused(flag: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run_backtest.main([flag, "-1", "--catalog", "/nonexistent"])
    assert exc.value.code == 2 and flag in capsys.readouterr().err


def test_a_catalog_ingested_at_another_fee_tier_is_said_and_the_configs_tier_charged(tmp_path: Path) -> None:
    # Review 6: --all over a catalog ingested at tier 1 charged tier 0 without a word.
    from adapters.hyperliquid.parsing.instruments import perp_instrument
    from backtest.runner import RunSpec

    catalog = ParquetDataCatalog(str(tmp_path / "cat"))
    catalog.write_data([perp_instrument("WLFI", 0, fee_tier=1)])
    runs = [RunSpec(name="wlfi", instrument="WLFI-USD-PERP.HYPERLIQUID")]
    note = run_backtest.fee_tier_note(catalog, runs, 0)
    assert note is not None and "ingested at fee tier 1; this backtest charges tier 0" in note
    assert run_backtest.fee_tier_note(catalog, runs, 1) is None
