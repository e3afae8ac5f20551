"""The engine on plain, regular arrays (the benchmarks: M3 yearly and monthly).

The same families, backtests and reconciliation as a reported series, with what
a collection of series allows that one series does not: skill pooled over the
collection ranks the members (borrowing.Prior.monthly_skill / annual_skill).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from forecast.backtest import BacktestRow, calibrate, pooled_best_weights, summarise
from forecast.domain import Aggregation, Kind, Observation, Period, Qualifier, Source, add_months, month_end
from forecast.engine.annual import plain_annual_backtest, plain_annual_paths
from forecast.engine.borrowing import Prior
from forecast.engine.monthly import RICH_FIGURES, fit_monthly, mixture, monthly_candidates, widened
from forecast.engine.projection import bands
from forecast.engine.reconciliation import TRAILING_YEAR_WEIGHT, trailing_year_targets
from forecast.engine.report import describe
from forecast.estimators.estimates import Estimates
from forecast.estimators.paths import months_pulled_toward
from forecast.estimators.seasonal import SEASON


@dataclass(frozen=True)
class ArrayForecast:
    """A projection of a plain, regular series: mean, median and interval bounds per step."""

    model: str
    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]
    median: np.ndarray


def _array_summary(model: str, paths: np.ndarray, levels: Sequence[int]) -> ArrayForecast:
    median, lower, upper = bands(paths, levels)
    return ArrayForecast(model, paths.mean(axis=0), lower, upper, median)


def annual_array_backtest(values: Sequence[float], prior: Prior = Prior(), saturating: bool = True) -> list[BacktestRow]:
    """Rolling-origin rows of the annual family on a plain yearly array (years 0, 1, ...)."""
    return plain_annual_backtest(np.asarray(values, dtype=float), prior, saturating)


def forecast_annual_array(
    values: Sequence[float],
    horizon: int,
    *,
    prior: Prior = Prior(),
    backtest: Sequence[BacktestRow] | None = None,
    n_paths: int = 1000,
    seed: int = 0,
    levels: Sequence[int] = (80, 95),
    saturating: bool = True,
) -> ArrayForecast:
    """The annual selection of fit_series on a plain yearly array: backtest (unless given), weights, calibration, paths;
    without the saturating curves unless `saturating`."""
    paths, weights = plain_annual_paths(np.asarray(values, dtype=float), horizon, prior, backtest, n_paths, seed, saturating)
    return _array_summary(describe({}, weights), paths, levels)


@dataclass(frozen=True)
class MonthlyArray:
    """A plain, complete monthly array starting in January, as figures the monthly family reads.

    A complete array has no totals to add up, so a positive one is modelled in logs
    (in_logs=None: whenever every value is positive), which makes its seasonality
    and errors proportional to its level.
    """

    values: np.ndarray
    logs: bool

    @classmethod
    def of(cls, values: Sequence[float], in_logs: bool | None = None) -> MonthlyArray:
        array = np.asarray(values, dtype=float)
        return cls(array, bool(np.all(array > 0)) if in_logs is None else in_logs)

    def figures(self, upto: int) -> list[Observation]:
        work = np.log(self.values[:upto]) if self.logs else self.values[:upto]
        source, start = Source("array"), date(2000, 1, 1)
        out = []
        for t, value in enumerate(work):
            first = add_months(start, t)
            out.append(
                Observation(
                    "array",
                    Period(first, month_end(first.year, first.month)),
                    Aggregation.MONTH,
                    Kind.LEVEL,
                    float(value),
                    "units",
                    Qualifier.EXACT,
                    source,
                    first,
                    uncertainty=1e-6 * max(1.0, abs(float(value))),
                )
            )
        return out

    def unlogged(self, paths: np.ndarray) -> np.ndarray:
        return np.exp(paths) if self.logs else paths


@dataclass(frozen=True)
class ArrayBacktest:
    """A plain monthly array's rolling-origin rows, and each model's estimates at the last cut
    (the forecast's fits on the whole array start from them: the last cut is the same series shorter)."""

    rows: list[BacktestRow]
    estimates: dict[str, Estimates]


def monthly_array_backtest(
    values: Sequence[float],
    horizon: int,
    *,
    origins: int = 2,
    seed: int = 0,
    in_logs: bool | None = None,
    trailing_weight: float = TRAILING_YEAR_WEIGHT,
) -> ArrayBacktest:
    """Each monthly model's rows at `origins` cut-offs `horizon` months apart (none shorter than RICH_FIGURES).

    Each model's paths are scored pulled toward the cut's trailing-year targets, as the forecast
    pulls its mixture: its calibration and the pooled skill then measure what is served.
    """
    rng = np.random.default_rng(seed)
    array = MonthlyArray.of(values, in_logs)
    rows: list[BacktestRow] = []
    estimates: dict[str, Estimates] = {}
    for k in range(origins, 0, -1):
        cut = len(array.values) - k * horizon
        if cut < RICH_FIGURES:
            continue
        truth = array.values[cut : cut + horizon]
        scale = float(np.mean(np.abs(array.values[12:cut] - array.values[: cut - 12]))) if cut > 12 else 1.0
        fits = fit_monthly(array.figures(cut), "array", Prior(), max(horizon, 2 * SEASON), 300, rng, logs=False, warm=estimates, plain=True)
        estimates = fits.estimates()
        targets = trailing_year_targets(array.values[:cut], Prior()) if trailing_weight else None
        for name, model_paths in fits.paths.items():
            paths = array.unlogged(model_paths["month"])
            paths = (months_pulled_toward(paths, targets, trailing_weight) if targets is not None else paths)[:, : len(truth)]
            rows += BacktestRow.from_paths(name, str(cut), [f"t{cut + h}" for h in range(len(truth))], truth, paths, scale)
    return ArrayBacktest(rows, estimates)


def forecast_monthly_array(
    values: Sequence[float],
    horizon: int,
    *,
    prior: Prior = Prior(),
    backtest: ArrayBacktest | None = None,
    n_paths: int = 500,
    seed: int = 0,
    levels: Sequence[int] = (80, 95),
    origins: int = 2,
    in_logs: bool | None = None,
    trailing_weight: float = TRAILING_YEAR_WEIGHT,
) -> ArrayForecast:
    """The monthly selection on a plain, complete monthly array starting in January.

    Its rolling-origin rows (`backtest`, computed here when not given) pick the two best models,
    ranked with the collection's skill in `prior`, and calibrate the intervals on the chosen members'
    rows; the chosen models' fits start from their estimates at the last cut. A collection is
    backtested first, so its skill can be pooled before any series is forecast (bench/accuracy.py).
    The next two 12-month totals are pulled `trailing_weight` of the way toward the annual family's
    (in levels, after the widening), as the backtest pulled each model's paths.
    """
    rng = np.random.default_rng(seed + 1)
    array = MonthlyArray.of(values, in_logs)
    simulated = max(horizon, 2 * SEASON)  # both 12-month blocks whole, to be pulled toward the annual family's
    backtest = (
        backtest
        if backtest is not None
        else monthly_array_backtest(values, horizon, origins=origins, seed=seed, in_logs=in_logs, trailing_weight=trailing_weight)
    )
    rows = backtest.rows
    weights = pooled_best_weights(summarise(rows), len({r.origin for r in rows}), prior.monthly_skill)
    weights = weights or {monthly_candidates(RICH_FIGURES, Prior())[0]: 1.0}
    fits = fit_monthly(
        array.figures(len(array.values)),
        "array",
        Prior(),
        simulated,
        n_paths,
        rng,
        wanted=lambda name: weights.get(name, 0.0) > 0,
        logs=False,
        warm=backtest.estimates,
        plain=True,
    )
    chosen = [row for row in rows if weights.get(row.model, 0.0) > 0]  # the rows of what is served, not of every candidate
    combined = widened(mixture(fits.paths, weights, n_paths, rng), calibrate(chosen).scale)
    months = array.unlogged(combined["month"])
    targets = trailing_year_targets(array.values, Prior()) if trailing_weight else None  # the annual family alone, as in the backtest
    if targets is not None:
        months = months_pulled_toward(months, targets, trailing_weight)
    return _array_summary(describe(weights, {}) + (" (in logs)" if array.logs else ""), months[:, :horizon], levels)
