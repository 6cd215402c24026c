"""`python -m screener run --catalog DIR`: the research loop from a recording to a backtest config."""

from __future__ import annotations

import json
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
from nautilus_trader.config import TradingNodeConfig

import run_backtest
from backtest.runner import load_settings
from screener.__main__ import main

SEP_4 = ("--start", "2025-09-04T19:00:00Z", "--end", "2025-09-04T21:00Z")
# A port nothing listens on: a catalog run must not try to publish.
NO_REDIS = ("--redis-url", "redis://127.0.0.1:1/0")


def _main(*args: str) -> int:
    """In process: argparse errors exit through SystemExit."""
    try:
        return main(["run", *args])
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def written(shipped_catalog_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A catalog run with --write-config: (node config, backtest config, what it printed)."""
    out = tmp_path_factory.mktemp("written") / "live.json"
    printed = StringIO()
    with redirect_stdout(printed):
        status = _main("--catalog", str(shipped_catalog_dir), *SEP_4, *NO_REDIS, "--write-config", str(out))
    assert status == 0, printed.getvalue()
    return out, out.with_name("live.backtest.json"), printed.getvalue()


def test_the_backtest_config_is_written_beside_the_node_config_and_loads(
    written: tuple[Path, Path, str], shipped_catalog_dir: Path
) -> None:
    _, backtest_path, printed = written
    settings = load_settings(backtest_path)
    assert [(r.name, r.instrument) for r in settings.runs] == [("wlfi_20250904", "WLFI-USD-PERP.HYPERLIQUID")]
    assert Path(settings.catalog) == shipped_catalog_dir.resolve()
    assert settings.strategy_overrides["WLFI"]["base_spread_bps"] > 2 * (1.5 + 0.5)
    assert settings.strategy["adverse_selection_bps"] == 0.5
    assert f"wrote backtest config: {backtest_path}" in printed


def test_the_backtest_runs_the_recorded_span_after_a_warm_up(written: tuple[Path, Path, str]) -> None:
    run = json.loads(written[1].read_text())["runs"][0]
    assert (run["start"], run["end"]) == ("2025-09-04T19:47:57Z", "2025-09-04T20:21:45Z")


def test_the_node_config_quotes_the_pick_and_nothing_is_published(written: tuple[Path, Path, str]) -> None:
    node_path, _, printed = written
    config = TradingNodeConfig.parse(node_path.read_text())
    assert [s.config["instrument_id"] for s in config.strategies] == ["WLFI-USD-PERP.HYPERLIQUID"]
    assert "nothing published" in printed and "publish failed" not in printed


def test_the_drops_and_their_reasons_are_printed(written: tuple[Path, Path, str]) -> None:
    printed = written[2]
    assert "Maker-edge screen: 1 selected of 4 perps" in printed
    assert printed.count("(trades) cannot pay 2 × (1.5 bps maker fee + 0.5 bps adverse selection)") == 3
    assert "Dropped by: no edge × 3" in printed


def test_a_pick_quoted_far_wider_than_its_market_is_warned_of(written: tuple[Path, Path, str]) -> None:
    # Review 4: the WLFI pick quoted 72.5 bps against a 2.7 bps market and filled nothing on the recording.
    printed = " ".join(written[2].split())
    assert "wide: WLFI quotes" in printed and "set by its volatility): expect few fills, maybe none" in printed


@pytest.mark.slow
def test_run_backtest_runs_the_written_config_as_is(written: tuple[Path, Path, str], tmp_path: Path) -> None:
    assert run_backtest.main(["--config", str(written[1]), "--report-dir", str(tmp_path)]) == 0
    assert (tmp_path / "backtest_summary.json").is_file()


def test_a_catalog_with_no_usable_instrument_fails_with_exit_1(archive_only_catalog_dir: Path, capsys) -> None:
    assert _main("--catalog", str(archive_only_catalog_dir), *NO_REDIS) == 1
    out = capsys.readouterr().out
    assert "screen failed: no usable instrument in the catalog" in out
    assert "BTC: 0 trades < 30: too few to measure the spread takers pay" in out


def _bad_catalog(kind: str, tmp: Path) -> Path:
    if kind == "a file":
        (tmp / "file.txt").write_text("not a catalog")
        return tmp / "file.txt"
    return tmp / "missing" if kind == "missing" else tmp


@pytest.mark.parametrize(
    ("kind", "message"),
    [("missing", "does not exist"), ("a file", "is not a folder"), ("an empty folder", "holds no instruments")],
)
def test_a_bad_catalog_path_is_refused_with_exit_2(kind: str, message: str, tmp_path: Path, capsys) -> None:
    assert _main("--catalog", str(_bad_catalog(kind, tmp_path)), *NO_REDIS) == 2
    assert message in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--catalog", "x", "--every", "1h"), "--every does not go with --catalog"),
        (("--offline", "x", "--start", "2025-09-04T19:00"), "--start and --end go with --catalog"),
        (("--catalog", "x", "--start", "2025-09-04T20:00", "--end", "2025-09-04T19:00"), "--end must be after"),
        (("--catalog", "x", "--start", "yesterday"), "expected an ISO time"),
        (("--catalog", "x", "--offline", "y"), "not allowed with argument"),
    ],
)
def test_options_that_do_not_go_with_a_catalog_are_refused(args: tuple[str, ...], message: str, capsys) -> None:
    assert _main(*args) == 2
    assert message in capsys.readouterr().err


def test_the_catalog_option_is_documented_in_the_help(capsys) -> None:
    assert _main("--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--catalog DIR" in text
    assert "recorded books and trades" in text and "backtest config" in text and "run_backtest.py --config" in text
