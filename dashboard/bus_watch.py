"""What the dashboard hears on the message bus: guard firings, the actors' steering, the venue's
health events and the address budget. Every handler only copies the message (bounded): nothing
is decided here and nothing is published.

Topics (and nothing on the market-data path — no book, quote or trade topic):
- `mm_strategy.messages.TOPIC_GUARD`: every guard firing (`GuardEvent`);
- each instrument's control topic and `TOPIC_CONTROL_ALL`: the actors' messages to the strategies
  (regime spread adjustments, pauses, halts, side pulls, resumes);
- the adapter's venue topics (`adapters.hyperliquid.types`): user-stream halt/resume, market-data
  stall/resume, `RateLimitStatus`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from adapters.hyperliquid import types as venue
from mm_strategy import messages as mm_msg
from mm_strategy.controls_in_force import ALL
from mm_strategy.controls_in_force import ControlsInForce


def timeline_entry(ts_ns: int, kind: str, source: str, what: str, reason: str, instrument: str | None) -> dict:
    """One timeline row, JSON-ready (built once, when the message arrives). `kind`: "guard",
    "control" or "venue"."""
    return {"ts_ns": ts_ns, "kind": kind, "source": source, "what": what, "reason": reason, "instrument": instrument}


class BusWatch:
    """Subscribes to the topics above and keeps copies: a bounded timeline and the latest states."""

    def __init__(self, clock_ns: Callable[[], int], instrument_ids: Iterable[str], timeline_size: int = 500) -> None:
        self._now = clock_ns
        self.timeline: deque[dict] = deque(maxlen=timeline_size)
        self.guard_counts: dict[str, int] = {}
        self.regime: dict[str, mm_msg.SpreadAdjust] = {}  # instrument -> the regime's latest adjustment
        self.user_stream_halted: str | None = None
        self.stalled: dict[str, int] = {}  # coin ("*" = every coin) -> since (ns)
        self.rate_limit: venue.RateLimitStatus | None = None
        self.controls = ControlsInForce(clock_ns)  # the halts and pauses in force, scope ALL or an instrument id
        self.subscriptions: list[tuple[str, Any]] = [
            (mm_msg.TOPIC_GUARD, self.on_guard),
            (mm_msg.TOPIC_CONTROL_ALL, self._control_handler(None)),
            *((mm_msg.control_topic(iid), self._control_handler(iid)) for iid in instrument_ids),
            (venue.TOPIC_VENUE_HALT, self.on_venue_halt),
            (venue.TOPIC_VENUE_RESUME, self.on_venue_resume),
            (venue.TOPIC_MARKET_DATA_STALL, self.on_stall),
            (venue.TOPIC_MARKET_DATA_RESUMED, self.on_resumed),
            (venue.TOPIC_RATE_LIMIT, self.on_rate_limit),
        ]

    def attach(self, msgbus: Any) -> None:
        for topic, handler in self.subscriptions:
            msgbus.subscribe(topic, handler)

    def detach(self, msgbus: Any) -> None:
        for topic, handler in self.subscriptions:
            msgbus.unsubscribe(topic, handler)

    # -- handlers: copies only ---------------------------------------------------------------

    def on_guard(self, event: object) -> None:
        if not isinstance(event, mm_msg.GuardEvent):
            return
        key = f"{event.source}.{event.guard}"
        self.guard_counts[key] = self.guard_counts.get(key, 0) + 1
        self.timeline.append(
            timeline_entry(event.ts_ns, "guard", event.source, event.guard, event.reason, event.instrument_id)
        )

    def _control_handler(self, instrument: str | None) -> Callable[[object], None]:
        def handler(message: object) -> None:
            self.on_control(message, instrument)

        return handler

    def on_control(self, message: object, instrument: str | None) -> None:
        self.controls.on_control(ALL if instrument is None else instrument, message)
        if isinstance(message, mm_msg.SpreadAdjust):
            # The governor publishes the regime every evaluation: keep the latest, do not fill the
            # timeline with it (its changes arrive as GuardEvents).
            if message.source == "regime" and instrument is not None:
                self.regime[instrument] = message
            return
        if isinstance(message, mm_msg.ParamsUpdate):
            return  # announced by the governor's `screener_params` GuardEvent
        what = type(message).__name__
        reason = getattr(message, "reason", "")
        if isinstance(message, mm_msg.PullSide):
            what = f"PullSide {message.side}"
        self.timeline.append(
            timeline_entry(self._now(), "control", getattr(message, "source", "?"), what, reason, instrument)
        )

    def on_venue_halt(self, event: venue.VenueHalt) -> None:
        self.user_stream_halted = event.reason
        self.timeline.append(timeline_entry(event.ts_ns, "venue", "adapter", "VenueHalt", event.reason, None))

    def on_venue_resume(self, event: venue.VenueResume) -> None:
        self.user_stream_halted = None
        self.timeline.append(timeline_entry(event.ts_ns, "venue", "adapter", "VenueResume", event.reason, None))

    def on_stall(self, event: venue.MarketDataStall) -> None:
        self.stalled.setdefault(event.coin or "*", event.ts_ns)
        reason = f"silent {event.silent_ms} ms"
        self.timeline.append(timeline_entry(event.ts_ns, "venue", "adapter", f"stall {event.coin or 'all'}", reason, None))

    def on_resumed(self, event: venue.MarketDataResumed) -> None:
        self.stalled.pop(event.coin or "*", None)
        self.timeline.append(
            timeline_entry(event.ts_ns, "venue", "adapter", f"data resumed {event.coin or 'all'}", "", None)
        )

    def on_rate_limit(self, status: venue.RateLimitStatus) -> None:
        self.rate_limit = status
