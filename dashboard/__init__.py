"""A read-only live dashboard served by the node itself (`run_live.py --dashboard [HOST:]PORT`).

- `address` — the `[HOST:]PORT` option (loopback unless a host is given).
- `queue_estimate` — the size ahead of each of our resting orders, from book and trade samples
  (`simulation.queue_model`'s rules).
- `pnl` — the live PnL split and fill markouts (`backtest.reporting.metrics`' definitions).
- `bus_watch` — copies of what the actors and the adapter publish on the message bus.
- `collector` — node state → one JSON snapshot, sampled on the dashboard's own timer.
- `server` — aiohttp in the node's event loop: the page, its static files, JSON and server-sent
  events; GET only, bounded per-client queues.
- `static/` — the page (plain JavaScript) and the vendored uPlot (see static/uplot/README.md).

Only `live` imports this package.
"""
