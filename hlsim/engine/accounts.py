"""Account ledger: USDC, one-way positions, entry price, realized PnL, fees, margin summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from hlsim.engine.numbers import ZERO
from hlsim.engine.numbers import fmt
from hlsim.engine.numbers import fmt_usd


@dataclass(slots=True)
class Position:
    szi: Decimal = ZERO
    entry_px: Decimal = ZERO
    cum_funding: Decimal = ZERO


@dataclass(slots=True)
class FillEffect:
    start_position: Decimal
    direction: str
    closed_pnl: Decimal


@dataclass(slots=True)
class Account:
    address: str  # lowercase 0x
    usdc: Decimal = ZERO  # cash: deposits + realized PnL - fees
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    cum_volume: Decimal = ZERO  # lifetime notional traded (scheduleCancel gate, action budget)
    n_requests_used: int = 0
    last_over_budget_ms: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)
    schedule_cancel_ms: int | None = None
    schedule_cancel_triggers: int = 0

    def position(self, coin: str) -> Position:
        pos = self.positions.get(coin)
        if pos is None:
            pos = self.positions[coin] = Position()
        return pos


def _direction(start: Decimal, signed_sz: Decimal) -> str:
    end = start + signed_sz
    if start == 0 or (start > 0 and signed_sz > 0) or (start < 0 and signed_sz < 0):
        return "Open Long" if signed_sz > 0 else "Open Short"
    if start > 0 and end < 0:
        return "Long > Short"
    if start < 0 and end > 0:
        return "Short > Long"
    return "Close Long" if start > 0 else "Close Short"


def apply_fill(account: Account, coin: str, is_buy: bool, px: Decimal, sz: Decimal, fee: Decimal) -> FillEffect:
    """Books a fill: position, entry price (size-weighted), realized PnL and fee into USDC."""
    pos = account.position(coin)
    signed = sz if is_buy else -sz
    start = pos.szi
    direction = _direction(start, signed)
    closed = ZERO
    if start != 0 and (start > 0) != (signed > 0):
        closing = min(abs(start), sz)
        closed = (px - pos.entry_px) * closing * (1 if start > 0 else -1)
    end = start + signed
    if end == 0:
        pos.entry_px = ZERO
    elif start == 0 or (start > 0) != (end > 0):
        pos.entry_px = px  # opened or flipped: the remainder was opened at this price
    elif abs(end) > abs(start):
        pos.entry_px = (pos.entry_px * abs(start) + px * sz) / abs(end)
    pos.szi = end
    account.usdc += closed - fee
    account.cum_volume += px * sz
    return FillEffect(start_position=start, direction=direction, closed_pnl=closed)


@dataclass(slots=True)
class MarginSummary:
    account_value: Decimal
    total_ntl_pos: Decimal
    total_raw_usd: Decimal
    total_margin_used: Decimal

    def wire(self) -> dict[str, str]:
        return {
            "accountValue": fmt_usd(self.account_value),
            "totalNtlPos": fmt_usd(self.total_ntl_pos),
            "totalRawUsd": fmt_usd(self.total_raw_usd),
            "totalMarginUsed": fmt_usd(self.total_margin_used),
        }


def margin_summary(account: Account, marks: dict[str, Decimal], default_leverage: Callable[[str], int]) -> MarginSummary:
    """Cross margin: value = cash + unrealized PnL at marks; raw USD = value - signed notional."""
    value = account.usdc
    ntl = ZERO
    signed_ntl = ZERO
    used = ZERO
    for coin, pos in account.positions.items():
        if pos.szi == 0:
            continue
        mark = marks.get(coin, pos.entry_px)
        value += (mark - pos.entry_px) * pos.szi
        ntl += abs(pos.szi) * mark
        signed_ntl += pos.szi * mark
        used += abs(pos.szi) * mark / account.leverage.get(coin, default_leverage(coin))
    return MarginSummary(value, ntl, value - signed_ntl, used)


def clearinghouse_state(
    account: Account | None, marks: dict[str, Decimal], default_leverage: Callable[[str], int],
    max_leverage: dict[str, int], now_ms: int,
) -> dict[str, Any]:
    """The `clearinghouseState` reply."""
    if account is None:
        account = Account(address="")
    summary = margin_summary(account, marks, default_leverage)
    positions = []
    for coin, pos in account.positions.items():
        if pos.szi == 0:
            continue
        mark = marks.get(coin, pos.entry_px)
        lev = account.leverage.get(coin, default_leverage(coin))
        value = abs(pos.szi) * mark
        upnl = (mark - pos.entry_px) * pos.szi
        margin = value / lev
        roe = upnl / (abs(pos.szi) * pos.entry_px / lev) if pos.entry_px else ZERO
        positions.append(
            {
                "type": "oneWay",
                "position": {
                    "coin": coin,
                    "szi": fmt(pos.szi),
                    "leverage": {"type": "cross", "value": lev},
                    "entryPx": fmt(pos.entry_px),
                    "positionValue": fmt_usd(value),
                    "unrealizedPnl": fmt_usd(upnl),
                    "returnOnEquity": fmt_usd(roe, 9),
                    "liquidationPx": None,
                    "marginUsed": fmt_usd(margin),
                    "maxLeverage": max_leverage.get(coin, lev),
                    "cumFunding": {
                        "allTime": fmt_usd(pos.cum_funding),
                        "sinceOpen": fmt_usd(pos.cum_funding),
                        "sinceChange": fmt_usd(pos.cum_funding),
                    },
                },
            }
        )
    withdrawable = max(summary.account_value - summary.total_margin_used, ZERO)
    return {
        "marginSummary": summary.wire(),
        "crossMarginSummary": summary.wire(),
        "crossMaintenanceMarginUsed": fmt_usd(summary.total_margin_used / 2),
        "withdrawable": fmt_usd(withdrawable),
        "assetPositions": positions,
        "time": now_ms,
    }
