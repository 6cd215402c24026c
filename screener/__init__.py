"""Maker-edge screener: the slow control plane (a separate process, `python -m screener run`).

Which Hyperliquid perps are worth quoting as a post-only maker, and with what base parameters.

- `info_client`: `/info` replies (live url, testnet, hlsim, or saved files), validated (`schemas`).
- `features`: replies → polars tables (spread, ticks, depth, volatility, with fallbacks).
- `scoring`: maker-edge score against the maker fee of the fee tier.
- `filters`: dead coins, no edge, correlation clusters (scikit-learn), cap, each with its reason.
- `params`: per-asset base spread, max inventory, level spacing, order size.
- `pipeline`: one screening run; `report`: the ranked table.
- `payload`: the Redis message (schema 1), validated by publisher and node alike;
  `publish`: Redis pub/sub + stored key; `node_config`: TradingNode config JSON.
- The node side lives in `screener_link.feed`.
"""
