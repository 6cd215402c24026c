#!/usr/bin/env bash
# Sets everything up, then runs the main job over the shipped data.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
exec .venv/bin/python -m catalog ingest --shipped --catalog data/catalog "$@"
