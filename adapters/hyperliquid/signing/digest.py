"""What gets signed: the action hash (connection id) and the EIP-712 digest of the phantom agent.

The SDK builds a generic EIP-712 structure and encodes it with eth_account on every call; the
domain and the `Agent` type never change, so their hashes are constants here and the digest is
`keccak(0x1901 ‖ domainSeparator ‖ keccak(agentTypeHash ‖ keccak(source) ‖ connectionId))`.

Steps: `pack_action` (the SDK's `msgpack.packb`), `action_hash`, `l1_digest`. After the secp256k1
signature itself (~25 µs), the three keccaks and the msgpack are most of what is left of a signature
(~5 µs of ~33 µs for a 6-order batch), hence the C keccak (common/hashing.py) and msgspec below.
"""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec

from adapters.hyperliquid.common.hashing import keccak256
from adapters.hyperliquid.common.hashing import keccak256_prefixed


def _uint256(value: int) -> bytes:
    return value.to_bytes(32, "big")


DOMAIN_TYPE_HASH = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
DOMAIN_SEPARATOR = keccak256(
    DOMAIN_TYPE_HASH
    + keccak256(b"Exchange")
    + keccak256(b"1")
    + _uint256(1337)
    + bytes(32)  # verifyingContract = 0x0000000000000000000000000000000000000000
)
AGENT_TYPE_HASH = keccak256(b"Agent(string source,bytes32 connectionId)")

_DIGEST_PREFIX = b"\x19\x01" + DOMAIN_SEPARATOR
# Agent struct-hash input up to the connection id, per network: source "a" = mainnet, "b" = testnet.
_AGENT_PREFIX = {
    True: AGENT_TYPE_HASH + keccak256(b"a"),
    False: AGENT_TYPE_HASH + keccak256(b"b"),
}
# The same two hashes with their constant prefixes absorbed once.
_digest_of_struct_hash = keccak256_prefixed(_DIGEST_PREFIX)
_struct_hash_of_connection_id = {
    is_mainnet: keccak256_prefixed(prefix) for is_mainnet, prefix in _AGENT_PREFIX.items()
}


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _address_bytes(address: str) -> bytes:
    if not isinstance(address, str):
        raise TypeError(f"vault address must be a str, got {type(address).__name__}")
    hex_part = address[2:] if address.startswith("0x") else address
    # Checked digit by digit: bytes.fromhex would also accept spaces between bytes.
    if not _HEX_DIGITS.issuperset(hex_part):
        raise ValueError(f"vault address is not hex: {address!r}")
    if len(hex_part) != 40:
        raise ValueError(f"vault address must be 20 bytes, got {len(hex_part) / 2:g}: {address!r}")
    return bytes.fromhex(hex_part)


def _u64(name: str, value: int) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
    return value.to_bytes(8, "big")


# msgspec's msgpack encoder writes the same bytes as msgpack-python's `packb` (what the SDK hashes)
# for JSON values, which is all an action is: it is sent as JSON and the exchange hashes what it
# parsed. Both pick the shortest form of each int, str, array and map, float64 for floats, and keep
# dict order (tests/adapters/signing/test_keccak_and_msgpack.py). msgspec takes ~1.1 µs for a 6-order batch
# against ~3.2 µs for `packb`, which builds a new Packer on every call.
_encode = msgspec.msgpack.Encoder().encode


def pack_action(action: Any) -> bytes:
    """msgpack of the action, byte for byte the SDK's `msgpack.packb(action)`; ValueError if it has none.

    msgspec refuses a few things msgpack-python packs (subclasses of float, for one): those, and
    everything msgspec cannot encode, go to `msgpack.packb` itself, so they get the SDK's bytes
    or its refusal. The other way round msgspec is wider: it would also encode a set, a Decimal,
    a datetime or a dataclass, which `packb` refuses, and packs a `msgpack.ExtType` as the
    array of its fields rather than as an ext; no JSON value is any of those.
    """
    try:
        return _encode(action)
    except Exception:  # any refusal: the SDK's encoder decides, below
        pass
    try:
        return msgpack.packb(action)
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. an int beyond 64 bits from JSON
        raise ValueError(f"action cannot be msgpack-encoded: {exc}") from None


def action_hash(action: Any, vault_address: str | None, nonce: int, expires_after: int | None) -> bytes:
    """The SDK's `action_hash` (the phantom agent's connection id), 32 bytes.

    keccak(msgpack(action) ‖ nonce:u64be ‖ (00 | 01 ‖ vault:20) ‖ (00 ‖ expiresAfter:u64be)?)
    """
    data = pack_action(action) + _u64("nonce", nonce)
    data += b"\x00" if vault_address is None else b"\x01" + _address_bytes(vault_address)
    if expires_after is not None:
        data += b"\x00" + _u64("expires_after", expires_after)
    return keccak256(data)


def l1_digest(action_hash: bytes, is_mainnet: bool) -> bytes:
    """EIP-712 digest of the phantom agent `{source, connectionId: action_hash}`, 32 bytes."""
    if not isinstance(action_hash, (bytes, bytearray)) or len(action_hash) != 32:
        raise ValueError("action_hash must be 32 bytes")
    struct_hash = _struct_hash_of_connection_id[bool(is_mainnet)](action_hash)
    return _digest_of_struct_hash(struct_hash)
