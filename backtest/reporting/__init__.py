"""Backtest report: metrics from the strategy's journal (pure), charts and HTML."""
