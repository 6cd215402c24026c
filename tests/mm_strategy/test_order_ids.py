"""The strategy's own order ids: unique, readable, and one order list per book event."""

from __future__ import annotations

import pytest

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.order_ids import OrderIds
from mm_strategy.order_list import BriefOrderList

START_NS = 1_765_401_060_000_000_000  # 2025-12-10T21:11:00Z


def test_ids_carry_the_start_time_the_tags_and_a_count() -> None:
    ids = OrderIds(START_NS, "001", "000")
    assert [ids.next_order().value for _ in range(2)] == ["O-20251210-211100-001-000-1", "O-20251210-211100-001-000-2"]
    assert ids.next_list().value == "OL-20251210-211100-001-000-1"


def test_the_count_starts_past_the_ids_already_held() -> None:
    # A restart within the same second must not hand out an id the cache already holds.
    ids = OrderIds(START_NS, "001", "000", orders_held=7, lists_held=2)
    assert ids.next_order().value.endswith("-8")
    assert ids.next_list().value.endswith("-3")


def test_ids_are_unique_over_many_orders() -> None:
    ids = OrderIds(START_NS, "001", "000")
    assert len({ids.next_order() for _ in range(10_000)}) == 10_000


def test_a_negative_count_of_held_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="orders_held"):
        OrderIds(START_NS, "001", "000", orders_held=-1)


def test_the_first_ladder_goes_out_as_one_order_list_for_both_sides_with_the_strategys_ids() -> None:
    inst = scripted_perp("ETH")
    book = ScriptedBook(inst)
    bids, asks = ladder_book(2999.9, 3000.0, 0.1, 5.0)
    mm = MarketMaker(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=4.0, level_spacing_ticks=2, order_size_usd=20.0,
        max_inventory_usd=150.0,
    ))
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(book.snapshot(0, bids, asks))
    engine.add_strategy(mm)
    engine.run()
    lists = engine.cache.order_lists()
    assert len(lists) == 1
    assert isinstance(lists[0], BriefOrderList)  # its repr, formatted by the cache for every list, is short
    sides = {o.side_string() for o in lists[0].orders}
    assert sides == {"BUY", "SELL"}
    assert {o.client_order_id for o in lists[0].orders} == {o.client_order_id for o in engine.cache.orders()}
    assert all(o.client_order_id.value.startswith("O-19700101-000000-") for o in lists[0].orders)
    engine.dispose()
