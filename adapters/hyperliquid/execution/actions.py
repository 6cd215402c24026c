"""Signed `/exchange` actions of one account: the one path every order, cancel and switch takes.

An action is signed with the agent key and a nonce from the one `NonceSource` of this sender,
sent as a WS `post` when the socket may be used, else over REST (with the HTTP client's
failover), and its reply is read into one typed `Outcome` per entry. A failure says whether the
exchange certainly did not act on it (`ActionFailed.not_placed`).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from adapters.hyperliquid.common.nonces import NonceSource
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.replies import Outcome
from adapters.hyperliquid.parsing.replies import parse_action_reply
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.client import WsNotConnected
from adapters.hyperliquid.websocket.client import WsPostTimeout


class ActionFailed(Exception):
    """An action that got no usable reply.

    `not_placed` is True when the exchange certainly did not act on it (connection refused
    before sending, 429 through every retry, a 4xx, a WS post error reply); otherwise the
    outcome is unknown (timeout or cut after sending, 5xx, undecodable reply).
    """

    def __init__(self, message: str, *, not_placed: bool = False) -> None:
        super().__init__(message)
        self.not_placed = not_placed


class ExchangeActions:
    """
    Signs and sends the actions of one account.

    Parameters
    ----------
    ws : HyperliquidWebSocketClient, optional
        Actions go as WS `post` on it while `use_ws()` says so and it is connected.
    on_reply : callable, optional
        Called after every reply (the execution client publishes its rate-limit estimate).
    """

    def __init__(
        self,
        http: HyperliquidHttpClient,
        signer: L1Signer,
        *,
        is_mainnet: bool,
        ws: HyperliquidWebSocketClient | None = None,
        use_ws: Callable[[], bool] = lambda: True,
        post_timeout_secs: float = 5.0,
        on_reply: Callable[[], None] = lambda: None,
    ) -> None:
        self._http = http
        self._signer = signer
        self._is_mainnet = is_mainnet
        self._nonces = NonceSource()
        self._ws = ws
        self._use_ws = use_ws
        self._post_timeout = post_timeout_secs
        self._on_reply = on_reply
        self.actions_sent = 0

    def signed_body(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self._nonces.next()
        signature = self._signer.sign_action(action, nonce, is_mainnet=self._is_mainnet)
        return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}

    async def send(self, action: dict[str, Any], n_entries: int, *, rest_only: bool = False) -> list[Outcome]:
        """One outcome per entry of `action`; raises `ActionFailed` when no usable reply came."""
        body = self.signed_body(action)
        self.actions_sent += 1
        raw: bytes | None = None
        ws = self._ws
        if ws is not None and not rest_only and self._use_ws() and ws.is_connected:
            try:
                response = await ws.post("action", body, self._post_timeout)
                if response.type == "error":
                    # The exchange refused the request as a whole: nothing in it was applied.
                    raise ActionFailed(f"WS post error: {bytes(response.payload)[:300]!r}", not_placed=True)
                raw = bytes(response.payload)
                self._http.rate_limits.add_address_actions(n_entries)
            except WsNotConnected:
                raw = None  # the socket went down before sending: REST below
            except WsPostTimeout as exc:
                # Outcome unknown. Not re-sent: a replay of the same nonce would come back as an
                # error and be mistaken for a reject. The user stream (or Nautilus's in-flight
                # check) settles the order.
                raise ActionFailed(str(exc)) from exc
        if raw is None:
            try:
                raw = await self._http.exchange(body)
            except REST_ERRORS as exc:
                raise ActionFailed(f"{type(exc).__name__}: {exc}", not_placed=not exc.maybe_delivered) from exc
            except Exception as exc:
                raise ActionFailed(f"{type(exc).__name__}: {exc}") from exc
        self._on_reply()
        try:
            return parse_action_reply(raw, n_entries)
        except ValueError as exc:  # msgspec's decode and validation errors are ValueErrors
            raise ActionFailed(f"undecodable exchange reply ({exc}): {raw[:300]!r}") from exc


async def cancel_listed_orders(
    actions: ExchangeActions, entries: Sequence[tuple[BasicOrder, int]]
) -> list[tuple[BasicOrder, Outcome]]:
    """Cancel orders the exchange listed as open (each with its asset id) in one action, each with
    its outcome.

    Over REST, so the backup endpoints serve it when the primary is down: the path of the
    client's cancel-all (the risk actor's panic path) and of run_live's start-up sweep.
    """
    if not entries:
        return []
    action = cancel_action([(asset, order.oid) for order, asset in entries])
    outcomes = await actions.send(action, len(entries), rest_only=True)
    return [(order, outcome) for (order, _), outcome in zip(entries, outcomes, strict=True)]
