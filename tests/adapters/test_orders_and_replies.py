"""Order wires, cloids and exchange replies (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nautilus_trader.core import nautilus_pyo3
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import LimitOrder

from adapters.hyperliquid.common.cloids import CloidRegistry
from adapters.hyperliquid.common.cloids import cloid_for
from adapters.hyperliquid.parsing.instruments import perp_instrument
from adapters.hyperliquid.parsing.order_wires import UnsupportedOrder
from adapters.hyperliquid.parsing.order_wires import wire_for_order
from adapters.hyperliquid.parsing.replies import parse_action_reply

ETH = perp_instrument("ETH", 4, asset_index=1)


def _limit(
    side: OrderSide,
    px: str,
    qty: str = "0.0100",
    post_only: bool = True,
    tif: TimeInForce = TimeInForce.GTC,
    reduce_only: bool = False,
) -> LimitOrder:
    return LimitOrder(
        trader_id=TraderId("T-1"),
        strategy_id=StrategyId("S-1"),
        instrument_id=ETH.id,
        client_order_id=ClientOrderId("O-1"),
        order_side=side,
        quantity=Quantity.from_str(qty),
        price=Price.from_str(px),
        init_id=UUID4(),
        ts_init=0,
        time_in_force=tif,
        post_only=post_only,
        reduce_only=reduce_only,
    )


def test_cloid_is_the_same_as_nautilus_own_derivation() -> None:
    for coid in ("O-20250101-000000-001-001-1", "O-1", "x" * 36):
        expected = nautilus_pyo3.hyperliquid_cloid_from_client_order_id(nautilus_pyo3.ClientOrderId(coid))
        assert cloid_for(ClientOrderId(coid)) == expected


def test_registry_maps_cloid_and_oid_back_to_the_client_order_id() -> None:
    reg = CloidRegistry()
    coid = ClientOrderId("O-7")
    cloid = reg.register(coid)
    reg.bind_oid(99, coid)
    assert reg.by_cloid(cloid.upper().replace("0X", "0x")) == coid
    assert reg.resolve(12345, cloid) == coid
    assert reg.resolve(99, None) == coid


def test_post_only_buy_becomes_alo_with_price_rounded_down_to_five_significant_figures() -> None:
    wire = wire_for_order(_limit(OrderSide.BUY, "3331.67"), ETH, "0x" + "0" * 32)
    assert wire == {
        "a": 1, "b": True, "p": "3331.6", "s": "0.01", "r": False,
        "t": {"limit": {"tif": "Alo"}}, "c": "0x" + "0" * 32,
    }


def test_sell_prices_round_up_and_ioc_reduce_only_is_kept() -> None:
    order = _limit(OrderSide.SELL, "3331.61", post_only=False, tif=TimeInForce.IOC, reduce_only=True)
    wire = wire_for_order(order, ETH, None)
    assert wire["p"] == "3331.7" and wire["t"] == {"limit": {"tif": "Ioc"}} and wire["r"] is True
    assert "c" not in wire


def test_modify_uses_the_new_price_and_size() -> None:
    wire = wire_for_order(_limit(OrderSide.BUY, "3300.0"), ETH, None, price=Decimal("3290.5"), quantity=Decimal("0.02"))
    assert (wire["p"], wire["s"]) == ("3290.5", "0.02")


def test_wire_sizes_are_floored_to_sz_decimals_and_prices_capped_at_six_minus_sz_decimals() -> None:
    order = _limit(OrderSide.BUY, "3300.0")
    # szDecimals 4: a size is floored (never rounded up past what was asked) to 4 decimals.
    assert wire_for_order(order, ETH, None, quantity=Decimal("0.01239"))["s"] == "0.0123"
    # At most 6 − 4 = 2 decimals even where 5 significant figures would allow 3 (a bid rounds down,
    # an ask up); an integer price is always valid.
    assert wire_for_order(order, ETH, None, price=Decimal("12.3456"))["p"] == "12.34"
    sell = _limit(OrderSide.SELL, "3300.0")
    assert wire_for_order(sell, ETH, None, price=Decimal("12.3412"))["p"] == "12.35"
    assert wire_for_order(order, ETH, None, price=Decimal("123456"))["p"] == "123456"
    with pytest.raises(UnsupportedOrder, match="rounds to zero"):
        wire_for_order(order, ETH, None, quantity=Decimal("0.00009"))


def test_fok_and_post_only_ioc_are_refused() -> None:
    with pytest.raises(UnsupportedOrder):
        wire_for_order(_limit(OrderSide.BUY, "3300.0", post_only=False, tif=TimeInForce.FOK), ETH, None)


def test_order_reply_gives_one_outcome_per_order_and_flags_post_only_crosses() -> None:
    raw = (
        b'{"status":"ok","response":{"type":"order","data":{"statuses":['
        b'{"resting":{"oid":11}},{"filled":{"totalSz":"0.1","avgPx":"3300.0","oid":12}},'
        b'{"error":"Post only order would have immediately matched, bbo was 3300.0@3300.1. asset=1"},'
        b'{"error":"Order must have minimum value of $10."}]}}}'
    )
    resting, filled, cross, small = parse_action_reply(raw, 4)
    assert (resting.kind, resting.oid) == ("resting", 11)
    assert (filled.kind, filled.oid, filled.avg_px) == ("filled", 12, "3300.0")
    assert cross.due_post_only and not small.due_post_only
    assert small.text == "Order must have minimum value of $10."


def test_whole_request_error_fails_every_entry_with_the_exchange_text() -> None:
    outcomes = parse_action_reply(b'{"status":"err","response":"User or API Wallet 0xabc does not exist."}', 2)
    assert [o.text for o in outcomes] == ["User or API Wallet 0xabc does not exist."] * 2
    assert not any(o.ok for o in outcomes)
    assert all(o.action_refused for o in outcomes)


def test_cancel_and_default_replies_are_successes() -> None:
    (a, b) = parse_action_reply(
        b'{"status":"ok","response":{"type":"cancel","data":{"statuses":["success",'
        b'{"error":"Order was never placed, already canceled, or filled. asset=1"}]}}}',
        2,
    )
    assert a.ok and not b.ok
    assert not b.action_refused  # one entry failed, not the action
    (d,) = parse_action_reply(b'{"status":"ok","response":{"type":"default"}}', 1)
    assert d.ok
