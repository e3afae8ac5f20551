"""Fit one series from all its figures and project it, with intervals calibrated by rolling-origin backtests.

The modules, in the order the pipeline (series.fit_series) uses them:
- borrowing: what sparse series borrow from the series that lends its fit (Prior);
- monthly: the monthly family (structural model on every figure, seasonal models on its months), mixed;
- monthly_backtest: its nested rolling-origin backtest, weights and interval calibration;
- reconciliation: the next two 12-month totals pulled toward the annual family's (THieF);
- annual: the yearly history, the growth curves, their shocks and joint yearly paths;
- projection: the served points per frequency (SeriesForecast, Point);
- report: the typed model report served under `model.details`;
- arrays: the same engine on plain arrays, for the benchmarks.
"""
