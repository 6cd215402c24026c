"""More guard scenarios in a BacktestEngine: venue halt/resume from the adapter's topics, the
micro-volatility pause, the fee edge check, and screener parameters applied by the governor."""

from __future__ import annotations

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig

from adapters.hyperliquid import types as ve
from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig
from screener_link.payload import AssetParams
from screener_link.payload import make_snapshot

S = 1_000_000_000
MS = 1_000_000
STEP = 0.1


def _flicker_market(inst, seconds: int = 30, jump_at_s: int | None = None) -> list:
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    t = 2 * S
    base = 3000.0
    while t < seconds * S:
        if jump_at_s is not None and t >= jump_at_s * S:
            base = 3004.0  # +13 bps at once
            jump_at_s = None
        shift = STEP * 5 * ((t // (S // 2)) % 2)
        data += book.update(t, *ladder_book(round(base + shift, 1), round(base + STEP + shift, 1), STEP, 5.0))
        t += S // 2
    return data


def _mm(inst, **kw) -> MarketMaker:
    cfg = {"instrument_id": str(inst.id), "base_spread_bps": 4.0, "level_spacing_ticks": 2, "order_size_usd": 20.0}
    cfg.update(kw)
    return MarketMaker(MarketMakerConfig(**cfg))


def _guard(inst, **kw) -> RiskGuard:
    cfg = {"instrument_ids": (str(inst.id),), "micro_move_bps": 1_000.0, "ofi_threshold": 1.01, "tfi_threshold": 1.01}
    cfg.update(kw)
    return RiskGuard(RiskGuardConfig(**cfg))


def _run(inst, data, *components):
    engine = make_engine([inst])
    engine.add_data(data)
    for c in components:
        (engine.add_strategy if isinstance(c, MarketMaker) else engine.add_actor)(c)
    engine.run()
    return engine


def _created(engine) -> list[int]:
    return sorted(o.ts_init for o in engine.cache.orders())


class _AdapterConfig(ActorConfig, frozen=True):
    halt_at_ns: int
    resume_at_ns: int


class VenueEventsSource(Actor):
    """Stands in for the adapter: publishes its venue-health messages at set times."""

    def __init__(self, config: _AdapterConfig) -> None:
        super().__init__(config)

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("halt", self.config.halt_at_ns, self._halt)
        self.clock.set_time_alert_ns("resume", self.config.resume_at_ns, self._resume)

    def _halt(self, event) -> None:
        self.msgbus.publish(ve.TOPIC_VENUE_HALT, ve.VenueHalt("user stream down", event.ts_event))

    def _resume(self, event) -> None:
        self.msgbus.publish(ve.TOPIC_VENUE_RESUME, ve.VenueResume("reconciled", event.ts_event))


def test_a_venue_halt_cancels_everything_until_the_venue_resumes() -> None:
    inst = scripted_perp()
    mm = _mm(inst)
    guard = _guard(inst)
    src = VenueEventsSource(_AdapterConfig(halt_at_ns=10 * S, resume_at_ns=20 * S))
    engine = _run(inst, _flicker_market(inst), mm, guard, src)

    assert guard.firings == {"venue_halt": 1, "venue_resume": 1}
    created = _created(engine)
    assert any(t < 10 * S for t in created)
    assert not [t for t in created if 10 * S <= t < 20 * S]
    assert any(t >= 20 * S for t in created)  # quoting again once the venue is reconciled
    for order in engine.cache.orders():
        if order.ts_init < 10 * S:
            assert order.is_closed and order.ts_closed <= 10 * S + 500 * MS


def test_a_micro_volatility_jump_pauses_quoting_for_the_cooldown() -> None:
    inst = scripted_perp()
    mm = _mm(inst)
    guard = _guard(inst, micro_move_bps=8.0, micro_move_window_ms=1_000, micro_cooldown_ms=5_000)
    engine = _run(inst, _flicker_market(inst, seconds=30, jump_at_s=10), mm, guard)

    fired = [e for e in mm.guard_events if e.guard == "micro_vol"]
    assert len(fired) == 1 and "+13" in fired[0].reason
    t_fire = fired[0].ts_ns
    created = _created(engine)
    assert not [t for t in created if t_fire <= t < t_fire + 5 * S]
    assert any(t >= t_fire + 5 * S for t in created)


def test_no_order_is_placed_where_capture_cannot_pay_the_maker_fee() -> None:
    # 1 bps spread, 1-step spacing at ~3000: every level sits < 2 bps (1.5 fee + 0.5 allowance) from fair.
    inst = scripted_perp(fee_tier=0)
    engine = _run(inst, _flicker_market(inst, seconds=10), _mm(inst, base_spread_bps=1.0, level_spacing_ticks=1))
    assert engine.cache.orders() == []


def test_the_same_ladder_quotes_when_the_fee_tier_makes_it_pay() -> None:
    inst = scripted_perp(fee_tier=4)  # maker fee 0: 0.5 bps allowance only
    engine = _run(inst, _flicker_market(inst, seconds=10), _mm(inst, base_spread_bps=1.0, level_spacing_ticks=1))
    assert len({o.tags[0] for o in engine.cache.orders()}) == 3  # all three levels quoted


class FixedFeed:
    """A screener feed holding one real screener snapshot (the ParamsFeed interface)."""

    def __init__(self, snapshot, stale: bool) -> None:
        self.snapshot = snapshot
        self.stale = stale
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def latest(self):
        return self.snapshot

    def is_stale(self) -> bool:
        return self.stale


def test_the_governor_applies_screener_parameters_and_widens_while_the_feed_is_stale() -> None:
    inst = scripted_perp()
    snapshot = make_snapshot(1_800_000_000_000, [
        AssetParams(asset="ETH", base_spread_bps=9.0, max_inventory_usd=400.0, level_spacing_ticks=3,
                    order_size_usd=15.0, score=1.0),
    ])
    feed = FixedFeed(snapshot, stale=True)
    mm = _mm(inst)
    gov = RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(inst.id),), eval_interval_ms=500), feed=feed)
    _run(inst, _flicker_market(inst, seconds=10), mm, gov)

    assert mm.ladder.base_spread_bps == 9.0
    assert mm.ladder.level_spacing_ticks == 3
    assert mm.ladder.order_size_usd == 15.0
    assert mm.max_inventory_usd == 400.0
    assert mm.spread_adjustments["screener"] == 1.5
    assert gov.firings["screener_stale"] == 1


