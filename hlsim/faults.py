"""Fault switches for tests and the admin endpoint: what the server does wrong, on purpose."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hlsim.server import HlSimServer


class Faults:
    """All methods run on the server's loop (the thread handle proxies them)."""

    def __init__(self, server: HlSimServer) -> None:
        self._server = server
        self.market_stalled = False
        self.all_stalled = False
        self.delay_ms = 0
        self.status_code: int | None = None
        self.status_remaining: int | None = None  # None = until cleared
        self.rest_refused = False
        self._resumed = asyncio.Event()
        self._resumed.set()

    def drop_user_ws(self, address: str) -> int:
        """Closes (abruptly) every WS connection subscribed to this user's channels."""
        return self._server.hub.drop_user(address)

    def stall_market_data(self, on: bool = True) -> None:
        """Stops l2Book/bbo/trades/allMids pushes; REST keeps answering. Off: pushes resume with a fresh book."""
        self.market_stalled = on
        if not on:
            self._server.republish_books()

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

    async def refuse_rest(self, on: bool = True) -> None:
        """Stops (on) or restarts (off) listening on every port; requests on open connections are cut."""
        self.rest_refused = on
        await self._server.set_listening(not on)

    def clear(self) -> None:
        self.market_stalled = False
        self.delay_ms = 0
        self.status_code = None
        self.status_remaining = None
        self.stall_all(False)
