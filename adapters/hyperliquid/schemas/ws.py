"""WS `post` reply schemas (the envelope is `schemas.market_data.WsMessage`)."""

from __future__ import annotations

import msgspec


class WsPostResponse(msgspec.Struct, frozen=True):
    """`response` of a post reply: `type` is "info", "action" or "error"; payload as the REST reply."""

    type: str
    payload: msgspec.Raw = msgspec.Raw(b"null")


class WsInfoPayload(msgspec.Struct, frozen=True):
    """`payload` of an "info" post reply: the request's `type` and the REST reply as `data`."""

    type: str
    data: msgspec.Raw = msgspec.Raw(b"null")


class WsPostData(msgspec.Struct, frozen=True):
    id: int
    response: WsPostResponse


WS_POST_DECODER = msgspec.json.Decoder(WsPostData)
WS_INFO_PAYLOAD_DECODER = msgspec.json.Decoder(WsInfoPayload)
