"""`l2Book` snapshots → true Nautilus order-book deltas (one `L2BookDiffer` per instrument).

Hyperliquid's `l2Book` channel only ever sends full snapshots (at most 20 levels a side).
Replaying each as CLEAR + rebuild would make Nautilus reset every queue position per message, so
the differ emits what changed instead:

- The first snapshot (and the first after `reset()`, e.g. on a reconnect or a new file) becomes a
  CLEAR followed by one ADD per level, every delta flagged `F_SNAPSHOT` (the CLEAR too: Nautilus's
  `OrderBookDelta.clear()` sets no flags).
- Every later snapshot is diffed against the previous one, per side: a price whose size changed →
  UPDATE, a new price → ADD, a price no longer shown → DELETE. Never a CLEAR.
- `F_LAST` is set on the last delta of every event; all deltas of an event share its timestamps.
  Within an event, per side (bids first): DELETEs, then UPDATEs, then ADDs.
- A snapshot identical to the previous one produces no deltas (an event with nothing in it
  would need a dummy delta; it is counted in `stats.unchanged`).
- `rebuild()` emits the current book again as CLEAR + ADDs, for a receiver that lost its book.

The window rule: the book the deltas build is always exactly the visible snapshot. A level that
disappears from a snapshot is DELETEd whether it truly vanished or only left the 20-level window
(the window moved because better levels arrived, so a level beyond the new worst shown price is
no longer visible, though it may still rest on the exchange). Both are counted separately:

- `vanished_in_window`: the missing price lies inside the new window (bids: ≥ the new worst bid;
  asks: ≤ the new worst ask), or the new side shows fewer than `depth` levels (the whole side is
  visible, so nothing can have left it).
- `left_window`: the new side is full (`depth` levels) and the missing price is beyond its worst
  shown price.

`depth` is the window size of the subscription: 20 for the default `l2Book`, 5 with `fast: true`
(it only decides how deletions are counted, never which deltas are emitted).

An empty side deletes every level of that side (vanished). A crossed snapshot (best bid ≥ best ask)
is applied as given and counted in `stats.crossed`.

Speed: levels are compared as the exchange's price/size strings (Hyperliquid prints a given
decimal the same way every time); Nautilus objects are built only for changes, via a cached
`ValueConverter` at the instrument's precisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid.parsing.convert import ValueConverter
from adapters.hyperliquid.parsing.convert import ms_to_ns
from adapters.hyperliquid.parsing.convert import ts_init_for
from adapters.hyperliquid.schemas.market_data import L2BookData
from adapters.hyperliquid.schemas.market_data import L2Level

F_LAST = int(RecordFlag.F_LAST)
F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)
HL_BOOK_DEPTH = 20

_ADD = BookAction.ADD
_UPDATE = BookAction.UPDATE
_DELETE = BookAction.DELETE
_CLEAR = BookAction.CLEAR
_BUY = OrderSide.BUY
_SELL = OrderSide.SELL


@dataclass(slots=True)
class BookDiffStats:
    snapshots: int = 0
    full_snapshots: int = 0  # CLEAR + ADDs (first, and after each reset)
    unchanged: int = 0  # snapshots equal to the previous one: no deltas
    adds: int = 0
    updates: int = 0
    deletes: int = 0
    clears: int = 0
    vanished_in_window: int = 0
    left_window: int = 0
    crossed: int = 0
    time_regressions: int = 0  # snapshots whose exchange time is before the previous one's

    @property
    def deltas(self) -> int:
        return self.adds + self.updates + self.deletes + self.clears

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


class L2BookDiffer:
    """Turns successive `l2Book` snapshots of one instrument into true book deltas."""

    def __init__(
        self,
        instrument_id: InstrumentId,
        price_precision: int,
        size_precision: int,
        depth: int = HL_BOOK_DEPTH,
        converter: ValueConverter | None = None,
    ) -> None:
        self.instrument_id = instrument_id
        self.depth = depth
        self.values = converter or ValueConverter(price_precision, size_precision, str(instrument_id))
        self.stats = BookDiffStats()
        self.sequence = 0
        self._bids: dict[str, str] | None = None  # px -> sz of the last applied snapshot
        self._asks: dict[str, str] = {}
        self._last_time_ms = -1

    @property
    def has_book(self) -> bool:
        return self._bids is not None

    def reset(self) -> None:
        """Forget the book: the next snapshot is emitted as a fresh CLEAR + ADDs (F_SNAPSHOT)."""
        self._bids = None
        self._asks = {}
        self._last_time_ms = -1

    def levels(self) -> tuple[dict[str, str], dict[str, str]]:
        """The current book as (bids, asks) maps of price string → size string."""
        return dict(self._bids or {}), dict(self._asks)

    def rebuild(self, ts_init: int) -> list[OrderBookDelta]:
        """The current book again as a full CLEAR + ADDs event (F_SNAPSHOT, a new sequence), for a
        receiver whose book was lost; empty when there is no book yet."""
        if self._bids is None:
            return []
        iid = self.instrument_id
        price = self.values.price
        size = self.values.size
        seq = self.sequence + 1
        ts_event = ms_to_ns(max(self._last_time_ms, 0))
        out = [OrderBookDelta(iid, _CLEAR, None, F_SNAPSHOT, seq, ts_event, ts_init)]
        for side, levels in ((_BUY, self._bids), (_SELL, self._asks)):
            for px, sz in levels.items():
                out.append(OrderBookDelta(iid, _ADD, BookOrder(side, price(px), size(sz), 0), F_SNAPSHOT, seq, ts_event, ts_init))
        last = out[-1]
        out[-1] = OrderBookDelta(
            iid, last.action, last.order if last.action != _CLEAR else None, last.flags | F_LAST, seq, ts_event, ts_init
        )
        self.sequence = seq
        self.stats.full_snapshots += 1
        return out

    def apply(self, book: L2BookData, recv_ns: int | None = None) -> list[OrderBookDelta]:
        """Deltas taking the book from the previous snapshot to `book` (empty if unchanged).

        State only changes once every delta was built, so a snapshot that fails validation
        (raising ValueError) leaves the differ as it was.
        """
        ts_event = ms_to_ns(book.time)
        ts_init = ts_init_for(ts_event, recv_ns)
        return self.apply_levels(book.levels[0], book.levels[1], ts_event, ts_init, book.time)

    def apply_levels(
        self,
        bid_levels: list[L2Level],
        ask_levels: list[L2Level],
        ts_event: int,
        ts_init: int,
        time_ms: int | None = None,
    ) -> list[OrderBookDelta]:
        new_bids = {lvl.px: lvl.sz for lvl in bid_levels}
        new_asks = {lvl.px: lvl.sz for lvl in ask_levels}
        if len(new_bids) != len(bid_levels) or len(new_asks) != len(ask_levels):
            raise ValueError(f"{self.instrument_id}: snapshot repeats a price level")
        stats = self.stats
        seq = self.sequence + 1
        iid = self.instrument_id
        price = self.values.price
        size = self.values.size
        out: list[OrderBookDelta] = []

        if self._bids is None:
            flags = F_SNAPSHOT
            out.append(OrderBookDelta(iid, _CLEAR, None, flags, seq, ts_event, ts_init))
            for px, sz in new_bids.items():
                out.append(
                    OrderBookDelta(
                        iid, _ADD, BookOrder(_BUY, price(px), size(sz), 0), flags, seq, ts_event, ts_init
                    )
                )
            for px, sz in new_asks.items():
                out.append(
                    OrderBookDelta(
                        iid, _ADD, BookOrder(_SELL, price(px), size(sz), 0), flags, seq, ts_event, ts_init
                    )
                )
            counts = (len(out) - 1, 0, 0, 0, 0)
            stats.full_snapshots += 1
            stats.clears += 1
        else:
            counts = (0, 0, 0, 0, 0)
            if new_bids != self._bids:
                counts = self._diff_side(out, self._bids, new_bids, bid_levels, _BUY, seq, ts_event, ts_init)
            if new_asks != self._asks:
                c2 = self._diff_side(out, self._asks, new_asks, ask_levels, _SELL, seq, ts_event, ts_init)
                counts = tuple(a + b for a, b in zip(counts, c2, strict=True))  # type: ignore[assignment]
            if not out:
                stats.unchanged += 1

        if out:
            # Deltas are immutable: rebuild the last one with F_LAST added.
            last = out[-1]
            out[-1] = OrderBookDelta(
                iid,
                last.action,
                last.order if last.action != _CLEAR else None,
                last.flags | F_LAST,
                seq,
                ts_event,
                ts_init,
            )
            self.sequence = seq

        # Commit only after every delta was built.
        adds, updates, deletes, vanished, left = counts
        stats.adds += adds
        stats.updates += updates
        stats.deletes += deletes
        stats.vanished_in_window += vanished
        stats.left_window += left
        stats.snapshots += 1
        if bid_levels and ask_levels and float(bid_levels[0].px) >= float(ask_levels[0].px):
            stats.crossed += 1
        if time_ms is not None:
            if time_ms < self._last_time_ms:
                stats.time_regressions += 1
            self._last_time_ms = time_ms
        self._bids = new_bids
        self._asks = new_asks
        return out

    def _diff_side(
        self,
        out: list[OrderBookDelta],
        old: dict[str, str],
        new: dict[str, str],
        new_levels: list[L2Level],
        side: OrderSide,
        seq: int,
        ts_event: int,
        ts_init: int,
    ) -> tuple[int, int, int, int, int]:
        iid = self.instrument_id
        price = self.values.price
        size = self.values.size
        deletes = vanished = left = 0
        missing = [px for px in old if px not in new]
        if missing:
            full = len(new_levels) >= self.depth
            worst = float(new_levels[-1].px) if full else 0.0
            for px in missing:
                if full and (float(px) < worst if side == _BUY else float(px) > worst):
                    left += 1
                else:
                    vanished += 1
                out.append(
                    OrderBookDelta(
                        iid, _DELETE, BookOrder(side, price(px), size(old[px]), 0), 0, seq, ts_event, ts_init
                    )
                )
            deletes = len(missing)
        adds = updates = 0
        updated: list[OrderBookDelta] = []
        added: list[OrderBookDelta] = []
        for px, sz in new.items():
            prev = old.get(px)
            if prev is None:
                added.append(
                    OrderBookDelta(
                        iid, _ADD, BookOrder(side, price(px), size(sz), 0), 0, seq, ts_event, ts_init
                    )
                )
            elif prev != sz:
                updated.append(
                    OrderBookDelta(
                        iid, _UPDATE, BookOrder(side, price(px), size(sz), 0), 0, seq, ts_event, ts_init
                    )
                )
        adds = len(added)
        updates = len(updated)
        out.extend(updated)
        out.extend(added)
        return adds, updates, deletes, vanished, left
