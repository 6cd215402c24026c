"""`RegimeGovernor`: the seconds-paced control plane, a thin Nautilus Actor.

- realized vol of the mid on a fixed grid, and ATR from 1-minute trade bars → regime →
  spread / size multipliers;
- cancel-to-fill over a sliding window (order actions it sees on the bus per fill): above a
  threshold it widens and holds quotes (a minimum quote lifetime) until the ratio recovers;
- Hyperliquid's address action budget (10,000 + 1 per USDC traded): held as a rate per instrument
  (`mm_strategy.risk.action_rate`: actions per USDC traded over a rolling window at or under the
  exchange's 1.0; longer quote lifetimes and wider re-quote tolerance step by step, then a stop),
  and a slow-down before the lifetime budget runs out;
- the edge check (`mm_strategy.signals.edge`): an instrument whose expected capture cannot pay the
  maker fee plus its adverse selection (learned from its own fills' markouts) stands down and is
  re-checked periodically;
- event calendar: pauses quoting around each event window;
- screener parameters (optional `ScreenerFeed` over Redis): applied per instrument, and spreads
  widen while the feed is stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Protocol

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig
from nautilus_trader.indicators import AverageTrueRange
from nautilus_trader.model.data import Bar
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import OrderPendingCancel
from nautilus_trader.model.events import OrderPendingUpdate
from nautilus_trader.model.events import OrderSubmitted
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid import types as ve
from mm_strategy import messages as msg
from mm_strategy.calendar import EventCalendar
from mm_strategy.risk.action_rate import ActionRate
from mm_strategy.risk.action_rate import ActionRateParams
from mm_strategy.risk.activity import ActionBudget
from mm_strategy.risk.activity import CancelToFill
from mm_strategy.signals.edge import EdgeDecision
from mm_strategy.signals.edge import EdgeMonitor
from mm_strategy.signals.edge import EdgeParams
from mm_strategy.signals.volatility import RealizedVol
from mm_strategy.signals.volatility import Regime
from mm_strategy.signals.volatility import RegimeHysteresis
from mm_strategy.signals.volatility import RegimeTable
from mm_strategy.signals.volatility import atr_bps
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_url

if TYPE_CHECKING:
    from screener_link.payload import ScreenerSnapshot

_F_LAST = int(RecordFlag.F_LAST)
# Built once: `A | B | C` inside the handler would build a union on every order event.
ACTION_EVENTS = (OrderSubmitted, OrderPendingUpdate, OrderPendingCancel)
_MS = 1_000_000
_REGIME_ORDER = [Regime.CALM, Regime.NORMAL, Regime.VOLATILE, Regime.EXTREME]


class ParamsFeed(Protocol):
    """What the governor needs from a screener feed (`screener_link.feed.ScreenerFeed`)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def latest(self) -> ScreenerSnapshot | None: ...
    def is_stale(self) -> bool: ...


