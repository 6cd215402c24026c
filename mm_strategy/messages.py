"""Messages from the actors to the strategy over the Nautilus message bus.

The actors publish on `control_topic(instrument_id)` (or `TOPIC_CONTROL_ALL` for every
instrument); every guard firing is also published on `TOPIC_GUARD` as a `GuardEvent` with its
reason, so reports and monitors can count them. Each control message carries a `source` so that
pauses and spread adjustments from different guards do not overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from operator import attrgetter

TOPIC_CONTROL_ALL = "mm.control.all"
TOPIC_GUARD = "mm.guard"
TOPIC_ACCOUNT_ACTIVITY = "mm.account.activity"
# A strategy that starts after the actors asks for the controls in force for its instrument (`ControlsRequest`).
TOPIC_CONTROLS_REQUEST = "mm.control.request"


def control_topic(instrument_id: str) -> str:
    return f"mm.control.{instrument_id}"


@dataclass(frozen=True, slots=True)
class ControlsRequest:
    """Published by a strategy once it listens on its control topic (the bus keeps no message for late
    subscribers). Only the RegimeGovernor answers, with the edge probe; the other actors' controls
    reach a strategy that starts after them at their next change (all start together in a node)."""

    instrument_id: str


@dataclass(frozen=True, slots=True)
class SpreadAdjust:
    """Multiply spreads and sizes; `min_quote_lifetime_ms` > 0 holds quotes (no re-quote) that long;
    `tolerance_mult` widens the re-quote tolerance (a resting order is left alone further off target);
    `max_levels` quotes at most that many ladder levels per side (None: the whole ladder)."""

    source: str
    spread_mult: float = 1.0
    size_mult: float = 1.0
    min_quote_lifetime_ms: int = 0
    reason: str = ""
    vol_bps: float | None = None  # realized vol per sampling interval, for the A–S risk term
    tolerance_mult: float = 1.0
    max_levels: int | None = None

    def __post_init__(self) -> None:
        if self.max_levels is not None and self.max_levels < 1:
            raise ValueError(f"max_levels must be ≥ 1 or None, got {self.max_levels}")

    def steers_as(self, other: SpreadAdjust) -> bool:
        """Whether `other` steers the ladder as this does: every field alike but the words and the vol
        (a periodic vol update changes nothing else)."""
        return _spread_adjust_steering(self) == _spread_adjust_steering(other)


# Every field of SpreadAdjust but `reason` and `vol_bps`, read from the class: a field added later
# counts without a list to keep. attrgetter: ~0.3 µs where dataclasses.replace and == took ~2.3 (warm).
_spread_adjust_steering = attrgetter(*(f.name for f in fields(SpreadAdjust) if f.name not in ("reason", "vol_bps")))


@dataclass(frozen=True, slots=True)
class Pause:
    """Cancel all quotes and stop quoting until `until_ns` (0 = until a `Resume` from the same source)."""

    source: str
    reason: str
    until_ns: int = 0


@dataclass(frozen=True, slots=True)
class Resume:
    source: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PullSide:
    """Cancel one side's quotes at once and keep it empty until `until_ns`."""

    source: str
    side: str  # "BUY" or "SELL"
    until_ns: int
    reason: str

    def __post_init__(self) -> None:
        if self.side not in ("BUY", "SELL"):
            raise ValueError(f"PullSide.side must be BUY or SELL, got {self.side!r}")


@dataclass(frozen=True, slots=True)
class AdverseSelection:
    """The learned adverse-selection estimate (bps) that replaces the strategy's fixed allowance
    in its edge check; None goes back to the configured allowance."""

    source: str
    bps: float | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReduceOnly:
    """Stop adding inventory: only the maker soft exit on the reducing side is quoted (nothing when
    flat) until a `Resume` from the same source. A budget breach is managed, not abandoned."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Halt:
    """Kill switch: cancel all and stop quoting for the rest of the UTC day (`until_ns`, 0 = until resumed)."""

    source: str
    reason: str
    until_ns: int = 0
    flatten: bool = False  # also exit the position (reduce-only taker) if the strategy allows it


@dataclass(frozen=True, slots=True)
class ParamsUpdate:
    """New base parameters (e.g. from the screener); None leaves a field as it is."""

    source: str
    base_spread_bps: float | None = None
    level_spacing_ticks: int | None = None
    max_inventory_usd: float | None = None
    order_size_usd: float | None = None


@dataclass(frozen=True, slots=True)
class InventoryCap:
    """The account-wide share this node holds for the instrument (the `BudgetGuard`): |position|
    must stay within `max_abs_usd`; `reduce_only` (no claim granted, or Redis unreachable) quotes
    only what brings the position back to zero. `max_abs_usd` None lifts the cap."""

    source: str
    max_abs_usd: float | None
    reduce_only: bool = False
    reason: str = ""
    instrument_id: str = ""  # for monitors (the status board): the topic already names it

    def __post_init__(self) -> None:
        if self.max_abs_usd is not None and not self.max_abs_usd >= 0:
            raise ValueError(f"InventoryCap.max_abs_usd must be >= 0 or None, got {self.max_abs_usd!r}")


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """The other nodes trading this account, on `TOPIC_ACCOUNT_ACTIVITY` (the `BudgetGuard`): their
    cumulative actions and traded USDC as they recorded them in Redis. The address action budget is
    the account's: the governor counts their increments with its own."""

    source: str
    other_actions: int
    other_volume_usd: float
    ts_ns: int


@dataclass(frozen=True, slots=True)
class GuardEvent:
    source: str  # the component: "RiskGuard", "RegimeGovernor", "MarketMaker"
    guard: str  # which guard: "micro_vol", "ofi", "drawdown", "calendar", ...
    reason: str
    ts_ns: int
    instrument_id: str | None = None
    details: dict = field(default_factory=dict)


TOPIC_QUOTING_STOPPED = "mm.quoting_stopped"


@dataclass(frozen=True, slots=True)
class QuotingStopped:
    """A strategy has stopped quoting `instrument_id` for good (its orders cancelled), e.g. because the
    exchange keeps rejecting them for a reason that retrying cannot cure. The node runs on for the
    other instruments; the runner ends the run when none can trade any more."""

    instrument_id: str
    reason: str
    ts_ns: int
