"""A sweep's results: the table of cells × metrics (Parquet), the console summary, and the
frontier of net PnL against actions per USDC."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from backtest.reporting.report import overview_cell
from backtest.sweep.cell import METRICS

if TYPE_CHECKING:
    import polars as pl

METRIC_TITLES = {
    "net_pnl": "net PnL", "spread_capture": "spread capture", "inventory": "inventory", "fees": "fees",
    "fills": "fills", "volume_usd": "traded $", "actions_per_usdc": "actions/USDC",
    "markout_1s_buy_bps": "1s markout buy", "markout_1s_sell_bps": "1s markout sell",
    "edge_after_fees": "5s edge after fees",
}
SUMMARY_ROWS = 20  # the console shows the best cells; the Parquet table and the HTML report have them all


def table(rows: list[dict[str, Any]], parameters: list[str]) -> pl.DataFrame:
    """One row per cell, in cell order: cell, trial, run, instrument, one column per parameter,
    status, error, the metrics, wall_s and cpu_s (the cell's own time)."""
    import polars as pl

    rows = sorted(rows, key=lambda r: r["cell"])
    columns: list[pl.Series] = [
        pl.Series("cell", [r["cell"] for r in rows], dtype=pl.Int64),
        pl.Series("trial", [r["trial"] for r in rows], dtype=pl.Int64),
        pl.Series("run", [r["run"] for r in rows], dtype=pl.String),
        pl.Series("instrument", [r["instrument"] for r in rows], dtype=pl.String),
    ]
    columns += [parameter_column(name, [r["values"].get(name) for r in rows]) for name in parameters]
    columns += [
        pl.Series("status", [r["status"] for r in rows], dtype=pl.String),
        pl.Series("error", [r["error"] for r in rows], dtype=pl.String),
        pl.Series("stopped_quoting", [r.get("stopped_quoting") for r in rows], dtype=pl.String),
    ]
    columns += [pl.Series(m, [r[m] for r in rows], dtype=pl.Int64 if m == "fills" else pl.Float64) for m in METRICS]
    columns += [pl.Series(k, [r[k] for r in rows], dtype=pl.Float64) for k in ("wall_s", "cpu_s")]
    return pl.DataFrame(columns)


def parameter_column(name: str, values: list[Any]) -> pl.Series:
    """A parameter's values as a typed column when they share one scalar type (ints and floats
    make floats), else as JSON text (lists such as size_multipliers, or mixed types)."""
    import polars as pl

    kinds = {type(v) for v in values if v is not None}
    if kinds <= {bool}:
        return pl.Series(name, values, dtype=pl.Boolean)
    if kinds <= {int}:
        return pl.Series(name, values, dtype=pl.Int64)
    if kinds <= {int, float}:
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64)
    if kinds <= {str}:
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, [msgspec.json.encode(v).decode() for v in values], dtype=pl.String)


def write_parquet(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def frontier(points: list[tuple[float, float, int]]) -> list[int]:
    """The ids of the points no other point beats on both counts: fewer actions per USDC (x) and
    more net PnL (y). In order of x."""
    best_y = float("-inf")
    ids = []
    for _x, y, ident in sorted(points, key=lambda p: (p[0], -p[1])):
        if y > best_y:
            ids.append(ident)
            best_y = y
    return ids


def value_text(value: Any) -> str:
    """A parameter value as the summary shows it: text as it is, a float to 6 significant digits
    (an Optuna draw has 16; the table keeps them all), anything else as JSON."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.6g}"
    return msgspec.json.encode(value).decode()


def short_names(parameters: list[str]) -> list[str]:
    """Column titles for the parameters: the field's name, or the whole name where two share a field."""
    fields = [p.rsplit(".", 1)[-1] for p in parameters]
    return [f if fields.count(f) == 1 else p for f, p in zip(fields, parameters, strict=True)]


def inert_parameters(rows: list[dict[str, Any]], parameters: list[str]) -> list[str]:
    """The parameters that changed no metric: every set of ok cells that differ only in that
    parameter's value (same run, same other values) has the same metrics, and there was at least
    one such set. A grid swept over a field the run never reaches (spacing between levels, where
    one level is quoted) is a grid that looked at less than it seems. Search cells rarely share
    their other values: no verdict from them."""
    inert = []
    for name in parameters:
        groups: dict[tuple[str, str], set[str]] = {}
        outcomes: dict[tuple[str, str], set[tuple[Any, ...]]] = {}
        for r in rows:
            if r["status"] != "ok":
                continue
            others = msgspec.json.encode({p: v for p, v in sorted(r["values"].items()) if p != name}).decode()
            key = (r["run"], others)
            groups.setdefault(key, set()).add(msgspec.json.encode(r["values"].get(name)).decode())
            outcomes.setdefault(key, set()).add(tuple(r[m] for m in METRICS))
        compared = [key for key, values in groups.items() if len(values) > 1]
        if compared and all(len(outcomes[key]) == 1 for key in compared):
            inert.append(name)
    return inert


def inert_text(name: str) -> str:
    return (f"{name} changed no metric: the cells that differ only in it have the same results "
            "(a field the runs never reach, e.g. the spacing between levels where one level is quoted)")


def print_summary(rows: list[dict[str, Any]], parameters: list[str], console: Console, sort_by: str = "net_pnl",
                  descending: bool = True) -> None:
    """The best cells by `sort_by`, then every failed cell with its error."""
    ok = [r for r in rows if r["status"] == "ok"]
    failed = sorted((r for r in rows if r["status"] != "ok"), key=lambda r: r["cell"])
    # Cells without the metric (no fills: no actions per USDC) go last whichever the direction.
    measured = sorted((r for r in ok if r[sort_by] is not None), key=lambda r: r[sort_by], reverse=descending)
    ranked = measured + [r for r in ok if r[sort_by] is None]
    shown = ranked[:SUMMARY_ROWS]
    title = f"{len(ok)} of {len(rows)} cells ok; best {len(shown)} by {METRIC_TITLES.get(sort_by, sort_by)}"
    runs = list(dict.fromkeys(r["run"] for r in rows))
    several = len(runs) > 1  # one run: named in the title, not on every line
    t = Table(title=title + ("" if several else f" of {runs[0]}") + " (USDC; markouts in bps, + = good for us)")
    heads = ["cell", *(["run"] if several else []), *short_names(parameters), *(METRIC_TITLES[m] for m in METRICS)]
    lines = [[str(r["cell"]), *([r["run"]] if several else []), *(value_text(r["values"].get(p)) for p in parameters),
              *(overview_cell(m, r[m]) for m in METRICS)] for r in shown]
    for k, head in enumerate(heads):
        # A value is never cut; a long title folds over lines instead of losing its end.
        widest = max((len(line[k]) for line in lines), default=1)
        t.add_column(head, justify="left" if head == "run" else "right", overflow="fold", min_width=widest)
    for line in lines:
        t.add_row(*line)
    console.print(t)
    for r in shown:
        if r.get("stopped_quoting"):
            console.print(f"[yellow]cell {r['cell']} ({r['run']}) stopped quoting:[/yellow] {r['stopped_quoting']}",
                          soft_wrap=True, highlight=False)
    for name in inert_parameters(rows, parameters):
        console.print(f"[yellow]{inert_text(name)}[/yellow]", soft_wrap=True, highlight=False)
    for r in failed:
        values = ", ".join(f"{p}={value_text(r['values'].get(p))}" for p in parameters)
        console.print(f"[red]cell {r['cell']} failed[/red] ({r['run']}; {values}): {r['error']}", soft_wrap=True,
                      highlight=False)
