"""The l2Book differ: snapshots become true deltas, never a CLEAR per message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide

from adapters.hyperliquid.parsing.book_diff import F_LAST
from adapters.hyperliquid.parsing.book_diff import F_SNAPSHOT
from adapters.hyperliquid.parsing.book_diff import L2BookDiffer
from adapters.hyperliquid.parsing.convert import PrecisionError
from adapters.hyperliquid.parsing.instruments import instrument_id_for
from adapters.hyperliquid.schemas.market_data import L2BookData
from adapters.hyperliquid.schemas.market_data import L2Level
from adapters.hyperliquid.schemas.market_data import decode_l2book

IID = instrument_id_for("ETH")


def snap(bids: list[tuple[str, str]], asks: list[tuple[str, str]], time_ms: int = 1_000) -> L2BookData:
    return L2BookData(
        coin="ETH",
        time=time_ms,
        levels=([L2Level(px, sz) for px, sz in bids], [L2Level(px, sz) for px, sz in asks]),
    )


def differ(depth: int = 20) -> L2BookDiffer:
    return L2BookDiffer(IID, price_precision=2, size_precision=4, depth=depth)


def book_levels(book: OrderBook) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    bids = [(lvl.price.as_decimal(), Decimal(str(lvl.size()))) for lvl in book.bids()]
    asks = [(lvl.price.as_decimal(), Decimal(str(lvl.size()))) for lvl in book.asks()]
    return bids, asks


def expected(s: L2BookData) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    return tuple([(Decimal(lv.px), Decimal(lv.sz)) for lv in side] for side in s.levels)  # type: ignore[return-value]


def test_first_snapshot_is_clear_plus_adds_all_flagged_snapshot() -> None:
    d = differ()
    deltas = d.apply(snap([("100.0", "1"), ("99.9", "2")], [("100.1", "3")]), recv_ns=2_000_000_000)
    assert [x.action for x in deltas] == [BookAction.CLEAR, BookAction.ADD, BookAction.ADD, BookAction.ADD]
    assert all(x.flags & F_SNAPSHOT for x in deltas)
    assert [bool(x.flags & F_LAST) for x in deltas] == [False, False, False, True]
    assert [x.order.side for x in deltas[1:]] == [OrderSide.BUY, OrderSide.BUY, OrderSide.SELL]
    assert deltas[1].order.price.precision == 2 and deltas[1].order.size.precision == 4
    assert {x.ts_event for x in deltas} == {1_000_000_000} and {x.ts_init for x in deltas} == {2_000_000_000}


def test_later_snapshot_yields_update_add_delete_and_no_clear() -> None:
    d = differ()
    d.apply(snap([("100.0", "1"), ("99.9", "2")], [("100.1", "3"), ("100.2", "4")]))
    deltas = d.apply(snap([("100.0", "1.5"), ("99.8", "7")], [("100.1", "3"), ("100.2", "4")], 2_000))
    got = [(x.action, x.order.side, str(x.order.price), str(x.order.size)) for x in deltas]
    assert got == [
        (BookAction.DELETE, OrderSide.BUY, "99.90", "2.0000"),
        (BookAction.UPDATE, OrderSide.BUY, "100.00", "1.5000"),
        (BookAction.ADD, OrderSide.BUY, "99.80", "7.0000"),
    ]
    assert [x.flags for x in deltas] == [0, 0, F_LAST]
    assert d.stats.clears == 1 and d.stats.full_snapshots == 1


def test_unchanged_snapshot_produces_no_deltas() -> None:
    d = differ()
    s = snap([("100.0", "1")], [("100.1", "3")])
    d.apply(s)
    assert d.apply(snap([("100.0", "1")], [("100.1", "3")], 2_000)) == []
    assert d.stats.unchanged == 1 and d.stats.snapshots == 2


def test_levels_pushed_out_of_a_full_window_count_as_left_the_window() -> None:
    d = differ(depth=3)
    d.apply(
        snap([("100.0", "1"), ("99.0", "1"), ("98.0", "1")], [("101.0", "1"), ("102.0", "1"), ("103.0", "1")])
    )
    # Two better bids arrive: the window still shows 3 bids, so 99 and 98 fell beyond its worst (99.5).
    # On the ask side 102 disappears inside the window (worst shown 104) and 103 stays.
    deltas = d.apply(
        snap(
            [("100.5", "1"), ("100.0", "1"), ("99.5", "1")],
            [("101.0", "1"), ("103.0", "1"), ("104.0", "1")],
            2_000,
        )
    )
    deletes = [(x.order.side, str(x.order.price)) for x in deltas if x.action == BookAction.DELETE]
    assert sorted(deletes) == [(OrderSide.BUY, "98.00"), (OrderSide.BUY, "99.00"), (OrderSide.SELL, "102.00")]
    assert d.stats.left_window == 2
    assert d.stats.vanished_in_window == 1


def test_level_missing_from_a_thin_side_counts_as_vanished_even_beyond_the_worst_price() -> None:
    d = differ(depth=3)
    d.apply(snap([("100.0", "1"), ("99.0", "1")], [("101.0", "1")]))
    d.apply(snap([("100.0", "1")], [("101.0", "1")], 2_000))  # one bid shown: the whole side is visible
    assert d.stats.vanished_in_window == 1 and d.stats.left_window == 0


def test_empty_side_deletes_every_level_of_that_side() -> None:
    d = differ()
    d.apply(snap([("100.0", "1"), ("99.0", "1")], [("101.0", "1")]))
    deltas = d.apply(snap([], [("101.0", "1")], 2_000))
    assert [x.action for x in deltas] == [BookAction.DELETE, BookAction.DELETE]
    assert deltas[-1].flags == F_LAST


def test_reset_makes_the_next_snapshot_a_fresh_flagged_snapshot() -> None:
    d = differ()
    d.apply(snap([("100.0", "1")], [("101.0", "1")]))
    d.reset()
    deltas = d.apply(snap([("100.0", "1")], [("101.0", "1")], 2_000))
    assert deltas[0].action == BookAction.CLEAR and deltas[0].flags == F_SNAPSHOT
    assert all(x.flags & F_SNAPSHOT for x in deltas) and deltas[-1].flags == F_SNAPSHOT | F_LAST
    assert d.stats.clears == 2


def test_first_snapshot_of_an_empty_book_is_a_lone_flagged_clear() -> None:
    deltas = differ().apply(snap([], []))
    assert len(deltas) == 1
    assert deltas[0].action == BookAction.CLEAR and deltas[0].flags == F_SNAPSHOT | F_LAST


def test_crossed_snapshot_is_applied_as_given_and_counted() -> None:
    d = differ()
    d.apply(snap([("100.0", "1")], [("101.0", "1")]))
    d.apply(snap([("101.5", "1")], [("101.0", "1")], 2_000))
    assert d.stats.crossed == 1
    assert d.levels() == ({"101.5": "1"}, {"101.0": "1"})


def test_receive_time_before_exchange_time_is_raised_to_exchange_time() -> None:
    deltas = differ().apply(snap([("100.0", "1")], [], time_ms=5_000), recv_ns=4_000_000_000)
    assert {x.ts_init for x in deltas} == {5_000_000_000}


def test_invalid_snapshot_raises_and_leaves_the_book_as_it_was() -> None:
    d = differ()
    d.apply(snap([("100.0", "1")], [("101.0", "1")]))
    with pytest.raises(ValueError, match="size"):
        d.apply(snap([("100.0", "0")], [("101.0", "1")], 2_000))  # UPDATE to a zero size is refused
    assert d.levels() == ({"100.0": "1"}, {"101.0": "1"})
    with pytest.raises(PrecisionError, match=r"size '1\.00001'"):
        d.apply(snap([("100.0", "1.00001")], [("101.0", "1")], 3_000))
    assert d.levels() == ({"100.0": "1"}, {"101.0": "1"})


def test_trailing_zeros_do_not_count_as_extra_decimals() -> None:
    deltas = differ().apply(snap([("100.000", "1.00000")], []))
    assert str(deltas[1].order.price) == "100.00"


def test_replaying_deltas_rebuilds_each_snapshot_exactly() -> None:
    snapshots = [
        snap([("100.0", "1"), ("99.0", "2")], [("101.0", "1")]),
        snap([("100.0", "1"), ("99.0", "3")], [("101.0", "1"), ("102.0", "5")], 2_000),
        snap([("99.5", "1")], [("100.5", "1"), ("101.0", "2")], 3_000),
        snap([("99.5", "1")], [("100.5", "1"), ("101.0", "2")], 4_000),
        snap([], [], 5_000),
        snap([("98.0", "4")], [("99.0", "4")], 6_000),
    ]
    d = differ()
    book = OrderBook(IID, BookType.L2_MBP)
    for s in snapshots:
        for delta in d.apply(s):
            book.apply_delta(delta)
        assert book_levels(book) == expected(s)


def test_decodes_l2book_without_order_counts() -> None:
    raw = b'{"coin":"ETH","time":1,"levels":[[{"px":"1.0","sz":"2"}],[{"px":"1.1","sz":"3","n":4}]]}'
    book = decode_l2book(raw)
    assert book.levels[0][0].n is None and book.levels[1][0].n == 4


def test_snapshot_repeating_a_price_is_refused() -> None:
    d = differ()
    d.apply(snap([("100.0", "1")], [("101.0", "1")]))
    with pytest.raises(ValueError, match="repeats a price"):
        d.apply(snap([("100.0", "1"), ("100.0", "2")], [("101.0", "1")], 2_000))
    assert d.levels() == ({"100.0": "1"}, {"101.0": "1"})
