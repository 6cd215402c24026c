"""One node's share of an account-wide inventory cap: what it asks for and what it may quote.

A node claims per coin (through `budget_link`) the notional it could reach: what it holds plus
what its adding side may still fill (one full ladder). What is granted bounds the strategy's
absolute position: the adding side may fill up to `granted − |held|`, so however its resting
orders fill, |position| stays within the claim, and the claims of all nodes stay within the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def ladder_notional_usd(order_size_usd: float, size_multipliers: tuple[float, ...]) -> float:
    """One side's full ladder in USD: the most the adding side may fill before the next claim."""
    if order_size_usd <= 0 or not size_multipliers or any(m <= 0 for m in size_multipliers):
        raise ValueError("order_size_usd and every size multiplier must be > 0")
    return order_size_usd * sum(size_multipliers)


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """What a node asks for in one coin (`want_usd`) and the least it must keep (`floor_usd`)."""

    want_usd: float
    floor_usd: float


def share_request(position: float, price: float, headroom_usd: float, max_inventory_usd: float) -> ShareRequest:
    """The claim for a coin: held notional plus one ladder of headroom, never past the node's own
    limit (more could never be used) and never below what it holds (held is held)."""
    if not (math.isfinite(position) and math.isfinite(price)) or price <= 0:
        raise ValueError(f"position and price must be finite and price > 0, got {position!r} @ {price!r}")
    if headroom_usd < 0 or max_inventory_usd <= 0:
        raise ValueError("headroom_usd must be >= 0 and max_inventory_usd > 0")
    held = abs(position) * price
    return ShareRequest(want_usd=max(held, min(held + headroom_usd, max_inventory_usd)), floor_usd=held)


def side_capacities(position: float, fair: float, max_abs_usd: float, reduce_only: bool) -> tuple[float, float]:
    """(bid, ask) quantities the strategy may rest so that |position| never passes `max_abs_usd`
    (at `fair`); reduce-only: only what brings the position back to zero, on its reducing side."""
    if reduce_only:
        return max(0.0, -position), max(0.0, position)
    max_qty = max_abs_usd / fair
    return max(0.0, max_qty - position), max(0.0, max_qty + position)


def cap_to_send(last_usd: float | None, granted_usd: float, quantum_usd: float) -> float:
    """The cap to tell the strategy for a grant: on a grid of `quantum_usd` and never above the grant
    (so all nodes' positions stay within what Redis reserved), and unchanged while the grant stays
    above it by less than two quanta. The held notional moves with every tick, and so does the grant; a
    cap that followed it would re-plan the strategy on every claim."""
    if not (math.isfinite(granted_usd) and granted_usd >= 0) or not quantum_usd > 0:
        raise ValueError(f"granted_usd must be finite and >= 0 and quantum_usd > 0, got {granted_usd!r}, {quantum_usd!r}")
    if last_usd is not None and last_usd <= granted_usd < last_usd + 2 * quantum_usd:
        return last_usd
    return math.floor(granted_usd / quantum_usd) * quantum_usd
