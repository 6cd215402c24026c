"""What reached the exchange: signed /exchange requests per action kind, and the entries they carried.

A benchmark or a test reads it to count requests (one `order` action with three orders is one
request, three entries); `listener`, when set, sees each request as it arrives (on hlsim's loop),
with the asset ids it names, so a benchmark can tie it to the book frame it answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

# The list each batched action kind carries its entries in.
_ENTRIES = {"order": "orders", "cancel": "cancels", "cancelByCloid": "cancels", "batchModify": "modifies"}


def _assets(kind: str, action: dict[str, Any]) -> tuple[int, ...]:
    entries = action.get(_ENTRIES.get(kind, ""), ())
    if kind == "order":
        return tuple({e.get("a") for e in entries if isinstance(e, dict)} - {None})
    if kind == "batchModify":
        return tuple({e.get("order", {}).get("a") for e in entries if isinstance(e, dict)} - {None})
    if kind in ("cancel", "cancelByCloid"):
        return tuple({e.get("a", e.get("asset")) for e in entries if isinstance(e, dict)} - {None})
    return ()


class Traffic:
    """Requests and entries per action kind, since start (or the last `reset`)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.entries: Counter[str] = Counter()
        self.listener: Callable[[str, tuple[int, ...]], None] | None = None

    def record(self, action: dict[str, Any]) -> None:
        kind = str(action.get("type"))
        self.requests[kind] += 1
        entries = action.get(_ENTRIES.get(kind, ""))
        self.entries[kind] += len(entries) if isinstance(entries, list) else 1
        if self.listener is not None:
            self.listener(kind, _assets(kind, action))

    def reset(self) -> None:
        self.requests.clear()
        self.entries.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {"requests": dict(self.requests), "entries": dict(self.entries)}
