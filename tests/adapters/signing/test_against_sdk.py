"""Generated actions: our connection id and signature equal the SDK's, and recovery finds the signer."""

from __future__ import annotations

from typing import Any

import msgpack
from hyperliquid.utils import signing as sdk
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import action_hash
from adapters.hyperliquid.signing import batch_modify_action
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.signing import cancel_by_cloid_action
from adapters.hyperliquid.signing import modify_action
from adapters.hyperliquid.signing import modify_wire
from adapters.hyperliquid.signing import order_action
from adapters.hyperliquid.signing import order_wire
from adapters.hyperliquid.signing import recover_l1_signer
from adapters.hyperliquid.signing import schedule_cancel_action

assets = st.integers(0, 200_000)
oids = st.integers(0, 2**63 - 1)
cloids = st.integers(0, 2**128 - 1).map(lambda n: f"{n:#034x}")
prices = st.builds(lambda m, d: m / 10**d, st.integers(1, 10**7), st.integers(0, 8))
orders = st.builds(
    order_wire,
    asset=assets,
    is_buy=st.booleans(),
    limit_px=prices,
    sz=prices,
    reduce_only=st.booleans(),
    tif=st.sampled_from(["Alo", "Gtc", "Ioc"]),
    cloid=st.none() | cloids,
)
# Trigger orders come from the SDK's own builder: the signer must sign whatever action it is given.
trigger_orders = st.builds(
    lambda asset, is_buy, px, sz, trigger_px, is_market, tpsl: sdk.order_request_to_order_wire(
        {
            "coin": "X",
            "is_buy": is_buy,
            "sz": sz,
            "limit_px": px,
            "order_type": {"trigger": {"triggerPx": trigger_px, "isMarket": is_market, "tpsl": tpsl}},
            "reduce_only": True,
        },
        asset,
    ),
    assets, st.booleans(), prices, prices, prices, st.booleans(), st.sampled_from(["tp", "sl"]),
)
actions = st.one_of(
    st.lists(orders, min_size=1, max_size=1).map(order_action),
    st.lists(orders, min_size=2, max_size=12).map(order_action),
    st.lists(trigger_orders, min_size=1, max_size=2).map(order_action),
    st.lists(st.tuples(assets, oids), min_size=1, max_size=10).map(cancel_action),
    st.lists(st.tuples(assets, cloids), min_size=1, max_size=10).map(cancel_by_cloid_action),
    st.builds(modify_action, oids | cloids, orders),
    st.lists(st.builds(modify_wire, oids | cloids, orders), min_size=1, max_size=6).map(batch_modify_action),
    st.builds(schedule_cancel_action, st.none() | st.integers(0, 2**63 - 1)),
    st.just({"type": "noop"}),
)
vaults = st.none() | st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
nonces = st.integers(0, 2**64 - 1)
expiries = st.none() | st.integers(0, 2**64 - 1)

# Each example runs the SDK's eth_account signer (~1 ms); 1,000 of them take a few seconds.
THOUSAND = settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@THOUSAND
@given(action=actions, vault=vaults, nonce=nonces, expires_after=expiries, is_mainnet=st.booleans())
def test_generated_actions_sign_and_recover_like_the_sdk(
    signer: L1Signer,
    sdk_wallet: Any,
    action: dict[str, Any],
    vault: str | None,
    nonce: int,
    expires_after: int | None,
    is_mainnet: bool,
) -> None:
    assert action_hash(action, vault, nonce, expires_after) == sdk.action_hash(action, vault, nonce, expires_after)
    ours = signer.sign_action(action, nonce, is_mainnet=is_mainnet, vault_address=vault, expires_after=expires_after)
    theirs = sdk.sign_l1_action(sdk_wallet, action, vault, nonce, expires_after, is_mainnet)
    assert ours == theirs
    recovered = recover_l1_signer(
        action, ours, nonce, is_mainnet=is_mainnet, vault_address=vault, expires_after=expires_after
    )
    assert recovered == signer.address.lower()


def _tamper(action: dict[str, Any]) -> dict[str, Any]:
    """The same action with one byte of its msgpack encoding's meaning changed (a new key added)."""
    return {**action, "x": 1}


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(action=actions, vault=vaults, nonce=st.integers(0, 2**64 - 2), is_mainnet=st.booleans())
def test_tampering_changes_the_recovered_address(
    signer: L1Signer, action: dict[str, Any], vault: str | None, nonce: int, is_mainnet: bool
) -> None:
    address = signer.address.lower()
    sig = signer.sign_action(action, nonce, is_mainnet=is_mainnet, vault_address=vault)
    kw = {"is_mainnet": is_mainnet, "vault_address": vault}
    assert recover_l1_signer(_tamper(action), sig, nonce, **kw) != address
    assert recover_l1_signer(action, sig, nonce + 1, **kw) != address
    assert recover_l1_signer(action, sig, nonce, is_mainnet=not is_mainnet, vault_address=vault) != address
    other_vault = "0x" + "11" * 20 if vault is None else None
    assert recover_l1_signer(action, sig, nonce, is_mainnet=is_mainnet, vault_address=other_vault) != address
    assert recover_l1_signer(action, sig, nonce, expires_after=nonce, **kw) != address
    flipped_v = {**sig, "v": 55 - sig["v"]}
    assert recover_l1_signer(action, flipped_v, nonce, **kw) != address
    # msgpack of the original and a reordered action differ, so key order is part of what is signed
    reordered = dict(reversed(list(action.items())))
    if msgpack.packb(reordered) != msgpack.packb(action):
        assert recover_l1_signer(reordered, sig, nonce, **kw) != address
