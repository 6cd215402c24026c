"""Run as a script, a bench has bench/ first on sys.path, where bench/backtest.py, bench/hlsim.py and
bench/screener.py would shadow the project's packages of the same names. Importing this module (before
any project package) takes bench/ off sys.path and puts this checkout's root first. It also writes a bench's figures where the README says
they are: bench/results/NAME.json.

Not a benchmark itself: it measures nothing and has no results file."""

import json
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
# This checkout's packages first: the venv's .pth file points at the main checkout, so a bench run
# from another worktree would otherwise measure the main checkout's code.
sys.path.insert(0, str(_HERE.parent))

RESULTS_DIR = _HERE / "results"


def write_results(name: str, result: dict[str, Any]) -> Path:
    """Writes `result` (a flat object of figures, with the command and the date) to bench/results/NAME.json."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path
