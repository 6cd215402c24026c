"""Node state → one JSON-ready snapshot, sampled on the dashboard's own timer.

Everything is read from what the node already has: Nautilus's cache (books, trades, orders),
portfolio (positions), the strategies' and actors' public state (`MarketMaker.fills` journal,
`actions`, `max_inventory_usd`, …) and the copies `BusWatch` keeps of the bus messages. The
collector adds no handler on any market-data topic; the book's and trades' effect on our queue
places is worked out here, per sample (`QueueEstimate`).

A sample costs what it reads: the top `depth` levels, our open orders, the trades and fills since
the previous sample. Chart history is a bounded ring per instrument.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from nautilus_trader.model.identifiers import InstrumentId

from backtest.reporting.metrics import Fill
from dashboard.bus_watch import BusWatch
from dashboard.pnl import FillJournal
from dashboard.pnl import FillRecord
from dashboard.pnl import MidSeries
from dashboard.queue_estimate import PrintedTrade
from dashboard.queue_estimate import QueueEstimate
from dashboard.queue_estimate import RestingOrder
from mm_strategy.controls_in_force import ALL
from mm_strategy.controls_in_force import HeldControl
from mm_strategy.governor import RegimeGovernor
from mm_strategy.market_maker import MarketMaker
from mm_strategy.risk.activity import INITIAL_ADDRESS_BUDGET
from mm_strategy.risk.marks import instrument_unrealized
from mm_strategy.risk_guard import RiskGuard
from simulation.matcher import window_sizes
from simulation.queue_model import make_queue_rule

MODES = ("live", "shadow")  # a node on hlsim runs live against a local url
_S = 1_000_000_000
_MS = 1_000_000
# More than these since the last sample: the oldest are not taken (a sample stays short whatever happened).
MAX_TRADES_PER_SAMPLE = 2_000
MAX_FILLS_PER_SAMPLE = 2_000


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    depth: int = 10  # book levels shown per side
    fills_shown: int = 30
    timeline_shown: int = 100
    history_points: int = 1_800  # chart points kept per instrument (15 min at 2 per second)
    actions_window_s: float = 60.0
    queue_rule: str = "conservative"  # `simulation.queue_model`'s rule for the queue estimates

    def __post_init__(self) -> None:
        if not (1 <= self.depth <= 50 and 1 <= self.fills_shown <= 500 and 1 <= self.timeline_shown <= 500):
            raise ValueError("depth must be 1..50, fills_shown and timeline_shown 1..500")
        if self.history_points < 10 or not self.actions_window_s > 0:
            raise ValueError("history_points must be ≥ 10 and actions_window_s > 0")
        make_queue_rule(self.queue_rule)  # refuses an unknown rule now


class _Instrument:
    """What the collector keeps between samples for one quoted instrument."""

    def __init__(self, strategy: MarketMaker, settings: CollectorSettings, own_orders_displayed: bool) -> None:
        self.strategy = strategy
        self.id: InstrumentId = strategy.instrument_id
        self.key = str(self.id)
        self.queues = QueueEstimate(make_queue_rule(settings.queue_rule), own_orders_displayed=own_orders_displayed)
        self.journal = FillJournal(keep=settings.fills_shown)
        self.mids = MidSeries()
        self.history: deque[tuple[float, ...]] = deque(maxlen=settings.history_points)
        self.fill_rows: deque[dict[str, Any]] = deque(maxlen=settings.fills_shown)  # JSON-ready, newest last
        self.last_fill: tuple | None = None  # the newest journal entry already taken (by identity)
        self.last_trade: tuple[int, str] | None = None  # (ts_init, trade_id) of the newest trade taken
        # The position the node held before the fills the split counts, and the mid it was taken in
        # at (the first sample with a mid); None until then.
        self.carried_in: tuple[float, float] | None = None


class Collector:
    """Samples a running node; `attach` before the node runs (to hear every bus message)."""

    def __init__(self, node: Any, mode: str, settings: CollectorSettings | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.node = node
        self.mode = mode
        self.settings = settings or CollectorSettings()
        kernel = node.kernel
        self._cache = kernel.cache
        self._portfolio = kernel.portfolio
        self._clock = kernel.clock
        strategies = [s for s in node.trader.strategies() if isinstance(s, MarketMaker)]
        # Whether the book's levels hold the strategy's own orders is the strategy's setting (a
        # shadow run's orders are virtual: run_live.py turns it off there).
        self._instruments = [_Instrument(s, self.settings, s.config.book_shows_own_orders) for s in strategies]
        self.bus = BusWatch(self._clock.timestamp_ns, [i.key for i in self._instruments])
        self._actions: deque[tuple[int, int, float]] = deque()  # (ts, actions so far, volume so far)
        self._attached = False

    @property
    def instrument_ids(self) -> list[str]:
        return [i.key for i in self._instruments]

    def attach(self) -> None:
        if not self._attached:
            self.bus.attach(self.node.kernel.msgbus)
            self._attached = True

    def detach(self) -> None:
        if self._attached:
            self.bus.detach(self.node.kernel.msgbus)
            self._attached = False

    # -- the sample ------------------------------------------------------------------------------

    def sample(self) -> dict[str, Any]:
        """One snapshot of the node; also advances the queue estimates, markouts and chart rings."""
        now = self._clock.timestamp_ns()
        instruments = [self._sample_instrument(inst, now) for inst in self._instruments]
        return {
            "ts_ns": now,
            "mode": self.mode,
            "trader_id": str(self.node.trader_id),
            "running": bool(self.node.trader.is_running),
            "instruments": instruments,
            "node": self._sample_node(now),
            "timeline": list(itertools.islice(reversed(self.bus.timeline), self.settings.timeline_shown))[::-1],
            "guard_counts": dict(self.bus.guard_counts),
        }

    def history(self) -> dict[str, dict[str, list[float]]]:
        """The chart rings: per instrument, columns t (s), spread_capture, inventory, fees, total, position."""
        out = {}
        for inst in self._instruments:
            rows = list(inst.history)
            out[inst.key] = {name: [r[i] for r in rows] for i, name in enumerate(HISTORY_COLUMNS)}
        return out

    def _sample_instrument(self, inst: _Instrument, now: int) -> dict[str, Any]:
        strategy = inst.strategy
        book = self._cache.order_book(inst.id)
        bids, asks, mid = _top_levels(book, self.settings.depth)
        if mid is not None:
            inst.mids.add(now, mid)
        self._take_fills(inst)
        inst.journal.mature(inst.mids)
        orders = self._orders(inst, book)
        position = float(self._portfolio.net_position(inst.id))
        if inst.carried_in is None and mid is not None:
            carried = position - inst.journal.split.position
            inst.journal.split.carry_in(carried, mid)
            inst.carried_in = (carried, mid)
        split = inst.journal.split.at(mid) if mid is not None else None
        if split is not None:
            inst.history.append(
                (now / _S, split["spread_capture"], split["inventory"], split["fees"], split["total"], position)
            )
        realized = self._portfolio.realized_pnl(inst.id)
        unrealized = instrument_unrealized(self._cache, self._portfolio, inst.id, mid)
        max_usd = float(strategy.max_inventory_usd)
        regime = self.bus.regime.get(inst.key)
        return {
            "id": inst.key,
            "symbol": str(inst.id.symbol),
            "state": strategy.state.name,
            "blocked": bool(strategy.is_quoting_blocked()) if strategy.is_running else None,
            # What blocks it, as the strategy heard it: the halts and pauses on it or on all.
            "held_by": [c.describe() for c in (*self.bus.controls.halts(), *self.bus.controls.pauses())
                        if c.scope in (ALL, inst.key)],
            "shared_budget": _shared_budget(strategy.shared_cap),
            "exit_mode": strategy.exit_mode.name,
            "breaker": strategy.breaker_state,  # the rejection breaker's hold: stopped, or reduce-only
            "book": {
                "bids": bids,
                "asks": asks,
                "mid": mid,
                "spread_bps": (asks[0][0] - bids[0][0]) / mid * 1e4 if bids and asks and mid else None,
                "age_ms": (now - book.ts_last) / _MS if book is not None and book.ts_last else None,
            },
            "orders": orders,
            "inventory": {
                "position": position,
                "notional_usd": position * mid if mid is not None else None,
                "max_usd": max_usd,
                "q": position * mid / max_usd if mid is not None else None,
                "soft_limit": strategy.skew.soft_limit,
                "hard_limit": strategy.skew.hard_limit,
            },
            "pnl": {
                **(split or {}),
                "carried_in": None if inst.carried_in is None else {
                    "position": inst.carried_in[0], "mid": inst.carried_in[1],
                },
                "realized": float(realized) if realized is not None else None,
                "unrealized": unrealized,
            },
            "point": list(inst.history[-1]) if split is not None else None,
            "fills": list(reversed(inst.fill_rows)),
            "fill_count": inst.journal.count,
            "journal": bool(strategy.config.record_journal),
            "regime": None if regime is None else {
                "reason": regime.reason, "spread_mult": regime.spread_mult, "size_mult": regime.size_mult,
                "vol_bps": regime.vol_bps,
            },
            "spread_mult": strategy.spread_mult,
            "spread_adjustments": strategy.spread_adjustments,
            "actions": dict(strategy.actions),
        }

    def _take_fills(self, inst: _Instrument) -> None:
        """Fills the strategy journaled since the last sample (found from the newest back, by identity)."""
        new = []
        for entry in itertools.islice(reversed(inst.strategy.fills), MAX_FILLS_PER_SAMPLE):
            if entry is inst.last_fill:
                break
            new.append(entry)
        if not new:
            return
        inst.last_fill = new[0]
        for ts, side, level, px, qty, fee, maker, mid in reversed(new):
            inst.fill_rows.append(_fill_row(inst.journal.add(Fill(ts, side, level, px, qty, fee, maker, mid))))

    def _orders(self, inst: _Instrument, book: Any) -> list[dict[str, Any]]:
        open_orders = [
            o for o in self._cache.orders_open(instrument_id=inst.id, strategy_id=inst.strategy.id)
            if o.has_price
        ]
        resting = [
            RestingOrder(o.client_order_id.value, o.side.name == "BUY", float(o.price), float(o.leaves_qty))
            for o in open_orders
        ]
        trades = self._new_trades(inst)
        ahead = inst.queues.update(resting, window_sizes(book), trades) if book is not None else {}
        return [
            {
                "cid": o.client_order_id.value,
                "voi": o.venue_order_id.value if o.venue_order_id else None,
                "side": o.side.name,
                "level": (o.tags or ["-"])[0],
                "px": float(o.price),
                "size": float(o.leaves_qty),
                "status": o.status.name,
                "ahead": ahead.get(o.client_order_id.value),
            }
            for o in open_orders
        ]

    def _new_trades(self, inst: _Instrument) -> list[PrintedTrade]:
        """Public trades the cache received since the last sample, oldest first."""
        cache = self._cache
        count = min(cache.trade_tick_count(inst.id), MAX_TRADES_PER_SAMPLE)
        new = []
        for index in range(count):  # index 0 is the newest
            tick = cache.trade_tick(inst.id, index)
            if tick is None:
                break
            key = (tick.ts_init, tick.trade_id.value)
            if key == inst.last_trade:
                break
            new.append(tick)
        if not new:
            return []
        first_sample = inst.last_trade is None
        inst.last_trade = (new[0].ts_init, new[0].trade_id.value)
        if first_sample:
            return []  # trades before the first sample are already in the book it starts from
        return [
            PrintedTrade(float(t.price), float(t.size), t.aggressor_side.name == "BUYER") for t in reversed(new)
        ]

    # -- node-wide -------------------------------------------------------------------------------

    def _sample_node(self, now: int) -> dict[str, Any]:
        clients = client_states(self.node)
        return {
            "clients": clients,
            "user_stream": self._user_stream(clients),
            "stall": {
                "stalled": sorted(self.bus.stalled),
                "since_ms": {coin: (now - ts) / _MS for coin, ts in self.bus.stalled.items()},
            },
            "budget": self._budget(now),
            "screener": screener_state(self.node, now),
            "controls": {
                "halts": [_held(c) for c in self.bus.controls.halts()],
                "pauses": [_held(c) for c in self.bus.controls.pauses()],
            },
            "day": self._day(),
        }

    def _day(self) -> dict[str, Any] | None:
        """The account's PnL since the UTC day began against the RiskGuard's loss cap (what the cap
        acts on; the instruments' PnL is this run's fills only); None without a RiskGuard or before
        its first reading."""
        guard = next((a for a in self.node.trader.actors() if isinstance(a, RiskGuard)), None)
        day = guard.day_summary() if guard is not None else None
        return asdict(day) if day is not None else None

    def _user_stream(self, clients: list[dict[str, Any]]) -> dict[str, Any]:
        exec_clients = [c for c in clients if c["kind"] == "exec"]
        ws = [c["ws_connected"] for c in exec_clients if c["ws_connected"] is not None]
        return {
            "applies": bool(ws),  # a shadow client has no user stream
            "connected": all(ws) if ws else None,
            "halted": self.bus.user_stream_halted,
        }

    def _budget(self, now: int) -> dict[str, Any]:
        actions = sum(sum(i.strategy.actions.values()) for i in self._instruments)
        volume = sum(i.journal.volume_usd for i in self._instruments)
        window = self._actions
        window.append((now, actions, volume))
        horizon = now - int(self.settings.actions_window_s * _S)
        while len(window) > 2 and window[1][0] <= horizon:
            window.popleft()
        t0, a0, v0 = window[0]
        d_actions, d_volume = actions - a0, volume - v0
        status = self.bus.rate_limit
        out: dict[str, Any] = {
            "window_s": (now - t0) / _S,
            "actions_in_window": d_actions,
            "volume_in_window_usd": d_volume,
            "actions_per_usdc_window": d_actions / d_volume if d_volume > 0 else None,
            "actions_since_start": actions,
            "used": None, "cap": None, "left": None, "ip_weight_used": None, "ip_weight_cap": None,
            "age_s": None, "actions_per_usdc_lifetime": None,
        }
        if status is not None:
            traded = status.address_requests_cap - INITIAL_ADDRESS_BUDGET
            out.update(
                used=status.address_requests_used,
                cap=status.address_requests_cap,
                left=status.address_budget_left,
                ip_weight_used=status.ip_weight_used_last_minute,
                ip_weight_cap=status.ip_weight_cap_per_minute,
                age_s=(now - status.ts_ns) / _S,
                actions_per_usdc_lifetime=status.address_requests_used / traded if traded > 0 else None,
            )
        return out


HISTORY_COLUMNS = ("t", "spread_capture", "inventory", "fees", "total", "position")


def _top_levels(book: Any, depth: int) -> tuple[list[list[float]], list[list[float]], float | None]:
    """The book's best `depth` levels per side as [price, size], and its mid."""
    if book is None:
        return [], [], None
    bids = [[float(level.price), float(level.size())] for level in book.bids()[:depth]]
    asks = [[float(level.price), float(level.size())] for level in book.asks()[:depth]]
    mid = (bids[0][0] + asks[0][0]) / 2.0 if bids and asks else None
    return bids, asks, mid


