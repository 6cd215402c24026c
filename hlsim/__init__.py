"""hlsim: a local Hyperliquid-compatible exchange for tests, replay and paper trading.

Test API: `hlsim.testing` (run_hlsim_in_thread, start_hlsim). CLI: `python -m hlsim --help`.

Fidelity: shapes and the error texts listed in `docs/hyperliquid.md` are the exchange's.
Texts the doc does not give are best guesses and may differ from the live exchange: the nonce
texts other than `Invalid nonce: duplicate nonce N`, `Order has invalid size.`, `Order has zero
size.`, `Too many open orders.`, `Duplicate cloid.`, `Invalid leverage value`, the scheduleCancel
timing/trigger-count texts, `Action expired ...`, `Cannot modify canceled or filled order`, the 429
body `Too many requests` and the 422 body `Failed to deserialize the JSON body ...`. Not simulated:
trigger (TP/SL) orders, vaults, spot, liquidations.
"""

from hlsim.config import HlSimConfig

__all__ = ["HlSimConfig"]
