"""What sparse series borrow from the series that lends its fit (`lends_prior` in data/series.csv).

A carmaker with two yearly totals and a few months cannot estimate its own
variances, damping or seasonal pattern; it borrows the lender's, an empirical
Bayes prior in the sense of Efron and Morris (1975). The lender is fitted first
with the default prior; `prior_from` reads what the others borrow off its fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecast.backtest import BacktestRow
from forecast.engine.report import ModelReport


@dataclass(frozen=True)
class Prior:
    """What sparse series borrow from richer ones.

    monthly_params: level, slope and irregular variances of the structural model, in scaled units;
    annual_sd: sd of one-year-ahead log errors pooled over backtested series;
    damping: the lender's damped-growth phi;
    source: the lending series' id ("default" before any was fitted);
    monthly_skill: each monthly model's backtest sMAPE relative to its family's, pooled over a
    collection of series (backtest.model_skill); None ranks models by the series' own backtest;
    annual_skill: the same for the annual curves (backtest.annual_curve_weights);
    seasonal_factors: the lender's months as multiples of their year's mean month, January..December.
    """

    monthly_params: tuple[float, ...] = (1e-2, 1e-5, 1e-3)
    annual_sd: float = 0.15
    damping: float | None = None
    source: str = "default"
    monthly_skill: dict[str, float] | None = None
    annual_skill: dict[str, float] | None = None
    seasonal_factors: tuple[float, ...] | None = None  # January..December, mean 1 (season.seasonal_factors)


def pooled_annual_sd(rows: Sequence[BacktestRow]) -> float | None:
    """Root mean square of one-year-ahead log errors: how wrong a year's projection has been.

    Only the annual backtest's rows count (BacktestRow.is_annual): a monthly model's year total
    one month ahead is a December, not a year ahead.
    """
    errors = [math.log(r.actual / r.mean) for r in rows if r.horizon == 1 and r.is_annual and r.actual > 0 and r.mean > 0]
    return float(np.sqrt(np.mean(np.square(errors)))) if len(errors) >= 3 else None


def prior_from(series_id: str, model: ModelReport, backtest_rows: Sequence[BacktestRow]) -> Prior:
    """What sparse series borrow from the lender's fit (a replay's included: its annual curves are backtested)."""
    parameters = model.monthly.parameters
    trend = parameters.get("local_linear_trend") or next(iter(parameters.values()), {})
    return Prior(
        monthly_params=(
            float(trend.get("sigma2.level", 1e-2)),
            float(trend.get("sigma2.slope", 1e-5)),
            float(trend.get("sigma2.irregular", 1e-3)),
        ),
        annual_sd=pooled_annual_sd(backtest_rows) or Prior().annual_sd,
        damping=model.annual.damping.get("damped_growth"),
        seasonal_factors=tuple(model.monthly.seasonal_factors or ()) or None,
        source=series_id,
    )
