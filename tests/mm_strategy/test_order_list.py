"""The MarketMaker's order list: Nautilus's, with a repr that names its orders instead of formatting them."""

from __future__ import annotations

from nautilus_trader.common.component import TestClock
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import OrderListId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import OrderList
from nautilus_trader.test_kit.stubs.identifiers import TestIdStubs

from mm_strategy.order_list import BriefOrderList

ETH = InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID")


def _orders(n: int) -> list:
    factory = OrderFactory(TestIdStubs.trader_id(), TestIdStubs.strategy_id(), TestClock())
    return [factory.limit(ETH, OrderSide.BUY, Quantity.from_str("0.0100"), Price.from_str(f"{3000 - i}.0"), post_only=True)
            for i in range(n)]


def test_its_repr_names_the_list_the_instrument_and_each_orders_client_order_id() -> None:
    orders = _orders(3)
    text = repr(BriefOrderList(OrderListId("OL-1"), orders))
    ids = ", ".join(o.client_order_id.value for o in orders)
    assert text == f"OrderList(id=OL-1, instrument_id=ETH-USD-PERP.HYPERLIQUID, orders=[{ids}])"
    assert f"{BriefOrderList(OrderListId('OL-2'), orders)}".startswith("OrderList(id=OL-2")


def test_its_repr_leaves_out_what_nautilus_formats_for_each_order() -> None:
    orders = _orders(3)
    assert "status=INITIALIZED" in repr(OrderList(OrderListId("OL-1"), orders))
    assert "status=" not in repr(BriefOrderList(OrderListId("OL-1"), orders))


def test_it_is_a_nautilus_order_list_with_the_same_orders() -> None:
    orders = _orders(2)
    brief = BriefOrderList(OrderListId("OL-1"), orders)
    assert isinstance(brief, OrderList)
    assert brief.orders == orders
    assert brief.first is orders[0]
    assert brief.instrument_id == ETH
