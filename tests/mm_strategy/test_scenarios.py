"""Scenario tests: the strategy and its actors in a BacktestEngine on scripted books.

Each scenario builds true book deltas and trades for a Hyperliquid-like ETH perp (price step
0.1 at ~3000 by the 5-significant-figure rule), runs the engine with the venue modelled as in
`run_backtest` (L2 book, queue position, liquidity consumption, 100 ms latency, tier-0 fees),
and asserts on what the strategy did.
"""

from __future__ import annotations

import json
import re

import pytest
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import OrderPendingCancel
from nautilus_trader.model.events import OrderPendingUpdate
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.events import OrderSubmitted
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TraderId

from adapters.hyperliquid.parsing.order_wires import tif_for
from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy import messages as msg
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.quoting.skew import ExitMode
from mm_strategy.risk.day_state import DayState
from mm_strategy.risk.day_state import load_day_state
from mm_strategy.risk.day_state import save_day_state
from mm_strategy.risk.drawdown import NS_PER_DAY
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig

S = 1_000_000_000
MS = 1_000_000
STEP = 0.1  # ETH price step at ~3000


def _mm(inst, **kw) -> MarketMaker:
    cfg = {"instrument_id": str(inst.id), "base_spread_bps": 4.0, "level_spacing_ticks": 2,
           "order_size_usd": 20.0, "max_inventory_usd": 150.0}
    cfg.update(kw)
    return MarketMaker(MarketMakerConfig(**cfg))


def _quiet_guard(inst, **kw) -> RiskGuard:
    """A RiskGuard with the flow/micro-vol guards set out of reach unless a test turns one on."""
    cfg = {"instrument_ids": (str(inst.id),), "micro_move_bps": 1_000.0, "ofi_threshold": 1.01,
           "tfi_threshold": 1.01, "daily_drawdown_cap": 0.5, "max_total_inventory_usd": 1e9}
    cfg.update(kw)
    return RiskGuard(RiskGuardConfig(**cfg))


def _run(inst, data, *components, starting_usdc: float = 10_000.0):
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=starting_usdc)
    engine.add_data(data)
    for c in components:
        if isinstance(c, MarketMaker):
            engine.add_strategy(c)
        else:
            engine.add_actor(c)
    engine.run()
    return engine


def _fills(engine, side: OrderSide | None = None) -> list:
    out = []
    for order in engine.cache.orders():
        for ev in order.events:
            if type(ev).__name__ == "OrderFilled" and (side is None or ev.order_side == side):
                out.append(ev)
    return out


def _actions_between(engine, start_ns: int, end_ns: int) -> int:
    n = 0
    for order in engine.cache.orders():
        for ev in order.events:
            if isinstance(ev, OrderSubmitted | OrderPendingUpdate | OrderPendingCancel) and start_ns <= ev.ts_init < end_ns:
                n += 1
    return n