def _fill_row(record: FillRecord) -> dict[str, Any]:
    """Built once per fill; its markouts are the record's own dict, filled in as they mature (the
    encoder writes None and NaN as null)."""
    f = record.fill
    return {
        "ts_ns": f.ts_ns,
        "side": f.side,
        "level": f.level,
        "px": f.px,
        "qty": f.qty,
        "fee": f.fee,
        "maker": f.maker,
        "mid": f.mid,
        "markouts_bps": record.markouts,
    }


def client_states(node: Any) -> list[dict[str, Any]]:
    """Each data and execution client: connected (Nautilus's flag) and its WebSocket, where it has one."""
    out = []
    kernel = node.kernel
    for kind, engine in (("data", kernel.data_engine), ("exec", kernel.exec_engine)):
        # Nautilus's engines give no public accessor for their client objects (only ids).
        for client_id, client in dict(engine._clients).items():
            ws = getattr(client, "ws", None)
            stalled = getattr(client, "stalled_coins", None)
            out.append({
                "id": str(client_id),
                "kind": kind,
                "type": type(client).__name__,
                "connected": bool(client.is_connected),
                "ws_connected": bool(ws.is_connected) if ws is not None else None,
                "stalled_coins": sorted(stalled) if stalled is not None else None,
            })
    return out


