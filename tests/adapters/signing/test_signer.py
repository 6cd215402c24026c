"""L1Signer key handling, the EIP-712 digest constants, signature parsing and recovery errors."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message
from eth_account.messages import encode_typed_data
from eth_utils import to_hex
from hyperliquid.utils import signing as sdk
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import action_hash
from adapters.hyperliquid.signing import l1_digest
from adapters.hyperliquid.signing import parse_signature
from adapters.hyperliquid.signing import recover_l1_signer

ACTION = {"type": "scheduleCancel", "time": 123456789}
NONCE = 1700000000000


@pytest.mark.parametrize("is_mainnet", [True, False])
def test_l1_digest_equals_eth_accounts_eip712_hash_of_the_sdk_payload(is_mainnet: bool) -> None:
    h = action_hash(ACTION, None, NONCE, None)
    payload = sdk.l1_payload(sdk.construct_phantom_agent(h, is_mainnet))
    assert l1_digest(h, is_mainnet) == _hash_eip191_message(encode_typed_data(full_message=payload))


def test_mainnet_and_testnet_digests_differ() -> None:
    h = action_hash(ACTION, None, NONCE, None)
    assert l1_digest(h, True) != l1_digest(h, False)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, "00" * 32])
def test_l1_digest_rejects_anything_but_32_bytes(bad: Any) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        l1_digest(bad, True)


@pytest.mark.parametrize(
    ("vault", "match"),
    [
        ("0x1234", "20 bytes"),
        ("0x" + "zz" * 20, "not hex"),
        ("0x" + "ab " * 19 + "ab", "not hex"),  # bytes.fromhex alone would take the spaces
        ("0x" + "ab" * 20 + "0", "20 bytes"),
    ],
)
def test_action_hash_rejects_a_malformed_vault_address(vault: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        action_hash(ACTION, vault, NONCE, None)


@pytest.mark.parametrize("nonce", [-1, 2**64, 1.5, True])
def test_action_hash_rejects_a_nonce_outside_u64(nonce: Any) -> None:
    with pytest.raises(ValueError, match="nonce"):
        action_hash(ACTION, None, nonce, None)


def test_key_is_accepted_with_or_without_0x(vector_key: str, signing_vectors: dict[str, Any]) -> None:
    assert L1Signer(vector_key).address == L1Signer(vector_key[2:]).address == signing_vectors["address"]


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("0x1234", "64 hex digits"),
        ("0x" + "ab" * 33, "64 hex digits"),
        ("0x" + "zz" * 32, "not hex"),
        ("0x" + "00" * 32, "range"),
        ("0x" + "ff" * 32, "range"),
    ],
)
def test_bad_keys_are_refused_without_echoing_them(key: str, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        L1Signer(key)
    assert key[2:] not in str(info.value)


def test_private_key_never_shows_in_repr_str_or_logs(
    vector_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    signer = L1Signer(vector_key)
    logging.getLogger("test").warning("signer %s %r", signer, signer)
    texts = [repr(signer), str(signer), f"{signer}", caplog.text]
    for text in texts:
        assert vector_key[2:] not in text.lower()
    assert signer.address in repr(signer)


def test_signer_refuses_to_be_pickled(vector_key: str) -> None:
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(L1Signer(vector_key))


def test_signer_has_no_instance_dict_exposing_the_key(vector_key: str) -> None:
    assert not hasattr(L1Signer(vector_key), "__dict__")


def test_key_from_env(vector_key: str, monkeypatch: pytest.MonkeyPatch, signing_vectors: dict[str, Any]) -> None:
    monkeypatch.setenv("HL_TEST_KEY", vector_key)
    assert L1Signer.from_env("HL_TEST_KEY").address == signing_vectors["address"]


def test_missing_env_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HL_TEST_KEY", raising=False)
    with pytest.raises(ValueError, match="HL_TEST_KEY"):
        L1Signer.from_env("HL_TEST_KEY")


def test_key_from_file(vector_key: str, tmp_path: Path, signing_vectors: dict[str, Any]) -> None:
    path = tmp_path / "key"
    path.write_text(vector_key + "\n")
    assert L1Signer.from_key_file(path).address == signing_vectors["address"]


def test_signature_format_is_the_sdks_with_leading_zeros_dropped(
    signing_vectors: dict[str, Any], signer: L1Signer
) -> None:
    # The dummy-mainnet vector's r has 63 hex digits.
    vector = signing_vectors["vectors"][0]
    sig = signer.sign_action(vector["action"], vector["nonce"], is_mainnet=True)
    assert len(sig["r"]) == 2 + 63
    assert sig == vector["signature"]


def test_short_r_recovers_when_parsed_as_an_integer(signing_vectors: dict[str, Any]) -> None:
    vector = signing_vectors["vectors"][0]
    padded = {**vector["signature"], "r": "0x" + vector["signature"]["r"][2:].zfill(64)}
    for sig in (vector["signature"], padded):
        assert recover_l1_signer(vector["action"], sig, 0, is_mainnet=True) == signing_vectors["address"].lower()


def test_v_as_0_or_1_is_accepted(signer: L1Signer) -> None:
    sig = signer.sign_action(ACTION, NONCE, is_mainnet=True)
    standard = {**sig, "v": sig["v"] - 27}
    assert recover_l1_signer(ACTION, standard, NONCE, is_mainnet=True) == signer.address.lower()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"v": 29}, "v must be"),
        ({"v": "27"}, "v must be"),
        ({"v": True}, "v must be"),
        ({"r": "0x"}, "signature r"),
        ({"r": "1234"}, "signature r"),
        ({"r": "0x" + "1" * 65}, "signature r"),
        ({"s": "0xnothex"}, "signature s"),
        # What int(x, 16) would take but a hex scalar is not:
        ({"r": "0x"}, "signature r"),
        ({"r": "0x12_34"}, "signature r"),
        ({"r": " 0x1234"}, "signature r"),
        ({"r": "0x1234\n"}, "signature r"),
        ({"r": "1234"}, "signature r"),
        ({"s": "0x\uff11\uff12"}, "signature s"),  # fullwidth digits
        ({"s": "0x\u0663"}, "signature s"),  # an Arabic-Indic digit
        ({"s": None}, "signature s"),
        ({"r": "0x0"}, "out of range"),
        ({"s": hex(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141)}, "out of range"),
    ],
)
def test_malformed_signature_raises_a_clear_value_error(
    signer: L1Signer, change: dict[str, Any], match: str
) -> None:
    sig = {**signer.sign_action(ACTION, NONCE, is_mainnet=True), **change}
    with pytest.raises(ValueError, match=match):
        recover_l1_signer(ACTION, sig, NONCE, is_mainnet=True)


@pytest.mark.parametrize("sig", [None, [], {"r": "0x1", "s": "0x1"}])
def test_signature_that_is_not_an_r_s_v_object_is_refused(sig: Any) -> None:
    with pytest.raises(ValueError, match="signature"):
        parse_signature(sig)


@pytest.mark.parametrize("field", ["r", "s"])
def test_tampered_r_or_s_recovers_another_address_or_fails_cleanly(signer: L1Signer, field: str) -> None:
    sig = signer.sign_action(ACTION, NONCE, is_mainnet=True)
    outcomes = set()
    for delta in range(1, 21):
        tampered = {**sig, field: hex(int(sig[field], 16) + delta)}
        try:
            outcomes.add(recover_l1_signer(ACTION, tampered, NONCE, is_mainnet=True))
        except ValueError:
            outcomes.add("error")
    assert signer.address.lower() not in outcomes


def test_r_that_is_not_a_curve_point_fails_cleanly(signer: L1Signer) -> None:
    # x = 5 has no point on secp256k1 (5**3 + 7 = 132 is not a square mod p), so no key recovers.
    sig = {**signer.sign_action(ACTION, NONCE, is_mainnet=True), "r": "0x5"}
    with pytest.raises(ValueError, match="does not recover"):
        recover_l1_signer(ACTION, sig, NONCE, is_mainnet=True)


@pytest.mark.parametrize("action", [{"type": "cancel", "o": 2**64}, {"type": "x", "v": object()}])
def test_action_that_msgpack_cannot_encode_is_a_value_error(action: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="msgpack"):
        action_hash(action, None, NONCE, None)


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(digest=st.binary(min_size=32, max_size=32))
def test_sign_digest_formats_r_and_s_like_the_sdk(signer: L1Signer, sdk_wallet: Any, digest: bytes) -> None:
    # One r or s in 16 has a leading zero digit, which the SDK's to_hex (sign_inner) drops.
    signed = Account.unsafe_sign_hash(digest, sdk_wallet.key)
    assert signer.sign_digest(digest) == {"r": to_hex(signed.r), "s": to_hex(signed.s), "v": signed.v}
