"""Run the market maker as a Nautilus TradingNode, live on Hyperliquid or in shadow mode.

    python run_live.py --config configs/live.json [--mode live|shadow] [--network mainnet|testnet|URL]

The config is a TradingNode JSON config (the screener writes the same shape to
`configs/live.generated.json`): our data/exec client factories, one MarketMaker per asset, the
RegimeGovernor and the RiskGuard. Two optional top-level sections are read here and removed
before Nautilus parses the rest: `"shadow"` (ShadowExecClientConfig fields) and `"run"`
(`shutdown_timeout_secs`, `sweep_on_start`, `redis_cache_url`, `report_dir`).

- Keys: the agent key comes from the environment (`HYPERLIQUID_AGENT_KEY`, or the exec config's
  `agent_key_env`) or `--key-file`; never from the config. The account address from the config or
  `--account` / `HYPERLIQUID_ACCOUNT`.
- Start-up (live): orders still resting from an earlier run (a crash, a kill -9) are cancelled on the
  exchange first, then the node reconciles (Nautilus mass status), and only then do strategies quote.
- SIGINT/SIGTERM: strategies stop (each cancels its orders), the node waits until no order is
  open or in flight (the cancels were acknowledged), sweeps the exchange once more, then exits.
- `--redis-cache [URL]`: Nautilus's cache in Redis, so a restart keeps orders and positions.
- Shadow mode: the same node with `shadow` as execution client (nothing is sent);
  on exit it writes the backtest report for the run.
- A status table (rich) on a terminal; a periodic status line in the log otherwise.
- Faults (a component that fails to start or stops on its own, no connection within the node's
  timeouts, the exchange refusing every action of the account) stop the node gracefully too.
  Exit codes (`live.errors.ExitCode`): 0 clean stop, 1 could not start or stopped on a fault,
  2 bad config or command line, 3 orders left open on the exchange after the wind-down.

This file is only the entry point; the work is done in the `live` package (see its docstring).
"""

from __future__ import annotations

import sys

from live.cli import parse_args
from live.errors import ConfigError
from live.errors import ExitCode
from live.node_config import ACCOUNT_ENV
from live.node_config import RunOptions
from live.node_config import prepare
from live.runner import main
from live.runner import run

__all__ = ["ACCOUNT_ENV", "ConfigError", "ExitCode", "RunOptions", "main", "parse_args", "prepare", "run"]

if __name__ == "__main__":
    sys.exit(main())
