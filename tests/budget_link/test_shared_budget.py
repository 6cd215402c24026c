"""Several nodes of one account share its limits through Redis: atomic claims, leases, reduce-only
without Redis (a real Redis server; each test its own account)."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from budget_link.shared_budget import SharedBudget
from budget_link.shared_budget import SharedLimits


@pytest.fixture
def account() -> str:
    return "0x" + secrets.token_hex(20)


def _node(url: str, account: str, name: str, cap: float = 1_000.0, assets: int = 2, lease_ms: int = 10_000) -> SharedBudget:
    return SharedBudget(url, account, name, SharedLimits(cap, assets, lease_ms))


def test_claims_of_two_nodes_never_add_up_past_the_cap(redis_url: str, account: str) -> None:
    a, b = _node(redis_url, account, "a"), _node(redis_url, account, "b")
    assert a.claim("ETH", 700.0, 0.0) == 700.0
    assert b.claim("WLFI", 700.0, 0.0) == 300.0  # each alone would get 700
    view = a.view()
    assert view is not None and view.total_usd == pytest.approx(1_000.0)
    assert a.claim("ETH", 200.0, 0.0) == 200.0  # giving back frees room for the other
    assert b.claim("WLFI", 700.0, 0.0) == 700.0


def test_a_claim_never_goes_below_what_the_node_already_holds(redis_url: str, account: str) -> None:
    a, b = _node(redis_url, account, "a"), _node(redis_url, account, "b")
    a.claim("ETH", 1_000.0, 0.0)
    assert b.claim("WLFI", 500.0, 120.0) == 120.0  # held inventory stays claimed; the soft exit reduces it


def test_a_new_coin_is_refused_once_the_account_holds_max_assets(redis_url: str, account: str) -> None:
    a, b = _node(redis_url, account, "a", assets=2), _node(redis_url, account, "b", assets=2)
    a.claim("ETH", 100.0, 0.0)
    b.claim("WLFI", 100.0, 0.0)
    assert b.claim("SOL", 100.0, 0.0) == 0.0
    assert a.claim("ETH", 150.0, 0.0) == 150.0  # a coin already held may grow


def test_a_dead_node_returns_its_share_when_its_lease_expires(redis_url: str, account: str) -> None:
    dead = _node(redis_url, account, "dead", lease_ms=1_000)
    alive = _node(redis_url, account, "alive", lease_ms=1_000)
    dead.claim("ETH", 900.0, 0.0)
    assert alive.claim("WLFI", 500.0, 0.0) == pytest.approx(100.0)
    time.sleep(1.3)  # dead stops renewing
    assert alive.claim("WLFI", 500.0, 0.0) == 500.0
    view = alive.view()
    assert view is not None and set(view.claims) == {"alive"}


def test_concurrent_claims_are_atomic(redis_url: str, account: str) -> None:
    nodes = [_node(redis_url, account, f"n{i}", cap=1_000.0, assets=10) for i in range(8)]
    grants: list[float] = []
    lock = threading.Lock()

    def claim(node: SharedBudget) -> None:
        for _ in range(20):
            got = node.claim("ETH", 300.0, 0.0)
            with lock:
                grants.append(got)

    threads = [threading.Thread(target=claim, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    view = nodes[0].view()
    assert view is not None and view.total_usd <= 1_000.0 + 1e-6


def test_without_redis_a_node_gets_only_what_it_holds_and_recovers(private_redis, account: str) -> None:
    node = _node(private_redis.url, account, "a")
    assert node.claim("ETH", 500.0, 0.0) == 500.0 and node.healthy
    private_redis.stop()
    assert node.claim("ETH", 500.0, 80.0) == 80.0
    assert not node.healthy and node.last_error
    private_redis.start()
    assert node.claim("ETH", 500.0, 80.0) == 500.0 and node.healthy


def test_activity_adds_up_across_nodes(redis_url: str, account: str) -> None:
    a, b = _node(redis_url, account, "a"), _node(redis_url, account, "b")
    a.record_activity(30, 20.0)
    b.record_activity(10, 20.0)
    view = a.view()
    assert view is not None and view.actions == 40 and view.actions_per_usdc == pytest.approx(1.0)


def test_release_gives_back_every_claim_of_the_node(redis_url: str, account: str) -> None:
    a, b = _node(redis_url, account, "a"), _node(redis_url, account, "b")
    a.claim("ETH", 1_000.0, 0.0)
    a.release()
    assert b.claim("ETH", 1_000.0, 0.0) == 1_000.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"account": "0x12"}, "account"), ({"node": "a b"}, "node_id")],
)
def test_bad_identities_are_refused(redis_url: str, kwargs: dict, message: str) -> None:
    args = {"account": "0x" + "ab" * 20, "node": "a", **kwargs}
    with pytest.raises(ValueError, match=message):
        SharedBudget(redis_url, args["account"], args["node"], SharedLimits(100.0, 1))


@pytest.mark.parametrize(("cap", "assets", "lease"), [(0.0, 1, 10_000), (float("nan"), 1, 10_000), (10.0, 0, 10_000), (10.0, 1, 10)])
def test_bad_limits_are_refused(cap: float, assets: int, lease: int) -> None:
    with pytest.raises(ValueError):
        SharedLimits(cap, assets, lease)


def test_what_a_dead_node_held_stays_counted_until_a_node_claims_its_coin(redis_url: str, account: str) -> None:
    dead = _node(redis_url, account, "dead", lease_ms=1_000)
    alive = _node(redis_url, account, "alive", lease_ms=1_000)
    assert dead.claim("ETH", 600.0, 400.0) == 600.0  # holds 400, may add 200
    time.sleep(1.3)  # dead stops renewing: its 200 of headroom come back, its 400 held do not
    assert alive.claim("WLFI", 1_000.0, 0.0) == pytest.approx(600.0)
    view = alive.view()
    assert view is not None and view.claims == {"alive": {"WLFI": 600.0}, "~": {"ETH": 400.0}}
    # A node taking over ETH holds the account's ETH position: its floor replaces the orphan.
    heir = _node(redis_url, account, "heir", lease_ms=1_000)
    assert heir.claim("ETH", 450.0, 400.0) == 400.0
    view = heir.view()
    assert view is not None and "~" not in view.claims and view.total_usd == pytest.approx(1_000.0)


def test_one_call_claims_several_coins_in_turn_against_the_cap(redis_url: str, account: str) -> None:
    a = _node(redis_url, account, "a", assets=3)
    granted = a.claim_many({"ETH": (700.0, 0.0), "WLFI": (700.0, 0.0), "SOL": (100.0, 50.0)})
    assert granted == {"ETH": 700.0, "WLFI": 300.0, "SOL": 50.0}  # SOL keeps what it holds
    view = a.view()
    assert view is not None and view.claims == {"a": granted}


def test_a_claim_renews_the_nodes_lease_by_itself(redis_url: str, account: str) -> None:
    a = _node(redis_url, account, "a", lease_ms=1_000)
    b = _node(redis_url, account, "b", lease_ms=1_000)
    a.claim("ETH", 900.0, 0.0)
    for _ in range(3):  # longer than one lease, renewed only by the claims
        time.sleep(0.5)
        a.claim("ETH", 900.0, 0.0)
    assert b.claim("WLFI", 500.0, 0.0) == pytest.approx(100.0)

