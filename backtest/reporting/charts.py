"""The charts of one run (matplotlib, one PNG): mid and fills, inventory, PnL split, markouts,
fills per level, guard firings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from backtest.reporting.metrics import MARKOUT_HORIZONS_S
from backtest.reporting.metrics import equity_curve

if TYPE_CHECKING:
    from backtest.reporting.report import RunReport


def chart_png(r: RunReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = r.times[0] if r.times else 0
    mins = lambda ts: (np.asarray(ts, dtype=np.int64) - t0) / 60e9  # noqa: E731
    fig, axes = plt.subplots(3, 2, figsize=(14, 11))
    fig.suptitle(f"{r.name}: {r.instrument}")

    ax = axes[0][0]
    ax.plot(mins(r.times), r.mids, lw=0.7, color="black", label="mid")
    for side, color, marker in (("BUY", "tab:green", "^"), ("SELL", "tab:red", "v")):
        fs = [f for f in r.fills if f.side == side]
        ax.scatter(mins([f.ts_ns for f in fs]), [f.px for f in fs], s=10, color=color, marker=marker, label=f"{side} fills")
    ax.set_title("mid and fills")
    ax.set_xlabel("minutes")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    inv = r.inventory
    ax.step(mins([i[0] for i in inv]), [i[1] for i in inv], where="post", color="tab:blue")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title("inventory (base units)")
    ax.set_xlabel("minutes")

    ax = axes[1][0]
    curve = equity_curve(r.fills, r.times, r.mids)
    # Cumulative split at each mid sample.
    f_ts = np.array([f.ts_ns for f in r.fills], dtype=np.int64)
    idx = np.searchsorted(f_ts, np.array(r.times, dtype=np.int64), side="right") - 1
    if r.fills:
        cap = np.cumsum([(1 if f.side == "BUY" else -1) * (f.mid - f.px) * f.qty for f in r.fills])
        fees = np.cumsum([f.fee for f in r.fills])
        cap_t = np.where(idx >= 0, cap[idx], 0.0)
        fee_t = np.where(idx >= 0, fees[idx], 0.0)
    else:
        cap_t = fee_t = np.zeros(len(r.times))
    ax.plot(mins(r.times), curve, label="total", color="black")
    ax.plot(mins(r.times), cap_t, label="spread capture", color="tab:green")
    ax.plot(mins(r.times), curve - cap_t + fee_t, label="inventory", color="tab:blue")
    ax.plot(mins(r.times), -fee_t, label="fees", color="tab:red")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title("PnL split (USDC)")
    ax.set_xlabel("minutes")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    m = r.metrics
    width = 0.35
    xs = np.arange(len(MARKOUT_HORIZONS_S))
    for k, (side, color) in enumerate((("BUY", "tab:green"), ("SELL", "tab:red"))):
        vals = [m.markouts_bps[side][h] or 0.0 for h in MARKOUT_HORIZONS_S]
        ax.bar(xs + (k - 0.5) * width, vals, width, label=side, color=color)
    ax.axhline(-(r.fee_check["maker_fee_bps"] or 0), color="grey", ls="--", lw=0.8, label="−maker fee")
    ax.set_xticks(xs, [f"{h}s" for h in MARKOUT_HORIZONS_S])
    ax.set_title("markouts (bps, + = good for us)")
    ax.legend(fontsize=8)

    ax = axes[2][0]
    levels = sorted(m.fills_per_level)
    ax.bar([f"L{k}" if k else "exit" for k in levels], [m.fills_per_level[k] for k in levels], color="tab:purple")
    ax.set_title("fills per ladder level")

    ax = axes[2][1]
    names = sorted(m.guard_firings)
    ax.barh(names or ["none"], [m.guard_firings[n] for n in names] or [0], color="tab:orange")
    ax.set_title("guard firings")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
