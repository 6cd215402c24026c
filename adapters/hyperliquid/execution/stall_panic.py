"""The market-data stall panic, adapter side: when the data client publishes `MarketDataStall`, every
open order of the account on the stalled coin (every coin when the socket dropped) is canceled, as the
exchange lists them: the strategy's orders, and orders placed outside the node, which no strategy
would pull. The strategy's own halt cancels what it tracks as well; a cancel of an order already gone
is harmless.

The cancel-all goes over REST with failover, else over the WS socket (`Commands.cancel_all_on_exchange`);
a failed attempt is retried a few times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable

from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.tasks import StartTask
from adapters.hyperliquid.types import MarketDataStall

# Waits before each attempt of one panic's cancel-all.
ATTEMPT_DELAYS_SECS = (0.0, 0.5, 1.0, 2.0)

CancelAll = Callable[[str | None], Awaitable[int]]


class StallPanic:
    def __init__(self, cancel_all: CancelAll, start_task: StartTask, log: LogLike) -> None:
        self._cancel_all = cancel_all
        self._start_task = start_task
        self._log = log
        self.attempt_delays_secs = ATTEMPT_DELAYS_SECS
        self.panics = 0  # stalls heard
        self.cancel_alls = 0  # cancel-alls started for them
        self._every_coin_ts: int | None = None  # the moment of the last all-coins stall

    def on_stall(self, event: MarketDataStall) -> None:
        self.panics += 1
        if event.coin is None:
            self._every_coin_ts = event.ts_ns
        self._start_task(self._cancel_unless_covered(event), f"stall panic ({event.coin or 'every coin'})")

    async def _cancel_unless_covered(self, event: MarketDataStall) -> int:
        # A check that finds every coin silent publishes each coin's stall and then the all-coins one,
        # stamped alike: one cancel-all of every coin covers them (not one request per stall).
        await asyncio.sleep(0)
        if event.coin is not None and self._every_coin_ts == event.ts_ns:
            return 0
        what = event.coin or "every coin"
        self._log.warning(f"market data stalled ({what}, {event.silent_ms} ms): canceling the account's orders there")
        self.cancel_alls += 1
        return await self.cancel(event.coin)

    async def cancel(self, coin: str | None) -> int:
        """Cancel every open order on `coin` (None: every coin); returns how many were canceled."""
        for delay in self.attempt_delays_secs:
            await asyncio.sleep(delay)
            try:
                return await self._cancel_all(coin)
            except Exception as exc:  # the next attempt may find another transport up
                self._log.warning(f"stall panic: cancel-all failed ({type(exc).__name__}: {exc})")
        self._log.error(f"stall panic: the open orders on {coin or 'every coin'} could not be canceled")
        return 0
