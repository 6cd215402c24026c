"""How long a closed order counts as still shown by a late book (`MarketMaker._market_touch`).

A book stamped before an order's cancel still shows it; the cancel's stamp is the exchange's time,
or our own clock's when only the reply stamped it. A clock ahead of the exchange would keep such an
entry in force as long as the books stay "older", so an entry counts for at most 2 s of local time.
"""

from __future__ import annotations

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.market_maker import _ShownUntil

S = 1_000_000_000
ASK = 3010.0


def _quoting_strategy():
    """A MarketMaker, its own-orders check on, quoting a wide scripted ETH book for 2 s."""
    inst = scripted_perp("ETH")
    mm = MarketMaker(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=3.6, level_spacing_ticks=2, order_size_usd=20.0,
        max_inventory_usd=150.0, book_shows_own_orders=True,
    ))
    engine = make_engine([inst], latency_ms=10.0, starting_usdc=10_000.0)
    book = ScriptedBook(inst)
    bids, asks = ladder_book(2990.0, ASK, 0.1, 5.0)
    data = book.snapshot(0, bids, asks)
    for i in range(1, 20):
        bids[2990.0] = 5.0 + i % 2
        data += book.update(i * S // 10, bids, asks)
    engine.add_data(data)
    engine.add_strategy(mm)
    engine.run()
    return engine, mm


def _market_ask_with_a_closed_order_at_the_touch(noted_ago_ns: int) -> tuple[float, float]:
    engine, mm = _quoting_strategy()
    try:
        book = engine.cache.order_book(mm.instrument_id)
        now = mm.clock.timestamp_ns()
        # Our canceled ask of the level's whole size, its cancel stamped far after any book: a clock ahead.
        mm._closed_in_book[:] = [_ShownUntil(False, ASK, 5.0, now + 3600 * S, now - noted_ago_ns)]
        touch = mm._market_touch(book, float(book.best_bid_price()), float(book.best_bid_size()),
                                 float(book.best_ask_price()), float(book.best_ask_size()))
        assert touch is not None
        return touch[2], touch[3]
    finally:
        engine.dispose()


def test_within_two_seconds_a_closed_order_a_late_book_still_shows_is_taken_out_of_the_touch() -> None:
    assert _market_ask_with_a_closed_order_at_the_touch(noted_ago_ns=S) == (ASK + 0.1, 5.0)


def test_after_two_seconds_of_local_time_a_closed_order_no_longer_counts_whatever_the_books_stamp() -> None:
    assert _market_ask_with_a_closed_order_at_the_touch(noted_ago_ns=3 * S) == (ASK, 5.0)