def screener_state(node: Any, now_ns: int) -> dict[str, Any] | None:
    """The screener snapshot the governor applies and its age; None when no governor reads a feed."""
    for actor in node.trader.actors():
        if not isinstance(actor, RegimeGovernor):
            continue
        # The governor keeps its `ScreenerFeed` private (no public accessor): read here, nowhere else.
        feed = getattr(actor, "_feed", None)
        if feed is None:
            return None
        snapshot = feed.latest()
        return {
            "connected": bool(feed.connected),
            # As the governor judges it: stale once a snapshot came and went out of date (none at all
            # leaves the config's parameters, unwidened).
            "stale": snapshot is not None and bool(feed.is_stale()),
            "rejected": int(feed.rejected),
            "ts_ms": snapshot.ts if snapshot is not None else None,
            "age_s": (now_ns / _MS - snapshot.ts) / 1000.0 if snapshot is not None else None,
            "assets": [
                {
                    "asset": p.asset, "base_spread_bps": p.base_spread_bps, "max_inventory_usd": p.max_inventory_usd,
                    "level_spacing_ticks": p.level_spacing_ticks, "order_size_usd": p.order_size_usd, "score": p.score,
                }
                for p in (snapshot.assets if snapshot is not None else [])
            ],
        }
    return None


def _held(control: HeldControl) -> dict[str, Any]:
    return {"scope": control.scope, "source": control.source, "reason": control.reason,
            "until_ns": control.until_ns or None}


def _shared_budget(cap: Any) -> dict[str, Any] | None:
    """The instrument's account-wide share (scale-out), None without a shared budget."""
    if cap is None:
        return None
    return {"max_abs_usd": cap.max_abs_usd, "reduce_only": cap.reduce_only, "reason": cap.reason}
