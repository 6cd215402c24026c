"""The account's records on the exchange (`POST /info`), decoded into their typed schemas.

Every reply is validated by its decoder: a reply of another shape raises `msgspec.ValidationError`
(a `ValueError`) naming the field, never a half-read dict.
"""

from __future__ import annotations

from typing import Any

from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.schemas.user import CLEARINGHOUSE_DECODER
from adapters.hyperliquid.schemas.user import FILLS_DECODER
from adapters.hyperliquid.schemas.user import OPEN_ORDERS_DECODER
from adapters.hyperliquid.schemas.user import ORDER_STATUS_DECODER
from adapters.hyperliquid.schemas.user import USER_RATE_LIMIT_DECODER
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.schemas.user import Fill
from adapters.hyperliquid.schemas.user import OrderStatusInfo
from adapters.hyperliquid.schemas.user import UserRateLimit


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

    async def frontend_open_orders(self) -> list[BasicOrder]:
        """Open orders with their tif and reduce-only flag (what adopted orders are built from)."""
        return OPEN_ORDERS_DECODER.decode(await self._info({"type": "frontendOpenOrders"}))

    async def fills_since(self, start_ms: int, end_ms: int | None = None) -> list[Fill]:
        request: dict[str, Any] = {"type": "userFillsByTime", "startTime": start_ms}
        if end_ms is not None:
            request["endTime"] = end_ms
        return FILLS_DECODER.decode(await self._info(request))

    async def clearinghouse_state(self) -> ClearinghouseState:
        return CLEARINGHOUSE_DECODER.decode(await self._info({"type": "clearinghouseState"}))

    async def rate_limit(self) -> UserRateLimit:
        return USER_RATE_LIMIT_DECODER.decode(await self._info({"type": "userRateLimit"}))

    async def _info(self, request: dict[str, Any]) -> bytes:
        return await self.http.info({**request, "user": self.address})
