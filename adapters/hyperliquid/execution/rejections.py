"""The adapter's side of the rejection circuit breaker: repeated rejections of one kind become venue
events on the message bus, instead of being retried without end.

- An order (or modify) of an instrument rejected for the same kind of reason `alarm_count` times
  within `window_secs` publishes `OrderRejections` (then counts afresh). ALO crosses and modifies
  of orders that had just filled are a maker's everyday cost and are not counted.
- An action refused as a whole for an account-wide reason (unknown signer, address budget used up)
  `stop_count` times within the window publishes `TradingRefused`, once: the node cannot trade.

What to do about them is the trading plane's and the runner's business; this only counts and tells.
"""

from __future__ import annotations

from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.common.repeats import RepeatCounter
from adapters.hyperliquid.common.repeats import counter_of
from adapters.hyperliquid.parsing.rejections import ACCOUNT_REFUSALS
from adapters.hyperliquid.parsing.rejections import RejectionKind
from adapters.hyperliquid.parsing.rejections import classify_rejection
from adapters.hyperliquid.parsing.rejections import recovered_signer
from adapters.hyperliquid.types import TOPIC_ORDER_REJECTIONS
from adapters.hyperliquid.types import TOPIC_TRADING_REFUSED
from adapters.hyperliquid.types import OrderRejections
from adapters.hyperliquid.types import TradingRefused

_NS_PER_SEC = 1_000_000_000
_NOT_COUNTED = frozenset({RejectionKind.POST_ONLY_CROSS, RejectionKind.ORDER_GONE})


class RejectionMonitor:
    def __init__(
        self,
        msgbus: MessageBus,
        clock: LiveClock,
        *,
        alarm_count: int,
        stop_count: int,
        window_secs: float,
        log: LogLike,
        agent_address: str | None = None,
    ) -> None:
        self._msgbus = msgbus
        self._agent = agent_address
        self._clock = clock
        self._alarm_count = alarm_count
        self._stop_count = stop_count
        self._window_secs = window_secs
        self._window_ns = int(window_secs * _NS_PER_SEC)
        self._log = log
        self._per_instrument: dict[tuple[InstrumentId, RejectionKind], RepeatCounter] = {}
        self._refusals: dict[RejectionKind, RepeatCounter] = {}
        self.alarms_published = 0
        self.trading_refused: TradingRefused | None = None

    def on_order_rejected(self, instrument_id: InstrumentId, reason: str) -> None:
        """An order or modify of `instrument_id` was rejected (or not placed) for `reason`."""
        kind = classify_rejection(reason)
        if kind in _NOT_COUNTED:
            return
        now = self._clock.timestamp_ns()
        count = counter_of(self._per_instrument, (instrument_id, kind), self._alarm_count, self._window_ns).add(now)
        if not count:
            return
        self.alarms_published += 1
        self._log.warning(
            f"{instrument_id}: {count} rejections of kind {kind} within {self._window_secs:g} s (last: {reason})"
        )
        self._msgbus.publish(
            TOPIC_ORDER_REJECTIONS,
            OrderRejections(str(instrument_id), str(kind), count, self._window_secs, reason, now),
        )

    def on_action_refused(self, reason: str) -> None:
        """The exchange refused an action as a whole (`status: "err"`, or a WS post error) for `reason`."""
        kind = classify_rejection(reason)
        if kind not in ACCOUNT_REFUSALS or self.trading_refused is not None:
            return
        now = self._clock.timestamp_ns()
        count = counter_of(self._refusals, kind, self._stop_count, self._window_ns).add(now)
        if not count:
            return
        mismatch = self._signer_mismatch(reason)
        self.trading_refused = TradingRefused(str(kind), reason + mismatch, count, now, signed_for_another_network=bool(mismatch))
        self._log.error(f"the exchange refused {count} actions of this account as a whole: {self.trading_refused.reason}")
        self._msgbus.publish(TOPIC_TRADING_REFUSED, self.trading_refused)

    def _signer_mismatch(self, reason: str) -> str:
        """Why the exchange knows no such signer when the address it names is not our agent's: the
        signature recovered to another address, i.e. it was made for another chain (or action)."""
        signer = recovered_signer(reason)
        if signer is None or self._agent is None or signer.lower() == self._agent.lower():
            return ""
        return (f" (the exchange recovered the signature to {signer}, not this node's agent {self._agent}: "
                "the action was signed for another network; mainnet or testnet signing follows the url, "
                "and the exec client's is_mainnet sets it)")
