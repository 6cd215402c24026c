#!/usr/bin/env bash
# Sets everything up, then runs the main job: the market-making backtest over the shipped data
# (the catalog is built on first use) with its report in reports/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
exec .venv/bin/python run_backtest.py "$@"