def _steady(book: ScriptedBook, t0: int, t1: int, bid: float, ask: float, every_ns: int = S // 2) -> list:
    """A book that stays put (sizes breathe so there are events), with small trades both ways."""
    data = []
    t = t0
    i = 0
    while t < t1:
        b, a = ladder_book(bid, ask, STEP, 5.0 + (i % 2))
        data += book.update(t, b, a)
        i += 1
        t += every_ns
    return data


def _still_market(inst, from_s: int, to_s: int) -> list:
    """A fresh book at `from_s` that stays put (its sizes breathing) from a second later to `to_s`."""
    book = ScriptedBook(inst)
    return book.snapshot(from_s * S, *ladder_book(3000.0, 3000.1, STEP, 5.0)) + _steady(
        book, (from_s + 1) * S, to_s * S, 3000.0, 3000.1)


def test_a_steady_uptrend_leaves_it_short_with_the_soft_exit_engaged_and_no_taker_fills() -> None:
    # +0.1 every 0.5 s (+8 USD, ~27 bps in 40 s) with buyers lifting the offer.
    inst = scripted_perp()
    data = uptrend(inst)
    mm = _mm(inst)
    engine = _run(inst, data, mm)

    position = float(engine.portfolio.net_position(inst.id))
    assert position < 0
    assert mm.exit_mode is ExitMode.SOFT
    assert all(side == "BUY" for side, *_ in mm.resting_orders())  # the ask ladder is gone
    fills = _fills(engine)
    assert fills and all(f.liquidity_side == LiquiditySide.MAKER for f in fills)
    assert {f.order_side for f in fills} == {OrderSide.SELL}


def _ofi_flip_market(inst) -> tuple[list, int]:
    """A steady book, then bids drain and asks build at unchanged prices, then sellers hit the bids."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 10.0))
    data += _steady(book, 2 * S, 10 * S, 3000.0, 3000.1)
    t = 10 * S
    for i in range(1, 7):  # 1.2 s of imbalance building before the drop
        b, a = ladder_book(3000.0, 3000.1, STEP, 10.0)
        b[3000.0] = max(0.5, 10.0 - 1.6 * i)
        a[3000.1] = 10.0 + 4.0 * i
        data += book.update(t, b, a)
        t += 200 * MS
    drop_ns = t + 300 * MS
    for k in range(12):  # sellers sweep the bid side down 1.2
        data.append(book.trade(drop_ns + k * MS, round(3000.0 - k * STEP, 1), 50.0, False))
    data += book.update(drop_ns + 20 * MS, *ladder_book(2998.8, 2998.9, STEP, 10.0))
    data += _steady(book, drop_ns + S, drop_ns + 5 * S, 2998.8, 2998.9)
    return data, drop_ns


def test_an_ofi_flip_cancels_the_bids_before_the_price_drops() -> None:
    inst = scripted_perp()
    data, drop_ns = _ofi_flip_market(inst)
    mm = _mm(inst, max_inventory_usd=1_000.0)
    guard = _quiet_guard(inst, ofi_threshold=0.8, ofi_min_events=3, pull_ms=3_000)
    engine = _run(inst, data, mm, guard)

    assert guard.firings.get("ofi", 0) >= 1
    assert [e.guard for e in mm.guard_events if e.guard == "ofi"]
    first_pull = min(e.ts_ns for e in mm.guard_events if e.guard == "ofi")
    assert first_pull < drop_ns
    assert _fills(engine, OrderSide.BUY) == []


def test_without_the_guard_the_same_drop_fills_the_bids() -> None:
    # The control case that makes the OFI test meaningful: the drop does reach the bid ladder.
    inst = scripted_perp()
    data, _ = _ofi_flip_market(inst)
    engine = _run(inst, data, _mm(inst, max_inventory_usd=1_000.0))
    assert _fills(engine, OrderSide.BUY)


def _sliding_market(inst, t0: int = 0):
    """Sellers hit the bids for 30 s (from `t0` + 5 s): a market maker gets long and loses."""
    book = ScriptedBook(inst)
    data = book.snapshot(t0 + S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    data += _steady(book, t0 + 2 * S, t0 + 5 * S, 3000.0, 3000.1)
    t = t0 + 5 * S
    bid = 3000.0
    for _ in range(60):  # a steady slide: sellers hit the bids, we get long and lose
        for k in range(0, 10):
            data.append(book.trade(t, round(bid - k * STEP, 1), 20.0, False))
        bid = round(bid - 3 * STEP, 1)
        t += 100 * MS
        data += book.update(t, *ladder_book(bid, round(bid + STEP, 1), STEP, 5.0))
        t += 400 * MS
    data += _steady(book, t, t + 10 * S, bid, round(bid + STEP, 1))
    return data


def test_a_drawdown_breach_halts_quoting_for_the_day() -> None:
    inst = scripted_perp()
    data = _sliding_market(inst)
    mm = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=200)  # $2 of $10,000
    engine = _run(inst, data, mm, guard)

    halts = [e for e in mm.guard_events if e.guard == "drawdown"]
    assert len(halts) == 1
    assert "every order cancelled, halted until 1970-01-02 00:00 UTC" in halts[0].reason
    # The loss as a positive amount, and the cap as configured (0.02%, not rounded to "0.0%").
    assert re.search(r"^daily loss \d[\d,]*\.\d\d USDC ≥ the cap of 0\.02% \(2\.00 USDC\) of day-start equity 10,000\.00",
                     halts[0].reason), halts[0].reason
    assert mm.is_quoting_blocked()
    assert mm.resting_orders() == []
    assert not [o for o in engine.cache.orders() if o.ts_init > halts[0].ts_ns]  # nothing new after the halt
    assert engine.cache.orders_open() == []


def test_the_days_pnl_stays_marked_while_a_halt_holds_the_position() -> None:
    # Review 6: the last reading was the halt's, so the day's PnL froze while the position it left
    # open went on moving with the market.
    inst = scripted_perp()
    mm = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=200)
    engine = _run(inst, _sliding_market(inst), mm, guard)
    halt_loss = float(re.search(r"daily loss ([\d,.]+) USDC", guard.halt_reason).group(1).replace(",", ""))
    assert float(engine.portfolio.net_position(inst.id)) > 0  # not flattened: the slide went on costing
    assert -guard.drawdown.pnl_today() > halt_loss + 0.5
    assert guard.drawdown.pnl_today() == pytest.approx(guard.equity() - guard.drawdown.day_start_equity, abs=0.01)


def test_a_new_day_after_a_halt_starts_from_the_equity_at_midnight_not_at_the_halt() -> None:
    # Review 6: the day's last reading was the halt's, so what the held position lost during the
    # halt was charged to the next day, which halted again at midnight for another whole day.
    inst = scripted_perp()
    mm = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=200)
    engine = _run(inst, _sliding_market(inst, t0=NS_PER_DAY - 40 * S), mm, guard)  # it ends 5 s past midnight
    halts = [e for e in mm.guard_events if e.guard == "drawdown"]
    assert len(halts) == 1 and halts[0].ts_ns < NS_PER_DAY
    assert guard.drawdown.day == 1 and guard.halt_reason is None and not mm.is_quoting_blocked()
    equity_at_the_halt = 10_000 - float(re.search(r"daily loss ([\d,.]+)", halts[0].reason).group(1))
    assert guard.drawdown.day_start_equity < equity_at_the_halt - 0.3  # the held long lost more before midnight
    assert engine.cache.orders()  # quoting again on the new day


def test_a_drawdown_halt_holds_across_a_restart_the_same_day(tmp_path) -> None:
    inst = scripted_perp()
    day_file = tmp_path / "state" / "day.json"
    first = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=200, day_state_file=str(day_file))
    _run(inst, _sliding_market(inst), first, guard)
    assert [e.guard for e in first.guard_events].count("drawdown") == 1

    # The node comes back within the day (the same account): nothing is quoted.
    again = _still_market(inst, 60, 70)
    mm = _mm(inst)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=200, day_state_file=str(day_file))
    engine = _run(inst, again, mm, guard)
    assert engine.cache.orders() == []
    assert mm.is_quoting_blocked()
    assert "halted until 1970-01-02 00:00 UTC (since before a restart)" in guard.halt_reason


def test_a_node_started_past_its_loss_cap_sends_no_order(tmp_path) -> None:
    # Review 5: the first check ran a timer tick after the start, and the ladder went out before it
    # (a cap lowered mid-day after losses, or a crash between a loss and the next check).
    inst = scripted_perp()
    day_file = tmp_path / "day.json"
    save_day_state(day_file, "HYPERLIQUID-001", DayState(0, 10_010.0))  # 10 lost today, the cap is 2
    data = _still_market(inst, 1, 10)
    mm = _mm(inst)
    guard = _quiet_guard(inst, daily_drawdown_cap=0.0002, check_interval_ms=60_000, day_state_file=str(day_file))
    engine = _run(inst, data, mm, guard)
    assert engine.cache.orders() == []
    assert mm.is_quoting_blocked()
    assert guard.halt_reason.startswith("daily loss 10.00 USDC ≥ the cap of 0.02%")


def test_a_halt_that_flattens_still_flattens_after_a_restart_the_same_day(tmp_path) -> None:
    # Review 4: the restored halt was sent without `flatten`, so a node killed before its exit
    # order filled kept the position it had been told to close.
    inst = scripted_perp()
    day_file = tmp_path / "day.json"
    flattening = {"flatten_on_breach": True, "daily_drawdown_cap": 0.0002, "check_interval_ms": 200,
                  "day_state_file": str(day_file)}
    first = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95, hard_exit_enabled=True)
    _run(inst, _sliding_market(inst), first, _quiet_guard(inst, **flattening))
    assert first.flattening

    again = _still_market(inst, 60, 70)
    mm = _mm(inst, hard_exit_enabled=True)
    _run(inst, again, mm, _quiet_guard(inst, **flattening))
    assert mm.is_quoting_blocked() and mm.flattening


def test_a_day_state_of_another_account_is_not_this_accounts_day(tmp_path) -> None:
    # A paper run on hlsim from the same folder must not start the real account's day halted.
    inst = scripted_perp()
    day_file = tmp_path / "day.json"
    day_file.write_text('{"accounts": {"HYPERLIQUID-0xother": {"day": 0, "day_start_equity": 1000000.0,'
                        ' "halted_until_ns": 86400000000000000, "halt_reason": "theirs"}}}')
    data = _still_market(inst, 1, 10)
    mm = _mm(inst)
    engine = _run(inst, data, mm, _quiet_guard(inst, daily_drawdown_cap=0.0002, day_state_file=str(day_file)))
    assert engine.cache.orders() and not mm.is_quoting_blocked()
    assert load_day_state(day_file, "HYPERLIQUID-0xother").halt_reason == "theirs"  # kept beside ours


def test_an_unreadable_day_state_halts_the_quoting_saying_why(tmp_path) -> None:
    inst = scripted_perp()
    day_file = tmp_path / "day.json"
    day_file.write_text("{ half a file")
    data = _still_market(inst, 1, 10)
    mm = _mm(inst)
    guard = _quiet_guard(inst, day_state_file=str(day_file))
    engine = _run(inst, data, mm, guard)
    assert engine.cache.orders_open() == [] and mm.is_quoting_blocked()
    assert "is not one this guard wrote" in guard.halt_reason


def test_a_calendar_window_pauses_quoting(tmp_path) -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    t = 2 * S
    for i in range(60):  # 30 s, the mid hopping by 5 steps so the ladder keeps re-quoting
        shift = STEP * 5 * (i % 2)
        data += book.update(t, *ladder_book(round(3000.0 + shift, 1), round(3000.1 + shift, 1), STEP, 5.0))
        t += S // 2
    cal = tmp_path / "calendar.json"
    cal.write_text(json.dumps({"events": [{"name": "FOMC", "start": "1970-01-01T00:00:12Z",
                                           "end": "1970-01-01T00:00:20Z", "pad_before_s": 0, "pad_after_s": 0}]}))
    mm = _mm(inst)
    gov = RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(inst.id),), calendar_path=str(cal), eval_interval_ms=200,
                                              edge_check_enabled=False))  # a one-tick book: no edge
    engine = _run(inst, data, mm, gov)

    assert gov.firings.get("calendar") == 1
    created = sorted(o.ts_init for o in engine.cache.orders())
    assert any(ts < 12 * S for ts in created)
    assert not [ts for ts in created if 12 * S + 300 * MS <= ts <= 20 * S]
    assert any(ts > 20 * S for ts in created)  # resumed after the window
    for order in engine.cache.orders():  # everything open at the start was cancelled
        if order.ts_init < 12 * S:
            assert order.is_closed and order.ts_closed <= 12 * S + 500 * MS


def test_a_cancel_to_fill_spike_widens_and_holds_quotes() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    t = 2 * S
    for i in range(200):  # 40 s of a flickering mid and no trades: churn without fills
        shift = STEP * 4 * (i % 2)
        data += book.update(t, *ladder_book(round(3000.0 + shift, 1), round(3000.1 + shift, 1), STEP, 5.0))
        t += 200 * MS
    mm = _mm(inst)
    gov = RegimeGovernor(RegimeGovernorConfig(
        instrument_ids=(str(inst.id),), eval_interval_ms=500, c2f_window_ms=10_000, c2f_threshold=20.0,
        c2f_min_actions=40, hold_ms=5_000, c2f_spread_mult=1.5,
        edge_probe_levels=0,  # the whole ladder's churn: the edge check's probe would quote a third of it
    ))
    engine = _run(inst, data, mm, gov)

    fired = [e for e in mm.guard_events if e.guard == "cancel_to_fill"]
    assert len(fired) == 1
    assert mm.spread_mult == 1.5  # still widened: no fills, so the ratio never recovers
    t_fire = fired[0].ts_ns
    before = _actions_between(engine, t_fire - 10 * S, t_fire)
    after = _actions_between(engine, t_fire + S, t_fire + 11 * S)
    assert after * 3 <= before


def uptrend(inst, steps: int = 80) -> list:
    """Buyers lift the offer step after step (every half second): the makers' asks fill."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    t = 2 * S
    bid = 3000.0
    for _ in range(steps):
        for k in range(1, 12):
            data.append(book.trade(t, round(bid + k * STEP, 1), 20.0, True))
        bid = round(bid + STEP, 1)
        t += 100 * MS
        data += book.update(t, *ladder_book(bid, round(bid + STEP, 1), STEP, 5.0))
        t += 400 * MS
    return data


def test_past_the_hard_limit_an_enabled_taker_exit_reduces_the_position() -> None:
    inst = scripted_perp()
    mm = _mm(inst, soft_limit=0.3, hard_limit=0.5, hard_exit_enabled=True)
    engine = _run(inst, uptrend(inst), mm)

    takers = [f for f in _fills(engine) if f.liquidity_side == LiquiditySide.TAKER]
    assert takers and all(f.order_side == OrderSide.BUY for f in takers)
    exit_orders = [o for o in engine.cache.orders() if o.tags == ["EXIT"]]
    assert exit_orders and all(o.is_reduce_only for o in exit_orders)
    # Hyperliquid has no market orders: the exit must be an IOC limit the adapter can put on the wire.
    assert all(o.order_type == OrderType.LIMIT and o.time_in_force == TimeInForce.IOC for o in exit_orders)
    assert all(tif_for(o) == "Ioc" for o in exit_orders)


def test_inventory_above_the_global_capital_budget_stops_adding_and_keeps_the_maker_soft_exit() -> None:
    # The uptrend leaves it short; past $60 of inventory the guard goes reduce-only: the adding side
    # (asks) is gone and the reducing side (bids) stays as the maker soft exit, nothing halted.
    inst = scripted_perp()
    mm = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, max_total_inventory_usd=60.0, check_interval_ms=200)
    engine = _run(inst, uptrend(inst), mm, guard)

    breaches = [e for e in mm.guard_events if e.guard == "capital"]
    assert len(breaches) == 1 and "total inventory" in breaches[0].reason and "reduce-only" in breaches[0].reason
    assert not mm.is_quoting_blocked()
    assert mm.reduce_only and mm.exit_mode is ExitMode.SOFT
    assert float(engine.portfolio.net_position(inst.id)) < 0
    after = [o for o in engine.cache.orders() if o.ts_init > breaches[0].ts_ns and o.tags and o.tags[0].startswith("L")]
    assert after and all(o.side == OrderSide.BUY for o in after)  # only the reducing side, as a maker
    assert all(o.is_post_only for o in after)
    assert {o.side for o in engine.cache.orders_open()} == {OrderSide.BUY}


