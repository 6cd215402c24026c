"""Market-data stall detection: silence while the socket is open means the chain may have stopped."""

from __future__ import annotations

from adapters.hyperliquid.venue_events import MarketDataStall


class StallDetector:
    """
    Tracks the last message time per coin; `check` reports each coin once per silent spell
    (re-armed by its next message), and `coin=None` once when every watched coin is silent.
    """

    def __init__(self, timeout_ns: int) -> None:
        if timeout_ns <= 0:
            raise ValueError("timeout_ns must be positive")
        self.timeout_ns = timeout_ns
        self._last_ns: dict[str, int] = {}
        self._stalled: set[str] = set()
        self._all_stalled = False

    def watch(self, coin: str, now_ns: int) -> None:
        """Start watching a coin (its silence counts from now)."""
        self._last_ns.setdefault(coin, now_ns)

    def unwatch(self, coin: str) -> None:
        self._last_ns.pop(coin, None)
        self._stalled.discard(coin)

    def restart(self, now_ns: int) -> None:
        """After a reconnect, silence counts from now."""
        for coin in self._last_ns:
            self._last_ns[coin] = now_ns
        self._stalled.clear()
        self._all_stalled = False

    def on_message(self, coin: str, now_ns: int) -> None:
        if coin in self._last_ns:
            self._last_ns[coin] = now_ns
            self._stalled.discard(coin)
            self._all_stalled = False

    def check(self, now_ns: int, socket_open: bool) -> list[MarketDataStall]:
        if not socket_open or not self._last_ns:
            return []  # a closed socket is a disconnect, reported by the reconnect path
        events: list[MarketDataStall] = []
        for coin, last in self._last_ns.items():
            silent = now_ns - last
            if silent >= self.timeout_ns and coin not in self._stalled:
                self._stalled.add(coin)
                events.append(MarketDataStall(coin=coin, silent_ms=silent // 1_000_000, ts_ns=now_ns))
        if not self._all_stalled and len(self._stalled) == len(self._last_ns):
            self._all_stalled = True
            newest = max(self._last_ns.values())
            events.append(MarketDataStall(coin=None, silent_ms=(now_ns - newest) // 1_000_000, ts_ns=now_ns))
        return events
