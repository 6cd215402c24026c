"""The full backtest over the shipped data, and run_backtest's handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

import run_backtest
from catalog.ingest import ensure_shipped_catalog
from mm_strategy.backtest_run import load_settings
from mm_strategy.backtest_run import run_session
from mm_strategy.reporting import report

DEFAULT_CONFIG = run_backtest.DEFAULT_CONFIG


@pytest.fixture(scope="module")
def shipped_catalog(tmp_path_factory, hl_data) -> ParquetDataCatalog:
    return ParquetDataCatalog(str(ensure_shipped_catalog(tmp_path_factory.mktemp("catalog"))))


def _run(shipped_catalog, name: str):
    settings = load_settings(DEFAULT_CONFIG)
    spec = next(r for r in settings.runs if r.name == name)
    return report.build(run_session(settings, spec, shipped_catalog))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["eth_capture", "btc_archive_hour"])
def test_the_default_backtest_fills_on_several_levels_as_a_maker_only(shipped_catalog, name: str) -> None:
    r = _run(shipped_catalog, name)
    m = r.metrics
    assert len([lvl for lvl, n in m.fills_per_level.items() if lvl >= 1 and n > 0]) >= 2
    assert all(f.maker for f in r.fills) and m.maker_share == pytest.approx(1.0)
    # Fees are charged at the tier-0 maker rate on every fill, and the split adds up to the account.
    assert m.fees == pytest.approx(m.volume_usd * 0.00015, rel=1e-3)
    assert m.total_pnl == pytest.approx(r.engine_pnl, abs=1e-6)
    assert r.fee_check["required_edge_bps"] == pytest.approx(2.0)
    assert r.fee_check["quoting_at_the_touch_would_pay_fee"] is True


def test_unknown_config_fields_are_rejected_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "bt.json"
    bad.write_text(json.dumps({"runs": [{"name": "x", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "fee_teir": 1}))
    with pytest.raises(ValueError, match=r"bt\.json"):
        load_settings(bad)


def test_cli_rejects_a_bad_fee_tier_and_an_unknown_instrument(capsys) -> None:
    assert run_backtest.main(["--fee-tier", "9", "--catalog", "/nonexistent"]) == 2
    assert run_backtest.main(["--instruments", "DOGE", "--catalog", "/nonexistent"]) == 2
    out = capsys.readouterr().out
    assert "DOGE" in out


def test_cli_rejects_a_missing_catalog(capsys, tmp_path: Path) -> None:
    assert run_backtest.main(["--catalog", str(tmp_path / "nope")]) == 2
    assert "catalog not found" in capsys.readouterr().out


def test_strategy_settings_are_type_checked(shipped_catalog, tmp_path: Path) -> None:
    cfg = json.loads(DEFAULT_CONFIG.read_text())
    cfg["strategy"]["base_spread_bps"] = "wide"
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(cfg))
    settings = load_settings(path)
    with pytest.raises(ValueError, match="bad strategy settings"):
        run_session(settings, settings.runs[0], shipped_catalog)


def test_a_window_that_ends_before_it_starts_is_refused(shipped_catalog) -> None:
    settings = load_settings(DEFAULT_CONFIG)
    btc = next(r for r in settings.runs if r.instrument.startswith("BTC"))
    with pytest.raises(ValueError, match="is not after the start"):
        run_session(settings, btc, shipped_catalog, start_ns=btc_end_ns(btc) + 1)


def btc_end_ns(spec) -> int:
    from mm_strategy.backtest_run import parse_utc

    return parse_utc(spec.end)
