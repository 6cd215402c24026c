"""Errors raised by the REST client."""

from __future__ import annotations


class HyperliquidHttpError(Exception):
    """The exchange answered with a non-2xx status that is not retried (4xx other than 429)."""

    def __init__(self, status: int, body: str, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}: {body[:300]}")
        self.status = status
        self.body = body
        self.url = url


class HyperliquidEndpointsDown(Exception):
    """Every REST endpoint was refused, timed out or answered 5xx."""


class HyperliquidRateLimited(Exception):
    """HTTP 429 persisted through every backoff retry."""