def test_a_capital_breach_ends_once_the_inventory_is_back_under_the_release_level() -> None:
    inst = scripted_perp()
    mm = _mm(inst, max_inventory_usd=1_000.0, soft_limit=0.95)
    guard = _quiet_guard(inst, max_total_inventory_usd=60.0, check_interval_ms=200)
    engine = _run(inst, uptrend(inst), mm, guard)
    assert guard.reduce_only
    # Bought back to $40 (the maker exit's fills, set directly; no mid, so the check keeps it):
    # under 80% of the $60 limit → both sides again.
    guard._state[inst.id].mid = 0.0
    guard.capital.set_inventory(str(inst.id), 40.0)
    guard.check_capital(engine.kernel.clock.timestamp_ns() + S)
    assert not guard.reduce_only and not mm.reduce_only
    assert [e.guard for e in mm.guard_events][-1] == "capital_clear"


def test_a_post_only_reject_is_counted_by_its_flag_even_when_the_text_does_not_say_post() -> None:
    inst = scripted_perp()
    mm = _mm(inst)

    def rejected(reason: str, due_post_only: bool) -> OrderRejected:
        return OrderRejected(
            TraderId("T-001"), StrategyId("S-001"), inst.id, ClientOrderId("O-1"), AccountId("SIM-001"),
            reason, UUID4(), 0, 0, due_post_only=due_post_only,
        )

    mm.on_order_rejected(rejected("badAloPxRejected", True))  # the exchange's order status
    mm.on_order_rejected(rejected("Insufficient margin to place order.", False))
    assert mm.post_only_rejects == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("fair_price", "vwap"), ("requote_tolerance_ticks", -1), ("size_tolerance", -0.1),
     ("journal_max_entries", 0), ("order_size_usd", 5.0), ("max_inventory_usd", 0.0)],
)
def test_a_market_maker_config_out_of_range_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        _mm(scripted_perp(), **{field: value})


