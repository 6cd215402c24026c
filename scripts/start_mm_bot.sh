#!/usr/bin/env bash
# Run the market maker as a service (foreground; the service manager restarts it).
#
#   scripts/start_mm_bot.sh [run_live.py options...]
#
# Environment (e.g. from a systemd EnvironmentFile= readable only by the service user):
#   MM_CONFIG              node config (default: configs/live.json)
#   MM_MODE                live | shadow (default: the config's run.mode)
#   MM_NETWORK             mainnet | testnet | http(s)://url (default: the config's)
#   HYPERLIQUID_ACCOUNT    main account address (live)
#   HYPERLIQUID_AGENT_KEY  agent key (live), or MM_KEY_FILE=path to a file holding it
#   MM_REDIS_CACHE         redis://host:port to keep the node's state across restarts
#   MM_LOG_DIR             where to append the log (default: stdout/stderr, for journald)
#
# SIGTERM (systemctl stop) is forwarded to the node: it cancels every order, waits for the
# acknowledgements, then exits. A restart first cancels orders left by the previous run.
#
# Exit codes (live/errors.py; the node prints one "error: ..." line for each non-zero one):
#   0  stopped by SIGINT/SIGTERM or after --run-secs, nothing left on the exchange   -> do not restart
#   1  could not start (exchange, Redis, key approval, a component) or stopped on a
#      fault (a component failed, the exchange refuses the account's actions)      -> restart after a pause
#   2  bad config or command line (also: this script cannot find the venv)          -> do not restart: fix it
#   3  orders remained open on the exchange after the wind-down (or unverifiable)   -> restart: the start-up
#                                                                                       sweep cancels them
#
# Example unit (/etc/systemd/system/mm-bot.service):
#   [Unit]
#   StartLimitIntervalSec=600
#   StartLimitBurst=5            # a fault that persists (a revoked key) ends in a failed unit
#   [Service]
#   User=mm
#   WorkingDirectory=/opt/hl-market-maker
#   EnvironmentFile=/etc/mm-bot.env
#   ExecStart=/opt/hl-market-maker/scripts/start_mm_bot.sh
#   Restart=on-failure
#   RestartPreventExitStatus=2
#   RestartSec=5
#   KillSignal=SIGTERM
#   TimeoutStopSec=45            # the wind-down takes up to ~2 x run.shutdown_timeout_secs + 10 s
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="$ROOT/.venv/bin/python"
if [[ ! -x "$PYTHON" ]]; then
  echo "start_mm_bot: $PYTHON not found; run scripts/setup.sh first" >&2
  exit 2
fi

args=(--config "${MM_CONFIG:-configs/live.json}" --no-status)
[[ -n "${MM_MODE:-}" ]] && args+=(--mode "$MM_MODE")
[[ -n "${MM_NETWORK:-}" ]] && args+=(--network "$MM_NETWORK")
[[ -n "${MM_KEY_FILE:-}" ]] && args+=(--key-file "$MM_KEY_FILE")
[[ -n "${MM_REDIS_CACHE:-}" ]] && args+=(--redis-cache "$MM_REDIS_CACHE")

if [[ -n "${MM_LOG_DIR:-}" ]]; then
  mkdir -p "$MM_LOG_DIR"
  exec >>"$MM_LOG_DIR/mm-bot.log" 2>&1
fi

# exec: the node becomes the service's main process and receives SIGTERM/SIGINT itself.
exec "$PYTHON" run_live.py "${args[@]}" "$@"
