"""Signature verification, signer resolution, nonce rules and malformed payloads."""

from __future__ import annotations

import json
import time

import requests

from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data
from hlsim.api.exchange import verify_signer
from hlsim.engine.actions import exchange_request_from_obj
from hlsim.engine.nonces import NonceBook
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

from .conftest import AGENT_KEY
from .conftest import MAKER_KEY
from .helpers import alo
from .helpers import next_nonce
from .helpers import order_action
from .helpers import post_action
from .helpers import signed_body
from .helpers import statuses

NOOP = {"type": "noop"}


def test_sdk_signing_vectors_recover_the_vector_address() -> None:
    vectors = json.loads(shipped_data.signing_vectors().read_text())
    assert len(vectors["vectors"]) >= 20
    for vector in vectors["vectors"]:
        request = exchange_request_from_obj(
            {
                "action": vector["action"],
                "nonce": vector["nonce"],
                "signature": vector["signature"],
                "vaultAddress": vector["vault_address"],
                "expiresAfter": vector["expires_after"],
            }
        )
        assert verify_signer(request, vector["mainnet"]) == vectors["address"].lower(), vector["name"]


def test_signature_for_the_other_network_recovers_another_address() -> None:
    vectors = json.loads(shipped_data.signing_vectors().read_text())
    vector = vectors["vectors"][0]
    request = exchange_request_from_obj(
        {"action": vector["action"], "nonce": vector["nonce"], "signature": vector["signature"]}
    )
    assert verify_signer(request, not vector["mainnet"]) != vectors["address"].lower()


