"""Maker-edge screener: the slow control plane (a separate process, `python -m screener run`).

Which Hyperliquid perps are worth quoting as a post-only maker, and with what base parameters.

- `info_client`: `/info` replies (live url, testnet, hlsim, or saved files) through the adapter's
  HTTP client, validated with the adapter's schemas (`adapters.hyperliquid.schemas.info`).
- `features`: replies → polars tables (spread, ticks, depth, volatility, with fallbacks).
- `scoring`: maker-edge score against the maker fee of the fee tier.
- `filters`: dead coins, no edge, correlation clusters (scikit-learn), cap, each with its reason.
- `params`: per-asset base spread, max inventory, level spacing, order size.
- `pipeline`: one screening run; `report`: the ranked table.
- `node_config`: TradingNode config JSON.
- Over a Nautilus catalog instead of `/info` (`run --catalog DIR`): `catalog_reader` (an
  instrument's book rebuilt from its deltas, sampled each second, and its trades),
  `recorded_features` (the spread takers paid, tick, volatility, volume), `catalog_screen` (one
  run), `backtest_config` (a `run_backtest.py` config for the picks).
- The Redis contract with the node (payload schema, publisher, url and names, the node's feed)
  lives in `screener_link`.
"""
