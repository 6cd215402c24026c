"""`/exchange` replies: `{status:"ok", response:{type, data}}` or `{status:"err", response:"<text>"}`."""

from __future__ import annotations

import msgspec


class RestingStatus(msgspec.Struct, frozen=True):
    oid: int
    cloid: str | None = None


class FilledStatus(msgspec.Struct, frozen=True):
    oid: int
    totalSz: str
    avgPx: str
    cloid: str | None = None


class ActionStatus(msgspec.Struct, frozen=True):
    """One entry of `statuses` when it is an object: resting, filled or error."""

    resting: RestingStatus | None = None
    filled: FilledStatus | None = None
    error: str | None = None


class StatusesData(msgspec.Struct, frozen=True):
    # A plain string entry is "success" (cancels) or "waitingForFill"/"waitingForTrigger".
    statuses: list[str | ActionStatus]


class OkResponse(msgspec.Struct, frozen=True):
    type: str
    data: StatusesData | None = None


class ExchangeReply(msgspec.Struct, frozen=True):
    status: str
    response: msgspec.Raw = msgspec.Raw(b"null")


EXCHANGE_REPLY_DECODER = msgspec.json.Decoder(ExchangeReply)
OK_RESPONSE_DECODER = msgspec.json.Decoder(OkResponse)
ERR_TEXT_DECODER = msgspec.json.Decoder(str)
