"""WS `/ws`: greeting, subscribe/unsubscribe acks and errors, ping/pong, `post` requests, idle close,
and the hub that fans engine events out to subscribed connections."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections import deque
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

import msgspec
from aiohttp import WSMsgType
from aiohttp import web

from hlsim.api.info import meta_and_asset_ctxs
from hlsim.api.l2view import FAST_DEPTH
from hlsim.api.l2view import FULL_DEPTH
from hlsim.api.l2view import all_mids
from hlsim.api.l2view import bbo_data
from hlsim.api.l2view import l2_book_data
from hlsim.engine.validation import is_valid_address

if TYPE_CHECKING:
    from hlsim.engine.exchange import SimExchange

GREETING = "Websocket connection established."
PONG = '{"channel":"pong"}'
USER_CHANNELS = ("orderUpdates", "userFills", "userEvents")
COIN_CHANNELS = ("l2Book", "bbo", "trades")
ASSET_CTX = "activeAssetCtx"
MARKET_CHANNELS = (*COIN_CHANNELS, "allMids", ASSET_CTX)

SubKey = tuple[Any, ...]
_encode = msgspec.json.Encoder().encode


def _dumps(obj: Any) -> str:
    return _encode(obj).decode()


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Connection:
    """One client connection: an outgoing queue drained by a writer task (never blocks the engine)."""

    __slots__ = ("closed", "ip", "queue", "subs", "transport", "ws")

    def __init__(self, ws: web.WebSocketResponse, ip: str, transport: Any = None) -> None:
        self.ws = ws
        self.ip = ip
        self.transport = transport
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.subs: dict[SubKey, dict[str, Any]] = {}
        self.closed = False

    def send(self, text: str) -> None:
        if not self.closed:
            self.queue.put_nowait(text)

    def users(self) -> set[str]:
        return {key[1] for key in self.subs if key[0] in USER_CHANNELS}

    def has_market_data(self) -> bool:
        return any(key[0] in MARKET_CHANNELS for key in self.subs)


def _opt_int(value: Any) -> bool:
    """None or a JSON integer (not a bool, not 5.0)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def parse_subscription(sub: Any, coins: set[str]) -> SubKey | None:
    """The identity of a valid subscription, None if invalid."""
    if not isinstance(sub, dict):
        return None
    kind = sub.get("type")
    if kind in COIN_CHANNELS:
        coin = sub.get("coin")
        if not isinstance(coin, str) or coin not in coins:  # a list or dict here is not hashable
            return None
        if kind != "l2Book":
            return (kind, coin)
        n_sig = sub.get("nSigFigs")
        mantissa = sub.get("mantissa")
        fast = sub.get("fast", False)
        if not (_opt_int(n_sig) and _opt_int(mantissa) and isinstance(fast, bool)):
            return None
        if n_sig not in (None, 2, 3, 4, 5) or mantissa not in (None, 1, 2, 5):
            return None
        if mantissa is not None and n_sig != 5:
            return None
        return ("l2Book", coin, n_sig, mantissa, fast)
    if kind == "allMids":
        return ("allMids",)
    if kind == ASSET_CTX:
        coin = sub.get("coin")
        return (ASSET_CTX, coin) if isinstance(coin, str) and coin in coins else None
    if kind in USER_CHANNELS:
        user = sub.get("user")
        if not is_valid_address(user):
            return None
        return (kind, user.lower())
    return None


