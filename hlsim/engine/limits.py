"""Rate limits: the address action budget and the IP weight window (hyperliquid.md "Rate limits")."""

from __future__ import annotations

import collections
import math
from decimal import Decimal

from hlsim.engine.accounts import Account

OVER_BUDGET_INTERVAL_MS = 10_000
WINDOW_MS = 60_000


def budget_cap(account: Account, initial: int) -> int:
    """10,000 initial requests + 1 per USDC traded."""
    return initial + int(account.cum_volume)


def charge_actions(account: Account, n: int, now_ms: int, initial: int, *, is_cancel: bool = False) -> str | None:
    """Counts n requests against the address budget; the real refusal text when over it.

    Once used up, one request per 10 s still passes; cancels may go to min(cap + 100000, 2 cap).
    """
    cap = budget_cap(account, initial)
    limit = min(cap + 100_000, 2 * cap) if is_cancel else cap
    if account.n_requests_used + n <= limit:
        account.n_requests_used += n
        return None
    if now_ms - account.last_over_budget_ms >= OVER_BUDGET_INTERVAL_MS:
        account.last_over_budget_ms = now_ms
        account.n_requests_used += n
        return None
    volume = account.cum_volume.quantize(Decimal("0.01")) if account.cum_volume else Decimal(0)
    return (
        f"Too many cumulative requests sent ({account.n_requests_used} > {cap}) for cumulative volume traded "
        f"${volume}. Place taker orders to free up 1 request per USDC traded."
    )


def exchange_weight(n_orders: int) -> int:
    """/exchange weighs 1 + floor(batch / 40)."""
    return 1 + math.floor(n_orders / 40)


INFO_LIGHT = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus"})
INFO_HEAVY = {"userRole": 60}


def info_weight(kind: str) -> int:
    return 2 if kind in INFO_LIGHT else INFO_HEAVY.get(kind, 20)


class IpWeightWindow:
    """Sliding one-minute window of request weight per IP."""

    def __init__(self, per_minute: int | None) -> None:
        self.per_minute = per_minute
        self._spent: dict[str, collections.deque[tuple[int, int]]] = {}
        self._totals: dict[str, int] = {}

    def spend(self, ip: str, weight: int, now_ms: int) -> bool:
        """Records the weight; False (and nothing recorded) when it would exceed the minute's cap."""
        if self.per_minute is None:
            return True
        spent = self._spent.setdefault(ip, collections.deque())
        total = self._totals.get(ip, 0)
        while spent and spent[0][0] <= now_ms - WINDOW_MS:
            total -= spent.popleft()[1]
        if total + weight > self.per_minute:
            self._totals[ip] = total
            return False
        spent.append((now_ms, weight))
        self._totals[ip] = total + weight
        return True
