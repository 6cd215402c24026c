"""Per-signer nonce rules: the 100 highest are kept; a new one must be unused, above the
smallest kept one (once 100 are kept) and within (now - 2 days, now + 1 day) in ms."""

from __future__ import annotations

import bisect

KEEP = 100
MAX_PAST_MS = 2 * 24 * 3600 * 1000
MAX_FUTURE_MS = 24 * 3600 * 1000


class NonceBook:
    def __init__(self) -> None:
        self._kept: dict[str, list[int]] = {}

    def check(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """The error text for this nonce, or None if it is acceptable (nothing recorded)."""
        if not now_ms - MAX_PAST_MS < nonce < now_ms + MAX_FUTURE_MS:
            return f"Invalid nonce: nonce {nonce} is outside the allowed window ({now_ms - MAX_PAST_MS}, {now_ms + MAX_FUTURE_MS})"
        kept = self._kept.get(signer)
        if not kept:
            return None
        i = bisect.bisect_left(kept, nonce)
        if i < len(kept) and kept[i] == nonce:
            return f"Invalid nonce: duplicate nonce {nonce}"
        if len(kept) >= KEEP and nonce < kept[0]:
            return f"Invalid nonce: nonce {nonce} is lower than the smallest of the {KEEP} highest nonces ({kept[0]})"
        return None

    def record(self, signer: str, nonce: int) -> None:
        kept = self._kept.setdefault(signer, [])
        bisect.insort(kept, nonce)
        if len(kept) > KEEP:
            del kept[0]

    def use(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """Checks then records; returns the error text if refused."""
        error = self.check(signer, nonce, now_ms)
        if error is None:
            self.record(signer, nonce)
        return error
