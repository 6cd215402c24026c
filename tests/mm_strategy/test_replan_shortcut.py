"""The re-plan shortcut in `MarketMaker.update_quotes` is exact: a run with it sends exactly the
actions of a run that re-plans fully on every book event, including when a ladder level flips
across the fee-edge threshold on a small move of fair (the case the old slack-based skip missed).
"""

from __future__ import annotations

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy import messages as msg
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig

S = 1_000_000_000
STEP = 0.1


class _FullReplan(MarketMaker):
    """Reference: the same strategy with the shortcut never taken (every event is a full plan)."""

    def update_quotes(self, ts_ns: int) -> None:
        self._dirty = True
        super().update_quotes(ts_ns)


def _jittering_touch(inst) -> list:
    """Touch fixed at 2999.9/3000.0 while the top sizes move the microprice by 0.03 (a third of a
    price step), so each L1 lands 1.8–2.1 bps from fair: across the 2.0 bps edge requirement."""
    book = ScriptedBook(inst)
    bids, asks = ladder_book(2999.9, 3000.0, STEP, 5.0)
    data = book.snapshot(0, bids, asks)
    cycle = [(1.0, 4.0), (2.0, 2.0), (4.0, 1.0), (2.0, 2.0), (2.0, 2.0), (3.0, 3.0)]
    for i in range(1, 160):
        b, a = cycle[i % len(cycle)]
        bids[2999.9], asks[3000.0] = b, a
        bids[2999.0] = 5.0 + (i % 2)  # a deep change: fair and touch unchanged
        data += book.update(i * S // 2, bids, asks)
    return data


def _run(cls, **kw) -> MarketMaker:
    inst = scripted_perp("ETH")
    mm = cls(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=3.6, level_spacing_ticks=2, order_size_usd=20.0,
        max_inventory_usd=150.0, requote_tolerance_ticks=2, **kw,
    ))
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(_jittering_touch(inst))
    engine.add_strategy(mm)
    engine.run()
    mm.sent = [
        (type(ev).__name__, str(o.side), str(getattr(ev, "price", "")), ev.ts_init)
        for o in engine.cache.orders() for ev in o.events
        if type(ev).__name__ in ("OrderSubmitted", "OrderPendingUpdate", "OrderPendingCancel")
    ]
    engine.dispose()
    return mm


def test_without_hysteresis_the_shortcut_sends_the_same_actions_as_a_full_replan() -> None:
    fast = _run(MarketMaker, edge_hysteresis_bps=0.0)
    full = _run(_FullReplan, edge_hysteresis_bps=0.0)
    assert fast.actions["cancel"] >= 10  # L1 flipped across the edge many times
    assert fast.actions == full.actions
    assert sorted(fast.sent) == sorted(full.sent)


def test_with_hysteresis_the_shortcut_sends_the_same_actions_as_a_full_replan() -> None:
    fast = _run(MarketMaker)
    full = _run(_FullReplan)
    assert fast.actions == full.actions
    assert sorted(fast.sent) == sorted(full.sent)


def test_hysteresis_stops_the_cancel_and_replace_churn_at_the_edge() -> None:
    plain = _run(MarketMaker, edge_hysteresis_bps=0.0)
    damped = _run(MarketMaker)
    assert damped.actions["cancel"] + damped.actions["submit"] < (plain.actions["cancel"] + plain.actions["submit"]) / 3


class _HoldsInventory(MarketMaker):
    """Long 0.015 ETH (q = 0.3 at 3000 with a 150 USD limit), so the vol term moves the reservation
    price; a regime update with unchanged multipliers but a new vol arrives at 5 s."""

    def _position(self) -> float:
        return 0.015

    def on_order_book_deltas(self, deltas) -> None:
        vol = 0.0 if deltas.ts_init < 5 * S else 10.0  # 1.0 × 10² × 0.3 = 30 bps of reservation shift
        self._on_control(msg.SpreadAdjust("regime", 1.0, 1.0, 0, "vol update", vol_bps=vol))
        super().on_order_book_deltas(deltas)


def _sent_after(cls, t_ns: int) -> list:
    inst = scripted_perp("ETH")
    mm = cls(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=4.0, level_spacing_ticks=2, order_size_usd=20.0,
        max_inventory_usd=150.0, risk_aversion=1.0,
    ))
    book = ScriptedBook(inst)
    data = []
    for i in range(40):  # to 19.5 s (the stop's cancels come after); touch fixed, a deep size breathing
        bids, asks = ladder_book(2999.9, 3000.0, STEP, 5.0)
        bids[2999.0] = 5.0 + (i % 2)
        data += book.snapshot(0, bids, asks) if i == 0 else book.update(i * S // 2, bids, asks)
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(data)
    engine.add_strategy(mm)
    engine.run()
    sent = [type(ev).__name__ for o in engine.cache.orders() for ev in o.events
            if t_ns <= ev.ts_init < 19 * S and type(ev).__name__ in ("OrderSubmitted", "OrderPendingUpdate", "OrderPendingCancel")]
    engine.dispose()
    return sent


def test_a_vol_only_regime_update_moves_the_quotes_when_the_vol_term_is_on() -> None:
    # The update does not re-arm a full re-plan (it changes no multiplier); the vol is one of the
    # shortcut's inputs instead, so the next book event still re-plans with the new reservation.
    assert _sent_after(_HoldsInventory, 5 * S)
