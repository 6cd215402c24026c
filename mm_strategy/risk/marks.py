"""What the open positions of one instrument are worth at the book's mid.

Nautilus's portfolio marks a long at the bid and a short at the ask, and needs quotes or bars that a
book-only feed does not give. After a restart the reconciliation's position and the strategy's own
may be long and short at once: marked across the spread, what they offset showed as a loss (review 8:
-0.75 where the exchange had closed +1.05). The RiskGuard, the status board and the dashboard mark
alike, here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nautilus_trader.model.objects import Price


def unrealized_at_mid(positions: Iterable[Any], mid: float) -> float:
    """The unrealized PnL of `positions` (Nautilus positions of one instrument) at `mid`."""
    return sum(float(p.unrealized_pnl(Price(mid, p.price_precision))) for p in positions)


def instrument_unrealized(cache: Any, portfolio: Any, instrument_id: Any, mid: float | None) -> float | None:
    """The instrument's unrealized PnL at `mid`; without a mid (no book yet), the portfolio's own."""
    if mid is not None:
        return unrealized_at_mid(cache.positions_open(instrument_id=instrument_id), mid)
    unrealized = portfolio.unrealized_pnl(instrument_id)
    return float(unrealized) if unrealized is not None else None
