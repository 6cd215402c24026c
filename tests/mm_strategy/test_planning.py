"""Planning happens once per book event, on that event's `ts_init`.

A control message from an actor (a guard's or the governor's) only changes the strategy's state;
the orders follow at the book event that plans with it: the same event when the actor's book
handler runs before the strategy's, the next one when it runs after. Withdrawals (pause, halt,
pulling a side) cancel at once. Scripted books through the BacktestEngine, the venue modelled as
in `run_backtest`.
"""

from __future__ import annotations

import pytest
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.data_topics import TopicCache
from nautilus_trader.config import ActorConfig
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.events import OrderPendingCancel
from nautilus_trader.model.events import OrderPendingUpdate
from nautilus_trader.model.events import OrderSubmitted
from nautilus_trader.model.identifiers import InstrumentId

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy import messages as msg
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig

S = 1_000_000_000
MS = 1_000_000
STEP = 0.1  # ETH price step at ~3000
OFFSET = 137 * MS  # book events off the actors' 1-s timer grid, so a timer time is never a book event's
F_LAST = int(RecordFlag.F_LAST)


def _mm(inst, cls: type[MarketMaker] = MarketMaker, **kw) -> MarketMaker:
    cfg = {"instrument_id": str(inst.id), "base_spread_bps": 4.0, "level_spacing_ticks": 2,
           "order_size_usd": 20.0, "max_inventory_usd": 150.0}
    cfg.update(kw)
    return cls(MarketMakerConfig(**cfg))


class _FullReplan(MarketMaker):
    """Reference: the same strategy with the re-plan shortcut never taken."""

    def update_quotes(self, ts_ns: int) -> None:
        self._dirty = True
        super().update_quotes(ts_ns)


def _still_market(inst, until_s: int = 20) -> list:
    """Touch fixed at 2999.9/3000.0 (fair and touch never move: only a deep size breathes), one
    event every 0.5 s from 1 s + OFFSET."""
    book = ScriptedBook(inst)
    data = []
    for i in range(2 * until_s - 1):
        bids, asks = ladder_book(2999.9, 3000.0, STEP, 5.0)
        bids[2999.0] = 5.0 + (i % 2)
        ts = S + OFFSET + i * S // 2
        data += book.snapshot(ts, bids, asks) if i == 0 else book.update(ts, bids, asks)
    return data


def _book_event_times(data: list) -> list[int]:
    return [d.ts_init for d in data if type(d).__name__ == "OrderBookDelta" and d.flags & F_LAST]


def _run(inst, data, *components):
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(data)
    for c in components:
        (engine.add_strategy if isinstance(c, MarketMaker) else engine.add_actor)(c)
    engine.run()
    return engine


def _events(engine, *kinds) -> list:
    return sorted((ev for o in engine.cache.orders() for ev in o.events if isinstance(ev, kinds)),
                  key=lambda ev: ev.ts_init)


def _times(engine, *kinds) -> set[int]:
    return {ev.ts_init for ev in _events(engine, *kinds)}


def _sent(engine) -> list[tuple]:
    """Every order action the strategy sent: (kind, side, price, ts)."""
    return sorted(
        (type(ev).__name__, str(o.side), str(getattr(ev, "price", "")), ev.ts_init)
        for o in engine.cache.orders() for ev in o.events
        if isinstance(ev, OrderSubmitted | OrderPendingUpdate | OrderPendingCancel)
    )


# ---------------------------------------------------------------- a message inside a book event
class _BookEventControlConfig(ActorConfig, frozen=True):
    instrument_id: str
    publish_at_ns: int  # from its handler of the book event with this ts_init
    subscribe_at_ns: int = 0  # 0: in on_start, before the strategy's (actors start first); else later


class BookEventControl(Actor):
    """Stands in for a guard: publishes one control message from its own handler of a book event.

    Its handler runs before the strategy's when it subscribes in `on_start` (actors start before
    strategies, and the bus calls handlers in subscription order), after it when it subscribes to
    the bus topic at a time alert, once the strategy has subscribed (straight on the bus: a second
    book subscription through the data engine in mid-run would rebuild the cached book)."""

    def __init__(self, config: _BookEventControlConfig, message: object) -> None:
        super().__init__(config)
        self._message = message
        self._iid = InstrumentId.from_str(config.instrument_id)
        self.published_at: list[int] = []

    def on_start(self) -> None:
        if self.config.subscribe_at_ns:
            self.clock.set_time_alert_ns("subscribe", self.config.subscribe_at_ns, self._subscribe_after_strategy)
        else:
            self.subscribe_order_book_deltas(self._iid, book_type=BookType.L2_MBP)

    def _subscribe_after_strategy(self, _event) -> None:
        self.msgbus.subscribe(TopicCache().get_deltas_topic(self._iid), self.handle_order_book_deltas)

    def on_order_book_deltas(self, deltas) -> None:
        if deltas.flags & F_LAST and deltas.ts_init == self.config.publish_at_ns:
            self.published_at.append(deltas.ts_init)
            self.msgbus.publish(msg.control_topic(self.config.instrument_id), self._message)


