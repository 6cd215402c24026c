"""Account-side messages: `orderUpdates`, `userFills`, `clearinghouseState`, `openOrders`, `userRateLimit`.

Numbers arrive as strings (prices, sizes) and are kept as strings until converted with the
instrument's precision; unknown fields are ignored so new exchange fields do not break parsing.
"""

from __future__ import annotations

import msgspec


class BasicOrder(msgspec.Struct, frozen=True):
    """An order as `orderUpdates` and `openOrders` carry it; side "B" = buy, "A" = sell."""

    coin: str
    side: str
    limitPx: str
    sz: str
    oid: int
    timestamp: int
    origSz: str
    cloid: str | None = None
    reduceOnly: bool | None = None
    tif: str | None = None
    orderType: str | None = None


class OrderUpdate(msgspec.Struct, frozen=True):
    order: BasicOrder
    status: str
    statusTimestamp: int


class Fill(msgspec.Struct, frozen=True):
    """One fill; `crossed` false = maker; `fee` negative = rebate; `tid` identifies it."""

    coin: str
    px: str
    sz: str
    side: str
    time: int
    oid: int
    tid: int
    fee: str
    crossed: bool
    startPosition: str = "0"
    dir: str = ""
    closedPnl: str = "0"
    hash: str = ""
    feeToken: str = "USDC"
    cloid: str | None = None
    builderFee: str | None = None


class UserFills(msgspec.Struct, frozen=True):
    user: str
    fills: list[Fill]
    isSnapshot: bool = False


class Leverage(msgspec.Struct, frozen=True):
    type: str = "cross"
    value: int = 1


class Position(msgspec.Struct, frozen=True):
    coin: str
    szi: str
    entryPx: str | None = None
    unrealizedPnl: str = "0"
    positionValue: str = "0"
    marginUsed: str = "0"
    liquidationPx: str | None = None
    leverage: Leverage | None = None


class AssetPosition(msgspec.Struct, frozen=True):
    position: Position
    type: str = "oneWay"


class MarginSummary(msgspec.Struct, frozen=True):
    accountValue: str
    totalMarginUsed: str = "0"
    totalNtlPos: str = "0"
    totalRawUsd: str = "0"


class ClearinghouseState(msgspec.Struct, frozen=True):
    assetPositions: list[AssetPosition]
    marginSummary: MarginSummary
    withdrawable: str = "0"
    crossMarginSummary: MarginSummary | None = None
    crossMaintenanceMarginUsed: str = "0"
    time: int = 0


class UserRateLimit(msgspec.Struct, frozen=True):
    nRequestsUsed: int
    nRequestsCap: int
    cumVlm: str = "0"
    nRequestsSurplus: int = 0


class OrderStatusInfo(msgspec.Struct, frozen=True):
    order: BasicOrder
    status: str
    statusTimestamp: int


class OrderStatusReply(msgspec.Struct, frozen=True):
    """`orderStatus`: `{status:"order", order:{...}}` or `{status:"unknownOid"}`."""

    status: str
    order: OrderStatusInfo | None = None


class RoleData(msgspec.Struct, frozen=True):
    user: str  # the main account an agent acts for


class UserRole(msgspec.Struct, frozen=True):
    """`userRole`: `{role: "missing" | "user" | "vault" | "subAccount"}` or `{role: "agent", data: {user}}`."""

    role: str
    data: RoleData | None = None


ORDER_UPDATES_DECODER = msgspec.json.Decoder(list[OrderUpdate])
USER_FILLS_DECODER = msgspec.json.Decoder(UserFills)
FILLS_DECODER = msgspec.json.Decoder(list[Fill])
CLEARINGHOUSE_DECODER = msgspec.json.Decoder(ClearinghouseState)
OPEN_ORDERS_DECODER = msgspec.json.Decoder(list[BasicOrder])
USER_RATE_LIMIT_DECODER = msgspec.json.Decoder(UserRateLimit)
ORDER_STATUS_DECODER = msgspec.json.Decoder(OrderStatusReply)
USER_ROLE_DECODER = msgspec.json.Decoder(UserRole)
