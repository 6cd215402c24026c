"""The order a sweep's cells go to Ray in: the most data to replay first, so that the last cells
to finish are short ones and no core idles long at the end of a sweep."""

from __future__ import annotations

import json
import math
from pathlib import Path

import msgspec

from backtest.sweep import spec
from backtest.sweep.cell import CellTask
from backtest.sweep.cell import data_span_s
from backtest.sweep.command import CellMaker
from backtest.sweep.execute import longest_first

BASE = "configs/backtest.json"  # eth_capture 24 min, btc_archive_hour 59 min, wlfi_20250904 33 min, warm-up 5 min


def _cells(tmp_path: Path, runs: list[str], grid: dict) -> list[CellTask]:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"base": BASE, "runs": runs, "mode": "grid", "grid": grid}))
    sweep = spec.load(path)
    make_cells = CellMaker(sweep, tmp_path, "ERROR")
    return [task for values in spec.grid_points(sweep.spec) for task in make_cells(values)]


def test_the_cells_with_the_longest_runs_go_first_and_equal_ones_keep_their_order(tmp_path: Path) -> None:
    cells = _cells(tmp_path, ["eth_capture", "btc_archive_hour", "wlfi_20250904"], {"strategy.base_spread_bps": [4, 6]})
    ordered = longest_first(cells)
    assert [(t.run, t.cell) for t in ordered] == [
        ("btc_archive_hour", 1), ("btc_archive_hour", 4), ("wlfi_20250904", 2), ("wlfi_20250904", 5),
        ("eth_capture", 0), ("eth_capture", 3),
    ]


def test_a_cells_data_is_its_runs_span_and_its_own_warm_up(tmp_path: Path) -> None:
    short, long = _cells(tmp_path, ["eth_capture"], {"warmup_s": [60, 600]})
    assert data_span_s(short) == 24 * 60 + 60 and data_span_s(long) == 24 * 60 + 600
    assert longest_first([short, long]) == [long, short]


def test_a_run_without_an_end_counts_as_the_longest(tmp_path: Path) -> None:
    (task,) = _cells(tmp_path, ["eth_capture"], {"latency_ms": [100]})
    base = msgspec.to_builtins(task.base)
    base["runs"] = [{**base["runs"][0], "end": None}]
    open_ended = CellTask(1, "eth_capture", {}, base, task.catalog)
    assert math.isinf(data_span_s(open_ended))
    assert longest_first([task, open_ended]) == [open_ended, task]
