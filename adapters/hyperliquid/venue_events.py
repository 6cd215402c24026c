"""Venue-health messages the adapter publishes on the Nautilus message bus for the risk actors.

The adapter never calls the strategy: it publishes these on the topics below and the
`RiskGuard` actor (or anything else) subscribes with `msgbus.subscribe(topic, handler)`.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPIC_VENUE_HALT = "hyperliquid.venue.halt"
TOPIC_VENUE_RESUME = "hyperliquid.venue.resume"
TOPIC_MARKET_DATA_STALL = "hyperliquid.venue.stall"
TOPIC_RATE_LIMIT = "hyperliquid.venue.rate_limit"


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
    """No market data for `silent_ms` while the socket stays open (the chain may have stopped)."""

    coin: str | None  # None: every subscribed coin is silent
    silent_ms: int
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
