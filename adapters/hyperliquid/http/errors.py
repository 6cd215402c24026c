"""Errors raised by the REST client.

Each carries `maybe_delivered`: False only when no attempt can have reached the exchange (every
endpoint refused the connection, or answered 429/4xx), so a signed action certainly was not
applied; True when some attempt may have been processed (timeout or cut after sending, 5xx).
"""

from __future__ import annotations


class HyperliquidHttpError(Exception):
    """The exchange answered with a non-2xx status that is not retried (4xx other than 429)."""

    def __init__(self, status: int, body: str, url: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(f"HTTP {status} from {url}: {body[:300]}")
        self.status = status
        self.body = body
        self.url = url
        self.maybe_delivered = maybe_delivered


class HyperliquidEndpointsDown(Exception):
    """Every REST endpoint was refused, timed out or answered 5xx."""

    def __init__(self, message: str, *, maybe_delivered: bool = True) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class HyperliquidRateLimited(Exception):
    """HTTP 429 persisted through every backoff retry."""

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


# Every failure of a REST request the client reports (each says whether it may have been delivered).
REST_ERRORS = (HyperliquidHttpError, HyperliquidEndpointsDown, HyperliquidRateLimited)
