"""One book event's modifies as one signed request.

Nautilus has a list command for new orders (`SubmitOrderList`) and a batch command for cancels
(`BatchCancelOrders`), but none for modifies: a strategy re-quoting three levels sends three
`ModifyOrder`s. Hyperliquid's `batchModify` takes a list, so the client holds the modifies that
reach it in one turn of the event loop and sends them as one action. The engines hand one book
event's commands to the client back to back, in one turn (their queues drain without yielding),
so a flush scheduled with `call_soon` runs right after the last of them; any other command flushes
first, so the actions reach the exchange in the order the strategy issued them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.model.identifiers import ClientOrderId


class ActionBatch:
    """Modifies waiting for the end of the loop turn; `flush` hands them on as one list."""

    __slots__ = ("_loop", "_pending", "_send", "batches_sent")

    def __init__(self, loop: asyncio.AbstractEventLoop, send_modifies: Callable[[list[ModifyOrder]], None]) -> None:
        self._loop = loop
        self._send = send_modifies
        # By order: a second modify of one order in the same turn (two book events handled back to
        # back) replaces the first, which never left. Two entries for one oid in a batchModify would
        # have the second refused, the order's modify reported rejected though it took effect.
        # Replacing assumes each modify carries the whole target (price and quantity), as the
        # MarketMaker's do; a later price-only modify would drop an earlier quantity change.
        self._pending: dict[ClientOrderId, ModifyOrder] = {}
        self.batches_sent = 0

    def add_modify(self, command: ModifyOrder) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending[command.client_order_id] = command

    def flush(self) -> None:
        """Send what is pending (nothing: a no-op, e.g. the scheduled flush after an early one)."""
        if not self._pending:
            return
        pending, self._pending = list(self._pending.values()), {}
        self.batches_sent += 1
        self._send(pending)