def test_without_any_screener_snapshot_the_configs_parameters_are_quoted_unwidened() -> None:
    # Review 6: a feed that never had a snapshot counted as stale, so every node run without a
    # screener quoted 1.5x wider than its config (and than its backtest).
    inst = scripted_perp()
    mm = _mm(inst)
    gov = RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(inst.id),), eval_interval_ms=500),
                         feed=FixedFeed(None, stale=True))
    _run(inst, _flicker_market(inst, seconds=10), mm, gov)
    assert mm.spread_adjustments.get("screener", 1.0) == 1.0
    assert "screener_stale" not in gov.firings
    assert mm.ladder.base_spread_bps == _mm(inst).ladder.base_spread_bps


class _RateConfig(ActorConfig, frozen=True):
    at_ns: int
    used: int
    cap: int


class RateLimitSource(Actor):
    """Stands in for the adapter's rate-limit report."""

    def __init__(self, config: _RateConfig) -> None:
        super().__init__(config)

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("rate", self.config.at_ns, self._report)

    def _report(self, event) -> None:
        c = self.config
        self.msgbus.publish(ve.TOPIC_RATE_LIMIT, ve.RateLimitStatus(c.used, c.cap, 0, 1200, event.ts_event))


def test_a_nearly_spent_address_budget_makes_the_governor_hold_quotes() -> None:
    inst = scripted_perp()
    mm = _mm(inst)
    gov = RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(inst.id),), eval_interval_ms=500, budget_hold_ms=10_000))
    src = RateLimitSource(_RateConfig(at_ns=5 * S, used=10_400, cap=11_000))  # 600 left < 20 % of 10,000
    engine = _run(inst, _flicker_market(inst, seconds=20), mm, gov, src)

    fired = [e for e in mm.guard_events if e.guard == "action_budget"]
    assert len(fired) == 1 and "actions left of 11000" in fired[0].reason
    assert "action_budget" in mm.spread_adjustments
    # With a 10 s minimum quote lifetime the flickering book no longer moves the ladder.
    modifies_after = sum(
        1 for o in engine.cache.orders() for ev in o.events
        if type(ev).__name__ == "OrderPendingUpdate" and ev.ts_init > fired[0].ts_ns + S
    )
    assert modifies_after <= 6


def test_ofi_follows_bbo_quotes_when_the_feed_has_them() -> None:
    from nautilus_trader.model.data import QuoteTick
    from nautilus_trader.model.objects import Price
    from nautilus_trader.model.objects import Quantity

    inst = scripted_perp()
    data = _flicker_market(inst, seconds=12)  # the book alone shows no imbalance
    for i in range(12):  # bbo: bid size draining, ask size building, at 4-5 s
        ts = 4 * S + i * 80 * MS
        data.append(QuoteTick(inst.id, Price(3000.0, 2), Price(3000.1, 2), Quantity(max(0.1, 10.0 - 0.8 * i), 4),
                              Quantity(10.0 + 2.0 * i, 4), ts, ts))
    mm = _mm(inst)
    guard = _guard(inst, ofi_threshold=0.8, ofi_min_events=8, ofi_window_ms=2_000)
    _run(inst, data, mm, guard)

    pulls = [e for e in mm.guard_events if e.guard == "ofi"]
    assert pulls and all("pull BUY" in e.reason for e in pulls)
    assert 4 * S <= pulls[0].ts_ns < 5 * S