class Hub:
    """Subscriptions of all connections; implements the engine's Listener."""

    def __init__(self, engine_ref: Callable[[], SimExchange], faults: Any) -> None:
        self._engine = engine_ref
        self.faults = faults
        self.connections: set[Connection] = set()
        self.subs: dict[SubKey, set[Connection]] = defaultdict(set)
        self._last_bbo: dict[str, Any] = {}
        self._last_mids: dict[str, str] = {}
        self._last_ctx: dict[str, dict[str, Any]] = {}
        self._dirty_l2: dict[bool, set[str]] = {False: set(), True: set()}
        self._closing: set[asyncio.Future[Any]] = set()
        # Market pushes held by `faults.market_delay_ms`: (due, key, text), sent in order when due.
        self._held_market: deque[tuple[float, SubKey, str]] = deque()

    @property
    def engine(self) -> SimExchange:
        return self._engine()

    # --- subscription bookkeeping ---------------------------------------------------------

    def add(self, conn: Connection, key: SubKey, sub: dict[str, Any]) -> bool:
        if key in conn.subs:
            return False
        conn.subs[key] = sub
        self.subs[key].add(conn)
        return True

    def remove(self, conn: Connection, key: SubKey) -> bool:
        if key not in conn.subs:
            return False
        del conn.subs[key]
        self.subs[key].discard(conn)
        if not self.subs[key]:
            del self.subs[key]
        return True

    def drop(self, conn: Connection) -> None:
        for key in list(conn.subs):
            self.remove(conn, key)
        self.connections.discard(conn)
        conn.closed = True

    def _send(self, key: SubKey, text: str) -> None:
        delay_ms = self.faults.market_delay_ms
        if (delay_ms > 0 or self._held_market) and key[0] in MARKET_CHANNELS:
            # Late market data: the same messages in the same order, each `delay_ms` after it was made.
            due = time.monotonic() + delay_ms / 1000
            self._held_market.append((due, key, text))
            asyncio.get_running_loop().call_later(max(0.0, delay_ms / 1000), self._send_held_market)
            return
        self._send_now(key, text)

    def _send_now(self, key: SubKey, text: str) -> None:
        for conn in self.subs.get(key, ()):
            conn.send(text)

    def _send_held_market(self) -> None:
        held, now = self._held_market, time.monotonic()
        while held and held[0][0] <= now:
            _, key, text = held.popleft()
            self._send_now(key, text)
        if held and held[0][0] > now:  # a timer that fired early (some loops round up): try again when due
            asyncio.get_running_loop().call_later(held[0][0] - now, self._send_held_market)

    def _market_blocked(self) -> bool:
        return self.faults.market_stalled or self.faults.all_stalled

    # --- Listener -------------------------------------------------------------------------

    def book_changed(self, coin: str) -> None:
        if self._market_blocked():
            return
        cfg = self.engine.config
        now = self.engine.now_ms()
        for key in [k for k in self.subs if k[0] == "l2Book" and k[1] == coin]:
            fast = key[4]
            interval = cfg.l2_book_fast_interval_ms if fast else cfg.l2_book_interval_ms
            if interval > 0:
                self._dirty_l2[fast].add(coin)
            else:
                self._send_l2(key, now)
        if ("bbo", coin) in self.subs or coin in self._last_bbo:
            data = bbo_data(self.engine, coin, now)
            if data["bbo"] != self._last_bbo.get(coin):
                self._last_bbo[coin] = data["bbo"]
                self._send(("bbo", coin), _dumps({"channel": "bbo", "data": data}))
        if (ASSET_CTX, coin) in self.subs:
            ctx = self._asset_ctx(coin)
            if ctx != self._last_ctx.get(coin):
                self._last_ctx[coin] = ctx
                self._send((ASSET_CTX, coin), _dumps({"channel": ASSET_CTX, "data": {"coin": coin, "ctx": ctx}}))
        if ("allMids",) in self.subs:
            mids = all_mids(self.engine)
            if mids != self._last_mids:
                self._last_mids = mids
                self._send(("allMids",), _dumps({"channel": "allMids", "data": {"mids": mids}}))

    def _asset_ctx(self, coin: str) -> dict[str, Any]:
        """The coin's perp context, the same values `metaAndAssetCtxs` answers over REST."""
        return meta_and_asset_ctxs(self.engine, {})[1][self.engine.asset_of[coin]]

    def _send_l2(self, key: SubKey, now: int) -> None:
        _, coin, n_sig, mantissa, fast = key
        data = l2_book_data(
            self.engine, coin, depth=FAST_DEPTH if fast else FULL_DEPTH, n_sig=n_sig, mantissa=mantissa, now_ms=now
        )
        self._send(key, _dumps({"channel": "l2Book", "data": data}))

    def flush_l2(self, fast: bool) -> None:
        """Periodic l2Book push for subscriptions with a configured cadence."""
        if self._market_blocked():
            return
        dirty, self._dirty_l2[fast] = self._dirty_l2[fast], set()
        now = self.engine.now_ms()
        for key in [k for k in self.subs if k[0] == "l2Book" and k[1] in dirty and k[4] == fast]:
            self._send_l2(key, now)

    def trades(self, coin: str, trades: list[dict[str, Any]]) -> None:
        if trades and not self._market_blocked():
            self._send(("trades", coin), _dumps({"channel": "trades", "data": trades}))

    def order_updates(self, user: str, updates: list[dict[str, Any]]) -> None:
        if updates and not self.faults.all_stalled and not self.faults.lose_user_message("orderUpdates", user):
            self._send(("orderUpdates", user), _dumps({"channel": "orderUpdates", "data": updates}))

    def user_fills(self, user: str, fills: list[dict[str, Any]]) -> None:
        if fills and not self.faults.all_stalled and not self.faults.lose_user_message("userFills", user):
            self._send(("userFills", user), _dumps({"channel": "userFills", "data": {"user": user, "fills": fills}}))

    def user_event(self, user: str, data: dict[str, Any]) -> None:
        if not self.faults.all_stalled:
            self._send(("userEvents", user), _dumps({"channel": "user", "data": data}))

    # --- snapshots on subscribe -----------------------------------------------------------

    def initial_messages(self, key: SubKey) -> list[str]:
        engine = self.engine
        now = engine.now_ms()
        kind = key[0]
        if kind == "l2Book":
            _, coin, n_sig, mantissa, fast = key
            data = l2_book_data(engine, coin, depth=FAST_DEPTH if fast else FULL_DEPTH, n_sig=n_sig,
                                mantissa=mantissa, now_ms=now)
            return [_dumps({"channel": "l2Book", "data": data})]
        if kind == "bbo":
            return [_dumps({"channel": "bbo", "data": bbo_data(engine, key[1], now)})]
        if kind == "allMids":
            return [_dumps({"channel": "allMids", "data": {"mids": all_mids(engine)}})]
        if kind == ASSET_CTX:
            return [_dumps({"channel": ASSET_CTX, "data": {"coin": key[1], "ctx": self._asset_ctx(key[1])}})]
        if kind == "userFills":
            acct = engine.accounts.get(key[1])
            fills = list(reversed(acct.fills))[:2000] if acct else []
            return [_dumps({"channel": "userFills", "data": {"isSnapshot": True, "user": key[1], "fills": fills}})]
        return []

    def drop_user(self, user: str) -> int:
        """Closes every connection subscribed to a user's channels; returns how many."""
        user = user.lower()
        victims = [c for c in self.connections if user in c.users()]
        for conn in victims:
            self.cut(conn)
        return len(victims)

    def drop_market(self) -> int:
        """Closes every connection subscribed to market data; returns how many."""
        victims = [c for c in self.connections if c.has_market_data()]
        for conn in victims:
            self.cut(conn)
        return len(victims)

    def refused(self, key: SubKey) -> bool:
        """A subscription the faults keep dark right now (its connection gets cut)."""
        if key[0] in USER_CHANNELS:
            return bool(self.faults.user_ws_refused(key[1]))
        return key[0] in MARKET_CHANNELS and bool(self.faults.market_ws_refused())

    def cut(self, conn: Connection) -> None:
        """Abrupt, like a network drop: no close frame."""
        self.drop(conn)
        if conn.transport is not None:
            conn.transport.abort()
        else:
            task = asyncio.ensure_future(conn.ws.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            self.drop(conn)
            with contextlib.suppress(Exception):
                await conn.ws.close()


# The reply to a post (None: the post is swallowed, never answered, as by a hung connection).
PostHandler = Callable[[str, Any, str], Awaitable[dict[str, Any] | None]]


async def serve_ws(request: web.Request, hub: Hub, post_handler: PostHandler, idle_timeout_s: float) -> web.StreamResponse:
    """One WS connection from greeting to close."""
    ws = web.WebSocketResponse(autoping=True, max_msg_size=1 << 20)
    await ws.prepare(request)
    conn = Connection(ws, request.remote or "", request.transport)
    hub.connections.add(conn)
    conn.send(GREETING)
    writer = asyncio.ensure_future(_writer(conn, idle_timeout_s))
    tasks: set[asyncio.Task[None]] = set()
    coins = set(hub.engine.coins)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type == WSMsgType.BINARY:
                    conn.send(_error(f"Error parsing JSON into valid websocket request: {msg.data!r}"))
                continue
            _handle_text(conn, hub, msg.data, coins, post_handler, tasks)
    finally:
        hub.drop(conn)
        writer.cancel()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
    return ws


def _error(text: str) -> str:
    return _dumps({"channel": "error", "data": text})


def _handle_text(conn: Connection, hub: Hub, text: str, coins: set[str], post_handler: PostHandler,
                 tasks: set[asyncio.Task[None]]) -> None:
    try:
        req = json.loads(text)
    except ValueError:
        req = None
    method = req.get("method") if isinstance(req, dict) else None
    if method == "ping":
        conn.send(PONG)
        return
    if method in ("subscribe", "unsubscribe") and "subscription" in req:
        sub = req["subscription"]
        key = parse_subscription(sub, coins)
        if key is None:
            conn.send(_error(f"Invalid subscription: {_compact(sub)}"))
            return
        if method == "subscribe":
            if hub.refused(key):
                hub.cut(conn)
                return
            if not hub.add(conn, key, sub):
                conn.send(_error(f"Already subscribed: {_compact(sub)}"))
                return
            conn.send(_dumps({"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": sub}}))
            for message in hub.initial_messages(key):
                conn.send(message)
        else:
            if not hub.remove(conn, key):
                conn.send(_error(f"Already unsubscribed: {_compact(sub)}"))
                return
            conn.send(
                _dumps({"channel": "subscriptionResponse", "data": {"method": "unsubscribe", "subscription": sub}})
            )
        return
    if method == "post" and isinstance(req.get("id"), int) and isinstance(req.get("request"), dict):
        request = req["request"]
        if request.get("type") in ("info", "action") and "payload" in request:
            task = asyncio.ensure_future(_post(conn, req["id"], request["type"], request["payload"], post_handler))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return
    conn.send(_error(f"Error parsing JSON into valid websocket request: {text}"))


async def _post(conn: Connection, req_id: int, kind: str, payload: Any, post_handler: PostHandler) -> None:
    response = await post_handler(kind, payload, conn.ip)
    if response is None:
        return
    conn.send(_dumps({"channel": "post", "data": {"id": req_id, "response": response}}))


async def _writer(conn: Connection, idle_timeout_s: float) -> None:
    """Sends queued messages; closes the connection after idle_timeout_s without sending anything."""
    last_sent = time.monotonic()
    while True:
        remaining = idle_timeout_s - (time.monotonic() - last_sent)
        try:
            text = await asyncio.wait_for(conn.queue.get(), timeout=max(remaining, 0.0))
        except TimeoutError:
            conn.closed = True
            await conn.ws.close()
            return
        try:
            await conn.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            conn.closed = True
            return
        last_sent = time.monotonic()
