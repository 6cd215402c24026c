#!/usr/bin/env bash
# Idempotent set-up: creates .venv with Python 3.12 and installs the pinned dependencies.
# Re-runs are cheap: the install is skipped while requirements.txt and constraints.txt are unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python312() {
  for cand in "${PYTHON312:-}" python3.12 "$HOME/.pyenv/versions/3.12.1/bin/python3.12"; do
    [ -n "$cand" ] || continue
    if "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  # pyenv keeps 3.12 beside the default interpreter; its shim needs the version named.
  if command -v pyenv >/dev/null 2>&1; then
    local v; v="$(pyenv versions --bare | grep -E '^3\.12' | tail -1 || true)"
    if [ -n "$v" ]; then echo "$(pyenv root)/versions/$v/bin/python3.12"; return 0; fi
  fi
  return 1
}

if [ ! -x .venv/bin/python ]; then
  PY="$(find_python312)" || { echo "setup: Python 3.12 not found (set PYTHON312=/path/to/python3.12)" >&2; exit 1; }
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi

STAMP=.venv/.requirements.sha
WANT="$(cat requirements.txt constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  echo "setup: installing pinned dependencies"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
  echo "$WANT" > "$STAMP"
fi
# The project's packages import from the repository root without an install step.
SITE="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$ROOT" > "$SITE/hl_market_maker.pth"
# The dashboard's browser tests drive Debian's headless Chromium (never a browser downloaded at
# run time); installed once, non-interactively, when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium and chromium-driver (Debian packages) for the dashboard's browser tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium chromium-driver
fi
