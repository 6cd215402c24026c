"""The market's top of book with our own resting orders taken out (mm_strategy/quoting/market_touch.py), and
the book's levels the strategy reads it from (`_levels_near_touch`)."""

from __future__ import annotations

from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from mm_strategy.market_maker import _levels
from mm_strategy.market_maker import _levels_near_touch
from mm_strategy.quoting.market_touch import market_touch
from mm_strategy.quoting.market_touch import own_size_at

TICK = 0.1
HALF_TICK = TICK / 2
HALF_LOT = 0.00005


def test_a_touch_without_our_orders_is_the_books_touch() -> None:
    assert market_touch([(3001.0, 5.0), (3000.0, 5.0)], [(2999.4, 0.0066)], HALF_TICK, HALF_LOT) == (3001.0, 5.0)


def test_a_level_holding_only_our_order_is_skipped_for_the_next() -> None:
    asks = [(3001.2, 0.0066), (3001.4, 0.0133), (3002.0, 5.0)]
    ours = [(3001.2, 0.0066), (3001.4, 0.0133)]
    assert market_touch(asks, ours, HALF_TICK, HALF_LOT) == (3002.0, 5.0)


def test_a_level_we_share_with_others_stays_the_touch_with_only_their_size() -> None:
    price, size = market_touch([(3000.0, 2.5), (2999.0, 5.0)], [(3000.0, 0.5)], HALF_TICK, HALF_LOT)
    assert price == 3000.0 and abs(size - 2.0) < 1e-12


def test_several_of_our_orders_at_one_price_count_together() -> None:
    assert market_touch([(3000.0, 0.3), (2999.0, 5.0)], [(3000.0, 0.1), (3000.0, 0.2)], HALF_TICK, HALF_LOT) == (
        2999.0, 5.0)


def test_a_side_made_only_of_our_orders_has_no_market_touch() -> None:
    assert market_touch([(3001.2, 0.0066)], [(3001.2, 0.0066)], HALF_TICK, HALF_LOT) is None
    assert market_touch([], [], HALF_TICK, HALF_LOT) is None


def test_prices_within_half_a_tick_are_one_price() -> None:
    # 0.1 + 0.2 is not 0.3 in floats: grid prices from different arithmetic must still match.
    assert own_size_at([(0.1 + 0.2, 1.0)], 0.3, 0.005) == 1.0
    assert own_size_at([(0.31, 1.0)], 0.3, 0.005) == 0.0


def _book(bids: list[float], asks: list[float], size: float = 0.5) -> OrderBook:
    """A Nautilus L2 book of ETH-like prices (1 decimal) with `size` at each price."""
    book = OrderBook(InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID"), BookType.L2_MBP)
    for i, (side, prices) in enumerate(((OrderSide.BUY, bids), (OrderSide.SELL, asks))):
        for j, px in enumerate(prices):
            book.add(BookOrder(side, Price(px, 1), Quantity(size, 4), i * 100 + j), 1)
    return book


def test_the_touch_read_from_the_levels_near_our_orders_is_the_one_the_whole_side_gives() -> None:
    bids = [3000.0 - 0.1 * i for i in range(20)]
    asks = [3000.1 + 0.1 * i for i in range(20)]
    book = _book(bids, asks)
    cases = [
        [(3000.0, 0.5)],  # our bid is the whole touch: the next level
        [(3000.0, 0.5), (2999.9, 0.5), (2999.8, 0.2)],  # ours fill two levels and part of a third
        [(2999.5, 0.5)],  # ours deeper than the touch
        [(2999.9, 0.1)],  # the touch is the market's
        [(p, 0.5) for p in bids],  # every level ours: no market touch
    ]
    for own in cases:
        for is_bid in (True, False):
            own_side = own if is_bid else [(round(6000.1 - p, 1), s) for p, s in own]
            full = market_touch(_levels(book.bids() if is_bid else book.asks()), own_side, HALF_TICK, HALF_LOT)
            near = market_touch(_levels_near_touch(book, is_bid, own_side, HALF_TICK, 1, 4), own_side, HALF_TICK, HALF_LOT)
            assert near == full, (is_bid, own_side)
    assert market_touch(_levels_near_touch(book, True, [(3000.0, 0.5)], HALF_TICK, 1, 4), [(3000.0, 0.5)],
                        HALF_TICK, HALF_LOT) == (2999.9, 0.5)
