"""Hyperliquid L1 action signing, bit-identical to the official SDK's `sign_l1_action`, in µs.

Steps as in the SDK's `hyperliquid/utils/signing.py`: wire formatting (`wire`), msgpack action
hash and the phantom agent's EIP-712 digest with precomputed constants (`digest`), secp256k1
signing and recovery with coincurve (`signer`).
"""

from adapters.hyperliquid.common.hashing import keccak256
from adapters.hyperliquid.signing.digest import AGENT_TYPE_HASH
from adapters.hyperliquid.signing.digest import DOMAIN_SEPARATOR
from adapters.hyperliquid.signing.digest import action_hash
from adapters.hyperliquid.signing.digest import l1_digest
from adapters.hyperliquid.signing.digest import pack_action
from adapters.hyperliquid.signing.signer import L1Signer
from adapters.hyperliquid.signing.signer import Signature
from adapters.hyperliquid.signing.signer import parse_signature
from adapters.hyperliquid.signing.signer import recover_digest_signer
from adapters.hyperliquid.signing.signer import recover_l1_signer
from adapters.hyperliquid.signing.wire import TIFS
from adapters.hyperliquid.signing.wire import Tif
from adapters.hyperliquid.signing.wire import batch_modify_action
from adapters.hyperliquid.signing.wire import cancel_action
from adapters.hyperliquid.signing.wire import cancel_by_cloid_action
from adapters.hyperliquid.signing.wire import float_to_wire
from adapters.hyperliquid.signing.wire import modify_action
from adapters.hyperliquid.signing.wire import modify_wire
from adapters.hyperliquid.signing.wire import order_action
from adapters.hyperliquid.signing.wire import order_wire
from adapters.hyperliquid.signing.wire import schedule_cancel_action
from adapters.hyperliquid.signing.wire import validate_cloid

__all__ = [
    "AGENT_TYPE_HASH",
    "DOMAIN_SEPARATOR",
    "TIFS",
    "L1Signer",
    "Signature",
    "Tif",
    "action_hash",
    "batch_modify_action",
    "cancel_action",
    "cancel_by_cloid_action",
    "float_to_wire",
    "keccak256",
    "l1_digest",
    "modify_action",
    "modify_wire",
    "order_action",
    "order_wire",
    "pack_action",
    "parse_signature",
    "recover_digest_signer",
    "recover_l1_signer",
    "schedule_cancel_action",
    "validate_cloid",
]