WIDEN = msg.SpreadAdjust("test_guard", spread_mult=3.0, reason="widen")
AT = S + OFFSET + 10 * S // 2  # the book event at 6.137 s
NEXT = AT + S // 2


def _with_control(cls, after_strategy: bool):
    inst = scripted_perp()
    data = _still_market(inst)
    mm = _mm(inst, cls)
    control = BookEventControl(
        _BookEventControlConfig(instrument_id=str(inst.id), publish_at_ns=AT, subscribe_at_ns=2 * S if after_strategy else 0),
        WIDEN,
    )
    engine = _run(inst, data, mm, control)
    assert control.published_at == [AT]
    return engine, mm, data


def test_a_message_from_a_handler_before_the_strategys_is_planned_on_in_the_same_event_once() -> None:
    engine, mm, data = _with_control(MarketMaker, after_strategy=False)
    assert mm.plans == len(_book_event_times(data))
    assert {ts for ts in _times(engine, OrderPendingUpdate) if ts >= AT} == {AT}


def test_a_message_from_a_handler_after_the_strategys_is_planned_on_at_the_next_event_once() -> None:
    # The strategy has planned for this event already, and the book does not move afterwards: only
    # the dirty flag makes the next event re-plan (the shortcut would otherwise skip it).
    engine, mm, data = _with_control(MarketMaker, after_strategy=True)
    assert mm.plans == len(_book_event_times(data))
    assert {ts for ts in _times(engine, OrderPendingUpdate) if ts >= AT} == {NEXT}


@pytest.mark.parametrize("after_strategy", [False, True], ids=["handler_before", "handler_after"])
def test_the_shortcut_sends_what_a_full_replan_sends_around_a_control_message(after_strategy: bool) -> None:
    fast_engine, fast, _ = _with_control(MarketMaker, after_strategy)
    full_engine, full, _ = _with_control(_FullReplan, after_strategy)
    assert fast.actions["modify"] >= 1
    assert fast.actions == full.actions
    assert _sent(fast_engine) == _sent(full_engine)


# ---------------------------------------------------------------- messages between book events
class _TimedControlConfig(ActorConfig, frozen=True):
    instrument_id: str


class TimedControl(Actor):
    """Stands in for the governor's and the guards' timer-driven messages: publishes each
    `(ts_ns, message)` at its time, between book events."""

    def __init__(self, config: _TimedControlConfig, schedule: list[tuple[int, object]]) -> None:
        super().__init__(config)
        self._schedule = schedule

    def on_start(self) -> None:
        for i, (ts, message) in enumerate(self._schedule):
            self.clock.set_time_alert_ns(f"control-{i}", ts, lambda _, m=message: self._publish(m))

    def _publish(self, message: object) -> None:
        self.msgbus.publish(msg.control_topic(self.config.instrument_id), message)


def _timed(inst, schedule: list[tuple[int, object]], data: list):
    mm = _mm(inst)
    engine = _run(inst, data, mm, TimedControl(_TimedControlConfig(instrument_id=str(inst.id)), schedule))
    return engine, mm


def _messages_between_events() -> tuple:
    """Messages from timers, each between two book events (the still market's events are at .137 s
    and .637 s): a pause and its resume, a wider spread, new screener parameters, a pulled side, and
    a size change."""
    inst = scripted_perp()
    data = _still_market(inst)
    schedule = [
        (4 * S, msg.Pause("test_guard", "pause")),
        (6 * S, msg.Resume("test_guard", "resume")),
        (8 * S, msg.SpreadAdjust("test_guard", spread_mult=3.0, reason="widen")),
        (10 * S, msg.ParamsUpdate("test_screener", base_spread_bps=6.0)),
        (12 * S, msg.PullSide("test_guard", "BUY", 13 * S, "pull")),
        (14 * S, msg.SpreadAdjust("test_guard", spread_mult=1.0, size_mult=2.0, reason="back")),
    ]
    engine, mm = _timed(inst, schedule, data)
    book_times = set(_book_event_times(data))
    assert not book_times & {ts for ts, _ in schedule}
    assert len(_times(engine, OrderSubmitted, OrderPendingUpdate)) >= 5  # the messages did move the quotes
    return engine, mm, book_times


@pytest.fixture(scope="module")
def between_events_run() -> tuple:
    return _messages_between_events()


