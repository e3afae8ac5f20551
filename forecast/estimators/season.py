"""The national seasonal pattern that sparse series borrow.

A sparse series' own months are too few for a seasonal pattern: without one, a year known
from its low January and February is projected low (bench/sparse_year.py). Its figures are
divided by the mean factor of the months they cover, fitted, and its simulated months
multiplied back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from forecast.domain import Observation, Qualifier, add_months, month_end, month_index, rounding_unit
from forecast.estimators.seasonal import SEASON
from forecast.estimators.statespace import MonthlyFit

SEASONAL_YEARS = 3  # the national pattern is the mean of its last three complete years


def seasonal_factors(fit: MonthlyFit, reported_months: set[int]) -> tuple[float, ...] | None:
    """Each calendar month's volume as a multiple of its year's mean month, over the last complete years.

    Only years whose twelve months were all reported count: elsewhere the smoothed months are
    the model's interpolation, which has no pattern of its own to lend.
    """
    years = [
        y
        for y in range(fit.first_month.year, fit.last_month.year + 1)
        if date(y, 1, 1) >= fit.first_month
        and date(y, 12, 1) <= fit.last_month
        and all(m in reported_months for m in range(month_index(date(y, 1, 1)), month_index(date(y, 12, 1)) + 1))
    ]
    blocks = [fit.smoothed_months[month_index(date(y, 1, 1)) - month_index(fit.first_month) :][:SEASON] for y in years[-SEASONAL_YEARS:]]
    blocks = [block for block in blocks if np.all(block > 0)]
    if len(blocks) < SEASONAL_YEARS:
        return None
    return tuple(float(v) for v in np.mean([SEASON * block / block.sum() for block in blocks], axis=0))


def mean_factor(factors: Sequence[float], start: date, end: date) -> float:
    """The seasonal factor of a span: its months' factors, each weighted by the share of its days covered."""
    weights, values = [], []
    for m in range(month_index(start), month_index(end) + 1):  # month_index counts from a January
        year, month = divmod(m, SEASON)
        days = month_end(year, month + 1).day
        first = start.day if m == month_index(start) else 1
        last = end.day if m == month_index(end) else days
        weights.append((last - first + 1) / days)
        values.append(factors[month])
    return float(np.average(values, weights=weights))


def deseasonalised(figures: Sequence[Observation], factors: Sequence[float]) -> list[Observation]:
    """Figures divided by the mean seasonal factor of the months they cover (a year's is 1).

    A bound ("over 230,000") is read as its half-step first: divided, its rounding unit is lost.
    """
    out = []
    for f in figures:
        factor = mean_factor(factors, f.period.start, f.period.end)
        sd = f.uncertainty or rounding_unit(f.value) / math.sqrt(12)
        half_step = rounding_unit(f.value) / 2
        value = f.value + (
            half_step if f.qualifier is Qualifier.LOWER_BOUND else -half_step if f.qualifier is Qualifier.UPPER_BOUND else 0.0
        )
        out.append(
            replace(
                f,
                value=value / factor,
                uncertainty=sd / factor,
                qualifier=Qualifier.EXACT if f.qualifier in (Qualifier.LOWER_BOUND, Qualifier.UPPER_BOUND) else f.qualifier,
            )
        )
    return out


def _so_far(fit: MonthlyFit, factors: Sequence[float], start: date, deseasonalised: np.ndarray) -> np.ndarray:
    """Totals from `start` to the last fitted month: the smoothed months each times its own factor,
    and each path's deviation from their plain sum times the span's mean factor."""
    first = month_index(start) - month_index(fit.first_month)
    smoothed = fit.smoothed_months[first:]
    weighted = float(sum(v * factors[(month_index(start) + i) % SEASON] for i, v in enumerate(smoothed)))
    return weighted + (deseasonalised - float(smoothed.sum())) * mean_factor(
        factors, start, month_end(fit.last_month.year, fit.last_month.month)
    )


def reseasonalised(
    paths: dict[str, np.ndarray], factors: Sequence[float], fit: MonthlyFit
) -> tuple[np.ndarray, np.ndarray | float, np.ndarray | float]:
    """Deseasonalised monthly paths times each month's factor, and this year's and quarter's totals so far (per path)."""
    last_month = fit.last_month
    steps = np.array([factors[month_index(add_months(last_month, h + 1)) % SEASON] for h in range(paths["month"].shape[1])])
    year_start, quarter_start = date(last_month.year, 1, 1), date(last_month.year, 3 * ((last_month.month - 1) // 3) + 1, 1)
    ytd_now = _so_far(fit, factors, year_start, paths["ytd"][:, 0] - paths["month"][:, 0]) if last_month.month != 12 else 0.0
    qtd_now = _so_far(fit, factors, quarter_start, paths["qtd"][:, 0] - paths["month"][:, 0]) if last_month.month % 3 != 0 else 0.0
    return paths["month"] * steps[None, :], ytd_now, qtd_now


def reseasonalised_years(fit: MonthlyFit, factors: Sequence[float]) -> dict[int, tuple[float, float]]:
    """Smoothed year totals of a deseasonalised fit, in real units: each month times its factor."""
    out = {}
    for year, (total, sd) in fit.smoothed_year_totals.items():
        block = fit.smoothed_months[month_index(date(year, 1, 1)) - month_index(fit.first_month) :][:SEASON]
        real = float(block @ np.asarray(factors)) if len(block) == SEASON else total
        out[year] = (real, sd * real / total if total > 0 else sd)
    return out
