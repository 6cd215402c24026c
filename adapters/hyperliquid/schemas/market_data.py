"""msgspec Structs for Hyperliquid's public market-data WS payloads (`l2Book`, `bbo`, `trades`).

Prices and sizes stay the exchange's decimal strings: the book differ compares them as strings and
only converts the levels that changed. Optional fields (`n`, `hash`, `users`) may be absent, as in
re-serialized third-party captures.
"""

from __future__ import annotations

from typing import Annotated
from typing import Literal

import msgspec

# Exchange time in ms; bounded so ms → ns fits Nautilus's uint64 timestamps (a bad value is a
# ValidationError naming the field, not an OverflowError deep in Nautilus).
TimeMs = Annotated[int, msgspec.Meta(ge=0, lt=2**64 // 1_000_000)]


class L2Level(msgspec.Struct, frozen=True):
    """One aggregated price level: `n` is the order count (absent in some captures)."""

    px: str
    sz: str
    n: int | None = None


class L2BookData(msgspec.Struct, frozen=True):
    """`l2Book` data: a full snapshot, bids best first (descending), asks ascending."""

    coin: str
    time: TimeMs
    levels: tuple[list[L2Level], list[L2Level]]


class BboData(msgspec.Struct, frozen=True):
    """`bbo` data: best bid and ask, either may be null when that side is empty."""

    coin: str
    time: TimeMs
    bbo: tuple[L2Level | None, L2Level | None]


class WsTrade(msgspec.Struct, frozen=True):
    """One trade of the `trades` channel; side B means the buyer was the aggressor."""

    coin: str
    side: Literal["A", "B"]
    px: str
    sz: str
    time: TimeMs
    tid: int
    hash: str | None = None
    users: list[str] | None = None


class WsMessage(msgspec.Struct, frozen=True):
    """The WS envelope `{"channel": ..., "data": ...}` with `data` left undecoded."""

    channel: str
    data: msgspec.Raw = msgspec.Raw(b"null")


class ArchiveLine(msgspec.Struct, frozen=True):
    """One line of Hyperliquid's hourly archive: `{"time": iso, "ver_num": 1, "raw": <WS message>}`."""

    time: str
    raw: WsMessage
    ver_num: int = 1


WS_MESSAGE_DECODER = msgspec.json.Decoder(WsMessage)
ARCHIVE_LINE_DECODER = msgspec.json.Decoder(ArchiveLine)
L2BOOK_DECODER = msgspec.json.Decoder(L2BookData)
BBO_DECODER = msgspec.json.Decoder(BboData)
TRADES_DECODER = msgspec.json.Decoder(list[WsTrade])

MARKET_DATA_CHANNELS = frozenset({"l2Book", "bbo", "trades"})


def decode_l2book(data: bytes) -> L2BookData:
    return L2BOOK_DECODER.decode(data)


def decode_bbo(data: bytes) -> BboData:
    return BBO_DECODER.decode(data)


def decode_trades(data: bytes) -> list[WsTrade]:
    return TRADES_DECODER.decode(data)
