"""Backtests over the catalog: runner, reports, shadow-vs-backtest comparison."""
