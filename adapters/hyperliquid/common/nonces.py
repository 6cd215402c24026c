"""Action nonces: milliseconds since the epoch, strictly increasing per signer."""

from __future__ import annotations

import time


class NonceSource:
    """`max(now_ms, last + 1)`: unique even for several actions in one millisecond.

    The exchange keeps the 100 highest nonces per signer and wants new ones within
    (now − 2 days, now + 1 day), which a wall-clock-based counter always is.
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        nonce = max(time.time_ns() // 1_000_000, self._last + 1)
        self._last = nonce
        return nonce
