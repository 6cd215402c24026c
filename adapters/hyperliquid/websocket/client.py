"""One Hyperliquid WS connection kept alive: subscriptions survive reconnects, actions go as `post`.

Message payloads are handed to `on_message(channel, raw_data, recv_ns)` undecoded past the
envelope, so each consumer decodes only the channels it owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from adapters.hyperliquid.common.backoff import Backoff
from adapters.hyperliquid.common.constants import WS_GREETING
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.schemas.market_data import WS_MESSAGE_DECODER
from adapters.hyperliquid.schemas.ws import WS_POST_DECODER
from adapters.hyperliquid.schemas.ws import WsPostResponse

_ENCODER = msgspec.json.Encoder()
_GREETING = WS_GREETING.encode()
_PONG_GRACE_SECS = 10.0
_log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, int], None]
StateHandler = Callable[[], Awaitable[None] | None]


class WsNotConnected(Exception):
    """A `post` was attempted while the socket is down (callers fall back to REST)."""


class WsPostTimeout(Exception):
    """No reply to a `post` within the timeout: the action's outcome is unknown."""


class WsPostLost(WsPostTimeout):
    """The socket went down after the `post` was sent, before its reply: the outcome is unknown."""


class HyperliquidWebSocketClient:
    """
    Parameters
    ----------
    url : str
        `ws://host:port/ws`.
    on_message : MessageHandler
        Receives every channel message except pong, post replies and subscription acks.
    on_disconnect / on_reconnect : callables, optional
        Called (sync or async) when an established connection is lost / re-established
        (after the subscriptions were sent again).
    """

    def __init__(
        self,
        url: str,
        on_message: MessageHandler,
        *,
        on_disconnect: StateHandler | None = None,
        on_reconnect: StateHandler | None = None,
        ping_interval_secs: float = 50.0,
        backoff_initial_secs: float = 0.5,
        backoff_max_secs: float = 30.0,
        connect_timeout_secs: float = 10.0,
        confirm_subscriptions: bool = False,
        logger: LogLike | None = None,
        name: str = "ws",
    ) -> None:
        self.url = url
        self._on_message = on_message
        self._on_disconnect = on_disconnect
        self._on_reconnect = on_reconnect
        self._ping_interval = ping_interval_secs
        self._backoff = Backoff(backoff_initial_secs, backoff_max_secs)
        self._connect_timeout = connect_timeout_secs
        # When set, a (re)connection counts only once the server acknowledged every subscription
        # (a server that cuts the subscribe is not "back"); messages read meanwhile are held and
        # handed on after `on_reconnect` ran, in the order they came.
        self._confirm_subscriptions = confirm_subscriptions
        self._held: list[bytes] = []
        self._log = logger or _log
        self._name = name
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._pending: dict[int, asyncio.Future[WsPostResponse]] = {}
        self._next_id = 1
        self._run_task: asyncio.Task | None = None
        self._ping_task: asyncio.Task | None = None
        self._closing = False
        self._connected = asyncio.Event()
        self.reconnects = 0
        self._last_recv_ns = time.time_ns()
        self.errors: list[str] = []

    @property
    def is_connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        return list(self._subscriptions.values())

    async def connect(self) -> None:
        """Open the socket (raises when the first attempt fails) and keep it open from then on."""
        self._closing = False
        await self._open()
        self._release_held()
        self._run_task = asyncio.get_running_loop().create_task(self._run(), name=f"hl-{self._name}-reader")
        self._ping_task = asyncio.get_running_loop().create_task(self._ping_loop(), name=f"hl-{self._name}-ping")

    async def wait_connected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        self._closing = True
        for task in (self._ping_task, self._run_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._ping_task = self._run_task = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._fail_pending(WsPostLost("socket closed before the post's reply"))

    async def subscribe(self, subscription: dict[str, Any]) -> None:
        key = _subscription_key(subscription)
        if key in self._subscriptions:
            return
        self._subscriptions[key] = subscription
        if self.is_connected:
            await self._send({"method": "subscribe", "subscription": subscription})

    async def unsubscribe(self, subscription: dict[str, Any]) -> None:
        key = _subscription_key(subscription)
        if self._subscriptions.pop(key, None) is not None and self.is_connected:
            await self._send({"method": "unsubscribe", "subscription": subscription})

    async def post(self, kind: str, payload: dict[str, Any], timeout_secs: float) -> WsPostResponse:
        """Send `{"method":"post","id":N,"request":{"type":kind,"payload":...}}` and await its reply."""
        if not self.is_connected:
            raise WsNotConnected(f"{self._name} socket is down")
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[WsPostResponse] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            try:
                await self._send({"method": "post", "id": request_id, "request": {"type": kind, "payload": payload}})
            except (aiohttp.ClientConnectionResetError, ConnectionError) as exc:
                # aiohttp refuses to write to a closing transport: the request never left.
                raise WsNotConnected(f"{self._name} socket is closing: {exc}") from None
            return await asyncio.wait_for(future, timeout_secs)
        except TimeoutError:
            raise WsPostTimeout(f"no reply to post id={request_id} within {timeout_secs} s") from None
        finally:
            self._pending.pop(request_id, None)

    async def drop_for_test(self) -> None:
        """Close the socket as a network fault would (the reader then reconnects)."""
        if self._ws is not None:
            await self._ws.close()

    # -- internals ----------------------------------------------------------------------------

    async def _open(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            self.url,
            timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            autoping=True,
            max_msg_size=0,
            # Text frames stay bytes: msgspec decodes them directly (no str round trip per message).
            decode_text=False,
        )
        # Every subscription is (re)sent on a new socket; the server knows nothing of the old one.
        for subscription in self._subscriptions.values():
            await self._send({"method": "subscribe", "subscription": subscription})
        if self._confirm_subscriptions and self._subscriptions:
            self._held = []
            ws = self._ws
            try:
                await self._await_subscription_acks(ws, len(self._subscriptions))
            except BaseException:
                self._ws = None
                await ws.close()
                raise
        self._last_recv_ns = time.time_ns()
        self._connected.set()
        self._log.info(f"{self._name}: connected to {self.url} ({len(self._subscriptions)} subscriptions)")

    async def _await_subscription_acks(self, ws: aiohttp.ClientWebSocketResponse, expected: int) -> None:
        acks = 0
        while acks < expected:
            msg = await ws.receive(timeout=self._connect_timeout)
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                raise ConnectionError(f"{self._name}: socket closed before the subscriptions were acknowledged")
            raw = msg.data.encode() if isinstance(msg.data, str) else msg.data
            if raw.startswith(_GREETING):
                continue
            try:
                channel = WS_MESSAGE_DECODER.decode(raw).channel
            except msgspec.DecodeError:
                channel = ""
            if channel == "subscriptionResponse":
                acks += 1
            elif channel == "error":
                raise ConnectionError(f"{self._name}: subscription refused: {raw[:200]!r}")
            elif channel != "pong":
                self._held.append(raw)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for raw in held:
            self._dispatch(raw)

    async def _run(self) -> None:
        while not self._closing:
            ws = self._ws
            if ws is not None:
                await self._read_until_closed(ws)
            if self._closing:
                return
            self._connected.clear()
            self._ws = None
            self._fail_pending(WsPostLost("socket lost before the post's reply"))
            self._log.warning(f"{self._name}: connection to {self.url} lost")
            await self._call_handler(self._on_disconnect, "on_disconnect")
            await self._reconnect_with_backoff()
            if self._closing:
                return
            self.reconnects += 1
            await self._call_handler(self._on_reconnect, "on_reconnect")
            self._release_held()

    async def _call_handler(self, handler: StateHandler | None, what: str) -> None:
        try:
            await _call(handler)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection must outlive a failing handler
            self._record_error(f"{what} handler failed: {type(exc).__name__}: {exc}")

    async def _reconnect_with_backoff(self) -> None:
        self._backoff.reset()  # each outage starts from the shortest wait
        while not self._closing:
            await asyncio.sleep(self._backoff.next_delay())
            try:
                await asyncio.wait_for(self._open(), self._connect_timeout)
                return
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self._log.warning(
                    f"{self._name}: reconnect attempt {self._backoff.attempt} failed: {type(exc).__name__}: {exc}"
                )

    async def _read_until_closed(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT or msg.type == aiohttp.WSMsgType.BINARY:
                    data = msg.data
                    self._dispatch(data.encode() if isinstance(data, str) else data)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                    break
        except (aiohttp.ClientError, OSError) as exc:
            self._log.warning(f"{self._name}: read failed: {type(exc).__name__}: {exc}")

    def _dispatch(self, raw: bytes) -> None:
        recv_ns = time.time_ns()
        self._last_recv_ns = recv_ns
        if raw.startswith(_GREETING):
            return
        try:
            envelope = WS_MESSAGE_DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            self._record_error(f"undecodable WS message ({exc}): {raw[:200]!r}")
            return
        channel = envelope.channel
        if channel == "pong" or channel == "subscriptionResponse":
            return
        if channel == "post":
            self._resolve_post(envelope.data)
            return
        if channel == "error":
            self._record_error(f"exchange error: {bytes(envelope.data)[:300]!r}")
            return
        try:
            self._on_message(channel, bytes(envelope.data), recv_ns)
        except Exception as exc:  # a handler bug must not kill the connection
            self._record_error(f"handler failed on {channel}: {type(exc).__name__}: {exc}")

    def _resolve_post(self, data: msgspec.Raw) -> None:
        try:
            reply = WS_POST_DECODER.decode(data)
        except msgspec.DecodeError as exc:
            self._record_error(f"undecodable post reply ({exc})")
            return
        future = self._pending.get(reply.id)
        if future is not None and not future.done():
            future.set_result(reply.response)

    def _record_error(self, text: str) -> None:
        self.errors.append(text)
        del self.errors[:-100]
        self._log.warning(f"{self._name}: {text}")

    async def _ping_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._ping_interval)
            ws = self._ws
            if ws is None or ws.closed:
                continue
            silent_s = (time.time_ns() - self._last_recv_ns) / 1e9
            if silent_s > self._ping_interval + _PONG_GRACE_SECS:
                # Not even the pong of the last ping came back: the connection is dead but not closed.
                self._log.warning(f"{self._name}: nothing received for {silent_s:.0f} s; reconnecting")
                await ws.close()
                continue
            try:
                await self._send({"method": "ping"})
            except (aiohttp.ClientError, OSError, RuntimeError, WsNotConnected) as exc:
                self._log.warning(f"{self._name}: ping failed: {exc}")

    async def _send(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise WsNotConnected(f"{self._name} socket is down")
        # Text frames (the exchange expects JSON text), written from msgspec's bytes as they are.
        await ws.send_frame(_ENCODER.encode(message), aiohttp.WSMsgType.TEXT)

    def _fail_pending(self, exc: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()


def _subscription_key(subscription: dict[str, Any]) -> str:
    return msgspec.json.encode(dict(sorted(subscription.items()))).decode()


async def _call(handler: StateHandler | None) -> None:
    if handler is None:
        return
    result = handler()
    if asyncio.iscoroutine(result):
        await result