class RegimeGovernorConfig(ActorConfig, frozen=True):
    instrument_ids: tuple[str, ...]
    eval_interval_ms: int = 1_000
    vol_interval_ms: int = 1_000
    vol_window: int = 60
    calm_below_bps: float = 0.5
    normal_below_bps: float = 2.0
    volatile_below_bps: float = 6.0
    volatile_mults: tuple[float, float] = (2.0, 0.5)  # (spread, size)
    extreme_mults: tuple[float, float] = (4.0, 0.25)
    atr_period: int = 14
    atr_volatile_bps: float = 15.0  # 1-minute ATR above this → at least VOLATILE
    atr_extreme_bps: float = 40.0
    c2f_window_ms: int = 60_000
    c2f_threshold: float = 30.0  # actions per fill
    c2f_recover: float = 15.0
    c2f_min_actions: int = 60
    c2f_spread_mult: float = 1.5
    hold_ms: int = 5_000
    # A lower regime must hold this long before the ladder narrows again (up is at once).
    regime_release_ms: int = 30_000
    budget_reserve_fraction: float = 0.2
    budget_hold_ms: int = 10_000
    # Actions per USDC traded, per instrument, over a rolling window (`risk.action_rate`).
    action_rate_enabled: bool = True
    action_target_per_usdc: float = 1.0
    action_window_s: float = 600.0
    action_idle_interval_s: float = 10.0
    action_stop_s: float = 300.0
    # The edge check (`signals.edge`): on by default, the safe side with real money.
    edge_check_enabled: bool = True
    edge_min_fills: int = 20
    edge_max_fills: int = 60
    edge_horizon_ms: int = 5_000
    edge_spread_window_s: float = 300.0
    edge_spread_quantile: float = 0.9
    edge_allowance_bps: float = 0.5
    edge_margin_bps: float = 0.25
    edge_recheck_s: float = 60.0
    edge_fill_memory_s: float = 900.0
    # Probe: until its own fills show an edge (`EdgeDecision.proven`), an instrument quotes only this
    # many levels per side, the innermost that pay the fee (0: the whole ladder at once). Fills that
    # the market runs over hit the deep, large levels hardest (a sweep takes L1 to L3 at once), so
    # the fills that teach the edge check are bought with the smallest quotes; a proven edge
    # unlocks the whole ladder.
    edge_probe_levels: int = 1
    edge_proven_z: float = 2.0  # standard errors above zero that lift the probe
    calendar_path: str | None = None
    redis_url: str | None = None
    screener_channel: str = DEFAULT_CHANNEL
    screener_key: str = DEFAULT_KEY
    screener_stale_after_s: float = 7_200.0
    stale_spread_mult: float = 1.5


_S = 1_000_000_000


def action_rate_params(cfg: RegimeGovernorConfig) -> ActionRateParams:
    return ActionRateParams(
        target_per_usdc=cfg.action_target_per_usdc, window_ns=int(cfg.action_window_s * _S),
        idle_interval_ns=int(cfg.action_idle_interval_s * _S), stop_ns=int(cfg.action_stop_s * _S),
    )


def edge_params(cfg: RegimeGovernorConfig) -> EdgeParams:
    return EdgeParams(
        min_fills=cfg.edge_min_fills, max_fills=cfg.edge_max_fills, horizon_ns=cfg.edge_horizon_ms * _MS,
        spread_window_ns=int(cfg.edge_spread_window_s * _S), spread_quantile=cfg.edge_spread_quantile,
        allowance_bps=cfg.edge_allowance_bps, margin_bps=cfg.edge_margin_bps,
        recheck_ns=int(cfg.edge_recheck_s * _S), fill_memory_ns=int(cfg.edge_fill_memory_s * _S),
        proven_z=cfg.edge_proven_z,
    )


class _InstrumentState:
    __slots__ = (
        "atr", "coin", "edge", "edge_published", "fee_bps", "hysteresis", "last_mid", "probing", "rate", "regime", "vol",
    )

    def __init__(self, iid: InstrumentId, cfg: RegimeGovernorConfig) -> None:
        self.vol = RealizedVol(cfg.vol_interval_ms * _MS, cfg.vol_window)
        self.atr = AverageTrueRange(cfg.atr_period)
        self.regime = Regime.NORMAL
        self.hysteresis = RegimeHysteresis(cfg.regime_release_ms * _MS)
        self.last_mid = 0.0
        self.coin = iid.symbol.value.split("-")[0]
        self.rate = ActionRate(action_rate_params(cfg))
        self.edge = EdgeMonitor(edge_params(cfg))
        self.fee_bps: float | None = None  # the instrument's maker fee, read at start
        self.edge_published: float | None = None  # the learned adverse estimate last sent
        self.probing: bool | None = None  # the probe's state last sent (None: nothing sent yet)


