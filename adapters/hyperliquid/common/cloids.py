"""Client order ids as Hyperliquid cloids: deterministic (keccak256 of the id, 16 bytes), mapped back.

Same derivation as Nautilus's `hyperliquid_cloid_from_client_order_id`, so a cloid can be
recomputed from a `ClientOrderId` after a restart; the reverse needs the registry.
"""

from __future__ import annotations

from nautilus_trader.model.identifiers import ClientOrderId

from adapters.hyperliquid.common.hashing import keccak256


def cloid_for(client_order_id: ClientOrderId | str) -> str:
    """`0x` + 32 lowercase hex digits derived from the client order id."""
    return "0x" + keccak256(str(client_order_id).encode()).hex()[:32]


class CloidRegistry:
    """cloid ↔ ClientOrderId and exchange oid → ClientOrderId for the orders this client handles."""

    def __init__(self) -> None:
        self._by_cloid: dict[str, ClientOrderId] = {}
        self._by_oid: dict[int, ClientOrderId] = {}

    def register(self, client_order_id: ClientOrderId) -> str:
        cloid = cloid_for(client_order_id)
        self._by_cloid[cloid] = client_order_id
        return cloid

    def bind_oid(self, oid: int, client_order_id: ClientOrderId) -> None:
        self._by_oid[oid] = client_order_id

    def forget(self, client_order_id: ClientOrderId, cloid: str | None, oids: set[int | None]) -> None:
        """Drop an order's entries (a closed order, long past any late message about it)."""
        if cloid is not None and self._by_cloid.get(cloid) == client_order_id:
            del self._by_cloid[cloid]
        for oid in oids:
            if oid is not None and self._by_oid.get(oid) == client_order_id:
                del self._by_oid[oid]

    def by_cloid(self, cloid: str | None) -> ClientOrderId | None:
        return None if cloid is None else self._by_cloid.get(cloid.lower())

    def by_oid(self, oid: int) -> ClientOrderId | None:
        return self._by_oid.get(oid)

    def resolve(self, oid: int, cloid: str | None) -> ClientOrderId | None:
        """The client order id of an exchange order: by cloid first (known before the oid is)."""
        found = self.by_cloid(cloid)
        return found if found is not None else self._by_oid.get(oid)