def test_a_params_update_applies_its_valid_fields_and_keeps_the_rest_on_nan_or_inf() -> None:
    mm = _mm(scripted_perp())
    mm._apply_params(msg.ParamsUpdate("screener", base_spread_bps=6.0, max_inventory_usd=float("inf")))
    assert mm.ladder.base_spread_bps == 6.0
    assert mm.max_inventory_usd == 150.0  # an infinite limit would switch the inventory exits off
    mm._apply_params(msg.ParamsUpdate("screener", base_spread_bps=float("nan"), order_size_usd=30.0))
    assert (mm.ladder.base_spread_bps, mm.ladder.order_size_usd) == (6.0, 30.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("eval_interval_ms", 0), ("volatile_mults", (2.0, -0.5)), ("extreme_mults", (float("nan"), 0.25)),
     ("c2f_spread_mult", 0.0), ("budget_reserve_fraction", 1.0)],
)
def test_a_governor_config_out_of_range_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(scripted_perp().id),), **{field: value}))


def test_an_order_size_above_the_inventory_limit_is_refused_naming_both_fields() -> None:
    # Issue 17 item 8: 1e12 used to be capped at max_inventory_usd without a word.
    with pytest.raises(ValueError, match="order_size_usd 1e\\+12 exceeds max_inventory_usd 150"):
        _mm(scripted_perp(), order_size_usd=1e12)


