"""RiskGuard and the adapter's market-data health: a stall halts the instrument's quoting and the
adapter's `MarketDataResumed` (for the coin, or for every coin) lets it quote again.

In a BacktestEngine with the real MarketMaker and RiskGuard; a small actor stands in for the
adapter and publishes the venue events on their topics at set times.
"""

from __future__ import annotations

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig

from adapters.hyperliquid import types as ve
from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy import messages as msg
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig

S = 1_000_000_000
MS = 1_000_000
STEP = 0.1


def _flicker_market(inst, seconds: int = 30) -> list:
    """A book that moves every 0.5 s, so a quoting strategy keeps placing orders."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    t = 2 * S
    while t < seconds * S:
        shift = STEP * 5 * ((t // (S // 2)) % 2)
        data += book.update(t, *ladder_book(round(3000.0 + shift, 1), round(3000.1 + shift, 1), STEP, 5.0))
        t += S // 2
    return data


class _SourceConfig(ActorConfig, frozen=True):
    stall_coin: str | None = "ETH"
    stall_at_ns: int = 10 * S
    resumed_coins: tuple[str | None, ...] = ("ETH",)
    resumed_at_ns: int = 20 * S


class MarketDataHealthSource(Actor):
    """Stands in for the data client: a stall, then `MarketDataResumed` for the given coins."""

    def __init__(self, config: _SourceConfig) -> None:
        super().__init__(config)

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("stall", self.config.stall_at_ns, self._stall)
        self.clock.set_time_alert_ns("resumed", self.config.resumed_at_ns, self._resumed)

    def _stall(self, event) -> None:
        stall = ve.MarketDataStall(coin=self.config.stall_coin, silent_ms=10_000, ts_ns=event.ts_event)
        self.msgbus.publish(ve.TOPIC_MARKET_DATA_STALL, stall)

    def _resumed(self, event) -> None:
        for coin in self.config.resumed_coins:
            self.msgbus.publish(ve.TOPIC_MARKET_DATA_RESUMED, ve.MarketDataResumed(coin=coin, ts_ns=event.ts_event))


def _run(source: _SourceConfig) -> tuple[object, RiskGuard, list[msg.GuardEvent]]:
    inst = scripted_perp()
    engine = make_engine([inst])
    engine.add_data(_flicker_market(inst))
    mm = MarketMaker(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=4.0, level_spacing_ticks=2, order_size_usd=20.0,
    ))
    guard = RiskGuard(RiskGuardConfig(
        instrument_ids=(str(inst.id),), micro_move_bps=1_000.0, ofi_threshold=1.01, tfi_threshold=1.01,
    ))
    engine.add_strategy(mm)
    engine.add_actor(guard)
    engine.add_actor(MarketDataHealthSource(source))
    guard_events: list[msg.GuardEvent] = []
    engine.kernel.msgbus.subscribe(msg.TOPIC_GUARD, guard_events.append)
    engine.run()
    return engine, guard, guard_events


def _created(engine) -> list[int]:
    return sorted(o.ts_init for o in engine.cache.orders())


def test_a_market_data_stall_halts_quoting_until_market_data_resumes() -> None:
    engine, guard, events = _run(_SourceConfig())

    assert guard.firings == {"stall": 1, "stall_resume": 1}
    created = _created(engine)
    assert any(t < 10 * S for t in created)
    assert not [t for t in created if 10 * S <= t < 20 * S]  # halted while the data was stalled
    assert any(t >= 20 * S for t in created)  # quoting again once the data flows
    for order in engine.cache.orders():
        if order.ts_init < 10 * S:
            assert order.is_closed and order.ts_closed <= 10 * S + 500 * MS
    resumed = [e for e in events if e.guard == "stall_resume"]
    assert [(e.instrument_id, e.ts_ns) for e in resumed] == [("ETH-USD-PERP.HYPERLIQUID", 20 * S)]
    engine.dispose()


def test_an_all_coins_stall_is_released_by_the_all_coins_resume() -> None:
    engine, guard, _ = _run(_SourceConfig(stall_coin=None, resumed_coins=(None,)))

    assert guard.firings == {"stall": 1, "stall_resume": 1}
    created = _created(engine)
    assert not [t for t in created if 10 * S <= t < 20 * S]
    assert any(t >= 20 * S for t in created)
    engine.dispose()


def test_market_data_resumed_for_another_coin_does_not_release_the_halt() -> None:
    engine, guard, _ = _run(_SourceConfig(resumed_coins=("BTC",)))

    assert guard.firings == {"stall": 1}  # BTC is not guarded here: nothing to release
    assert not [t for t in _created(engine) if t >= 10 * S]  # still halted at the end of the data
    engine.dispose()


class _VenueResumeConfig(ActorConfig, frozen=True):
    at_ns: int


class VenueResumeSource(Actor):
    """The exec client's user-stream reconnect: a `VenueResume` with nothing said about market data."""

    def __init__(self, config: _VenueResumeConfig) -> None:
        super().__init__(config)

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("resume", self.config.at_ns, self._resume)

    def _resume(self, event) -> None:
        self.msgbus.publish(ve.TOPIC_VENUE_RESUME, ve.VenueResume("user stream restored", event.ts_event))


def test_a_user_stream_resume_does_not_end_a_market_data_stall() -> None:
    inst = scripted_perp()
    engine = make_engine([inst])
    engine.add_data(_flicker_market(inst))
    engine.add_strategy(MarketMaker(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=4.0, level_spacing_ticks=2, order_size_usd=20.0,
    )))
    guard = RiskGuard(RiskGuardConfig(
        instrument_ids=(str(inst.id),), micro_move_bps=1_000.0, ofi_threshold=1.01, tfi_threshold=1.01,
    ))
    engine.add_actor(guard)
    engine.add_actor(MarketDataHealthSource(_SourceConfig(resumed_at_ns=25 * S)))
    engine.add_actor(VenueResumeSource(_VenueResumeConfig(at_ns=15 * S)))
    engine.run()

    assert guard.firings == {"stall": 1, "venue_resume": 1, "stall_resume": 1}
    created = _created(engine)
    assert not [t for t in created if 10 * S <= t < 25 * S]  # the book was still stale at 15 s
    assert any(t >= 25 * S for t in created)
    engine.dispose()
