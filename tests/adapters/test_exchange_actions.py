"""The one signed-action path (`ExchangeActions`) over REST against hlsim: typed outcomes, unique
nonces, and whether a failed action may have reached the exchange."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import pytest

from adapters.hyperliquid.common.constants import ORDER_NEVER_PLACED
from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.actions import cancel_listed_orders
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.parsing.replies import parse_action_reply
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.signing import schedule_cancel_action
from tests.node_kit import ACCOUNT
from tests.node_kit import AGENT_KEY
from tests.node_kit import place_outside_order
from tests.node_kit import refused_url

ETH_ASSET = 1  # hlsim lists BTC then ETH


def _with_actions(url: str, key: str, scenario: Callable[[ExchangeActions, AccountQueries], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        http = HyperliquidHttpClient([url], timeout_secs=2.0)
        try:
            return await scenario(ExchangeActions(http, L1Signer(key), is_mainnet=False), AccountQueries(http, ACCOUNT))
        finally:
            await http.close()

    return asyncio.run(main())


def test_listed_orders_are_canceled_in_one_action_each_with_its_outcome(sim) -> None:
    oids = [place_outside_order(sim, True, 0.01, px) for px in (2990.0, 2980.0)]

    async def scenario(actions: ExchangeActions, queries: AccountQueries) -> Any:
        listed = await queries.open_orders()
        return await cancel_listed_orders(actions, [(o, ETH_ASSET) for o in listed]), actions.actions_sent

    results, sent = _with_actions(sim.rest_url, AGENT_KEY, scenario)
    assert sorted(o.oid for o, _ in results) == sorted(oids)
    assert all(outcome.ok for _, outcome in results)
    assert sent == 1 and sim.open_orders(ACCOUNT) == []


def test_actions_signed_in_the_same_millisecond_each_get_their_own_nonce(sim) -> None:
    async def scenario(actions: ExchangeActions, queries: AccountQueries) -> Any:
        bodies = [actions.signed_body(cancel_action([(ETH_ASSET, 123456789)])) for _ in range(3)]
        replies = [await queries.http.exchange(body) for body in bodies]
        return [body["nonce"] for body in bodies], [parse_action_reply(raw, 1)[0] for raw in replies]

    nonces, outcomes = _with_actions(sim.rest_url, AGENT_KEY, scenario)
    assert nonces == sorted(set(nonces))
    # Each was accepted as a request (a reused nonce refuses the action as a whole); the cancel
    # itself finds no such order.
    assert not any(o.action_refused for o in outcomes)
    assert all((o.text or "").startswith(ORDER_NEVER_PLACED) for o in outcomes)


def test_an_action_of_an_agent_the_account_never_registered_is_refused_as_a_whole(sim) -> None:
    async def scenario(actions: ExchangeActions, queries: AccountQueries) -> Any:
        return await actions.send(schedule_cancel_action(None), 1)

    (outcome,) = _with_actions(sim.rest_url, "0x" + secrets.token_hex(32), scenario)
    assert outcome.action_refused and not outcome.ok
    assert "does not exist" in (outcome.text or "")


def test_a_refused_connection_fails_the_action_as_certainly_not_placed() -> None:
    async def scenario(actions: ExchangeActions, queries: AccountQueries) -> Any:
        return await actions.send(schedule_cancel_action(None), 1)

    with pytest.raises(ActionFailed) as failed:
        _with_actions(refused_url(), AGENT_KEY, scenario)
    assert failed.value.not_placed


def test_a_5xx_leaves_the_outcome_unknown(sim) -> None:
    sim.faults.http_status(500, count=1)

    async def scenario(actions: ExchangeActions, queries: AccountQueries) -> Any:
        return await actions.send(schedule_cancel_action(None), 1)

    with pytest.raises(ActionFailed, match="500") as failed:
        _with_actions(sim.rest_url, AGENT_KEY, scenario)
    assert not failed.value.not_placed
