"""A sweep's outputs from its cells' rows: the Parquet table, the frontier, the heatmap's grid, the
console summary and the report page (no Ray: the rows are made here)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
from rich.console import Console

from backtest.sweep import report
from backtest.sweep import results
from backtest.sweep import spec
from backtest.sweep.cell import METRICS

GRID = {"strategy.base_spread_bps": [4, 6], "strategy.level_spacing_ticks": [2, 3]}


def _row(cell: int, run: str, values: dict, net_pnl: float | None, actions: float | None = 1.0, error: str | None = None,
         trial: int | None = None) -> dict:
    metrics = dict.fromkeys(METRICS, 0.0) | {"fills": 3, "net_pnl": net_pnl, "actions_per_usdc": actions}
    if error:
        metrics = dict.fromkeys(METRICS)
    return {"cell": cell, "trial": trial, "run": run, "instrument": "WLFI", "values": values,
            "status": "error" if error else "ok", "error": error, "stopped_quoting": None, **metrics, "wall_s": 1.0,
            "cpu_s": 0.9}


def _grid_rows(runs: tuple[str, ...] = ("a",)) -> list[dict]:
    rows = []
    for values in ({"strategy.base_spread_bps": s, "strategy.level_spacing_ticks": t} for s in (4, 6) for t in (2, 3)):
        for run in runs:
            rows.append(_row(len(rows), run, values, float(len(rows))))
    return rows


def test_the_table_has_one_row_per_cell_in_cell_order_with_typed_columns() -> None:
    rows = _grid_rows()
    rows[2] = _row(2, "a", rows[2]["values"], None, error="bad strategy settings: base_spread_bps")
    frame = results.table(list(reversed(rows)), list(GRID))
    assert frame.height == 4 and frame["cell"].to_list() == [0, 1, 2, 3]
    assert frame.schema["strategy.base_spread_bps"] == pl.Int64 and frame.schema["fills"] == pl.Int64
    assert frame.schema["net_pnl"] == pl.Float64
    assert frame["status"].to_list() == ["ok", "ok", "error", "ok"]
    assert frame["error"][2] == "bad strategy settings: base_spread_bps" and frame["net_pnl"][2] is None
    assert set(METRICS) <= set(frame.columns)


def test_a_parameter_column_is_typed_when_its_values_agree_and_json_text_otherwise() -> None:
    assert results.parameter_column("p", [1, 2.5]).dtype == pl.Float64
    assert results.parameter_column("p", [True, False]).dtype == pl.Boolean
    assert results.parameter_column("p", ["mid", "microprice"]).dtype == pl.String
    lists = results.parameter_column("p", [[1.0, 2.0], [1.0]])
    assert lists.dtype == pl.String and [json.loads(v) for v in lists] == [[1.0, 2.0], [1.0]]
    assert results.parameter_column("p", [4, "wide"]).to_list() == ["4", '"wide"']


def test_the_parquet_file_reads_back_as_the_table(tmp_path: Path) -> None:
    frame = results.table(_grid_rows(), list(GRID))
    path = results.write_parquet(frame, tmp_path / "deep" / "sweep.parquet")
    assert pl.read_parquet(path).equals(frame)


def test_the_frontier_keeps_the_cells_no_other_beats_on_both_counts() -> None:
    points = [(0.5, 1.0, 0), (0.6, 0.5, 1), (1.0, 3.0, 2), (1.2, 2.0, 3), (2.0, 3.5, 4), (0.5, 0.2, 5)]
    assert results.frontier(points) == [0, 2, 4]


def test_the_heatmap_grid_places_each_cell_and_leaves_failed_ones_empty() -> None:
    grid_spec = spec.GridSpec(base="x", grid=GRID)
    rows = _grid_rows(runs=("a", "b"))
    rows[3] = _row(3, "b", rows[3]["values"], None, error="boom")
    grids = report.heatmap_grids(rows, grid_spec)
    assert grids["a"] == [[0.0, 2.0], [4.0, 6.0]]
    assert grids["b"][0][0] == 1.0 and math.isnan(grids["b"][0][1])
    assert grids["all runs (sum)"][1] == [4.0 + 5.0, 6.0 + 7.0] and math.isnan(grids["all runs (sum)"][0][1])


def test_the_summary_ranks_the_best_cells_and_lists_every_failure() -> None:
    console = Console(record=True, width=250)
    rows = _grid_rows()
    rows[1] = _row(1, "a", rows[1]["values"], None, error="no data for WLFI")
    results.print_summary(rows, list(GRID), console)
    text = console.export_text()
    assert "3 of 4 cells ok" in text and "cell 1 failed" in text and "no data for WLFI" in text
    ranked = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert ranked == ["3", "2", "0"]  # by net PnL, best first


def test_the_report_page_shows_the_heatmap_the_frontier_and_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "grid", "grid": GRID}))
    sweep = spec.load(path)
    rows = _grid_rows(runs=("wlfi_20250904",))
    page = report.write(sweep, rows, tmp_path / "out" / "sweep.html").read_text()
    assert page.count("data:image/png;base64,") == 2  # heatmap and frontier
    assert page.count("<tr>") == 1 + len(rows)


def _spacing_inert_rows(runs: tuple[str, ...] = ("a",)) -> list[dict]:
    """The net PnL depends on the spread only: the spacing changes nothing (one level quoted)."""
    return [_row(k, r["run"], r["values"], float(r["values"]["strategy.base_spread_bps"]))
            for k, r in enumerate(_grid_rows(runs))]


def test_a_parameter_whose_values_change_no_metric_is_named_and_one_that_does_is_not() -> None:
    assert results.inert_parameters(_spacing_inert_rows(), list(GRID)) == ["strategy.level_spacing_ticks"]
    assert results.inert_parameters(_grid_rows(), list(GRID)) == []  # every cell differs


def test_a_parameter_that_changes_a_metric_in_one_run_only_is_not_inert() -> None:
    rows = _spacing_inert_rows(runs=("a", "b"))
    rows[-1] = _row(rows[-1]["cell"], "b", rows[-1]["values"], 99.0)  # spread 6, spacing 3, run b
    assert results.inert_parameters(rows, list(GRID)) == []


def test_search_cells_that_never_share_their_other_values_give_no_verdict() -> None:
    rows = [_row(k, "a", {"strategy.base_spread_bps": 4 + k, "strategy.level_spacing_ticks": 2 + k}, 1.0, trial=k)
            for k in range(4)]
    assert results.inert_parameters(rows, list(GRID)) == []


def test_failed_cells_do_not_make_a_parameter_look_inert() -> None:
    rows = _spacing_inert_rows()
    rows[1] = _row(1, "a", rows[1]["values"], None, error="no data")  # spread 4, spacing 3 failed
    rows[3] = _row(3, "a", rows[3]["values"], None, error="no data")  # spread 6, spacing 3 failed
    assert results.inert_parameters(rows, list(GRID)) == []


def test_the_summary_and_the_report_say_which_parameter_changed_nothing(tmp_path: Path) -> None:
    console = Console(record=True, width=250)
    rows = _spacing_inert_rows(runs=("wlfi_20250904",))
    results.print_summary(rows, list(GRID), console)
    assert "strategy.level_spacing_ticks changed no metric" in console.export_text()
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "grid", "grid": GRID}))
    page = report.write(spec.load(path), rows, tmp_path / "sweep.html").read_text()
    assert "strategy.level_spacing_ticks changed no metric" in page
    assert "base_spread_bps changed no metric" not in page


def test_a_cell_whose_run_stopped_quoting_says_why_in_the_table_the_summary_and_the_page(tmp_path: Path) -> None:
    # Review 4: a cell stood down half-way, or halted by the loss cap, read "status ok" like any other.
    rows = _grid_rows(runs=("wlfi_20250904",))
    rows[3]["stopped_quoting"] = "halted by the daily loss cap at 2025-09-04T19:50:49+00:00: daily loss 1.02 USDC"
    frame = results.table(rows, list(GRID))
    assert frame["stopped_quoting"].to_list() == [None, None, None, rows[3]["stopped_quoting"]]
    console = Console(record=True, width=250)
    results.print_summary(rows, list(GRID), console)
    assert "cell 3 (wlfi_20250904) stopped quoting: halted by the daily loss cap" in console.export_text()
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "grid", "grid": GRID}))
    page = report.write(spec.load(path), rows, tmp_path / "out" / "sweep.html").read_text()
    assert "<th>stopped quoting</th>" in page and "halted by the daily loss cap at 2025-09-04T19:50:49" in page
