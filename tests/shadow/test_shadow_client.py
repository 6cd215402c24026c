"""The shadow execution client inside real Nautilus engines: virtual orders, queue fills, fees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.events import OrderFilled

from tests.shadow.shadow_kit import ShadowKit

BUY, SELL = OrderSide.BUY, OrderSide.SELL


@pytest.fixture
def kit() -> Iterator[ShadowKit]:
    kit = ShadowKit(latency_ms=5.0)
    kit.book([(3000.0, 2.0), (2999.9, 5.0)], [(3000.1, 1.0), (3000.2, 4.0)], snapshot=True)
    yield kit
    kit.close()


def fills_of(kit: ShadowKit, order) -> list[OrderFilled]:
    return [e for e in kit.cache.order(order.client_order_id).events if isinstance(e, OrderFilled)]


def test_account_is_registered_with_the_starting_balance(kit: ShadowKit) -> None:
    account = kit.cache.account(kit.client.account_id)
    assert account is not None
    assert float(account.balance_total()) == 10_000.0


def test_post_only_order_rests_and_is_accepted_after_the_latency(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.0, 0.5)
    kit.run(0.001)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.SUBMITTED
    kit.run(0.05)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.ACCEPTED


def test_crossing_post_only_order_is_rejected_like_the_venue(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.1, 0.5)
    kit.run(0.05)
    cached = kit.cache.order(order.client_order_id)
    assert cached.status == OrderStatus.REJECTED
    assert "Post only order would have immediately matched" in cached.events[-1].reason
    assert kit.client.post_only_rejects == 1


def test_order_fills_only_after_the_size_ahead_traded_with_the_maker_fee(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.0, 0.5)
    kit.run(0.05)
    kit.trade(3000.0, 1.5, AggressorSide.SELLER)  # 2.0 ahead: not yet
    kit.run(0.02)
    assert fills_of(kit, order) == []
    kit.trade(3000.0, 0.8, AggressorSide.SELLER)  # 0.3 past us
    kit.run(0.02)
    fills = fills_of(kit, order)
    assert [float(f.last_qty) for f in fills] == [0.3]
    assert fills[0].liquidity_side == LiquiditySide.MAKER
    assert float(fills[0].last_px) == 3000.0
    assert float(fills[0].commission) == pytest.approx(0.3 * 3000.0 * 0.00015, abs=0.01)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.PARTIALLY_FILLED


def test_book_moving_through_the_order_fills_it_and_updates_the_position(kit: ShadowKit) -> None:
    order = kit.submit_limit(SELL, 3000.2, 0.4)
    kit.run(0.05)
    kit.book([(3000.0, 0), (3000.2, 3.0)], [(3000.1, 0), (3000.2, 0), (3000.3, 2.0)])
    kit.run(0.02)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.FILLED
    position = kit.cache.positions_open()[0]
    assert float(position.signed_qty) == -0.4


def test_cancel_removes_the_virtual_order(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.0, 0.5)
    kit.run(0.05)
    kit.cancel(kit.cache.order(order.client_order_id))
    kit.run(0.05)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.CANCELED
    kit.trade(2999.0, 10.0, AggressorSide.SELLER)
    kit.run(0.02)
    assert fills_of(kit, order) == []


def test_modify_moves_the_order_to_the_back_of_the_new_level(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.0, 0.5)
    kit.run(0.05)
    kit.modify(kit.cache.order(order.client_order_id), 2999.9)
    kit.run(0.05)
    cached = kit.cache.order(order.client_order_id)
    assert float(cached.price) == 2999.9
    kit.trade(2999.9, 5.0, AggressorSide.SELLER)  # exactly the 5.0 ahead
    kit.run(0.02)
    assert fills_of(kit, order) == []
    kit.trade(2999.9, 0.5, AggressorSide.SELLER)
    kit.run(0.02)
    assert kit.cache.order(order.client_order_id).status == OrderStatus.FILLED


def test_non_post_only_limit_takes_displayed_liquidity_as_taker(kit: ShadowKit) -> None:
    order = kit.submit_limit(BUY, 3000.2, 2.0, post_only=False)
    kit.run(0.05)
    fills = fills_of(kit, order)
    assert [(float(f.last_px), float(f.last_qty)) for f in fills] == [(3000.1, 1.0), (3000.2, 1.0)]
    assert all(f.liquidity_side == LiquiditySide.TAKER for f in fills)


def test_cancel_all_cancels_every_resting_order_of_the_side_asked(kit: ShadowKit) -> None:
    bids = [kit.submit_limit(BUY, 3000.0, 0.5), kit.submit_limit(BUY, 2999.9, 0.5)]
    ask = kit.submit_limit(SELL, 3000.2, 0.5)
    kit.run(0.05)
    kit.cancel_all(BUY)
    kit.run(0.05)
    assert [kit.cache.order(o.client_order_id).status for o in bids] == [OrderStatus.CANCELED] * 2
    assert kit.cache.order(ask.client_order_id).status == OrderStatus.ACCEPTED
    kit.cancel_all()
    kit.run(0.05)
    assert kit.cache.order(ask.client_order_id).status == OrderStatus.CANCELED


def test_an_order_placed_beyond_the_displayed_book_waits_behind_the_size_shown_later(kit: ShadowKit) -> None:
    # the book shows two levels a side: 2999.5 is beyond it, so the queue ahead is unknown
    order = kit.submit_limit(BUY, 2999.5, 0.5)
    kit.run(0.05)
    kit.trade(2999.5, 1.0, AggressorSide.SELLER)
    kit.run(0.02)
    assert fills_of(kit, order) == []
    kit.book([(3000.0, 0), (2999.6, 1.0), (2999.5, 3.0)], [])  # the level shows up: 3.0 ahead
    kit.run(0.02)
    kit.trade(2999.5, 3.2, AggressorSide.SELLER)
    kit.run(0.02)
    assert [round(float(f.last_qty), 4) for f in fills_of(kit, order)] == [0.2]