def test_unknown_signer_gets_the_user_does_not_exist_reply(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    reply = post_action(sim.rest_url, signer, NOOP)
    assert reply == {"status": "err", "response": f"User or API Wallet {signer.address.lower()} does not exist."}


def test_mainnet_signature_on_a_testnet_sim_is_an_unknown_signer(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    reply = post_action(sim.rest_url, signer, NOOP, is_mainnet=True)
    assert reply["status"] == "err" and reply["response"].startswith("User or API Wallet 0x")
    assert signer.address.lower() not in reply["response"]


def test_mainnet_network_config_accepts_mainnet_signatures() -> None:
    signer = L1Signer(MAKER_KEY)
    with run_hlsim_in_thread(HlSimConfig(network="mainnet", coins={"ETH": 4})) as sim:
        sim.fund(signer.address, 1000)
        assert post_action(sim.rest_url, signer, NOOP, is_mainnet=True) == {
            "status": "ok", "response": {"type": "default"}
        }


def test_agent_wallet_signs_for_its_account(eth_book: HlSimThread) -> None:
    account, agent = L1Signer(MAKER_KEY), L1Signer(AGENT_KEY)
    eth_book.fund(account.address, 10_000)
    eth_book.register_agent(account.address, agent.address)
    reply = post_action(eth_book.rest_url, agent, order_action(alo(0, True, "2999.5", "0.01")))
    oid = statuses(reply)[0]["resting"]["oid"]
    assert [o["oid"] for o in eth_book.open_orders(account.address)] == [oid]
    assert eth_book.open_orders(agent.address) == []


def test_reused_nonce_is_refused(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    nonce = next_nonce()
    assert post_action(sim.rest_url, signer, NOOP, nonce)["status"] == "ok"
    assert post_action(sim.rest_url, signer, NOOP, nonce) == {
        "status": "err", "response": f"Invalid nonce: duplicate nonce {nonce}"
    }


def test_nonce_too_old_or_too_far_ahead_is_refused(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    now = int(time.time() * 1000)
    for nonce in (now - 3 * 86_400_000, now + 2 * 86_400_000):
        reply = post_action(sim.rest_url, signer, NOOP, nonce)
        assert reply["status"] == "err" and reply["response"].startswith("Invalid nonce"), reply


def test_only_the_100_highest_nonces_are_kept() -> None:
    book = NonceBook()
    now = int(time.time() * 1000)
    for i in range(100):
        assert book.use("0xa", now + i, now) is None
    # Below the smallest kept one: refused even though never used.
    assert book.use("0xa", now - 1, now) is not None
    # Above the smallest (and unused): accepted, and the smallest drops out.
    assert book.use("0xa", now + 1000, now) is None
    assert book.use("0xa", now, now) is not None


def test_nonces_are_per_signer() -> None:
    book = NonceBook()
    now = int(time.time() * 1000)
    assert book.use("0xa", now, now) is None
    assert book.use("0xb", now, now) is None


def test_garbage_body_gets_422_with_the_deserialize_text(sim: HlSimThread) -> None:
    reply = requests.post(sim.rest_url + "/exchange", data=b"{not json", timeout=5)
    assert reply.status_code == 422
    assert reply.text.startswith("Failed to deserialize the JSON body into the target type")


def test_unknown_action_type_gets_422(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    body = signed_body(signer, {"type": "launchRockets"})
    reply = requests.post(sim.rest_url + "/exchange", json=body, timeout=5)
    assert reply.status_code == 422 and "launchRockets" in reply.text


def test_order_missing_fields_gets_422(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    body = signed_body(signer, {"type": "order", "orders": [{"a": 0, "b": True}], "grouping": "na"})
    reply = requests.post(sim.rest_url + "/exchange", json=body, timeout=5)
    assert reply.status_code == 422


def test_malformed_signature_gets_422(sim: HlSimThread) -> None:
    body = {"action": NOOP, "nonce": next_nonce(), "signature": {"r": "0xzz", "s": "0x1", "v": 27}}
    reply = requests.post(sim.rest_url + "/exchange", json=body, timeout=5)
    assert reply.status_code == 422


def test_tampered_action_recovers_an_unknown_signer(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 10_000)
    body = signed_body(signer, order_action(alo(0, True, "2999.5", "0.01")))
    body["action"]["orders"][0]["s"] = "1"
    reply = requests.post(sim.rest_url + "/exchange", json=body, timeout=5).json()
    assert reply["status"] == "err" and "does not exist" in reply["response"]
    assert sim.open_orders(signer.address) == []


def test_sdk_approve_agent_registers_an_agent_that_can_trade(eth_book: HlSimThread) -> None:
    import eth_account
    from hyperliquid.exchange import Exchange

    main = eth_account.Account.from_key(MAKER_KEY)
    eth_book.fund(main.address, 10_000)
    reply, agent_key = Exchange(main, base_url=eth_book.rest_url).approve_agent("bot")
    assert reply == {"status": "ok", "response": {"type": "default"}}
    agent = Exchange(eth_account.Account.from_key(agent_key), base_url=eth_book.rest_url,
                     account_address=main.address)
    result = agent.order("ETH", True, 0.01, 2999.5, {"limit": {"tif": "Alo"}})
    assert "resting" in statuses(result)[0]
    assert len(eth_book.open_orders(main.address)) == 1


def test_expired_action_is_refused(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    nonce = next_nonce()
    expires = nonce - 1000
    signature = signer.sign_action(NOOP, nonce, is_mainnet=False, expires_after=expires)
    body = {"action": NOOP, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": expires}
    reply = requests.post(sim.rest_url + "/exchange", json=body, timeout=5).json()
    assert reply["status"] == "err" and reply["response"].startswith("Action expired")


def test_unexpired_action_with_expires_after_is_accepted(sim: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 1000)
    nonce = next_nonce()
    signature = signer.sign_action(NOOP, nonce, is_mainnet=False, expires_after=nonce + 60_000)
    body = {"action": NOOP, "nonce": nonce, "signature": signature, "vaultAddress": None,
            "expiresAfter": nonce + 60_000}
    assert requests.post(sim.rest_url + "/exchange", json=body, timeout=5).json()["status"] == "ok"
