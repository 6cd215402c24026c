"""msgspec schemas of what clients send: the /exchange body and its actions.

The raw action dict is kept for signature recovery (its key order is what was signed); these
typed views only validate it.
"""

from __future__ import annotations

from typing import Any
from typing import Literal

import msgspec


class SignatureWire(msgspec.Struct):
    r: str
    s: str
    v: int


class ExchangeRequest(msgspec.Struct):
    action: dict[str, Any]
    nonce: int
    signature: SignatureWire
    vaultAddress: str | None = None
    expiresAfter: int | None = None


class LimitWire(msgspec.Struct):
    tif: Literal["Alo", "Ioc", "Gtc"]


class OrderTypeWire(msgspec.Struct):
    limit: LimitWire | None = None
    trigger: dict[str, Any] | None = None


class OrderWire(msgspec.Struct):
    a: int
    b: bool
    p: str
    s: str
    r: bool
    t: OrderTypeWire
    c: str | None = None


class OrderAction(msgspec.Struct, tag="order", tag_field="type"):
    orders: list[OrderWire]
    grouping: str | dict[str, Any] = "na"
    builder: dict[str, Any] | None = None


class CancelWire(msgspec.Struct):
    a: int
    o: int


class CancelAction(msgspec.Struct, tag="cancel", tag_field="type"):
    cancels: list[CancelWire]


class CancelByCloidWire(msgspec.Struct):
    asset: int
    cloid: str


class CancelByCloidAction(msgspec.Struct, tag="cancelByCloid", tag_field="type"):
    cancels: list[CancelByCloidWire]


class ModifyWire(msgspec.Struct):
    oid: int | str
    order: OrderWire


class ModifyAction(msgspec.Struct, tag="modify", tag_field="type"):
    oid: int | str
    order: OrderWire


class BatchModifyAction(msgspec.Struct, tag="batchModify", tag_field="type"):
    modifies: list[ModifyWire]


class ScheduleCancelAction(msgspec.Struct, tag="scheduleCancel", tag_field="type"):
    time: int | None = None


class UpdateLeverageAction(msgspec.Struct, tag="updateLeverage", tag_field="type"):
    asset: int
    isCross: bool
    leverage: int


class NoopAction(msgspec.Struct, tag="noop", tag_field="type"):
    pass


Action = (
    OrderAction
    | CancelAction
    | CancelByCloidAction
    | ModifyAction
    | BatchModifyAction
    | ScheduleCancelAction
    | UpdateLeverageAction
    | NoopAction
)

class ApproveAgentAction(msgspec.Struct):
    """User-signed (EIP-712 "HyperliquidTransaction:ApproveAgent"), not an L1 action."""

    type: Literal["approveAgent"]
    hyperliquidChain: Literal["Mainnet", "Testnet"]
    signatureChainId: str
    agentAddress: str
    nonce: int
    agentName: str = ""


DESERIALIZE_PREFIX = "Failed to deserialize the JSON body into the target type: "

_request_decoder = msgspec.json.Decoder(ExchangeRequest)


class BadRequest(Exception):
    """A body that does not deserialize: the exchange answers HTTP 422 with this text."""

    def __init__(self, detail: str) -> None:
        super().__init__(DESERIALIZE_PREFIX + detail)
        self.text = DESERIALIZE_PREFIX + detail


def decode_exchange_request(body: bytes) -> ExchangeRequest:
    try:
        return _request_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(str(exc)) from None


def exchange_request_from_obj(obj: Any) -> ExchangeRequest:
    """Same as decode_exchange_request for an already-parsed JSON object (WS `post`)."""
    try:
        return msgspec.convert(obj, ExchangeRequest)
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from None


def approve_agent_action(action: dict[str, Any]) -> ApproveAgentAction:
    try:
        return msgspec.convert(action, ApproveAgentAction)
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from None


def typed_action(action: dict[str, Any]) -> Action:
    try:
        return msgspec.convert(action, Action)  # type: ignore[arg-type]
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from None
