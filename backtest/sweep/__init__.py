"""Research sweeps: many backtests of one base config with varied parameters, as a grid or an
Optuna search, executed on Ray (`run_backtest.py --sweep SWEEP.json`).

spec.py     SWEEP.json: the format and its checks
params.py   parameter names that address fields of the backtest config
cell.py     one cell: a run with one set of values, backtested as run_backtest.py does (the Ray task)
execute.py  Ray: the local instance or a cluster, the cells in flight
search.py   the Optuna mode
results.py  the Parquet table, the console summary, the PnL/actions frontier
report.py   the HTML report (heatmap, frontier, trials)
command.py  the command: all of the above in order
"""
