#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite (ruff first). Used by .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
if ! .venv/bin/python -c 'import redis; redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()' 2>/dev/null; then
  echo "test: Redis is not reachable at 127.0.0.1:6379; the Redis tests need a real server." >&2
  echo "      start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''" >&2
  exit 1
fi
.venv/bin/ruff check .
# Two workers unless told otherwise (-n N, or -p no:xdist): the machines have two cores, and the
# suite runs in half the time (CI's ten minutes).
args=("$@")
workers=(-n 2)
for a in "$@"; do
  case "$a" in -n|-n[0-9]*|--numprocesses|--numprocesses=*|no:xdist) workers=() ;; esac
done
exec .venv/bin/python -m pytest "${workers[@]}" "${args[@]}"
