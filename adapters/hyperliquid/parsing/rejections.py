"""Why the exchange refused an order or an action: its reason text (or order status) → a small set of kinds.

The exchange's texts are matched by the phrase they contain, not their whole text: live replies append
" asset=N", and the node's own reasons quote them (e.g. "WS post error: b'...User or API Wallet...'").
The kinds decide what a repetition means (`ACCOUNT_REFUSALS`: the account cannot trade at all).
"""

from __future__ import annotations

import enum
import re

from adapters.hyperliquid.common.constants import ORDER_NEVER_PLACED
from adapters.hyperliquid.common.constants import POST_ONLY_REJECTED_STATUS
from adapters.hyperliquid.common.constants import POST_ONLY_WOULD_MATCH


class RejectionKind(enum.StrEnum):
    UNKNOWN_SIGNER = "unknown_signer"  # the agent key is not (or no longer) approved for any account
    ADDRESS_BUDGET = "address_budget"  # the address request budget is used up
    INSUFFICIENT_MARGIN = "insufficient_margin"
    PRICE_RULE = "price_rule"  # tick size / significant figures / invalid price
    MIN_VALUE = "min_value"  # px × sz below the $10 minimum
    INVALID_SIZE = "invalid_size"
    POST_ONLY_CROSS = "post_only_cross"  # an ALO order that would have taken liquidity
    REDUCE_ONLY = "reduce_only"
    OPEN_ORDER_LIMIT = "open_order_limit"
    NONCE = "nonce"
    ORDER_GONE = "order_gone"  # a modify or cancel of an order that had just filled or been canceled
    NOT_DELIVERED = "not_delivered"  # the node's own: the exchange did not get (or answer) the request
    OTHER = "other"


# Account-wide refusals: while they last, no action of the account can succeed.
ACCOUNT_REFUSALS: frozenset[RejectionKind] = frozenset({RejectionKind.UNKNOWN_SIGNER, RejectionKind.ADDRESS_BUDGET})

# (phrase, kind), first match wins: exchange texts and order statuses before the node's own wrappers.
_PHRASES: tuple[tuple[str, RejectionKind], ...] = (
    ("User or API Wallet", RejectionKind.UNKNOWN_SIGNER),  # "User or API Wallet 0x... does not exist."
    ("Too many cumulative requests", RejectionKind.ADDRESS_BUDGET),
    ("Insufficient margin", RejectionKind.INSUFFICIENT_MARGIN),
    ("perpMarginRejected", RejectionKind.INSUFFICIENT_MARGIN),
    ("divisible by tick size", RejectionKind.PRICE_RULE),
    ("tickRejected", RejectionKind.PRICE_RULE),
    ("Order has invalid price", RejectionKind.PRICE_RULE),
    ("minimum value", RejectionKind.MIN_VALUE),
    ("minTradeNtlRejected", RejectionKind.MIN_VALUE),
    ("Order has invalid size", RejectionKind.INVALID_SIZE),
    ("Order has zero size", RejectionKind.INVALID_SIZE),
    (POST_ONLY_WOULD_MATCH, RejectionKind.POST_ONLY_CROSS),
    (POST_ONLY_REJECTED_STATUS, RejectionKind.POST_ONLY_CROSS),
    ("Reduce only order would increase position", RejectionKind.REDUCE_ONLY),
    ("Too many open orders", RejectionKind.OPEN_ORDER_LIMIT),
    ("Invalid nonce", RejectionKind.NONCE),
    ("Cannot modify canceled or filled order", RejectionKind.ORDER_GONE),
    (ORDER_NEVER_PLACED, RejectionKind.ORDER_GONE),
    ("the exchange did not receive it", RejectionKind.NOT_DELIVERED),
    ("outcome unknown", RejectionKind.NOT_DELIVERED),
)


def classify_rejection(reason: str) -> RejectionKind:
    """The kind of a rejection reason (an exchange text, an order status or the node's own reason)."""
    for phrase, kind in _PHRASES:
        if phrase in reason:
            return kind
    return RejectionKind.OTHER


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def recovered_signer(reason: str) -> str | None:
    """The address an unknown-signer refusal names: the one the exchange recovered from the action's
    signature ("User or API Wallet 0x... does not exist."); None when the text names none."""
    if classify_rejection(reason) is not RejectionKind.UNKNOWN_SIGNER:
        return None
    found = _ADDRESS.search(reason)
    return found.group(0) if found else None