@pytest.mark.parametrize(
    "update",
    [msg.ParamsUpdate("screener", order_size_usd=1e12), msg.ParamsUpdate("screener", max_inventory_usd=15.0),
     msg.ParamsUpdate("screener", order_size_usd=200.0, max_inventory_usd=100.0)],
    ids=["size_above_limit", "limit_below_size", "both_at_once"],
)
def test_a_params_update_that_puts_the_order_size_above_the_inventory_limit_keeps_both(update) -> None:
    mm = _mm(scripted_perp())
    mm._apply_params(update)
    assert (mm.ladder.order_size_usd, mm.max_inventory_usd) == (20.0, 150.0)


def test_orders_denied_by_the_risk_engine_free_their_levels_and_are_quoted_again() -> None:
    # A submit throttle of 1 command a second: the first ladder goes out (one order list for both
    # sides), then the book jumps 10 steps 0.3 s later and the re-placed ladder (cancel + place)
    # is denied. Once the throttle allows, the same levels are quoted again.
    inst = scripted_perp()
    book = ScriptedBook(inst)
    b, a = ladder_book(3000.0, 3000.1, STEP, 5.0)
    data = book.snapshot(0, b, a) + _steady(book, 3 * S // 10, 20 * S, 3001.0, 3001.1)
    mm = _mm(inst, use_modify=False)
    engine = make_engine([inst], latency_ms=100.0, max_order_submit_rate="1/00:00:01")
    engine.add_data(data)
    engine.add_strategy(mm)
    engine.run()

    orders = engine.cache.orders()
    denied = [o for o in orders if type(o.events[-1]).__name__ == "OrderDenied"]
    assert denied, "the throttle should have denied the re-placed ladder"
    last_denied = max(o.ts_last for o in denied)
    later = [o for o in orders if o.ts_init > last_denied]
    assert later, "quoting stopped after the denials"
    first_denied = {(o.side_string(), float(o.price)) for o in denied if o.ts_init == denied[0].ts_init}
    resting = {(side, px) for side, _level, px, _sz in mm.resting_orders()}
    assert resting == first_denied  # the denied levels rest on the book after all
