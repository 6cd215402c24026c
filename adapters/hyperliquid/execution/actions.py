"""Signed `/exchange` actions of one account: the one path every order, cancel and switch takes.

An action is signed with the agent key and a nonce from the one `NonceSource` of this sender,
sent as a WS `post` when the socket may be used, else over REST (with the HTTP client's
failover), and its reply is read into one typed `Outcome` per entry. A failure says whether the
exchange certainly did not act on it (`ActionFailed.not_placed`).

A WS post that times out leaves the socket distrusted (actions go over REST until it reconnects or
`WS_RETRY_SECS` pass); an idempotent action (a cancel) is then re-sent over REST at once, while an
order or modify is left to the caller to settle from the exchange's record, so nothing is placed twice.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from adapters.hyperliquid.common.log import LogLike
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

_log = logging.getLogger(__name__)


class ActionFailed(Exception):
    """An action that got no usable reply.

    `not_placed` is True when the exchange certainly did not act on it (connection refused
    before sending, 429 through every retry, a 4xx, a WS post error reply); otherwise the
    outcome is unknown (timeout or cut after sending, 5xx, undecodable reply).
    """

    def __init__(self, message: str, *, not_placed: bool = False) -> None:
        super().__init__(message)
        self.not_placed = not_placed


class Route(enum.Enum):
    """Which transport an action takes."""

    AUTO = "auto"  # WS post when preferred and usable, else REST; idempotent actions fall back to REST
    REST = "rest"  # REST with failover only
    WS = "ws"  # WS post only (not usable: `ActionFailed(not_placed=True)`)


# Actions whose repetition does no harm: after a WS post timed out they are re-sent over REST at once.
# (An order or a modify is settled from the exchange's record first: re-sending could place it twice.)
IDEMPOTENT_ACTIONS = frozenset({"cancel", "cancelByCloid", "scheduleCancel", "noop"})
# After a WS post timed out, actions go over REST until the socket reconnects or this long has passed.
WS_RETRY_SECS = 30.0


class ExchangeActions:
    """
    Signs and sends the actions of one account.

    Parameters
    ----------
    ws : HyperliquidWebSocketClient, optional
        Actions go as WS `post` on it when `prefer_ws`, it is connected and `ws_ready()` says so.
    on_reply : callable, optional
        Called after every reply (the execution client publishes its rate-limit estimate).
    on_refused : callable, optional
        Called with the exchange's text when it refuses an action as a whole (`status: "err"`, a WS
        post error): nothing in the action was applied.
    """

    def __init__(
        self,
        http: HyperliquidHttpClient,
        signer: L1Signer,
        *,
        is_mainnet: bool,
        ws: HyperliquidWebSocketClient | None = None,
        prefer_ws: bool = True,
        ws_ready: Callable[[], bool] = lambda: True,
        post_timeout_secs: float = 5.0,
        ws_retry_secs: float = WS_RETRY_SECS,
        on_reply: Callable[[], None] = lambda: None,
        on_refused: Callable[[str], None] = lambda text: None,
        logger: LogLike | None = None,
    ) -> None:
        self._http = http
        self._signer = signer
        self._is_mainnet = is_mainnet
        self._nonces = NonceSource()
        self._ws = ws
        self._prefer_ws = prefer_ws
        self._ws_ready = ws_ready
        self._post_timeout = post_timeout_secs
        self._ws_retry_secs = ws_retry_secs
        self._on_reply = on_reply
        self._on_refused = on_refused
        self._log = logger or _log
        # (socket reconnect count, monotonic deadline) of the last post timeout: until either moves on,
        # the socket is not trusted with actions.
        self._ws_distrusted: tuple[int, float] | None = None
        self.actions_sent = 0
        self.sent_over_ws = 0
        self.sent_over_rest = 0
        self.resent_over_rest = 0

    def signed_body(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self._nonces.next()
        signature = self._signer.sign_action(action, nonce, is_mainnet=self._is_mainnet)
        return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}

    @property
    def ws_usable(self) -> bool:
        """The socket is connected, free to answer posts, and has not just timed out on one."""
        ws = self._ws
        if ws is None or not ws.is_connected or not self._ws_ready():
            return False
        if self._ws_distrusted is not None:
            reconnects, until = self._ws_distrusted
            if ws.reconnects == reconnects and time.monotonic() < until:
                return False
            self._ws_distrusted = None
        return True

    @property
    def ws(self) -> HyperliquidWebSocketClient | None:
        return self._ws

    @property
    def post_timeout_secs(self) -> float:
        return self._post_timeout

    async def send(self, action: dict[str, Any], n_entries: int, *, route: Route = Route.AUTO) -> list[Outcome]:
        """One outcome per entry of `action`; raises `ActionFailed` when no usable reply came."""
        self.actions_sent += 1
        raw: bytes | None = None
        if route is Route.WS or (route is Route.AUTO and self._prefer_ws and self.ws_usable):
            raw = await self._send_over_ws(action, n_entries, may_fall_back=route is Route.AUTO)
        if raw is None:
            raw = await self._send_over_rest(action)
        self._on_reply()
        try:
            outcomes = parse_action_reply(raw, n_entries)
        except ValueError as exc:  # msgspec's decode and validation errors are ValueErrors
            raise ActionFailed(f"undecodable exchange reply ({exc}): {raw[:300]!r}") from exc
        if outcomes and outcomes[0].action_refused:
            self._on_refused(outcomes[0].text or "")
        return outcomes

    async def _send_over_ws(self, action: dict[str, Any], n_entries: int, *, may_fall_back: bool) -> bytes | None:
        """The reply to the action sent as a WS post; None when it is to go over REST instead."""
        ws = self._ws
        if ws is None or not self.ws_usable:
            if may_fall_back:
                return None
            raise ActionFailed("the WS socket is not usable for posts", not_placed=True)
        self.sent_over_ws += 1
        try:
            response = await ws.post("action", self.signed_body(action), self._post_timeout)
        except WsNotConnected as exc:
            if may_fall_back:
                return None  # the post never left: REST
            raise ActionFailed(f"WS post not sent: {exc}", not_placed=True) from exc
        except WsPostTimeout as exc:
            self._distrust_ws(ws, exc)
            if may_fall_back and action.get("type") in IDEMPOTENT_ACTIONS:
                # Re-sent under a new nonce (the old one, if it arrived, would come back "duplicate
                # nonce" and read as a refusal); a second cancel of a canceled order is harmless.
                self.resent_over_rest += 1
                self._log.warning(f"{action.get('type')} re-sent over REST after the WS post failed ({exc})")
                return None
            # Outcome unknown: the caller settles it from the exchange's record before anything is re-sent.
            raise ActionFailed(str(exc)) from exc
        if response.type == "error":
            # The exchange refused the request as a whole: nothing in it was applied.
            text = bytes(response.payload).decode(errors="replace")
            self._on_refused(text)
            raise ActionFailed(f"WS post error: {text[:300]}", not_placed=True)
        self._http.rate_limits.add_address_actions(n_entries)
        return bytes(response.payload)

    async def _send_over_rest(self, action: dict[str, Any]) -> bytes:
        self.sent_over_rest += 1
        try:
            return await self._http.exchange(self.signed_body(action))
        except REST_ERRORS as exc:
            raise ActionFailed(f"{type(exc).__name__}: {exc}", not_placed=not exc.maybe_delivered) from exc
        except Exception as exc:
            raise ActionFailed(f"{type(exc).__name__}: {exc}") from exc

    def _distrust_ws(self, ws: HyperliquidWebSocketClient, exc: Exception) -> None:
        if self._ws_distrusted is None:
            self._log.warning(f"WS post failed ({exc}): actions go over REST until the socket proves itself again")
        self._ws_distrusted = (ws.reconnects, time.monotonic() + self._ws_retry_secs)


async def cancel_listed_orders(
    actions: ExchangeActions, entries: Sequence[tuple[BasicOrder, int]]
) -> list[tuple[BasicOrder, Outcome]]:
    """Cancel orders the exchange listed as open (each with its asset id) in one action, each with
    its outcome.

    Over REST, so the backup endpoints serve it when the primary is down, else over the WS socket:
    the path of the client's cancel-all (the stall panic) and of run_live's start-up sweep.
    """
    if not entries:
        return []
    action = cancel_action([(asset, order.oid) for order, asset in entries])
    try:
        outcomes = await actions.send(action, len(entries), route=Route.REST)
    except ActionFailed:
        if not actions.ws_usable:
            raise
        # Every REST endpoint failed, the socket is up: a cancel may be sent twice.
        outcomes = await actions.send(action, len(entries), route=Route.WS)
    return [(order, outcome) for (order, _), outcome in zip(entries, outcomes, strict=True)]
