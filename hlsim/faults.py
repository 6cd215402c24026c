"""Fault switches for tests and the admin endpoint: what the server does wrong, on purpose."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hlsim.api.server import HlSimServer


class Faults:
    """All methods run on the server's loop (the thread handle proxies them)."""

    def __init__(self, server: HlSimServer) -> None:
        self._server = server
        self.market_stalled = False
        self.all_stalled = False
        self.delay_ms = 0
        self.market_delay_ms = 0
        self.status_code: int | None = None
        self.status_remaining: int | None = None  # None = until cleared
        self.rest_refused = False  # every port
        self.refused_ports: set[int] = set()  # single ports (`refuse_rest(True, port=...)`)
        self._user_ws_refused_until: dict[str, float] = {}  # user -> time.monotonic() deadline
        self._market_ws_refused_until = 0.0
        self._lost_user_messages: dict[tuple[str, str], int] = {}  # (channel, user) -> pushes still to lose
        self.ws_posts_hung = False
        self.ws_posts_applied = False
        self._rest_requests_before_refusal: int | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()

    def drop_user_ws(self, address: str, refuse_for_s: float = 0.0) -> int:
        """Closes (abruptly) every WS connection subscribed to this user's channels; returns how many.

        `refuse_for_s` > 0 keeps the user dark that long: a connection subscribing to any of the
        user's channels meanwhile is cut at once (no ack, no data), so no client sees the user's
        stream until the window is over, however fast it reconnects.
        """
        if refuse_for_s < 0:
            raise ValueError("refuse_for_s must be >= 0")
        if refuse_for_s > 0:
            self._user_ws_refused_until[address.lower()] = time.monotonic() + refuse_for_s
        return self._server.hub.drop_user(address)

    def user_ws_refused(self, user: str) -> bool:
        until = self._user_ws_refused_until.get(user.lower())
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._user_ws_refused_until[user.lower()]
            return False
        return True

    def lose_user_messages(self, address: str, channel: str, count: int = 1) -> None:
        """The next `count` pushes of this user's `channel` ("orderUpdates" or "userFills") are lost
        on the way: the connection stays up and nothing tells the client (the exchange's record, e.g.
        `userFillsByTime`, still has what they carried)."""
        if channel not in ("orderUpdates", "userFills"):
            raise ValueError(f"channel must be orderUpdates or userFills, got {channel!r}")
        if count < 1:
            raise ValueError("count must be >= 1")
        self._lost_user_messages[(channel, address.lower())] = count

    def lose_user_message(self, channel: str, user: str) -> bool:
        """Whether this push is one to lose (counting it down)."""
        key = (channel, user.lower())
        left = self._lost_user_messages.get(key)
        if not left:
            return False
        if left == 1:
            del self._lost_user_messages[key]
        else:
            self._lost_user_messages[key] = left - 1
        return True

    def drop_market_ws(self, refuse_for_s: float = 0.0) -> int:
        """Closes (abruptly) every WS connection subscribed to market data (l2Book/bbo/trades/allMids).

        `refuse_for_s` > 0: for that long, a connection subscribing to market data is cut at once.
        """
        if refuse_for_s < 0:
            raise ValueError("refuse_for_s must be >= 0")
        if refuse_for_s > 0:
            self._market_ws_refused_until = time.monotonic() + refuse_for_s
        return self._server.hub.drop_market()

    def market_ws_refused(self) -> bool:
        return time.monotonic() < self._market_ws_refused_until

    def stall_market_data(self, on: bool = True) -> None:
        """Stops l2Book/bbo/trades/allMids pushes; REST keeps answering. Off: pushes resume with a fresh book."""
        self.market_stalled = on
        if not on:
            self._server.republish_books()

    def delay_market_data(self, ms: int) -> None:
        """Sends every l2Book/bbo/trades/allMids push `ms` later, in order (0 = on time): a feed that
        lags the user stream, as a slow market-data connection does."""
        if ms < 0:
            raise ValueError("market data delay must be >= 0 ms")
        self.market_delay_ms = ms

    def stall_all(self, on: bool = True) -> None:
        """No blocks: actions wait (REST and WS post), no pushes, replay paused; /info still answers."""
        self.all_stalled = on
        if on:
            self._resumed.clear()
        else:
            self._resumed.set()
            self._server.republish_books()

    async def wait_unstalled(self) -> None:
        await self._resumed.wait()

    def delay_replies(self, ms: int) -> None:
        """Every REST reply and WS post response is held back this long (0 = off)."""
        if ms < 0:
            raise ValueError("delay must be >= 0 ms")
        self.delay_ms = int(ms)

    def http_status(self, status: int | None, count: int | None = None) -> None:
        """Answer REST requests with this HTTP status (429, 5xx): the next `count` ones, or all until cleared."""
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        self.status_code = status
        self.status_remaining = count

    def take_status(self) -> int | None:
        """The forced status for this request, counting it down."""
        if self.status_code is None:
            return None
        status = self.status_code
        if self.status_remaining is not None:
            self.status_remaining -= 1
            if self.status_remaining <= 0:
                self.status_code = None
                self.status_remaining = None
        return status

    async def refuse_rest(self, on: bool = True, port: int | None = None) -> None:
        """Stops (on) or restarts (off) listening on every port, or on `port` only (e.g. the primary
        while a backup from `add_port` stays up); REST requests on its open connections are cut.
        WS connections already open stay up. Off without a port ends every refusal."""
        if port is None:
            self.rest_refused = on
            if not on:
                self.refused_ports.clear()
            await self._server.set_listening(not on)
            return
        if port not in self._server.ports:
            raise ValueError(f"hlsim does not serve port {port} (ports: {self._server.ports})")
        if on:
            self.refused_ports.add(port)
        else:
            self.refused_ports.discard(port)
        if not self.rest_refused:
            await self._server.set_listening(not on, port=port)

    def hang_ws_posts(self, on: bool = True, *, applied: bool = False) -> None:
        """WS `post` requests are never answered, as on a connection that hangs while it stays open
        (pushes still flow). `applied`: actions are still carried out, only their replies are lost."""
        self.ws_posts_hung = on
        self.ws_posts_applied = applied

    def refuse_rest_after(self, requests: int) -> None:
        """The exchange goes down after serving `requests` more REST requests: from then on every port
        refuses connections, as with `refuse_rest(True)` (e.g. between a client's start-up checks and
        its connection)."""
        if requests < 1:
            raise ValueError("requests must be >= 1")
        self._rest_requests_before_refusal = requests

    def count_rest_request(self) -> None:
        """Called for every REST request the server receives (see `refuse_rest_after`)."""
        left = self._rest_requests_before_refusal
        if left is None or self.rest_refused:
            return
        if left > 1:
            self._rest_requests_before_refusal = left - 1
            return
        # This request is still served; every later one is cut (the flag) and no port listens.
        self._rest_requests_before_refusal = None
        self.rest_refused = True
        asyncio.get_running_loop().create_task(self._server.set_listening(False))

    def rest_refused_on(self, port: int | None) -> bool:
        return self.rest_refused or (port is not None and port in self.refused_ports)

    def clear(self) -> None:
        """Ends every fault except a REST refusal (that one needs `await refuse_rest(False)`)."""
        self.market_stalled = False
        self._user_ws_refused_until.clear()
        self._market_ws_refused_until = 0.0
        self._lost_user_messages.clear()
        self.ws_posts_hung = self.ws_posts_applied = False
        self._rest_requests_before_refusal = None
        self.delay_ms = 0
        self.market_delay_ms = 0
        self.status_code = None
        self.status_remaining = None
        self.stall_all(False)
