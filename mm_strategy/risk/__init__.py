"""Risk bookkeeping: drawdown, capital at risk, cancel-to-fill, exchange action budget (no engine)."""
