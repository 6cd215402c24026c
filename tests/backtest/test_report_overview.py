"""The report opens with one line per run: where making pays the fee and where it does not."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from backtest.reporting import report
from backtest.reporting.metrics import Fill
from backtest.reporting.metrics import compute

T0 = 1_757_015_280_000_000_000  # 2025-09-04 19:48 UTC
SECOND = 1_000_000_000


def _run(name: str, fills: list[Fill]) -> report.RunReport:
    times = [T0 + i * SECOND for i in range(120)]
    mids = [100.0] * len(times)
    metrics = compute(fills, times, mids, orders_submitted=10, orders_filled=len(fills), actions=20)
    return report.RunReport(
        name=name, instrument="WLFI-USD-PERP.HYPERLIQUID", metrics=metrics,
        fee_check={"maker_fee_bps": 1.5, "adverse_selection_allowance_bps": 0.5, "required_edge_bps": 2.0,
                   "l1_half_spread_bps": 2.5, "edge_check_enforced": True, "median_market_spread_bps": 4.0,
                   "quoting_at_the_touch_would_pay_fee": True},
        engine_pnl=metrics.total_pnl, market={"start_mid": 100.0, "end_mid": 100.0, "move_bps": 0.0,
                                              "price_step_bps": 1.0},
        run={"data_events": 1, "wall_s": 1.0, "events_per_s": 1, "actions": {"submit": 10, "modify": 0, "cancel": 10},
             "post_only_rejects": 0, "latency_ms": 100.0, "fee_tier": 0, "quote_from": "x", "end": "y"},
        fills=fills, times=times, mids=mids, inventory=[],
    )


def _fill(ts_s: int, side: str, px: float, fee: float) -> Fill:
    return Fill(T0 + ts_s * SECOND, side, 1, px, 1.0, fee, True, 100.0)


def test_a_run_whose_edge_beats_its_fees_is_marked_as_paying() -> None:
    earning = _run("earning", [_fill(1, "BUY", 99.9, 0.015), _fill(5, "SELL", 100.1, 0.015)])
    losing = _run("losing", [_fill(1, "BUY", 99.999, 0.015), _fill(5, "SELL", 100.001, 0.015)])
    idle = _run("idle", [])
    rows = {row["run"]: row for row in report.overview([earning, losing, idle])}
    assert rows["earning"]["edge_pays_fee"] is True
    assert rows["earning"]["spread_capture"] > -rows["earning"]["fees"] > 0
    assert rows["losing"]["edge_pays_fee"] is False
    assert rows["idle"]["edge_pays_fee"] is None and rows["idle"]["fills"] == 0


def test_a_fill_the_market_moved_through_captures_the_spread_but_does_not_pay_the_fee() -> None:
    # Review 7: a resting bid filled as the market fell through it is credited with the half-spread
    # against the mid before the fall; 5 s on, the fill has lost, fees paid.
    times = [T0 + i * SECOND for i in range(20)]
    mids = [100.0] * 2 + [99.8] * 18  # the market falls through our 99.9 bid at 2 s
    fill = Fill(T0 + 2 * SECOND, "BUY", 1, 99.9, 1.0, 0.015, True, 100.0)  # its mid: the one before the fall
    m = compute([fill], times, mids, orders_submitted=1, orders_filled=1, actions=1)
    assert m.spread_capture > m.fees  # what "the spread paid the fee" was read from
    assert m.edge_after_fees == pytest.approx(-0.1 - 0.015)
    r = _run("fell_through", [fill])
    r.metrics.edge_after_fees = m.edge_after_fees
    row = report.overview([r])[0]
    assert row["edge_pays_fee"] is False
    assert report.overview_cell("edge_after_fees", row["edge_after_fees"]) == "-0.12"  # the figure, beside the verdict


def test_a_run_without_fees_shows_zero_not_minus_zero() -> None:
    row = report.overview([_run("idle", [])])[0]
    assert str(row["fees"]) == "0.0" and report.overview_cell("fees", row["fees"]) == "+0.00"


def test_the_overview_line_adds_up_and_carries_the_one_second_markouts() -> None:
    row = report.overview([_run("r", [_fill(1, "BUY", 99.9, 0.015), _fill(5, "SELL", 100.1, 0.015)])])[0]
    assert abs(row["net_pnl"] - (row["spread_capture"] + row["inventory"] + row["fees"])) < 1e-9
    assert row["markout_1s_buy_bps"] is not None and row["markout_1s_sell_bps"] is not None
    assert row["fills"] == 2 and row["volume_usd"] > 0


def test_the_html_and_the_console_open_with_the_overview_table(tmp_path: Path) -> None:
    from rich.console import Console

    runs = [_run("first_run", [_fill(1, "BUY", 99.9, 0.015)]), _run("second_run", [])]
    written = report.write(runs, tmp_path)
    page = written["html"].read_text()
    assert page.index("All runs") < page.index("first_run —") < page.index("second_run —")
    assert [r["run"] for r in json.loads(written["overview"].read_text())] == ["first_run", "second_run"]
    console = Console(record=True, width=250)
    report.print_summary(runs, console)
    text = console.export_text()
    assert text.index("All runs") < text.index("first_run  (")


def _stopped(reducing: str | None, stopped: str | None, held: float) -> SimpleNamespace:
    mm = SimpleNamespace(reduce_only_for_good=reducing, reduce_only_since_ns=T0 + 10 * SECOND, quoting_stopped=stopped,
                         quoting_stopped_ns=T0 + 20 * SECOND, held_at_stop=held)
    return SimpleNamespace(strategy=mm)


def test_the_status_says_when_the_breaker_went_reduce_only_and_when_it_stopped_and_what_was_held() -> None:
    # Review 9: times were looked up by reason text (a second trip of the same text took the first's),
    # and "what it held then is marked" was said of flat stops and not of held ones.
    margin, tick = "10 orders rejected as insufficient_margin", "10 orders rejected as price_rule"
    assert report.stop_status(_stopped(margin, None, 0.0)) == (
        f"reduce-only from 2025-09-04T19:48:10+00:00: {margin}; only what reduced the position was quoted after")
    assert report.stop_status(_stopped(margin, f"{margin}; nothing left to reduce", 0.0)) == (
        f"reduce-only from 2025-09-04T19:48:10+00:00: {margin}; stopped quoting at 2025-09-04T19:48:20+00:00: "
        "nothing left to reduce")
    assert report.stop_status(_stopped(margin, margin, 0.5)) == (
        f"reduce-only from 2025-09-04T19:48:10+00:00: {margin}; stopped quoting at 2025-09-04T19:48:20+00:00: "
        f"{margin}; what it held then (+0.5) is marked to the end of the run")
    assert report.stop_status(_stopped(None, tick, 0.0)) == f"stopped quoting at 2025-09-04T19:48:20+00:00: {tick}"
    assert report.stop_status(_stopped(None, None, 0.0)) is None
