"""Fixed names, endpoints and exchange texts of the Hyperliquid adapter."""

from __future__ import annotations

from typing import Final

from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import Venue

HYPERLIQUID: Final[str] = "HYPERLIQUID"
HYPERLIQUID_VENUE: Final[Venue] = Venue(HYPERLIQUID)
HYPERLIQUID_CLIENT_ID: Final[ClientId] = ClientId(HYPERLIQUID)

MAINNET_REST_URL: Final[str] = "https://api.hyperliquid.xyz"
TESTNET_REST_URL: Final[str] = "https://api.hyperliquid-testnet.xyz"
NETWORK_REST_URLS: Final[dict[str, str]] = {"mainnet": MAINNET_REST_URL, "testnet": TESTNET_REST_URL}

WS_GREETING: Final[str] = "Websocket connection established."

# Per-IP REST weight (hyperliquid.md, "Rate limits").
IP_WEIGHT_CAP_PER_MINUTE: Final[int] = 1200
INFO_WEIGHT_LIGHT: Final[frozenset[str]] = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus"})
INFO_WEIGHT_LIGHT_VALUE: Final[int] = 2
INFO_WEIGHT_DEFAULT: Final[int] = 20
INFO_WEIGHT_HEAVY: Final[dict[str, int]] = {"userRole": 60}
# The address budget every account starts with before any traded volume.
ADDRESS_INITIAL_REQUEST_CAP: Final[int] = 10_000

# Exchange texts the adapter recognises (prefixes; live replies append " asset=N").
POST_ONLY_WOULD_MATCH: Final[str] = "Post only order would have immediately matched"
ORDER_NEVER_PLACED: Final[str] = "Order was never placed, already canceled, or filled"
SCHEDULE_CANCEL_VOLUME_GATE: Final[str] = "Cannot set scheduled cancel time until enough volume traded"

# Order statuses (orderUpdates / orderStatus) that end an order without a fill.
CANCELED_STATUSES: Final[frozenset[str]] = frozenset(
    {
        "canceled",
        "marginCanceled",
        "selfTradeCanceled",
        "reduceOnlyCanceled",
        "scheduledCancel",
        "siblingFilledCanceled",
        "delistedCanceled",
        "liquidatedCanceled",
        "openInterestCapCanceled",
        "vaultWithdrawalCanceled",
    },
)
# The status of an ALO order that would have crossed (the post-only reject, as a status).
POST_ONLY_REJECTED_STATUS: Final[str] = "badAloPxRejected"
REJECTED_STATUSES: Final[frozenset[str]] = frozenset(
    {"rejected", POST_ONLY_REJECTED_STATUS, "minTradeNtlRejected", "tickRejected", "perpMarginRejected"},
)
