"""The dead man's switch: a `scheduleCancel` kept armed ahead, so the exchange cancels every order
if the node stops refreshing it (a crash, a lost network).

The exchange refuses the switch until the account has traded enough volume; quoting goes on
without it and the refusal is reported (`refused`).
"""

from __future__ import annotations

import asyncio
import time

from adapters.hyperliquid.common.constants import SCHEDULE_CANCEL_VOLUME_GATE
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.signing import schedule_cancel_action


class DeadMansSwitch:
    def __init__(self, actions: ExchangeActions, horizon_secs: float, log: LogLike) -> None:
        self._actions = actions
        self._horizon_ms = int(horizon_secs * 1000)
        self._log = log
        self.refused: str | None = None  # the exchange's text while it refuses the switch

    async def run_every(self, interval_secs: float) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(interval_secs)

    async def refresh(self) -> bool:
        """Arm the switch the horizon ahead; False (quoting goes on) when refused."""
        when_ms = time.time_ns() // NS_PER_MS + self._horizon_ms
        try:
            (outcome,) = await self._actions.send(schedule_cancel_action(when_ms), 1)
        except ActionFailed as exc:
            self._log.warning(f"scheduleCancel not refreshed: {exc}")
            return False
        if outcome.ok:
            self.refused = None
            return True
        text = outcome.text or ""
        if text.startswith(SCHEDULE_CANCEL_VOLUME_GATE):
            if self.refused is None:
                self._log.warning(
                    f"dead man's switch (scheduleCancel) refused by the exchange's volume gate: {text} "
                    "-- quoting continues without it"
                )
        else:
            self._log.warning(f"scheduleCancel refused: {text} -- quoting continues without it")
        self.refused = text
        return False
