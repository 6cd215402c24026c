"""The re-plan shortcut in `MarketMaker.update_quotes` is exact: a run with it sends exactly the
actions of a run that re-plans fully on every book event, including when a ladder level flips
across the fee-edge threshold on a small move of fair (the case the old slack-based skip missed).
"""

from __future__ import annotations

from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.scripted import ScriptedBook
from mm_strategy.scripted import ladder_book
from mm_strategy.scripted import make_engine
from mm_strategy.scripted import scripted_perp

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
