"""Our signer reproduces the SDK's reference signatures (shipped vectors and the SDK's own tests)."""

from __future__ import annotations

from typing import Any

import pytest
from hyperliquid.utils.signing import sign_l1_action

from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import action_hash
from adapters.hyperliquid.signing import order_action
from adapters.hyperliquid.signing import order_wire
from adapters.hyperliquid.signing import recover_l1_signer
from catalog import shipped_data

SDK_TEST_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"


def _vectors() -> list[dict[str, Any]]:
    import json

    with open(shipped_data.signing_vectors()) as f:
        return json.load(f)["vectors"]


VECTORS = _vectors()
VECTOR_IDS = [f"{v['name']}-{'mainnet' if v['mainnet'] else 'testnet'}" for v in VECTORS]


def _kwargs(vector: dict[str, Any]) -> dict[str, Any]:
    return {
        "is_mainnet": vector["mainnet"],
        "vault_address": vector["vault_address"],
        "expires_after": vector["expires_after"],
    }


def test_all_26_shipped_vectors_are_loaded(signing_vectors: dict[str, Any]) -> None:
    assert len(signing_vectors["vectors"]) == 26


def test_signer_address_is_the_vectors_checksummed_address(
    signer: L1Signer, signing_vectors: dict[str, Any]
) -> None:
    assert signer.address == signing_vectors["address"]


@pytest.mark.parametrize("vector", VECTORS, ids=VECTOR_IDS)
def test_action_hash_equals_the_vectors_connection_id(vector: dict[str, Any]) -> None:
    got = action_hash(vector["action"], vector["vault_address"], vector["nonce"], vector["expires_after"])
    assert "0x" + got.hex() == vector["connection_id"]


@pytest.mark.parametrize("vector", VECTORS, ids=VECTOR_IDS)
def test_signature_is_bit_identical_to_the_vector(signer: L1Signer, vector: dict[str, Any]) -> None:
    assert signer.sign_action(vector["action"], vector["nonce"], **_kwargs(vector)) == vector["signature"]


@pytest.mark.parametrize("vector", VECTORS, ids=VECTOR_IDS)
def test_signature_equals_the_installed_sdks(signer: L1Signer, sdk_wallet: Any, vector: dict[str, Any]) -> None:
    sdk = sign_l1_action(
        sdk_wallet,
        vector["action"],
        vector["vault_address"],
        vector["nonce"],
        vector["expires_after"],
        vector["mainnet"],
    )
    assert signer.sign_action(vector["action"], vector["nonce"], **_kwargs(vector)) == sdk


@pytest.mark.parametrize("vector", VECTORS, ids=VECTOR_IDS)
def test_vector_signature_recovers_the_vector_address(
    vector: dict[str, Any], signing_vectors: dict[str, Any]
) -> None:
    recovered = recover_l1_signer(vector["action"], vector["signature"], vector["nonce"], **_kwargs(vector))
    assert recovered == signing_vectors["address"].lower()


def test_sdk_production_phantom_agent_connection_id() -> None:
    # tests/signing_test.py::test_phantom_agent_creation_matches_production in the SDK
    action = order_action([order_wire(4, True, 1670.1, 0.0147, False, "Ioc")])
    got = action_hash(action, None, 1677777606040, None)
    assert "0x" + got.hex() == "0x0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908"


def test_sdk_order_test_inputs_built_with_order_wire_give_the_sdk_signatures() -> None:
    # tests/signing_test.py::test_l1_action_signing_order_with_cloid_matches in the SDK
    signer = L1Signer(SDK_TEST_KEY)
    action = order_action([order_wire(1, True, 100, 100, False, "Gtc", "0x00000000000000000000000000000001")])
    assert signer.sign_action(action, 0, is_mainnet=True) == {
        "r": "0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3",
        "s": "0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da",
        "v": 27,
    }
    assert signer.sign_action(action, 0, is_mainnet=False) == {
        "r": "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
        "s": "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988",
        "v": 28,
    }


def test_sdk_create_sub_account_signatures() -> None:
    # tests/signing_test.py::test_create_sub_account_action in the SDK; s has a dropped leading zero
    signer = L1Signer(SDK_TEST_KEY)
    action = {"type": "createSubAccount", "name": "example"}
    assert signer.sign_action(action, 0, is_mainnet=True) == {
        "r": "0x51096fe3239421d16b671e192f574ae24ae14329099b6db28e479b86cdd6caa7",
        "s": "0xb71f7d293af92d3772572afb8b102d167a7cef7473388286bc01f52a5c5b423",
        "v": 27,
    }
    assert signer.sign_action(action, 0, is_mainnet=False) == {
        "r": "0xa699e3ed5c2b89628c746d3298b5dc1cca604694c2c855da8bb8250ec8014a5b",
        "s": "0x53f1b8153a301c72ecc655b1c315d64e1dcea3ee58921fd7507e35818fcc1584",
        "v": 28,
    }


def test_sdk_sub_account_transfer_signatures() -> None:
    # tests/signing_test.py::test_sub_account_transfer_action in the SDK
    signer = L1Signer(SDK_TEST_KEY)
    action = {
        "type": "subAccountTransfer",
        "subAccountUser": "0x1d9470d4b963f552e6f671a81619d395877bf409",
        "isDeposit": True,
        "usd": 10,
    }
    assert signer.sign_action(action, 0, is_mainnet=True) == {
        "r": "0x43592d7c6c7d816ece2e206f174be61249d651944932b13343f4d13f306ae602",
        "s": "0x71a926cb5c9a7c01c3359ec4c4c34c16ff8107d610994d4de0e6430e5cc0f4c9",
        "v": 28,
    }
    assert signer.sign_action(action, 0, is_mainnet=False) == {
        "r": "0xe26574013395ad55ee2f4e0575310f003c5bb3351b5425482e2969fa51543927",
        "s": "0xefb08999196366871f919fd0e138b3a7f30ee33e678df7cfaf203e25f0a4278",
        "v": 28,
    }
