"""Nautilus orders → Hyperliquid order wires (pure functions, no engine).

Prices are normalised to the exchange's rule (5 significant figures, ≤ 6 − szDecimals decimals),
rounded away from the market (bids down, asks up) so a post-only order never becomes more
aggressive than asked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.prices import round_price_to_hl
from adapters.hyperliquid.common.prices import round_size_to_hl
from adapters.hyperliquid.signing import Tif
from adapters.hyperliquid.signing import order_wire


class UnsupportedOrder(ValueError):
    """An order the adapter cannot express on Hyperliquid (the text becomes the denial reason)."""


def asset_of(instrument: Instrument) -> int:
    asset = instrument.info.get("asset") if instrument.info else None
    if not isinstance(asset, int):
        raise UnsupportedOrder(f"{instrument.id}: no asset index (instrument not loaded from meta)")
    return asset


def sz_decimals_of(instrument: Instrument) -> int:
    return instrument.size_precision


def tif_for(order: Order) -> Tif:
    """ALO for post-only, else GTC or IOC from the time in force."""
    if order.order_type != OrderType.LIMIT:
        raise UnsupportedOrder(f"only LIMIT orders are supported, got {order.order_type.name}")
    if order.is_post_only:
        if order.time_in_force != TimeInForce.GTC:
            raise UnsupportedOrder("post-only orders must be GTC")
        return "Alo"
    if order.time_in_force == TimeInForce.GTC:
        return "Gtc"
    if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        if order.time_in_force == TimeInForce.FOK:
            raise UnsupportedOrder("FOK is not supported by Hyperliquid (use IOC)")
        return "Ioc"
    raise UnsupportedOrder(f"time in force {order.time_in_force.name} is not supported")


def normalised_price(price: Decimal, side: OrderSide, sz_decimals: int) -> Decimal:
    return round_price_to_hl(price, sz_decimals, "down" if side == OrderSide.BUY else "up")


def wire_for_order(
    order: Order,
    instrument: Instrument,
    cloid: str | None,
    *,
    price: Decimal | None = None,
    quantity: Decimal | None = None,
) -> dict[str, Any]:
    """The order wire for `order` (optionally with a new price/quantity, for a modify)."""
    tif = tif_for(order)
    sz_dec = sz_decimals_of(instrument)
    px = normalised_price(price if price is not None else order.price.as_decimal(), order.side, sz_dec)
    sz = round_size_to_hl(quantity if quantity is not None else order.quantity.as_decimal(), sz_dec)
    if sz <= 0:
        raise UnsupportedOrder(f"size rounds to zero at {sz_dec} decimals")
    return order_wire(
        asset_of(instrument),
        order.side == OrderSide.BUY,
        float(px),
        float(sz),
        order.is_reduce_only,
        tif,
        cloid,
    )
