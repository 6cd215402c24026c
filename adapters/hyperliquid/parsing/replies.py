"""`/exchange` replies (REST body or WS `post` payload) → one outcome per order or cancel."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from adapters.hyperliquid.common.constants import POST_ONLY_WOULD_MATCH
from adapters.hyperliquid.schemas.exchange import ERR_TEXT_DECODER
from adapters.hyperliquid.schemas.exchange import EXCHANGE_REPLY_DECODER
from adapters.hyperliquid.schemas.exchange import OK_RESPONSE_DECODER
from adapters.hyperliquid.schemas.exchange import ActionStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one entry of an action: "resting", "filled", "success" or "error".

    `action_refused`: the error is the exchange's answer to the action as a whole (`status:"err"`,
    e.g. an unknown agent), so nothing in it was applied.
    """

    kind: str
    oid: int | None = None
    text: str | None = None
    total_sz: str | None = None
    avg_px: str | None = None
    action_refused: bool = False

    @property
    def ok(self) -> bool:
        return self.kind != "error"

    @property
    def due_post_only(self) -> bool:
        return self.kind == "error" and self.text is not None and self.text.startswith(POST_ONLY_WOULD_MATCH)


def parse_action_reply(raw: bytes, n_entries: int) -> list[Outcome]:
    """One outcome per entry; a whole-request failure (`status:"err"`) fails every entry with its text.

    Raises msgspec.DecodeError / ValueError for a reply that is not an exchange reply at all.
    """
    reply = EXCHANGE_REPLY_DECODER.decode(raw)
    if reply.status != "ok":
        try:
            text = ERR_TEXT_DECODER.decode(reply.response)
        except msgspec.DecodeError:
            text = bytes(reply.response).decode(errors="replace")
        return [Outcome("error", text=text, action_refused=True)] * n_entries
    response = OK_RESPONSE_DECODER.decode(reply.response)
    if response.data is None:  # {type:"default"}: the action as a whole succeeded
        return [Outcome("success")] * n_entries
    outcomes = [_outcome(status) for status in response.data.statuses]
    if len(outcomes) < n_entries:
        missing = Outcome("error", text=f"exchange returned {len(outcomes)} statuses for {n_entries} entries")
        outcomes.extend([missing] * (n_entries - len(outcomes)))
    return outcomes


def _outcome(status: str | ActionStatus) -> Outcome:
    if isinstance(status, str):
        return Outcome("success", text=status)
    if status.resting is not None:
        return Outcome("resting", oid=status.resting.oid)
    if status.filled is not None:
        return Outcome("filled", oid=status.filled.oid, total_sz=status.filled.totalSz, avg_px=status.filled.avgPx)
    return Outcome("error", text=status.error or "unknown status")
