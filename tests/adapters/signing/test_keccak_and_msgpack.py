"""The two fast paths of the action hash give the SDK's bytes: keccak256 (safe-pysha3) and the action's
msgpack (msgspec, falling back to msgpack-python)."""

from __future__ import annotations

import json
import math
from typing import Any

import msgpack
import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_utils import keccak as eth_utils_keccak
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.common.hashing import keccak256
from adapters.hyperliquid.common.hashing import keccak256_prefixed
from adapters.hyperliquid.signing import action_hash
from adapters.hyperliquid.signing import pack_action

FAST = settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))


# --- keccak256 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "digest"),
    [
        # Keccak-256, not FIPS SHA3-256 (whose empty digest is a7ffc6f8...).
        (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    ],
)
def test_keccak256_known_digests(data: bytes, digest: str) -> None:
    assert keccak256(data).hex() == digest


# Lengths around the 136-byte rate of Keccak-256, where the padding changes blocks.
@pytest.mark.parametrize("length", [0, 1, 31, 32, 33, 64, 135, 136, 137, 271, 272, 273, 545, 4096])
def test_keccak256_equals_pycryptodome_at_block_boundaries(length: int) -> None:
    data = bytes((i * 7 + 3) % 256 for i in range(length))
    assert keccak256(data) == pycryptodome_keccak.new(digest_bits=256, data=data).digest()


@FAST
@given(st.binary(max_size=2000))
def test_keccak256_equals_pycryptodome_and_eth_utils(data: bytes) -> None:
    # eth_utils.keccak is what the SDK hashes with.
    assert keccak256(data) == pycryptodome_keccak.new(digest_bits=256, data=data).digest() == eth_utils_keccak(data)


@FAST
@given(prefix=st.binary(max_size=400), data=st.lists(st.binary(max_size=300), min_size=1, max_size=3))
def test_keccak256_prefixed_is_keccak256_of_the_concatenation_every_time(prefix: bytes, data: list[bytes]) -> None:
    # Several calls on one function: the absorbed prefix state must not be consumed by a call.
    hash_after_prefix = keccak256_prefixed(prefix)
    for chunk in data:
        assert hash_after_prefix(chunk) == keccak256(prefix + chunk)


# --- pack_action -----------------------------------------------------------------------------------

# Every boundary where msgpack changes the form of an int: fixint, (u)int8/16/32/64.
INT_EDGES = sorted(
    {
        v + d
        for v in (0, 0x7F, 0xFF, 0xFFFF, 0xFFFF_FFFF, 2**64 - 1, -32, -128, -(2**15), -(2**31), -(2**63))
        for d in (-1, 0, 1)
        if -(2**63) <= v + d < 2**64
    }
)
# Lengths where msgpack changes the header of a str (fixstr/str8/str16/str32), an array or a map.
LENGTH_EDGES = [0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536]

ints = st.sampled_from(INT_EDGES) | st.integers(-(2**63), 2**64 - 1)
json_scalars = (
    st.none() | st.booleans() | ints | st.floats() | st.text(max_size=40) | st.sampled_from(["", "a" * 31, "é" * 16])
)
# JSON values: what an action is once it has been through the wire (dict keys are str).
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(max_size=10), inner, max_size=20),
    max_leaves=40,
)


# Generating nested values is the slow part (~15 ms each), hence fewer examples than FAST.
@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(json_values)
def test_pack_action_equals_msgpack_packb_for_json_values(value: Any) -> None:
    assert pack_action(value) == msgpack.packb(value)
    # What hlsim hashes: the action as json.loads gives it back (NaN/inf become floats again).
    decoded = json.loads(json.dumps(value))
    assert pack_action(decoded) == msgpack.packb(decoded)


@pytest.mark.parametrize("value", INT_EDGES)
def test_pack_action_int_edges(value: int) -> None:
    assert pack_action({"o": value}) == msgpack.packb({"o": value})


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, 1e300, 5e-324, math.inf, -math.inf, math.nan])
def test_pack_action_floats_are_float64_like_packb(value: float) -> None:
    assert pack_action([value]) == msgpack.packb([value])


@pytest.mark.parametrize("length", LENGTH_EDGES)
def test_pack_action_length_edges(length: int) -> None:
    for value in ("x" * length, "é" * length, list(range(length)), {str(i): i for i in range(length)}):
        assert pack_action(value) == msgpack.packb(value)


class _Float(float):
    pass


class _Str(str):
    __slots__ = ()


@pytest.mark.parametrize(
    "value",
    [
        {"p": _Float(1.5)},  # msgspec refuses float subclasses; msgpack-python packs the float
        {"c": _Str("0xab")},
        (1, 2),  # a tuple packs as an array in both
        {1: "a", None: "b"},  # msgpack keys need not be str
        b"\x00\x01",
    ],
)
def test_pack_action_equals_packb_beyond_json_values(value: Any) -> None:
    assert pack_action(value) == msgpack.packb(value)


def _circular() -> list[Any]:
    items: list[Any] = []
    items.append(items)
    return items


@pytest.mark.parametrize(
    "action",
    [
        {"type": "cancel", "o": 2**64},
        {"type": "cancel", "o": -(2**63) - 1},
        {"type": "x", "v": object()},
        {"type": "x", "v": "\ud800"},  # a lone surrogate, which json.loads can produce
        {"type": "x", "v": _circular()},
    ],
)
def test_pack_action_refuses_what_packb_refuses_as_a_value_error(action: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError, OverflowError)):
        msgpack.packb(action)
    with pytest.raises(ValueError, match="msgpack"):
        pack_action(action)
    with pytest.raises(ValueError, match="msgpack"):
        action_hash(action, None, 0, None)
