"""Work per backtest, in instructions: what the wall clock cannot show on a machine whose speed moves.

`valgrind --tool=callgrind` counts the instructions a process executes, the same for the same code
and data whatever else the machine does. This runs the full stack (MarketMaker, RegimeGovernor,
RiskGuard; the governor's edge check off, as bench/backtest.py does, so that the strategy quotes)
over the shipped ETH capture once and twice in one process; the difference is one run's
instructions with the interpreter's and Nautilus's start-up taken out. Ours against the code of a
git ref (its files from `git archive`, the same catalog), for the issue-18 question "does this change
do less per event?".

    .venv/bin/python bench/instructions.py [--baseline-ref REF]    (~15 min: four runs under valgrind)

Writes bench/results/instructions.json: `instructions_per_run_g` and `baseline_instructions_per_run_g`
(10^9 instructions), `ratio` (ours / baseline).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # first: takes bench/ off sys.path

_SUMMARY = re.compile(rb"^summary: (\d+)$", re.MULTILINE)


def _run_sessions(runs: int) -> None:
    """The measured process: `runs` full-stack backtests of the ETH capture."""
    import msgspec
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from backtest.runner import load_settings
    from backtest.runner import run_session
    from catalog.ingest import ensure_shipped_catalog

    root = _harness.CODE_ROOT
    settings = load_settings(root / "configs" / "backtest.json")
    settings = msgspec.structs.replace(settings, governor={**(settings.governor or {}), "edge_check_enabled": False})
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(root / "data" / "catalog")))
    for _ in range(runs):
        run_session(settings, settings.runs[0], catalog, log_level="OFF").engine.dispose()


def _instructions(code_root: Path, runs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="callgrind_") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
             "--part", str(runs)],
            # The hash seed pinned: set and dict orders (and so the instructions) then repeat run to run.
            env=os.environ | {"BENCH_CODE_ROOT": str(code_root), "PYTHONHASHSEED": "0"}, check=True, capture_output=True,
        )
        found = _SUMMARY.search(out.read_bytes())
        if found is None:
            raise RuntimeError(f"no instruction summary in {out}")
        return int(found.group(1))


def _per_run_g(code_root: Path) -> float:
    return round((_instructions(code_root, 2) - _instructions(code_root, 1)) / 1e9, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-ref", default="HEAD~1", help="the git ref whose code is the baseline")
    parser.add_argument("--part", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.part:
        _run_sessions(args.part)
        return 0
    ours = _per_run_g(_harness.CODE_ROOT)
    with _harness.checkout_of(args.baseline_ref) as root:
        baseline = _per_run_g(root)
    result = {
        "instructions_per_run_g": ours,
        "baseline_instructions_per_run_g": baseline,
        "ratio": round(ours / baseline, 4),
        "baseline": args.baseline_ref,
        "command": " ".join([".venv/bin/python bench/instructions.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(result)
    _harness.write_results("instructions", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
