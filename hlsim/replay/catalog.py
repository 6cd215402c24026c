"""Market data from a Nautilus `ParquetDataCatalog` (OrderBookDelta + TradeTick), as replay records.

Deltas are applied to a Nautilus L2 `OrderBook` per instrument; at every event end (`F_LAST`) the
top 20 levels become an `l2Book` message, so the same `Replayer.apply` drives the engine. Records
are ordered by `ts_init` (the local receive time the catalog keeps), which also paces the replay.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.parsing.instruments import instrument_id_for

DEPTH = 20
_F_LAST = int(RecordFlag.F_LAST)


def _book_message(coin: str, book: OrderBook, ts_ms: int, size_precision: int) -> dict[str, Any]:
    # A level's size is a float sum of its orders: written at the instrument's size precision, so
    # 123641.99999999999 of a 0-decimal coin goes out as "123642".
    return {
        "coin": coin,
        "time": ts_ms,
        "levels": [
            [
                {"px": str(lvl.price), "sz": f"{lvl.size():.{size_precision}f}", "n": max(len(lvl.orders()), 1)}
                for lvl in side
            ]
            for side in (book.bids()[:DEPTH], book.asks()[:DEPTH])
        ],
    }


def check_catalog(catalog_dir: str | os.PathLike[str], coins: list[str]) -> None:
    """Raises ValueError unless the catalog holds OrderBookDelta or TradeTick rows of one of `coins`.
    Reads only parquet footers (row counts), not the data."""
    catalog = ParquetDataCatalog(str(catalog_dir))
    for coin in coins:
        for cls in (OrderBookDelta, TradeTick):
            directory = Path(catalog._make_path(data_cls=cls, identifier=instrument_id_for(coin).value))
            for file in sorted(directory.glob("*.parquet")):
                try:
                    if pq.ParquetFile(file).metadata.num_rows > 0:
                        return
                except (OSError, pa.ArrowException) as exc:
                    raise ValueError(f"{file}: unreadable parquet file ({exc})") from None
    raise ValueError(
        f"{catalog_dir}: not a ParquetDataCatalog with OrderBookDelta or TradeTick data for {', '.join(coins)}"
    )


def catalog_records(catalog_dir: str | os.PathLike[str], coins: list[str]) -> Iterator[tuple[int, str, Any]]:
    """(ts_init ns, channel, data) for the coins' book events and trades, in time order."""
    catalog = ParquetDataCatalog(str(catalog_dir))
    ids = [instrument_id_for(coin).value for coin in coins]
    size_precision = {coin_of(inst.id): inst.size_precision for inst in catalog.instruments(instrument_ids=ids)}
    deltas = catalog.query(OrderBookDelta, identifiers=ids)
    trades = catalog.query(TradeTick, identifiers=ids)
    books: dict[str, OrderBook] = {}
    # Ties: deltas (kind 0) before trades (kind 1) of the same instant, like the live feed's order.
    merged = heapq.merge(
        ((d.ts_init, 0, i, d) for i, d in enumerate(deltas)),
        ((t.ts_init, 1, i, t) for i, t in enumerate(trades)),
    )
    for ts_init, kind, _, item in merged:
        coin = coin_of(item.instrument_id)
        if kind == 0:
            book = books.get(coin)
            if book is None:
                book = books[coin] = OrderBook(item.instrument_id, BookType.L2_MBP)
            book.apply_delta(item)
            if item.flags & _F_LAST:
                precision = size_precision.get(coin, item.order.size.precision)
                yield ts_init, "l2Book", _book_message(coin, book, item.ts_event // 1_000_000, precision)
        else:
            side = "B" if item.aggressor_side == AggressorSide.BUYER else "A"
            yield ts_init, "trades", [
                {"coin": coin, "side": side, "px": str(item.price), "sz": str(item.size),
                 "time": item.ts_event // 1_000_000}
            ]
