"""The pieces of `run_live.py`: running the market maker as a Nautilus TradingNode.

- `cli` — the command line.
- `errors` — the exit codes (`ExitCode`), `ConfigError` (a bad config or command line) and
  `StartupError` (the outside world refused the start).
- `logs` — the one logger (`run_live`) all modules write to.
- `node_config` — reading the node config, the `"run"` section and the command line's overrides.
- `factories` — registering the client factories by class (a Nautilus 1.231 workaround).
- `sweep` — cancelling orders left on the exchange by an earlier run.
- `status` — the status table / status line and the JSON state file.
- `shutdown` — signal handling and the graceful stop.
- `health` — what ends a run with a fault (a failed component, no connection, `TradingRefused`).
- `shadow_report` — the backtest-style report written after a shadow run.
- `runner` — the run itself, tying the above together.
"""
