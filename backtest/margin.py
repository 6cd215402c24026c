"""Hyperliquid's initial-margin rule for backtests, as plain functions (no engine).

Hyperliquid refuses an order the account cannot margin ("Insufficient margin to place order") when
it arrives; Nautilus 1.231's simulated venue never does (its RiskEngine skips every check for a
margin account, and its margin models only compute figures), so a backtest with 0.01 USDC would
fill any size. `backtest.margin_venue` applies this rule to every order and modify the strategy
sends; the report counts what it refused.

The rule (cross margin, one account):

- initial margin of one instrument = the worst of its two sides over leverage: the position's
  notional at the mark plus every buy order resting or in flight, or less every sell order,
  whichever is larger in size: `max(|N + B|, |N - S|) / leverage`. An order on the side that
  reduces the position needs no margin until it would flip it.
- account value = the USDC balance (realized PnL and fees included) + unrealized PnL at the mark.
- an order (or a modify) is refused when it would raise the account's total initial margin and the
  total would then exceed the account value. An order that lowers the margin (a reduce) always
  passes, as on the exchange.
- leverage per run: `min(DEFAULT_LEVERAGE, maxLeverage)` unless the config sets one; never above the
  coin's `maxLeverage` (the exchange refuses that `updateLeverage`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Hyperliquid's leverage for a coin the account never set one for (the web UI's default), capped by
# the coin's maxLeverage.
DEFAULT_LEVERAGE = 20
INSUFFICIENT_MARGIN = "Insufficient margin to place order."  # the exchange's own words


@dataclass
class Exposure:
    """One instrument's part of the account's margin: signed position notional at the mark and the
    notional of the buy and sell orders resting or in flight (at their limit prices)."""

    position_notional: float = 0.0
    buys: float = 0.0
    sells: float = 0.0


def initial_margin(exposure: Exposure, leverage: float) -> float:
    """The instrument's initial margin: the larger side's worst-case notional over `leverage`."""
    n = exposure.position_notional
    return max(abs(n + exposure.buys), abs(n - exposure.sells)) / leverage


def with_order(exposure: Exposure, is_buy: bool, notional: float) -> Exposure:
    """`exposure` with one more order of `notional` on its side (a negative notional removes one)."""
    if is_buy:
        return Exposure(exposure.position_notional, exposure.buys + notional, exposure.sells)
    return Exposure(exposure.position_notional, exposure.buys, exposure.sells + notional)


def admits(account_value: float, margin_before: float, margin_after: float) -> bool:
    """Whether the exchange takes an order moving the account's total initial margin from
    `margin_before` to `margin_after`: always when it does not raise it, else only within the
    account value."""
    return margin_after <= margin_before or margin_after <= account_value


def default_leverage(max_leverage: int | None) -> int:
    """The leverage of a run that sets none: `DEFAULT_LEVERAGE`, capped by the coin's maxLeverage
    (unknown when the catalog was ingested without a meta: then the default alone)."""
    return DEFAULT_LEVERAGE if max_leverage is None else min(DEFAULT_LEVERAGE, max_leverage)


def check_leverage(leverage: object, field: str = "leverage", max_leverage: int | None = None) -> int:
    """`leverage` as the exchange would take it: an integer >= 1 and at most `max_leverage`; a
    ValueError naming `field` otherwise."""
    if isinstance(leverage, bool) or not isinstance(leverage, int) or leverage < 1:
        raise ValueError(f"{field} must be an integer >= 1, got {leverage!r}")
    if max_leverage is not None and leverage > max_leverage:
        raise ValueError(f"{field} {leverage} is above the coin's maxLeverage {max_leverage}")
    return leverage
