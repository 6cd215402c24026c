"""Hyperliquid market data → Nautilus objects (shared by the catalog loader and the live data client).

- `book_diff.L2BookDiffer`: `l2Book` snapshots → true `OrderBookDelta`s.
- `ticks`: `bbo` → `QuoteTick`, `trades` → `TradeTick`.
- `convert`: price/size strings → `Price`/`Quantity`, exchange/receive times → ts_event/ts_init.
"""