class RegimeGovernor(Actor):
    def __init__(self, config: RegimeGovernorConfig, feed: ParamsFeed | None = None) -> None:
        super().__init__(config)
        if not config.instrument_ids:
            raise ValueError("RegimeGovernorConfig.instrument_ids must not be empty")
        if config.eval_interval_ms <= 0 or config.hold_ms < 0 or config.budget_hold_ms < 0:
            raise ValueError("eval_interval_ms must be > 0 and hold_ms / budget_hold_ms ≥ 0")
        mults = {
            "volatile_mults": tuple(config.volatile_mults), "extreme_mults": tuple(config.extreme_mults),
            "c2f_spread_mult": (config.c2f_spread_mult,), "stale_spread_mult": (config.stale_spread_mult,),
        }
        for name, values in mults.items():
            if not all(v > 0 for v in values):  # NaN fails too
                raise ValueError(f"{name} must be positive, got {values}")
        if config.redis_url:
            check_redis_url(config.redis_url)  # here, not at start: a bad url fails when the node is built
        if not 0 <= config.budget_reserve_fraction < 1:
            raise ValueError(f"budget_reserve_fraction must be in [0, 1), got {config.budget_reserve_fraction}")
        if config.regime_release_ms < 0:
            raise ValueError(f"regime_release_ms must be ≥ 0, got {config.regime_release_ms}")
        try:  # the pure parts check their own ranges; name the config's fields in the error
            action_rate_params(config)
        except ValueError as exc:
            raise ValueError(f"action_* settings: {exc}") from None
        try:
            edge_params(config)
        except ValueError as exc:
            raise ValueError(f"edge_* settings: {exc}") from None
        if config.edge_probe_levels < 0:
            raise ValueError(f"edge_probe_levels must be ≥ 0, got {config.edge_probe_levels}")
        self.instrument_ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self._state = {iid: _InstrumentState(iid, config) for iid in self.instrument_ids}
        self.table = RegimeTable(
            config.calm_below_bps, config.normal_below_bps, config.volatile_below_bps,
            volatile=tuple(config.volatile_mults), extreme=tuple(config.extreme_mults),
        )
        self.calendar = EventCalendar.from_file(config.calendar_path) if config.calendar_path else None
        self.c2f = CancelToFill(config.c2f_window_ms * _MS)
        self.budget = ActionBudget()
        self._others_seen: tuple[int, float] | None = None  # the other nodes' last AccountActivity
        self._c2f_holding = False
        self._c2f_since = 0
        self._budget_holding = False
        self._calendar_active: dict[InstrumentId, str | None] = dict.fromkeys(self.instrument_ids)
        self._next_eval_ns = 0
        self._feed = feed
        self._feed_stale = False
        self._feed_absence_said = False  # "no snapshot yet" is logged once
        self._applied_params: dict[str, tuple] = {}
        self.firings: dict[str, int] = {}

    def on_start(self) -> None:
        # The governor works on a seconds grid: a book snapshot per interval is all it needs, and
        # it keeps it off the per-event path.
        interval_ms = min(self.config.vol_interval_ms, self.config.eval_interval_ms)
        for iid in self.instrument_ids:
            inst = self.cache.instrument(iid)
            if inst is not None:
                self._state[iid].fee_bps = float(inst.maker_fee) * 1e4
            self.subscribe_order_book_at_interval(iid, book_type=BookType.L2_MBP, depth=1, interval_ms=interval_ms)
            self.subscribe_bars(BarType.from_str(f"{iid}-1-MINUTE-LAST-INTERNAL"))
        self.msgbus.subscribe("events.order.*", self._on_order_event)
        self.msgbus.subscribe(ve.TOPIC_RATE_LIMIT, self._on_rate_limit)
        self.msgbus.subscribe(msg.TOPIC_ACCOUNT_ACTIVITY, self._on_account_activity)
        if self._feed is None and self.config.redis_url:
            from screener_link.feed import ScreenerFeed  # the screener helper's module

            self._feed = ScreenerFeed(
                self.config.redis_url, self.config.screener_channel, self.config.screener_key,
                self.config.screener_stale_after_s,
            )
        if self._feed is not None:
            self._feed.start()
        self.msgbus.subscribe(msg.TOPIC_CONTROLS_REQUEST, self._on_controls_request)

    def _on_controls_request(self, request: object) -> None:
        """A strategy has started: the probe is in force from its first book event, not from the
        first evaluation a second later (until which a whole ladder would rest)."""
        if not isinstance(request, msg.ControlsRequest) or not self.config.edge_check_enabled:
            return
        if self.config.edge_probe_levels == 0:
            return
        iid = InstrumentId.from_str(request.instrument_id)
        st = self._state.get(iid)
        if st is not None and st.probing in (None, True):
            why = "no fills of its own yet" if st.probing is None else "its fills have not shown an edge yet"
            self._send_probe(iid, st, self.clock.timestamp_ns(), True, why)

    def on_stop(self) -> None:
        if self._feed is not None:
            self._feed.stop()

    # ------------------------------------------------------------------ inputs
    def on_order_book(self, book) -> None:
        st = self._state.get(book.instrument_id)
        if st is None:
            return
        mid = book.midpoint()
        if mid is None:
            return
        ts = self.clock.timestamp_ns()
        st.last_mid = float(mid)
        st.vol.update(ts, st.last_mid)
        if self.config.edge_check_enabled:
            st.edge.on_mid(ts, st.last_mid)
            spread = book.spread()
            if spread is not None:
                st.edge.on_half_spread(ts, float(spread) / 2.0 / st.last_mid * 1e4)
        if ts >= self._next_eval_ns:
            self._next_eval_ns = ts + self.config.eval_interval_ms * _MS
            self.evaluate(ts)

    def on_bar(self, bar: Bar) -> None:
        st = self._state.get(bar.bar_type.instrument_id)
        if st is not None:
            st.atr.update_raw(float(bar.high), float(bar.low), float(bar.close))

    def _on_order_event(self, event: object) -> None:
        # One event per order: a batch of n orders, cancels or modifies is n actions, as the
        # exchange counts them.
        if isinstance(event, ACTION_EVENTS):
            self.c2f.on_action(event.ts_init)
            self.budget.on_action()
            st = self._state.get(event.instrument_id)
            if st is not None:
                st.rate.start(event.ts_init)
                st.rate.on_action(event.ts_init)
        elif isinstance(event, OrderFilled):
            px = float(event.last_px)
            qty = float(event.last_qty)
            self.c2f.on_fill(event.ts_event)
            self.budget.on_fill(px * qty)
            st = self._state.get(event.instrument_id)
            if st is not None:
                st.rate.on_fill(event.ts_event, px * qty)
                book = self.cache.order_book(event.instrument_id)
                mid = book.midpoint() if book is not None else None
                st.edge.on_fill(event.ts_event, event.order_side == OrderSide.BUY, px, qty,
                                float(mid) if mid is not None else st.last_mid)

    def _on_account_activity(self, m: msg.AccountActivity) -> None:
        """Other nodes on this account spend the same address budget: add what they did since the
        last report. The first report is the baseline (what they did before is in the exchange's
        figure at the next sync); a drop (Redis restarted empty) is a new baseline. Between an
        exchange sync and the next report their actions may count twice: that errs on holding early."""
        last = self._others_seen
        self._others_seen = (m.other_actions, m.other_volume_usd)
        if last is None or m.other_actions < last[0] or m.other_volume_usd < last[1]:
            return
        if m.other_actions > last[0]:
            self.budget.on_action(m.other_actions - last[0])
        if m.other_volume_usd > last[1]:
            self.budget.on_fill(m.other_volume_usd - last[1])

    def _on_rate_limit(self, status: ve.RateLimitStatus) -> None:
        # The adapter's count is the exchange's own: it replaces our estimate.
        self.budget.sync(status.address_requests_used, status.address_requests_cap)

    # ------------------------------------------------------------------ decisions
    def evaluate(self, ts: int) -> None:
        for iid, st in self._state.items():
            self._evaluate_regime(iid, st, ts)
            self._evaluate_calendar(iid, st, ts)
            self._evaluate_edge(iid, st, ts)
            self._evaluate_action_rate(iid, st, ts)
        self._evaluate_traffic(ts)
        self._evaluate_feed(ts)

    def _evaluate_regime(self, iid: InstrumentId, st: _InstrumentState, ts: int) -> None:
        vol = st.vol.vol_bps()
        if vol is None:
            return
        regime = self.table.classify(vol)
        atr = atr_bps(st.atr.value, st.last_mid) if st.atr.initialized else 0.0
        if atr >= self.config.atr_extreme_bps:
            regime = Regime.EXTREME
        elif atr >= self.config.atr_volatile_bps and _REGIME_ORDER.index(regime) < 2:
            regime = Regime.VOLATILE
        regime = st.hysteresis.update(ts, regime)
        spread, size = self.table.multipliers(regime)
        reason = f"regime {regime.value}: vol {vol:.2f} bps/{self.config.vol_interval_ms} ms, ATR {atr:.1f} bps"
        if regime is not st.regime:
            st.regime = regime
            self._fire("regime", reason, iid, ts)
        # Published every evaluation (not only on a regime change) so the strategy's A–S risk term
        # sees the current vol.
        self.msgbus.publish(msg.control_topic(str(iid)), msg.SpreadAdjust("regime", spread, size, 0, reason, vol_bps=vol))

    def _evaluate_edge(self, iid: InstrumentId, st: _InstrumentState, ts: int) -> None:
        if not self.config.edge_check_enabled or st.fee_bps is None:
            return
        decision = st.edge.decide(ts, st.fee_bps)
        topic = msg.control_topic(str(iid))
        est = decision.estimate
        learned = round(est.adverse_bps, 1) if est is not None and est.learned else None
        if learned != st.edge_published:
            # The learned estimate replaces the strategy's fixed allowance (rounded: a new value
            # re-plans the ladder, so a change of noise must not).
            st.edge_published = learned
            self.msgbus.publish(topic, msg.AdverseSelection(
                "edge", None if learned is None else max(0.0, learned),
                est.describe() if est is not None else "",
            ))
        self._evaluate_probe(iid, st, ts, decision)
        if not decision.changed or decision.estimate is None:
            return
        if decision.stand_down:
            reason = f"stood down: no edge: {decision.estimate.describe()}"
            self._fire("edge", reason, iid, ts)
            # No new exposure, but the inventory already held is worked off by the maker soft exit
            # (no orders once flat): a pause would leave it unmanaged for as long as the stand-down lasts.
            self.msgbus.publish(topic, msg.ReduceOnly("edge", reason))
        else:
            reason = f"edge again: {decision.estimate.describe()}"
            self._fire("edge_resume", reason, iid, ts)
            self.msgbus.publish(topic, msg.Resume("edge", reason))

    def _evaluate_probe(self, iid: InstrumentId, st: _InstrumentState, ts: int, decision: EdgeDecision) -> None:
        levels = self.config.edge_probe_levels
        if levels == 0:
            return
        probing = not decision.proven
        if probing == st.probing:
            return
        est = decision.estimate
        why = est.describe() if est is not None and (est.learned or not probing) else "no fills of its own yet"
        self._send_probe(iid, st, ts, probing, why)

    def _send_probe(self, iid: InstrumentId, st: _InstrumentState, ts: int, probing: bool, why: str) -> None:
        """Tell the strategy; a guard firing only when the probe's state changes (a strategy that starts
        again asks for the probe in force: no new firing)."""
        changed = st.probing != probing
        st.probing = probing
        levels = self.config.edge_probe_levels
        if probing:
            reason = f"probe: {levels} level(s) per side until its fills show an edge ({why})"
        else:
            reason = f"edge proven: the whole ladder ({why})"
        if changed:
            self._fire("edge_probe", reason, iid, ts)
        self.msgbus.publish(msg.control_topic(str(iid)), msg.SpreadAdjust(
            "edge_probe", reason=reason, max_levels=levels if probing else None,
        ))

    def _evaluate_action_rate(self, iid: InstrumentId, st: _InstrumentState, ts: int) -> None:
        if not self.config.action_rate_enabled:
            return
        d = st.rate.update(ts)
        if not d.changed:
            return
        topic = msg.control_topic(str(iid))
        self._fire("action_rate", d.reason, iid, ts)
        self.msgbus.publish(topic, msg.SpreadAdjust(
            "action_rate", 1.0, 1.0, d.min_quote_lifetime_ms, d.reason, tolerance_mult=d.tolerance_mult,
        ))
        if d.stopped_until_ns:
            self.msgbus.publish(topic, msg.Pause("action_rate", d.reason, until_ns=d.stopped_until_ns))

    def edge_status(self, iid: InstrumentId | str) -> tuple[bool, str | None]:
        """(stood down now, the last estimate in words) of an instrument."""
        st = self._state[InstrumentId.from_str(str(iid))]
        return st.edge.stood_down, st.edge.last.describe() if st.edge.last is not None else None

    def _evaluate_calendar(self, iid: InstrumentId, st: _InstrumentState, ts: int) -> None:
        if self.calendar is None:
            return
        event = self.calendar.active(ts, st.coin)
        if event == self._calendar_active[iid]:
            return
        self._calendar_active[iid] = event
        if event is not None:
            self._fire("calendar", f"event window: {event}", iid, ts)
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Pause("calendar", f"event window: {event}"))
        else:
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Resume("calendar", "event window over"))

    def _evaluate_traffic(self, ts: int) -> None:
        cfg = self.config
        actions, fills = self.c2f.counts(ts)
        ratio = actions / max(fills, 1)
        if not self._c2f_holding and actions >= cfg.c2f_min_actions and ratio > cfg.c2f_threshold:
            self._c2f_holding = True
            self._c2f_since = ts
            reason = f"cancel-to-fill {ratio:.0f} actions/fill over {cfg.c2f_window_ms // 1000} s > {cfg.c2f_threshold:.0f}"
            self._fire("cancel_to_fill", reason, None, ts)
            self._publish_all(msg.SpreadAdjust("cancel_to_fill", cfg.c2f_spread_mult, 1.0, cfg.hold_ms, reason))
        elif (
            self._c2f_holding
            and ts - self._c2f_since >= cfg.c2f_window_ms * _MS
            and fills > 0
            and ratio <= cfg.c2f_recover
        ):
            # Recovered only when quotes trade again at a sane ratio: a quiet window alone is the
            # hold working, not the market changing, and releasing on it would just oscillate.
            self._c2f_holding = False
            self._publish_all(msg.SpreadAdjust("cancel_to_fill", 1.0, 1.0, 0, "cancel-to-fill recovered"))
        slow = self.budget.should_slow_down(cfg.budget_reserve_fraction)
        if slow and not self._budget_holding:
            self._budget_holding = True
            reason = f"address budget: {self.budget.left} actions left of {self.budget.cap}"
            self._fire("action_budget", reason, None, ts)
            self._publish_all(msg.SpreadAdjust("action_budget", 1.0, 1.0, cfg.budget_hold_ms, reason))
        elif not slow and self._budget_holding:
            self._budget_holding = False
            self._publish_all(msg.SpreadAdjust("action_budget", 1.0, 1.0, 0, "address budget recovered"))

    def _evaluate_feed(self, ts: int) -> None:
        feed = self._feed
        if feed is None:
            return
        snapshot = feed.latest()
        # Stale is a screener that published and stopped (or an old snapshot): its parameters are
        # out of date, so the spreads widen. No snapshot at all (no screener running) leaves the
        # config's own parameters in force, as the backtest quoted them.
        stale = snapshot is not None and feed.is_stale()
        if snapshot is None and not self._feed_absence_said:
            self._feed_absence_said = True
            self.log.info("no screener snapshot yet: the config's parameters are quoted until one arrives")
        if stale != self._feed_stale:
            self._feed_stale = stale
            mult = self.config.stale_spread_mult if stale else 1.0
            reason = "screener feed stale" if stale else "screener feed fresh"
            if stale:
                self._fire("screener_stale", reason, None, ts)
            self._publish_all(msg.SpreadAdjust("screener", mult, 1.0, 0, reason))
        if snapshot is None:
            return
        for iid, st in self._state.items():
            params = snapshot.params_for(st.coin)
            if params is None:
                continue
            values = (params.base_spread_bps, params.level_spacing_ticks, params.max_inventory_usd, params.order_size_usd)
            if self._applied_params.get(st.coin) != values:
                self._applied_params[st.coin] = values
                self._fire("screener_params", f"screener parameters for {st.coin}: {values}", iid, ts)
                self.msgbus.publish(msg.control_topic(str(iid)), msg.ParamsUpdate("screener", *values))

    def _publish_all(self, m: object) -> None:
        for iid in self.instrument_ids:
            self.msgbus.publish(msg.control_topic(str(iid)), m)

    def _fire(self, guard: str, reason: str, iid: InstrumentId | None, ts: int) -> None:
        self.firings[guard] = self.firings.get(guard, 0) + 1
        self.log.info(f"governor {guard}: {reason}")
        self.msgbus.publish(msg.TOPIC_GUARD, msg.GuardEvent("RegimeGovernor", guard, reason, ts, str(iid) if iid else None))
