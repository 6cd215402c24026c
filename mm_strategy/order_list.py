"""The MarketMaker's order list: Nautilus's `OrderList`, with a repr that names its orders.

Nautilus's `Cache.add_order_list` formats `f"Added {order_list}"` for a debug line whether or not
debug logging is on, and `OrderList`'s repr formats every order in it in full: ~16 µs for a list of
three on this machine, on every book event that places new orders (bench/order_path.py,
`add_order_list_debug_format_us` against `add_brief_order_list_format_us`). This repr names the
list and its orders' client order ids, which is what a log line needs to find them; everything else
is Nautilus's own.
"""

from __future__ import annotations

from nautilus_trader.model.orders import OrderList


class BriefOrderList(OrderList):
    """An `OrderList` whose repr lists its orders' client order ids, not the orders."""

    __slots__ = ()

    def __repr__(self) -> str:
        ids = ", ".join([o.client_order_id.value for o in self.orders])
        return f"OrderList(id={self.id.value}, instrument_id={self.instrument_id}, orders=[{ids}])"