def test_cancels_between_book_events_are_only_the_withdrawals(between_events_run) -> None:
    engine, _, book_times = between_events_run
    cancel_times = _times(engine, OrderPendingCancel)
    assert {4 * S, 12 * S} <= cancel_times  # the pause and the pulled side, at once
    assert cancel_times <= book_times | {4 * S, 12 * S}


def _silent_after(inst, last_s: int) -> list:
    """The still market until `last_s`, then one last event at 30 s: nothing in between."""
    data = _still_market(inst, until_s=last_s)
    book = ScriptedBook(inst)
    data += book.snapshot(30 * S, *ladder_book(2999.9, 3000.0, STEP, 5.0))
    return data


@pytest.mark.parametrize(
    ("message", "withdrawn"),
    [
        (msg.Pause("test_guard", "stall suspected"), {"BUY", "SELL"}),
        (msg.Halt("test_guard", "venue down"), {"BUY", "SELL"}),
        (msg.PullSide("test_guard", "SELL", 40 * S, "buyers sweeping"), {"SELL"}),
    ],
    ids=["pause", "halt", "pull_side"],
)
def test_a_withdrawal_cancels_at_once_without_waiting_for_a_book_event(message, withdrawn: set[str]) -> None:
    inst = scripted_perp()
    at = 10 * S + 300 * MS  # the book went silent at 8 s: no event until 30 s
    engine, _ = _timed(inst, [(at, message)], _silent_after(inst, last_s=8))

    open_at_message = [o for o in engine.cache.orders() if o.ts_init < at and not _closed_before(o, at)]
    assert {o.side_string() for o in open_at_message} >= withdrawn
    for order in open_at_message:
        cancels = [ev.ts_init for ev in order.events if isinstance(ev, OrderPendingCancel)]
        if order.side_string() in withdrawn:
            assert cancels and cancels[0] == at
        else:
            assert not [ts for ts in cancels if ts < 30 * S]


def _closed_before(order, ts: int) -> bool:
    return order.is_closed and order.ts_closed < ts


# ---------------------------------------------------------------- the real guards
def _zigzag_market(inst) -> list:
    """Still for 10 s, then the touch jumps 0.6 up and back every second for 10 s (a ±2 bps vol on
    the governor's 1-s grid), then still again; one event every 0.5 s off the timer grid."""
    book = ScriptedBook(inst)
    data = []
    for i in range(2 * 30 - 1):
        ts = S + OFFSET + i * S // 2
        shift = 0.6 * ((i // 2) % 2) if 18 <= i < 38 else 0.0
        bids, asks = ladder_book(round(2999.9 + shift, 1), round(3000.0 + shift, 1), STEP, 5.0)
        first_bid = max(bids)
        bids[first_bid] = 5.0 + (i % 3)  # the top breathes too: order-flow imbalance for the RiskGuard
        data += book.snapshot(ts, bids, asks) if i == 0 else book.update(ts, bids, asks)
    return data


def _real_guards() -> tuple:
    """The RiskGuard pulling sides from inside book events and the governor changing the spread
    from its timer, on a market that zigzags."""
    inst = scripted_perp()
    data = _zigzag_market(inst)
    mm = _mm(inst, max_inventory_usd=1_000.0)
    guard = RiskGuard(RiskGuardConfig(
        instrument_ids=(str(inst.id),), micro_move_bps=1_000.0, ofi_threshold=0.5, ofi_min_events=3,
        tfi_threshold=1.01, pull_ms=1_200, daily_drawdown_cap=0.5, max_total_inventory_usd=1e9,
    ))
    governor = RegimeGovernor(RegimeGovernorConfig(
        instrument_ids=(str(inst.id),), vol_window=6, calm_below_bps=0.5, normal_below_bps=1.0,
        volatile_below_bps=100.0, regime_release_ms=0,  # flips both ways: timer-driven re-plans to check
    ))
    engine = _run(inst, data, mm, guard, governor)
    assert guard.firings.get("ofi", 0) >= 1  # pulls from inside book events
    assert governor.firings.get("regime", 0) >= 2  # spread changes from the governor's timer
    return engine, mm, set(_book_event_times(data))


# ---------------------------------------------------------------- both: one plan per book event, on its ts_init
_STEERED = {"messages_between_events": _messages_between_events, "real_guards": _real_guards}


@pytest.fixture(scope="module", params=sorted(_STEERED))
def steered_run(request) -> tuple:
    return _STEERED[request.param]()


def test_the_strategy_plans_once_per_book_event(steered_run) -> None:
    _, mm, book_times = steered_run
    assert mm.plans == len(book_times)


def test_every_order_placed_or_modified_carries_a_book_events_ts_init(steered_run) -> None:
    engine, _, book_times = steered_run
    assert _times(engine, OrderSubmitted, OrderPendingUpdate) <= book_times
    assert {o.ts_init for o in engine.cache.orders()} <= book_times
