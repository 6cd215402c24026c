"""Market-data health: silence on an open socket (the chain may have stopped) or a dropped socket
makes the data untrustworthy until fresh data — for a book, a fresh book — arrives again."""

from __future__ import annotations

from adapters.hyperliquid.types import MarketDataResumed
from adapters.hyperliquid.types import MarketDataStall


class StallDetector:
    """
    Tracks the last message time per coin.

    - `check` reports each coin once per silent spell, and `coin=None` once when every watched
      coin is silent (only while the socket is open: a closed socket is `disconnected`).
    - `disconnected` reports `coin=None` once and marks every coin stalled.
    - `on_message` ends a coin's spell (`MarketDataResumed(coin)`) with its next message — for a
      coin watched with `book=True`, only with its next book, since the book is what the strategy
      quotes from — and the all-coins spell (`MarketDataResumed(None)`) once every coin is back.
    """

    def __init__(self, timeout_ns: int) -> None:
        if timeout_ns <= 0:
            raise ValueError("timeout_ns must be positive")
        self.timeout_ns = timeout_ns
        self._last_ns: dict[str, int] = {}
        self._needs_book: set[str] = set()
        self._stalled: set[str] = set()
        self._all_stalled = False

    @property
    def stalled(self) -> frozenset[str]:
        """Coins whose data is not trusted right now."""
        return frozenset(self._stalled)

    def watch(self, coin: str, now_ns: int, *, book: bool = False) -> None:
        """Start watching a coin (its silence counts from now); `book`: it has a book subscription."""
        self._last_ns.setdefault(coin, now_ns)
        if book:
            self._needs_book.add(coin)

    def unwatch(self, coin: str) -> None:
        self._last_ns.pop(coin, None)
        self._needs_book.discard(coin)
        self._stalled.discard(coin)

    def restart(self, now_ns: int) -> None:
        """After a reconnect, silence counts from now (stalled coins stay stalled until their data is back)."""
        for coin in self._last_ns:
            self._last_ns[coin] = now_ns

    def disconnected(self, now_ns: int) -> list[MarketDataStall]:
        """The socket dropped: nothing is trusted until each coin's data is back after the reconnect."""
        if not self._last_ns:
            return []
        self._stalled.update(self._last_ns)
        if self._all_stalled:
            return []  # already inside an all-coins spell
        self._all_stalled = True
        newest = max(self._last_ns.values())
        return [MarketDataStall(coin=None, silent_ms=max(0, now_ns - newest) // 1_000_000, ts_ns=now_ns)]

    def on_message(self, coin: str, now_ns: int, *, book: bool = False) -> list[MarketDataResumed]:
        """A good message for `coin` (`book`: an l2Book) arrived; returns the spells it ends."""
        if coin not in self._last_ns:
            return []
        self._last_ns[coin] = now_ns
        if coin not in self._stalled or (coin in self._needs_book and not book):
            return []
        self._stalled.discard(coin)
        events = [MarketDataResumed(coin=coin, ts_ns=now_ns)]
        if self._all_stalled and not self._stalled:
            self._all_stalled = False
            events.append(MarketDataResumed(coin=None, ts_ns=now_ns))
        return events

    def check(self, now_ns: int, socket_open: bool) -> list[MarketDataStall]:
        if not socket_open or not self._last_ns:
            return []  # a closed socket is reported by `disconnected`
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
