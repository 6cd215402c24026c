"""The live PnL split and the fills' markouts, with the definitions of
`backtest.reporting.metrics` kept as running sums (engine-free, pure).

    spread capture = Σ side·(mid_at_fill − fill_px)·qty
    inventory      = Σ signed_qty·(mid_now − mid_at_fill)
                   = (Σ signed_qty)·mid_now − Σ signed_qty·mid_at_fill
    fees           = Σ fee
    total          = spread capture + inventory − fees

so a sample costs O(1) however many fills the run has had, and equals `metrics.compute` with
`mid_end = mid_now` (the tests hold it to that).

A markout is `metrics.markouts`' figure for one fill: side·(mid(t + h) − px)/px in bps, with
mid(t + h) the last mid sampled at or before t + h, filled in once t + h has passed (a fill
matures at 1, 5 and 30 s).
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from dataclasses import field

from backtest.reporting.metrics import MARKOUT_HORIZONS_S
from backtest.reporting.metrics import Fill

_S = 1_000_000_000


@dataclass
class PnlSplit:
    """Running sums of the metrics' PnL decomposition over every fill added."""

    spread_capture: float = 0.0
    fees: float = 0.0
    position: float = 0.0  # Σ signed_qty
    _cost_at_mid: float = 0.0  # Σ signed_qty·mid_at_fill

    def add(self, fill: Fill) -> None:
        sign = 1.0 if fill.side == "BUY" else -1.0
        self.spread_capture += sign * (fill.mid - fill.px) * fill.qty
        self.fees += fill.fee
        self.position += fill.signed_qty
        self._cost_at_mid += fill.signed_qty * fill.mid

    def carry_in(self, position: float, mid: float) -> None:
        """A position held before the first fill counted (a restart, orders of an earlier run):
        from here on its moves count as inventory PnL, as if bought or sold at `mid`, without
        spread capture or fees."""
        self.position += position
        self._cost_at_mid += position * mid

    def inventory(self, mid_now: float) -> float:
        return self.position * mid_now - self._cost_at_mid

    def at(self, mid_now: float) -> dict[str, float]:
        inventory = self.inventory(mid_now)
        return {
            "spread_capture": self.spread_capture,
            "inventory": inventory,
            "fees": self.fees,
            "total": self.spread_capture + inventory - self.fees,
        }


@dataclass
class FillRecord:
    """A fill with its markouts in bps (None until its horizon has passed)."""

    fill: Fill
    markouts: dict[int, float | None] = field(default_factory=lambda: dict.fromkeys(MARKOUT_HORIZONS_S))
    settled: set[int] = field(default_factory=set)  # horizons passed (a markout stays None when no mid was known)

    @property
    def mature(self) -> bool:
        return len(self.settled) == len(self.markouts)


class MidSeries:
    """Mids sampled in time order, kept for as long as the longest markout horizon needs them."""

    def __init__(self, keep_ns: int = (max(MARKOUT_HORIZONS_S) + 30) * _S) -> None:
        self.keep_ns = keep_ns
        self._ts: deque[int] = deque()
        self._mid: deque[float] = deque()

    def add(self, ts_ns: int, mid: float) -> None:
        if self._ts and ts_ns < self._ts[-1]:
            return  # out of order: the series stays sorted
        self._ts.append(ts_ns)
        self._mid.append(mid)
        cutoff = ts_ns - self.keep_ns
        while len(self._ts) > 1 and self._ts[1] <= cutoff:
            self._ts.popleft()
            self._mid.popleft()

    def at(self, ts_ns: int) -> float | None:
        """The last mid at or before `ts_ns` (None before the series starts)."""
        i = bisect.bisect_right(self._ts, ts_ns) - 1
        return self._mid[i] if i >= 0 else None

    @property
    def last_ts(self) -> int | None:
        return self._ts[-1] if self._ts else None


class FillJournal:
    """The latest fills of one instrument with their markouts, and the run's PnL split."""

    def __init__(self, keep: int = 200) -> None:
        self.split = PnlSplit()
        self.recent: deque[FillRecord] = deque(maxlen=keep)
        self._pending: deque[FillRecord] = deque()  # not yet mature, in fill order
        self.count = 0
        self.volume_usd = 0.0

    def add(self, fill: Fill) -> FillRecord:
        self.split.add(fill)
        self.count += 1
        self.volume_usd += fill.px * fill.qty
        record = FillRecord(fill)
        self.recent.append(record)
        self._pending.append(record)
        return record

    def mature(self, mids: MidSeries) -> None:
        """Fill in every markout whose horizon the mid series has passed."""
        last = mids.last_ts
        if last is None:
            return
        for record in list(self._pending):
            fill = record.fill
            sign = 1.0 if fill.side == "BUY" else -1.0
            for h in record.markouts:
                due = fill.ts_ns + h * _S
                if h in record.settled or due > last:
                    continue
                record.settled.add(h)
                later = mids.at(due)
                if later is not None:
                    record.markouts[h] = sign * (later - fill.px) / fill.px * 1e4
            if record.mature:
                self._pending.remove(record)
