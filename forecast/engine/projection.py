"""What a fit serves: a series' projection as points per frequency, and the arithmetic of percentiles.

A `SeriesForecast` is computed once per refit and read by the services and the
HTTP layer; nothing here fits a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict

import numpy as np

from forecast.backtest import BacktestRow
from forecast.domain import Observation, add_months, month_end, month_index
from forecast.engine.report import ModelReport
from forecast.estimators.paths import Paths

LEVELS = (50, 80, 90, 95, 99)
LAST_PROJECTION_YEAR = 2035


@dataclass(frozen=True)
class Point:
    """One projected period: the mean, median and interval bounds of its simulated totals, in the series' unit."""

    period_start: date
    period_end: date
    mean: float
    median: float
    intervals: dict[int, tuple[float, float]]  # level -> (lower, upper)
    reported_share: float = 0.0  # share of the period already covered by reported figures


@dataclass
class SeriesForecast:
    """Everything served about one series' projection, computed once per refit."""

    series_id: str
    unit: str
    as_of: date | None
    fitted_at: str
    model: ModelReport
    points: dict[str, list[Point]]  # freq ("month", "quarter", "year") -> points after the last reported period
    annual_years: np.ndarray
    annual_paths: np.ndarray  # (n_paths, len(annual_years)), joint over years
    annual_history: dict[int, tuple[float, str]]  # year -> (total, "reported" | "estimated" | "derived")
    backtest_rows: list[BacktestRow] = field(default_factory=list)
    source_keys: list[str] = field(default_factory=list)
    last_reported_end: date | None = None

    def annual_quantiles(self, year: int, levels: Sequence[int] = (80, 95)) -> Summary:
        column = self.annual_paths[:, list(self.annual_years).index(year)]
        return summarise_draws(column, levels)


def bands(paths: np.ndarray, levels: Sequence[int]) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Median and each level's lower and upper percentile along the draws (axis 0), in one call."""
    tails = [(100 - level) / 2 for level in levels]
    quantiles = np.percentile(paths, [50.0, *tails, *(100 - tail for tail in tails)], axis=0)
    n = len(levels)
    return (
        quantiles[0],
        {level: quantiles[1 + i] for i, level in enumerate(levels)},
        {level: quantiles[1 + n + i] for i, level in enumerate(levels)},
    )


class Summary(TypedDict):
    """Mean, median and interval bounds (level -> (lower, upper)) of a set of draws, as targets serve them."""

    mean: float
    median: float
    intervals: dict[int, tuple[float, float]]


def summarise_draws(draws: np.ndarray, levels: Sequence[int] = LEVELS) -> Summary:
    """{"mean", "median", "intervals": {level: (lower, upper)}} of a set of draws, as targets serve them."""
    median, lower, upper = bands(np.asarray(draws), levels)
    return {
        "mean": float(np.mean(draws)),
        "median": float(median),
        "intervals": {level: (float(lower[level]), float(upper[level])) for level in levels},
    }


def points_from_paths(periods: Sequence[tuple[date, date, float]], paths: np.ndarray, levels: Sequence[int] = LEVELS) -> list[Point]:
    """One point per (start, end, reported share) and column of `paths` (n_paths, k), all percentiles taken in one call
    (per column, the percentiles took a quarter of a refit)."""
    if not periods:
        return []
    paths = np.maximum(paths, 0.0)
    median, lower, upper = bands(paths, levels)
    means = paths.mean(axis=0)
    return [
        Point(
            start,
            end,
            float(means[k]),
            float(median[k]),
            {level: (float(lower[level][k]), float(upper[level][k])) for level in levels},
            share,
        )
        for k, (start, end, share) in zip(range(paths.shape[1]), periods, strict=True)
    ]


def reported_months(figures: Sequence[Observation]) -> set[int]:
    """The months (month_index) that reported figures cover whole: a year-to-date total covers January on."""
    covered: set[int] = set()
    for f in figures:
        if f.is_derived:
            continue
        first = month_index(f.period.start) + (0 if f.period.start.day == 1 else 1)
        last = month_index(f.period.end) - (0 if f.period.ends_on_month_end else 1)
        covered.update(range(first, last + 1))
    return covered


def project_points(
    combined: Paths | None,
    last_month: date,
    annual_years: np.ndarray,
    annual_paths: np.ndarray,
    current_year: int | None,
    covered: set[int],
) -> dict[str, list[Point]]:
    """Points by frequency: every simulated month and quarter, the year under way from the months when
    `current_year` says the monthly paths carry it, and every later year from the annual paths.

    `covered` holds the months reported figures cover (reported_months), for each period's reported_share.
    """
    points: dict[str, list[Point]] = {"month": [], "quarter": [], "year": []}
    if combined is not None:
        for key, freq in (("month", "month"), ("qtd", "quarter"), ("ytd", "year")):
            columns, periods = _monthly_periods(combined["month"].shape[1], last_month, current_year, covered)[key]
            points[freq] = points_from_paths(periods, combined[key][:, columns])
    taken = {p.period_start.year for p in points["year"]}
    later = [index for index, year in enumerate(annual_years) if int(year) not in taken]
    points["year"] += points_from_paths(
        [(date(int(annual_years[i]), 1, 1), date(int(annual_years[i]), 12, 31), 0.0) for i in later], annual_paths[:, later]
    )
    points["year"].sort(key=lambda p: p.period_start)
    return points


def _monthly_periods(
    horizon: int, last_month: date, current_year: int | None, covered: set[int]
) -> dict[str, tuple[list[int], list[tuple[date, date, float]]]]:
    """For the month, quarter-to-date and year-to-date paths: the columns that end a period, and the periods."""

    def share(start: date, months: int) -> float:
        first = month_index(start)
        return sum(1 for m in range(first, first + months) if m in covered) / months

    wanted: dict[str, tuple[list[int], list[tuple[date, date, float]]]] = {key: ([], []) for key in ("month", "qtd", "ytd")}
    for h in range(1, horizon + 1):
        start = add_months(last_month, h)
        end = month_end(start.year, start.month)
        wanted["month"][0].append(h - 1)
        wanted["month"][1].append((start, end, 0.0))
        if start.month in (3, 6, 9, 12):
            quarter_start = add_months(start, -2)
            wanted["qtd"][0].append(h - 1)
            wanted["qtd"][1].append((quarter_start, end, share(quarter_start, 3)))
        if start.month == 12 and start.year == current_year:
            wanted["ytd"][0].append(h - 1)
            wanted["ytd"][1].append((date(start.year, 1, 1), end, share(date(start.year, 1, 1), 12)))
    return wanted
