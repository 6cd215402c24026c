"""The HTML report of a sweep (matplotlib charts embedded, like the backtest report): a heatmap of
net PnL for a two-parameter grid, the frontier of net PnL against actions per USDC, the objective
by trial for an Optuna search, and the table of every cell."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from backtest.reporting.report import overview_cell
from backtest.sweep.cell import METRICS
from backtest.sweep.results import METRIC_TITLES
from backtest.sweep.results import frontier
from backtest.sweep.results import inert_parameters
from backtest.sweep.results import inert_text
from backtest.sweep.results import value_text
from backtest.sweep.search import trial_value
from backtest.sweep.spec import GridSpec
from backtest.sweep.spec import OptunaSpec
from backtest.sweep.spec import Sweep


def _png(draw: Callable[[Any], None], size: tuple[float, float]) -> str:
    """A figure drawn by `draw(figure)`, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=size)
    draw(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def heatmap_grids(rows: list[dict[str, Any]], spec: GridSpec, metric: str = "net_pnl") -> dict[str, list[list[float]]]:
    """For a two-parameter grid: per run (and summed over the runs when there are several) the
    metric at [first parameter's value][second's]; NaN where the cell failed."""
    (p1, v1), (p2, v2) = spec.grid.items()
    key = msgspec.json.encode
    runs = list(dict.fromkeys(r["run"] for r in sorted(rows, key=lambda r: r["cell"])))
    at = {(r["run"], key(r["values"][p1]), key(r["values"][p2])): r for r in rows}

    def value(run: str, a: Any, b: Any) -> float:
        r = at.get((run, key(a), key(b)))
        return math.nan if r is None or r["status"] != "ok" or r[metric] is None else float(r[metric])

    grids = {run: [[value(run, a, b) for b in v2] for a in v1] for run in runs}
    if len(runs) > 1:
        grids["all runs (sum)"] = [[sum(grids[run][i][j] for run in runs) for j in range(len(v2))] for i in range(len(v1))]
    return grids


def _heatmap(rows: list[dict[str, Any]], spec: GridSpec) -> str:
    (p1, v1), (p2, v2) = spec.grid.items()
    grids = heatmap_grids(rows, spec)

    def draw(fig: Any) -> None:
        import numpy as np

        for k, (title, grid) in enumerate(grids.items()):
            ax = fig.add_subplot(1, len(grids), k + 1)
            data = np.array(grid, dtype=float)
            finite = data[np.isfinite(data)]
            bound = max(abs(finite).max(), 1e-9) if finite.size else 1.0
            image = ax.imshow(data, cmap="RdYlGn", vmin=-bound, vmax=bound, aspect="auto")
            ax.set_xticks(range(len(v2)), [value_text(v) for v in v2])
            ax.set_yticks(range(len(v1)), [value_text(v) for v in v1])
            ax.set_xlabel(p2)
            ax.set_ylabel(p1)
            ax.set_title(f"net PnL: {title}")
            for i in range(len(v1)):
                for j in range(len(v2)):
                    ax.text(j, i, "failed" if math.isnan(data[i, j]) else f"{data[i, j]:+.2f}", ha="center",
                            va="center", fontsize=8)
            fig.colorbar(image, ax=ax, shrink=0.8)

    return _png(draw, (5.5 * len(grids), 4.5))


def _frontier(rows: list[dict[str, Any]]) -> str | None:
    measured = [r for r in rows if r["status"] == "ok" and r["actions_per_usdc"] is not None and r["net_pnl"] is not None]
    if not measured:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for run in dict.fromkeys(r["run"] for r in measured):
            mine = [r for r in measured if r["run"] == run]
            dots = ax.scatter([r["actions_per_usdc"] for r in mine], [r["net_pnl"] for r in mine], s=18, alpha=0.7,
                              label=run)
            best = frontier([(r["actions_per_usdc"], r["net_pnl"], r["cell"]) for r in mine])
            by_cell = {r["cell"]: r for r in mine}
            xs = [by_cell[c]["actions_per_usdc"] for c in best]
            ys = [by_cell[c]["net_pnl"] for c in best]
            ax.plot(xs, ys, color=dots.get_facecolor()[0], lw=1)
            for c, x, y in zip(best, xs, ys, strict=True):
                ax.annotate(str(c), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel("actions per USDC traded (fewer is cheaper on the address budget)")
        ax.set_ylabel("net PnL (USDC)")
        ax.set_title("frontier: net PnL against actions per USDC (line: cells no other beats on both; labels: cell)")
        ax.legend(fontsize=8)

    return _png(draw, (10, 5.5))


def _history(rows: list[dict[str, Any]], spec: OptunaSpec) -> str:
    trials = sorted({r["trial"] for r in rows})
    values = [trial_value([r for r in rows if r["trial"] == t], spec.objective) for t in trials]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        done = [(t, v) for t, v in zip(trials, values, strict=True) if v is not None]
        ax.scatter([t for t, _ in done], [v for _, v in done], s=14, label="trial")
        best: list[float] = []
        pick = max if spec.direction == "maximize" else min
        for _, v in done:
            best.append(v if not best else pick(best[-1], v))
        ax.step([t for t, _ in done], best, where="post", color="black", lw=1, label="best so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(f"{spec.objective} (mean over runs)")
        ax.set_title(f"Optuna: {spec.direction} {spec.objective}")
        ax.legend(fontsize=8)

    return _png(draw, (10, 4.5))


def _cells_table(rows: list[dict[str, Any]], parameters: list[str]) -> str:
    heads = ["cell", "trial", "run", *parameters, "status", *(METRIC_TITLES[m] for m in METRICS), "stopped quoting",
             "error"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    body = []
    for r in sorted(rows, key=lambda r: r["cell"]):
        cells = [str(r["cell"]), "" if r["trial"] is None else str(r["trial"]), r["run"],
                 *(value_text(r["values"].get(p)) for p in parameters), r["status"],
                 *(overview_cell(m, r[m]) for m in METRICS), r.get("stopped_quoting") or "", r["error"] or ""]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table class='cells'><tr>{head}</tr>{''.join(body)}</table>"


def write(sweep: Sweep, rows: list[dict[str, Any]], path: Path, best: str | None = None) -> Path:
    """The report page at `path`; `best` is a line on the best trial of a search."""
    parameters = list(sweep.parameters)
    spec = sweep.spec
    images = []
    if isinstance(spec, GridSpec) and len(spec.grid) == 2:
        images.append(_heatmap(rows, spec))
    if (chart := _frontier(rows)) is not None:
        images.append(chart)
    if isinstance(spec, OptunaSpec):
        images.append(_history(rows, spec))
    ok = sum(1 for r in rows if r["status"] == "ok")
    described = msgspec.json.format(msgspec.json.encode(spec), indent=2).decode()
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Sweep {html.escape(sweep.name)}</title><style>"
        "body{font-family:sans-serif;max-width:1400px;margin:auto}td,th{border-bottom:1px solid #ddd;font-size:13px;"
        "padding:0 .5em}.cells td{text-align:right}pre{background:#f6f6f6;padding:.5em}</style></head><body>"
        f"<h1>Sweep {html.escape(sweep.name)}</h1>"
        f"<p>{len(rows)} cells, {ok} ok, {len(rows) - ok} failed. Money in USDC, markouts in bps (+ = good for us).</p>"
        + (f"<p><b>{html.escape(best)}</b></p>" if best else "")
        + "".join(f"<p><b>{html.escape(inert_text(name))}.</b></p>"
                  for name in inert_parameters(rows, parameters))
        + "".join(f'<img src="data:image/png;base64,{img}" style="max-width:100%">' for img in images)
        + "<h2>Cells</h2>" + _cells_table(rows, parameters)
        + f"<h2>Sweep file</h2><pre>{html.escape(described)}</pre></body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
