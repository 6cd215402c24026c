"""hlsim: a local Hyperliquid-compatible exchange for tests, replay and paper trading.

Test API: `hlsim.testing` (run_hlsim_in_thread, start_hlsim). CLI: `python -m hlsim --help`.
"""

from hlsim.config import HlSimConfig

__all__ = ["HlSimConfig"]
