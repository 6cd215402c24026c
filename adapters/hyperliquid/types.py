"""Venue-health messages the adapter publishes on the Nautilus message bus for the risk actors.

The adapter never calls the strategy: it publishes these on the topics below and the
`RiskGuard` actor (or anything else) subscribes with `msgbus.subscribe(topic, handler)`.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPIC_VENUE_HALT = "hyperliquid.venue.halt"
TOPIC_VENUE_RESUME = "hyperliquid.venue.resume"
TOPIC_MARKET_DATA_STALL = "hyperliquid.venue.stall"
TOPIC_MARKET_DATA_RESUMED = "hyperliquid.venue.data_resumed"
TOPIC_RATE_LIMIT = "hyperliquid.venue.rate_limit"
TOPIC_ORDER_REJECTIONS = "hyperliquid.venue.order_rejections"
TOPIC_TRADING_REFUSED = "hyperliquid.venue.trading_refused"
TOPIC_POSITION_MISMATCH = "hyperliquid.venue.position_mismatch"


@dataclass(frozen=True, slots=True)
class VenueHalt:
    """Stop quoting now: the user stream is down, or state is being reconciled."""

    reason: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class VenueResume:
    """State has been reconciled against the exchange: quoting may start again."""

    reason: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class MarketDataStall:
    """
    Market data cannot be trusted: nothing for `silent_ms` on an open socket (the chain may have
    stopped), or the market-data socket dropped (`coin=None`, `silent_ms` since the last message).
    Lasts until a `MarketDataResumed` for the coin (or `coin=None`).
    """

    coin: str | None  # None: every subscribed coin is silent
    silent_ms: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class MarketDataResumed:
    """
    Data flows again after a `MarketDataStall`: the coin's book is valid again (a fresh book
    arrived; after a reconnect that is the F_SNAPSHOT rebuild). `coin=None`: every watched coin
    is back (published after the per-coin ones, and only after an all-coins stall).
    """

    coin: str | None
    ts_ns: int


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """Address action budget and IP weight as the adapter counts them."""

    address_requests_used: int
    address_requests_cap: int
    ip_weight_used_last_minute: int
    ip_weight_cap_per_minute: int
    ts_ns: int

    @property
    def address_budget_left(self) -> int:
        return self.address_requests_cap - self.address_requests_used


@dataclass(frozen=True, slots=True)
class OrderRejections:
    """
    The exchange rejected `count` orders (or modifies) of `instrument_id` for the same reason `kind`
    (a `RejectionKind` value, e.g. "insufficient_margin") within `window_secs`: sending more of the
    same is unlikely to help. Published each time another `count` pile up within the window.
    """

    instrument_id: str
    kind: str
    count: int
    window_secs: float
    last_reason: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class TradingRefused:
    """
    The exchange refuses every action of the account as a whole (`kind`: the agent key is not known
    to it, or the address budget is used up), repeatedly: the node cannot trade and should stop.
    Published once. `signed_for_another_network`: the signer the exchange recovered is not the
    node's agent, so the actions are signed for another chain (a setting to fix, not a fault to
    wait out).
    """

    kind: str
    reason: str
    count: int
    ts_ns: int
    signed_for_another_network: bool = False


@dataclass(frozen=True, slots=True)
class PositionMismatch:
    """
    The node's net position on `coin` is not the exchange's (`cached` against `exchange`, decimal
    strings), found after a reconnect's catch-up and still so when checked again: quoting goes on
    from a wrong inventory. The node cannot tell which fills it lacks or has twice; a restart's
    reconciliation takes the exchange's position. Published once per coin.
    """

    coin: str
    cached: str
    exchange: str
    ts_ns: int
