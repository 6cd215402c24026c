"""The screener's message to the trading node: schema, encoding and validation.

Used by both sides: the publisher validates what it sends, the node (`screener_link.feed`)
validates everything it receives with the same `decode` + `check_fresh`.

Wire format (JSON, schema 1)::

    {"schema": 1, "ts": <ms since epoch>,
     "assets": [{"asset": "BTC", "base_spread_bps": 3.5, "max_inventory_usd": 2500.0,
                 "level_spacing_ticks": 2, "order_size_usd": 357.0, "score": 1.2}, ...]}

- base_spread_bps: full L1 quoted spread (ask − bid over mid) in bps; max_inventory_usd: absolute
  position limit in USD notional; level_spacing_ticks: ticks between ladder levels;
  order_size_usd: L1 order size in USD notional; score: maker-edge score (ranking only).
- Strict: types must match (no numbers as strings), unknown fields are rejected, numbers must
  lie within the bounds below, coins appear once, order size ≤ max inventory. An empty `assets`
  list is valid and means "quote nothing".
"""

from __future__ import annotations

from typing import Annotated
from typing import Literal

import msgspec

SCHEMA_VERSION = 1
MAX_ASSETS = 200
MAX_FUTURE_MS = 60_000  # clock skew tolerated between screener and node
MAX_BASE_SPREAD_BPS = 1_000.0
MAX_INVENTORY_USD = 10_000_000.0
MAX_LEVEL_SPACING_TICKS = 1_000
MIN_ORDER_USD = 10.0  # the exchange minimum


class PayloadError(ValueError):
    """A screener payload that must not be applied."""


class AssetParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    asset: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,32}$")]
    base_spread_bps: Annotated[float, msgspec.Meta(gt=0.0, le=MAX_BASE_SPREAD_BPS)]
    max_inventory_usd: Annotated[float, msgspec.Meta(ge=MIN_ORDER_USD, le=MAX_INVENTORY_USD)]
    level_spacing_ticks: Annotated[int, msgspec.Meta(ge=1, le=MAX_LEVEL_SPACING_TICKS)]
    order_size_usd: Annotated[float, msgspec.Meta(ge=MIN_ORDER_USD, le=MAX_INVENTORY_USD)]
    score: Annotated[float, msgspec.Meta(ge=0.0, le=1_000_000.0)]


class ScreenerSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    schema: Literal[1]
    ts: Annotated[int, msgspec.Meta(gt=1_500_000_000_000, lt=4_102_444_800_000)]  # ms, 2017..2100
    assets: Annotated[list[AssetParams], msgspec.Meta(max_length=MAX_ASSETS)]

    def params_for(self, asset: str) -> AssetParams | None:
        for params in self.assets:
            if params.asset == asset:
                return params
        return None


_DECODER = msgspec.json.Decoder(ScreenerSnapshot)
_ENCODER = msgspec.json.Encoder()


def _check_consistency(snapshot: ScreenerSnapshot) -> ScreenerSnapshot:
    names = [a.asset for a in snapshot.assets]
    if len(set(names)) != len(names):
        raise PayloadError("payload lists an asset more than once")
    for a in snapshot.assets:
        if a.order_size_usd > a.max_inventory_usd:
            raise PayloadError(
                f"{a.asset}: order_size_usd {a.order_size_usd} > max_inventory_usd {a.max_inventory_usd}"
            )
    return snapshot


def decode(data: bytes | str) -> ScreenerSnapshot:
    """Parse and validate a payload (schema, types, bounds, consistency); PayloadError if bad."""
    try:
        snapshot = _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        raise PayloadError(f"invalid screener payload: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise PayloadError(f"screener payload is not JSON: {exc}") from exc
    return _check_consistency(snapshot)


def check_fresh(snapshot: ScreenerSnapshot, now_ms: int, max_age_ms: int) -> ScreenerSnapshot:
    """PayloadError when the snapshot is older than `max_age_ms` or too far in the future."""
    age = now_ms - snapshot.ts
    if age > max_age_ms:
        raise PayloadError(
            f"stale screener payload: {age / 1000:.1f} s old (limit {max_age_ms / 1000:.1f} s)"
        )
    if age < -MAX_FUTURE_MS:
        raise PayloadError(f"screener payload is {-age / 1000:.1f} s in the future")
    return snapshot


def encode(snapshot: ScreenerSnapshot) -> bytes:
    """JSON bytes of a snapshot, validated by decoding them again (what the node will see)."""
    data = _ENCODER.encode(snapshot)
    decode(data)
    return data


def make_snapshot(ts_ms: int, assets: list[AssetParams]) -> ScreenerSnapshot:
    """Build and validate a schema-1 snapshot."""
    return decode(_ENCODER.encode(ScreenerSnapshot(schema=SCHEMA_VERSION, ts=ts_ms, assets=assets)))
