"""POST /exchange (and WS `post` actions): deserialize, recover the signer, resolve the account,
enforce the nonce rules, then run the action on the engine."""

from __future__ import annotations

from typing import Any

from hyperliquid.utils.signing import recover_user_from_user_signed_action

from adapters.hyperliquid.signing import recover_l1_signer
from hlsim.engine.actions import BadRequest
from hlsim.engine.actions import ExchangeRequest
from hlsim.engine.actions import approve_agent_action
from hlsim.engine.actions import typed_action
from hlsim.engine.exchange import DEFAULT_REPLY
from hlsim.engine.exchange import SimExchange
from hlsim.engine.exchange import err
from hlsim.engine.validation import is_valid_address

APPROVE_AGENT_TYPES = [
    {"name": "hyperliquidChain", "type": "string"},
    {"name": "agentAddress", "type": "address"},
    {"name": "agentName", "type": "string"},
    {"name": "nonce", "type": "uint64"},
]


def verify_signer(request: ExchangeRequest, is_mainnet: bool) -> str:
    """Lowercase address that signed the request's action (BadRequest if the signature is malformed)."""
    sig = request.signature
    try:
        return recover_l1_signer(
            request.action,
            {"r": sig.r, "s": sig.s, "v": sig.v},
            request.nonce,
            is_mainnet=is_mainnet,
            vault_address=request.vaultAddress,
            expires_after=request.expiresAfter,
        )
    except ValueError as exc:
        raise BadRequest(f"signature: {exc}") from None


def handle_approve_agent(engine: SimExchange, request: ExchangeRequest) -> dict[str, Any]:
    """`approveAgent`: the main account (user-signed EIP-712, as the SDK's `approve_agent`) names an agent."""
    action = approve_agent_action(request.action)
    if not is_valid_address(action.agentAddress):
        raise BadRequest(f"invalid agentAddress {action.agentAddress!r}")
    expected_chain = "Mainnet" if engine.config.is_mainnet else "Testnet"
    if action.hyperliquidChain != expected_chain:
        return err(f"Invalid hyperliquidChain {action.hyperliquidChain}: this exchange is {expected_chain}.")
    # Verification is the SDK's own (eth-account, ~ms): approvals are rare.
    message = {**request.action, "agentName": action.agentName}
    sig = request.signature
    try:
        signer = recover_user_from_user_signed_action(
            message, {"r": sig.r, "s": sig.s, "v": sig.v}, APPROVE_AGENT_TYPES,
            "HyperliquidTransaction:ApproveAgent", engine.config.is_mainnet,
        ).lower()
    except Exception as exc:  # eth-account raises several types for a bad signature
        raise BadRequest(f"signature: {exc}") from None
    if signer in engine.agents or engine.resolve_user(signer) is None:
        return err(f"User or API Wallet {signer} does not exist.")
    now = engine.now_ms()
    nonce_error = engine.nonces.use(signer, request.nonce, now)
    if nonce_error is not None:
        return err(nonce_error)
    engine.register_agent(signer, action.agentAddress)
    return DEFAULT_REPLY


def handle_exchange(engine: SimExchange, request: ExchangeRequest) -> dict[str, Any]:
    """The reply to a deserialized /exchange body. Raises BadRequest (→ 422) for bad payloads."""
    if request.action.get("type") == "approveAgent":
        return handle_approve_agent(engine, request)
    action = typed_action(request.action)
    engine.traffic.record(request.action)
    now = engine.now_ms()
    if request.nonce < 0 or request.nonce >= 2**64:
        raise BadRequest("nonce: out of range")
    signer = verify_signer(request, engine.config.is_mainnet)
    if request.expiresAfter is not None and request.expiresAfter < now:
        return err(f"Action expired at {request.expiresAfter} (now {now}).")
    if request.vaultAddress is not None:
        return err(f"Vault not registered: {request.vaultAddress.lower()}")
    user = engine.resolve_user(signer)
    if user is None:
        return err(f"User or API Wallet {signer} does not exist.")
    nonce_error = engine.nonces.use(signer, request.nonce, now)
    if nonce_error is not None:
        return err(nonce_error)
    return engine.execute(user, action, now)
