"""Typed config of the shadow execution client (safe defaults: conservative queue, 50 ms latency)."""

from __future__ import annotations

from nautilus_trader.config import LiveExecClientConfig

from simulation.matcher import MATCHING_MODES
from simulation.queue_model import QUEUE_RULES


class ShadowExecClientConfig(LiveExecClientConfig, frozen=True):
    """
    Configuration for `ShadowExecutionClient`: live data in, nothing out, fills from the queue model.

    Parameters
    ----------
    venue : str
        The venue whose orders this client takes (the strategy's instruments' venue).
    account_number : str
        The account id becomes `{client id}-{account_number}`.
    starting_balance_usdc : float
        The virtual account's USDC balance.
    latency_ms : float
        One-way delay before a virtual order, cancel or modify reaches the virtual book
        (a fill can still happen while a cancel is on its way, as on the venue).
    queue_rule / queue_power : str / float
        How non-trade decreases of a level advance a resting order (`simulation.queue_model`);
        use hlsim's setting to compare like with like.
    matching : str
        "queue_model" (default): `QueueMatcher` with `queue_rule` (hlsim's rules; a trade through
        the price fills). "backtest_venue": `BacktestVenueMatcher`, the rules of the backtest's
        Nautilus venue, to compare a shadow run with a backtest like for like.
    instrument_ids : tuple[str, ...]
        Instruments whose book deltas and trades this client subscribes itself (so fills work
        even when the strategy takes only quotes). Empty: rely on the strategy's subscriptions.
    """

    venue: str = "HYPERLIQUID"
    account_number: str = "SHADOW"
    starting_balance_usdc: float = 10_000.0
    latency_ms: float = 50.0
    queue_rule: str = "conservative"
    queue_power: float = 2.0
    matching: str = "queue_model"
    instrument_ids: tuple[str, ...] = ()
    instruments_timeout_secs: float = 30.0

    def __post_init__(self) -> None:
        if self.queue_rule not in QUEUE_RULES:
            raise ValueError(f"queue_rule must be one of {QUEUE_RULES}, got {self.queue_rule!r}")
        if self.matching not in MATCHING_MODES:
            raise ValueError(f"matching must be one of {MATCHING_MODES}, got {self.matching!r}")
        if not self.latency_ms >= 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms!r}")
        if not self.starting_balance_usdc > 0:
            raise ValueError(f"starting_balance_usdc must be positive, got {self.starting_balance_usdc!r}")
        if not self.queue_power > 0:
            raise ValueError(f"queue_power must be positive, got {self.queue_power!r}")
        if not self.account_number or "-" in self.account_number:
            raise ValueError(f"account_number must be non-empty without '-', got {self.account_number!r}")
