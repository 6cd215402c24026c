"""Global capital at risk across instruments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CapitalLimits:
    max_concurrent_assets: int = 5
    max_total_inventory_usd: float = 5_000.0

    def __post_init__(self) -> None:
        if self.max_concurrent_assets < 1 or self.max_total_inventory_usd <= 0:
            raise ValueError("capital limits must be positive")


class CapitalAtRisk:
    """Inventory notional per instrument; says which limit (if any) is exceeded."""

    def __init__(self, limits: CapitalLimits) -> None:
        self.limits = limits
        self._notional: dict[str, float] = {}

    def set_inventory(self, instrument: str, notional_usd: float) -> None:
        if notional_usd == 0:
            self._notional.pop(instrument, None)
        else:
            self._notional[instrument] = abs(notional_usd)

    @property
    def total_usd(self) -> float:
        return sum(self._notional.values())

    @property
    def assets(self) -> int:
        return len(self._notional)

    def breach(self) -> str | None:
        if self.assets > self.limits.max_concurrent_assets:
            return f"{self.assets} assets hold inventory > max {self.limits.max_concurrent_assets}"
        if self.total_usd > self.limits.max_total_inventory_usd:
            return f"total inventory ${self.total_usd:,.0f} > max ${self.limits.max_total_inventory_usd:,.0f}"
        return None
