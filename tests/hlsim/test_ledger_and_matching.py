"""Pure ledger and matching rules, on the engine directly (no sockets)."""

from __future__ import annotations

from decimal import Decimal

from hlsim.config import HlSimConfig
from hlsim.engine.accounts import Account
from hlsim.engine.accounts import apply_fill
from hlsim.engine.accounts import clearinghouse_state
from hlsim.engine.actions import typed_action
from hlsim.engine.exchange import SimExchange

D = Decimal
MAKER = "0x" + "aa" * 20
TAKER = "0x" + "bb" * 20


def test_flip_from_long_to_short_realizes_the_long_and_opens_at_the_fill_price() -> None:
    acct = Account(address=MAKER, usdc=D(1000))
    apply_fill(acct, "ETH", True, D(100), D(2), D(0))
    effect = apply_fill(acct, "ETH", False, D(110), D(3), D(0))
    assert effect.direction == "Long > Short" and effect.closed_pnl == D(20)
    pos = acct.positions["ETH"]
    assert (pos.szi, pos.entry_px) == (D(-1), D(110))
    assert acct.usdc == D(1020)


def test_adding_to_a_short_averages_the_entry_and_partial_close_keeps_it() -> None:
    acct = Account(address=MAKER)
    apply_fill(acct, "ETH", False, D(100), D(1), D(0))
    apply_fill(acct, "ETH", False, D(110), D(1), D(0))
    assert acct.positions["ETH"].entry_px == D(105)
    effect = apply_fill(acct, "ETH", True, D(95), D(1), D("0.1"))
    assert effect.direction == "Close Short" and effect.closed_pnl == D(10)
    assert acct.positions["ETH"].entry_px == D(105)
    assert acct.usdc == D("9.9")


def _engine() -> SimExchange:
    engine = SimExchange(HlSimConfig(coins={"ETH": 4}))
    engine.fund(MAKER, 100_000)
    engine.fund(TAKER, 100_000)
    engine.set_book("ETH", [(D(3000), D(5), 1)], [(D("3000.5"), D(5), 1)])
    return engine


def _order(engine: SimExchange, user: str, is_buy: bool, px: str, sz: str, tif: str) -> dict:
    action = typed_action({"type": "order", "grouping": "na", "orders": [
        {"a": 0, "b": is_buy, "p": px, "s": sz, "r": False, "t": {"limit": {"tif": tif}}}]})
    return engine.execute(user, action, engine.now_ms())["response"]["data"]["statuses"][0]


def test_taker_takes_market_size_ahead_of_a_resting_user_order_first() -> None:
    engine = _engine()
    maker_oid = _order(engine, MAKER, False, "3000.5", "2", "Alo")["resting"]["oid"]
    taken = _order(engine, TAKER, True, "3000.5", "6", "Ioc")
    assert taken["filled"]["totalSz"] == "6.0"
    [maker_fill] = engine.accounts[MAKER].fills
    assert (maker_fill["oid"], maker_fill["sz"]) == (maker_oid, "1.0")  # 5 market lots were ahead
    assert engine.orders[maker_oid].sz == D(1)


def test_market_size_taken_by_a_user_leaves_the_displayed_book() -> None:
    engine = _engine()
    _order(engine, TAKER, True, "3000.5", "2", "Ioc")
    assert engine.books["ETH"].size_at("A", D("3000.5")) == D(3)


def test_gtc_crossing_own_resting_order_cancels_the_resting_one() -> None:
    engine = _engine()
    own = _order(engine, MAKER, False, "3000.2", "1", "Alo")["resting"]["oid"]
    _order(engine, MAKER, True, "3000.2", "1", "Gtc")
    assert own not in engine.orders
    assert engine.history[own]["status"] == "selfTradeCanceled"


def test_a_position_on_a_coin_capped_below_the_default_leverage_trades_at_its_cap() -> None:
    # Review 5: every coin traded at 20x, above WLFI's maxLeverage of 5, so a paper run held margin
    # the exchange would refuse.
    engine = SimExchange(HlSimConfig(coins={"WLFI": 0}, max_leverage={"WLFI": 5}))
    engine.fund(MAKER, 100)
    engine.set_book("WLFI", [(D("0.2"), D(10_000), 1)], [(D("0.21"), D(10_000), 1)])
    # 100 USDC at 5x is 500 of notional: 2,400 WLFI at 0.21 (504) is refused, 2,300 (483) taken.
    assert "Insufficient margin" in _order(engine, MAKER, True, "0.21", "2400", "Ioc")["error"]
    assert "filled" in _order(engine, MAKER, True, "0.21", "2300", "Ioc")
    state = clearinghouse_state(engine.accounts[MAKER], engine.marks(), engine.config.default_leverage_for,
                                {"WLFI": 5}, engine.now_ms())
    assert state["assetPositions"][0]["position"]["leverage"] == {"type": "cross", "value": 5}
