"""A WS client that confirms its subscriptions is "back" only once the server acknowledged them."""

from __future__ import annotations

import asyncio
import time

from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from tests.node_kit import ACCOUNT


def test_a_reconnect_cut_at_its_subscribe_is_not_reported_as_back_until_the_server_acknowledges(sim) -> None:
    async def run() -> None:
        lost: list[float] = []
        back: list[float] = []
        ws = HyperliquidWebSocketClient(
            sim.ws_url, lambda ch, data, ns: None,
            on_disconnect=lambda: lost.append(time.monotonic()),
            on_reconnect=lambda: back.append(time.monotonic()),
            backoff_initial_secs=0.1, backoff_max_secs=0.2, confirm_subscriptions=True,
        )
        await ws.subscribe({"type": "orderUpdates", "user": ACCOUNT})
        await ws.subscribe({"type": "userFills", "user": ACCOUNT})
        await ws.connect()
        try:
            window_end = time.monotonic() + 1.0
            assert await asyncio.to_thread(sim.faults.drop_user_ws, ACCOUNT, 1.0) >= 1
            deadline = time.monotonic() + 6
            while not back and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            # Attempts inside the window were cut at their subscribe: one loss, one return, after it.
            assert len(lost) == 1 and len(back) == 1
            assert back[0] >= window_end - 0.05
            assert ws.is_connected
        finally:
            await ws.close()

    asyncio.run(run())
