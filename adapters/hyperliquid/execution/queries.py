"""The account's records on the exchange (`POST /info`), decoded into their typed schemas.

Every reply is validated by its decoder: a reply of another shape raises `msgspec.ValidationError`
(a `ValueError`) naming the field, never a half-read dict.
"""

from __future__ import annotations

from typing import Any

from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.schemas.info import META_DECODER
from adapters.hyperliquid.schemas.info import Meta
from adapters.hyperliquid.schemas.user import CLEARINGHOUSE_DECODER
from adapters.hyperliquid.schemas.user import FILLS_DECODER
from adapters.hyperliquid.schemas.user import OPEN_ORDERS_DECODER
from adapters.hyperliquid.schemas.user import ORDER_STATUS_DECODER
from adapters.hyperliquid.schemas.user import USER_RATE_LIMIT_DECODER
from adapters.hyperliquid.schemas.user import USER_ROLE_DECODER
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.schemas.user import Fill
from adapters.hyperliquid.schemas.user import OrderStatusInfo
from adapters.hyperliquid.schemas.user import UserRateLimit
from adapters.hyperliquid.schemas.user import UserRole
from adapters.hyperliquid.schemas.ws import WS_INFO_PAYLOAD_DECODER
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient

# `userFillsByTime` answers at most this many fills; only the exchange's 10,000 newest are reachable,
# so a window needs at most 5 full pages (one more for the overlap of the millisecond they share).
FILLS_PER_REPLY = 2000
MAX_FILL_PAGES = 8


class AccountQueries:
    """What the exchange records for one account (`address`, lower-case)."""

    def __init__(self, http: HyperliquidHttpClient, address: str) -> None:
        self.http = http
        self.address = address

    async def order_status(self, key: int | str) -> OrderStatusInfo | None:
        """One order by oid or cloid; None when the exchange keeps no record of it."""
        reply = ORDER_STATUS_DECODER.decode(await self._info({"type": "orderStatus", "oid": key}))
        return reply.order if reply.status == "order" else None

    async def open_orders(self) -> list[BasicOrder]:
        return OPEN_ORDERS_DECODER.decode(await self._info({"type": "openOrders"}))

    async def open_orders_over_ws(self, ws: HyperliquidWebSocketClient, timeout_secs: float) -> list[BasicOrder]:
        """`openOrders` as a WS `info` post (when every REST endpoint is down but the socket is up).

        Raises `WsNotConnected` / `WsPostTimeout`, or `ValueError` for a reply of another shape.
        """
        request = {"type": "openOrders", "user": self.address}
        response = await ws.post("info", request, timeout_secs)
        if response.type != "info":
            raise ValueError(f"openOrders over WS refused: {bytes(response.payload)[:300]!r}")
        return OPEN_ORDERS_DECODER.decode(WS_INFO_PAYLOAD_DECODER.decode(response.payload).data)

    async def frontend_open_orders(self) -> list[BasicOrder]:
        """Open orders with their tif and reduce-only flag (what adopted orders are built from)."""
        return OPEN_ORDERS_DECODER.decode(await self._info({"type": "frontendOpenOrders"}))

    async def fills_since(self, start_ms: int, end_ms: int | None = None) -> list[Fill]:
        """Every fill from `start_ms` (to `end_ms`), oldest first, however many replies that takes.

        `userFillsByTime` answers at most `FILLS_PER_REPLY` fills, the oldest of the window: the next
        page starts at the last one's time (fills of that millisecond come again and are deduped by
        `tid`). Only the exchange's 10,000 newest fills are reachable at all.
        """
        by_tid: dict[int, Fill] = {}
        for _ in range(MAX_FILL_PAGES):
            page = await self._fills_page(start_ms, end_ms)
            new = [f for f in page if f.tid not in by_tid]
            by_tid.update((f.tid, f) for f in new)
            if len(page) < FILLS_PER_REPLY or not new:
                break
            last_ms = max(f.time for f in page)
            # A full page of one millisecond cannot move on by its time: step past it.
            start_ms = last_ms if last_ms > start_ms else start_ms + 1
        return sorted(by_tid.values(), key=lambda f: (f.time, f.tid))

    async def _fills_page(self, start_ms: int, end_ms: int | None) -> list[Fill]:
        request: dict[str, Any] = {"type": "userFillsByTime", "startTime": start_ms}
        if end_ms is not None:
            request["endTime"] = end_ms
        return FILLS_DECODER.decode(await self._info(request))

    async def clearinghouse_state(self) -> ClearinghouseState:
        return CLEARINGHOUSE_DECODER.decode(await self._info({"type": "clearinghouseState"}))

    async def rate_limit(self) -> UserRateLimit:
        return USER_RATE_LIMIT_DECODER.decode(await self._info({"type": "userRateLimit"}))

    async def role(self) -> UserRole:
        """What the exchange knows the address as (for an agent key: whose agent it is)."""
        return USER_ROLE_DECODER.decode(await self._info({"type": "userRole"}))

    async def _info(self, request: dict[str, Any]) -> bytes:
        return await self.http.info({**request, "user": self.address})


async def exchange_meta(http: HyperliquidHttpClient) -> Meta:
    """The perp universe (`meta`): the listed coins, in asset-index order."""
    return META_DECODER.decode(await http.info({"type": "meta"}))
