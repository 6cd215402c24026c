"""Market-making metrics from a fill journal and a mid series (no engine).

PnL decomposition (per run, quote currency), exact by construction:
    spread capture = Σ side·(mid_at_fill − fill_px)·qty      (side = +1 buy, −1 sell … as edge)
    inventory      = Σ signed_qty·(mid_end − mid_at_fill)     (mark-to-market of what we held)
    fees           = Σ fee
    total          = spread capture + inventory − fees
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from dataclasses import field

import numpy as np

from mm_strategy.risk.drawdown import max_drawdown

MARKOUT_HORIZONS_S = (1, 5, 30)
EDGE_HORIZON_S = 5  # the regime governor judges its edge on 5-s markouts too


@dataclass(frozen=True, slots=True)
class Fill:
    ts_ns: int
    side: str  # "BUY" / "SELL"
    level: int  # 1-based ladder level, 0 = not a ladder order
    px: float
    qty: float
    fee: float
    maker: bool
    mid: float  # mid when the fill happened

    @property
    def signed_qty(self) -> float:
        return self.qty if self.side == "BUY" else -self.qty


@dataclass
class RunMetrics:
    fills: int = 0
    volume_usd: float = 0.0
    spread_capture: float = 0.0
    inventory_pnl: float = 0.0
    fees: float = 0.0
    total_pnl: float = 0.0
    maker_share: float | None = None
    fills_per_level: dict[int, int] = field(default_factory=dict)
    volume_per_level: dict[int, float] = field(default_factory=dict)
    orders_submitted: int = 0
    orders_filled: int = 0
    fill_rate: float | None = None
    actions: int = 0
    cancel_to_fill: float | None = None
    actions_per_usdc: float | None = None
    markouts_bps: dict[str, dict[int, float | None]] = field(default_factory=dict)
    # What the fills earned by the market EDGE_HORIZON_S later, fees paid (USDC; the fills that have
    # a mid that late): whether making paid here. `spread_capture` is measured against the mid just
    # before the fill, which for a resting order is the market before it moved through the order.
    edge_after_fees: float | None = None
    max_drawdown: float = 0.0
    final_position: float = 0.0
    guard_firings: dict[str, int] = field(default_factory=dict)


def _mid_at(times: list[int], mids: list[float], ts: int) -> float | None:
    """Last mid at or before `ts` (None before the series starts or past its end)."""
    if not times or ts > times[-1]:
        return None
    i = bisect.bisect_right(times, ts) - 1
    return mids[i] if i >= 0 else None


def markouts(fills: list[Fill], times: list[int], mids: list[float], horizons_s=MARKOUT_HORIZONS_S) -> dict[str, dict[int, float | None]]:
    """Notional-weighted markout in bps per side and horizon: + means the fill was good for us."""
    out: dict[str, dict[int, float | None]] = {}
    for side in ("BUY", "SELL"):
        sign = 1.0 if side == "BUY" else -1.0
        out[side] = {}
        for h in horizons_s:
            num = 0.0
            den = 0.0
            for f in fills:
                if f.side != side:
                    continue
                later = _mid_at(times, mids, f.ts_ns + h * 1_000_000_000)
                if later is None:
                    continue
                w = f.px * f.qty
                num += sign * (later - f.px) / f.px * 1e4 * w
                den += w
            out[side][h] = num / den if den > 0 else None
    return out


def edge_after_fees(fills: list[Fill], times: list[int], mids: list[float], horizon_s: int = EDGE_HORIZON_S) -> float | None:
    """Σ side·(mid `horizon_s` after the fill − price)·qty − fee over the fills with a mid that late
    (USDC; None when none has): the realized spread, net of fees."""
    total, counted = 0.0, False
    for f in fills:
        later = _mid_at(times, mids, f.ts_ns + horizon_s * 1_000_000_000)
        if later is not None:
            total += f.signed_qty * (later - f.px) - f.fee
            counted = True
    return total if counted else None


def equity_curve(fills: list[Fill], times: list[int], mids: list[float]) -> np.ndarray:
    """PnL (cash + position·mid − fees) at every mid sample."""
    if not times:
        return np.zeros(0)
    f_ts = np.array([f.ts_ns for f in fills], dtype=np.int64)
    cash = np.cumsum([-f.signed_qty * f.px - f.fee for f in fills]) if fills else np.zeros(0)
    pos = np.cumsum([f.signed_qty for f in fills]) if fills else np.zeros(0)
    idx = np.searchsorted(f_ts, np.array(times, dtype=np.int64), side="right") - 1
    cash_t = np.where(idx >= 0, cash[idx] if fills else 0.0, 0.0)
    pos_t = np.where(idx >= 0, pos[idx] if fills else 0.0, 0.0)
    return cash_t + pos_t * np.array(mids)


def compute(
    fills: list[Fill],
    times: list[int],
    mids: list[float],
    *,
    orders_submitted: int,
    orders_filled: int,
    actions: int,
    guard_firings: dict[str, int] | None = None,
) -> RunMetrics:
    m = RunMetrics()
    m.fills = len(fills)
    m.orders_submitted = orders_submitted
    m.orders_filled = orders_filled
    m.actions = actions
    m.guard_firings = dict(guard_firings or {})
    mid_end = mids[-1] if mids else (fills[-1].px if fills else 0.0)
    for f in fills:
        sign = 1.0 if f.side == "BUY" else -1.0
        m.volume_usd += f.px * f.qty
        m.spread_capture += sign * (f.mid - f.px) * f.qty
        m.inventory_pnl += f.signed_qty * (mid_end - f.mid)
        m.fees += f.fee
        m.final_position += f.signed_qty
        m.fills_per_level[f.level] = m.fills_per_level.get(f.level, 0) + 1
        m.volume_per_level[f.level] = m.volume_per_level.get(f.level, 0.0) + f.px * f.qty
    m.total_pnl = m.spread_capture + m.inventory_pnl - m.fees
    if fills:
        maker_volume = sum(f.px * f.qty for f in fills if f.maker)
        m.maker_share = maker_volume / m.volume_usd
    m.fill_rate = orders_filled / orders_submitted if orders_submitted else None
    m.cancel_to_fill = actions / len(fills) if fills else None
    m.actions_per_usdc = actions / m.volume_usd if m.volume_usd > 0 else None
    m.markouts_bps = markouts(fills, times, mids)
    m.edge_after_fees = edge_after_fees(fills, times, mids)
    m.max_drawdown = max_drawdown(list(equity_curve(fills, times, mids)))
    return m
