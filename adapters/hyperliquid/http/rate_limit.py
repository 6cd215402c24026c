"""Counting the IP weight (per minute) and the address action budget, as the governor needs them.

The exchange keeps the real counters; these are the adapter's own estimates, seeded from
`userRateLimit` and advanced by every request it sends.
"""

from __future__ import annotations

from collections import deque

from adapters.hyperliquid.common.constants import ADDRESS_INITIAL_REQUEST_CAP
from adapters.hyperliquid.common.constants import INFO_WEIGHT_DEFAULT
from adapters.hyperliquid.common.constants import INFO_WEIGHT_HEAVY
from adapters.hyperliquid.common.constants import INFO_WEIGHT_LIGHT
from adapters.hyperliquid.common.constants import INFO_WEIGHT_LIGHT_VALUE
from adapters.hyperliquid.common.constants import IP_WEIGHT_CAP_PER_MINUTE
from adapters.hyperliquid.types import RateLimitStatus

_MINUTE_NS = 60_000_000_000


def info_weight(request_type: str) -> int:
    if request_type in INFO_WEIGHT_LIGHT:
        return INFO_WEIGHT_LIGHT_VALUE
    return INFO_WEIGHT_HEAVY.get(request_type, INFO_WEIGHT_DEFAULT)


def exchange_weight(batch_len: int) -> int:
    """IP weight of one `/exchange` request: 1 + floor(batch / 40)."""
    return 1 + batch_len // 40


def action_count(action: dict) -> int:
    """Address requests an action uses: a batch of n orders or cancels counts n."""
    for key in ("orders", "cancels", "modifies"):
        items = action.get(key)
        if isinstance(items, list):
            return max(1, len(items))
    return 1


class RateLimitTracker:
    """Sliding one-minute IP weight plus the address budget (used / cap)."""

    def __init__(self, ip_weight_cap: int = IP_WEIGHT_CAP_PER_MINUTE) -> None:
        self._ip_weight_cap = ip_weight_cap
        self._window: deque[tuple[int, int]] = deque()
        self._window_sum = 0
        self.address_used = 0
        self.address_cap = ADDRESS_INITIAL_REQUEST_CAP

    def seed_address_budget(self, used: int, cap: int) -> None:
        self.address_used = max(0, used)
        self.address_cap = max(0, cap)

    def add_ip_weight(self, weight: int, now_ns: int) -> None:
        self._window.append((now_ns, weight))
        self._window_sum += weight
        self._expire(now_ns)

    def add_address_actions(self, count: int) -> None:
        self.address_used += count

    def ip_weight_last_minute(self, now_ns: int) -> int:
        self._expire(now_ns)
        return self._window_sum

    def status(self, now_ns: int) -> RateLimitStatus:
        return RateLimitStatus(
            address_requests_used=self.address_used,
            address_requests_cap=self.address_cap,
            ip_weight_used_last_minute=self.ip_weight_last_minute(now_ns),
            ip_weight_cap_per_minute=self._ip_weight_cap,
            ts_ns=now_ns,
        )

    def _expire(self, now_ns: int) -> None:
        cutoff = now_ns - _MINUTE_NS
        while self._window and self._window[0][0] <= cutoff:
            _, weight = self._window.popleft()
            self._window_sum -= weight
