"""Run as a script, a bench has bench/ first on sys.path, where bench/backtest.py, bench/hlsim.py and
bench/screener.py would shadow the project's packages of the same names. Importing this module (before
any project package) takes bench/ off sys.path."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
