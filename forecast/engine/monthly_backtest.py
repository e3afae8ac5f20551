"""The monthly family's nested backtest: refit at each origin on what was published by then, score, weigh, calibrate.

Each origin's fit forecasts every figure reported later (a month, a year- or
quarter-to-date total, a quarter); its rows give the mixture's weights and the
scale that calibrates its intervals (backtest.calibrate). A sparse series
cannot be backtested: its paths are widened by rule (borrowed_calibration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from forecast.backtest import SCALE_BOUNDS, BacktestRow, Calibration, calibrate, equal_weights, pooled_best_weights, summarise
from forecast.catalog import Catalog
from forecast.domain import Aggregation, Observation, Qualifier, month_index, rounding_unit
from forecast.engine.borrowing import Prior
from forecast.engine.monthly import RICH_FIGURES, fit_monthly, mixture, widened
from forecast.engine.reconciliation import TRAILING_YEAR_WEIGHT, trailing_year_targets
from forecast.estimators.paths import Paths, pulled_toward
from forecast.estimators.seasonal import SEASON

MONTHLY_BACKTEST_HORIZON = 12
ORIGIN_PATHS = 400
COMBINATION = "combination"  # backtest rows of the weighted mixture itself, reported beside its members'

Scorer = Callable[[str, Paths], list[BacktestRow]]  # backtest rows for one model's paths at one origin


def _draws_for(figure: Observation, paths: Paths, last_month: date) -> tuple[int, np.ndarray] | None:
    """The simulated draws of what `figure` reports, and how many months ahead it ends."""
    h = month_index(figure.period.end) - month_index(last_month)
    if h < 1 or h > paths["month"].shape[1] or not figure.period.ends_on_month_end:
        return None
    starts_january = figure.period.start.month == 1 and figure.period.start.day == 1
    if figure.aggregation is Aggregation.MONTH:
        return h, paths["month"][:, h - 1]
    if figure.aggregation in (Aggregation.YTD, Aggregation.YEAR, Aggregation.QUARTER, Aggregation.HALF) and starts_january:
        return h, paths["ytd"][:, h - 1]
    if figure.aggregation is Aggregation.QUARTER:
        return h, paths["qtd"][:, h - 1]
    return None


def _row(model: str, origin: date, h: int, figure: Observation, draws: np.ndarray, scale: float) -> BacktestRow:
    actual = figure.value + (rounding_unit(figure.value) / 2 if figure.qualifier is Qualifier.LOWER_BOUND else 0.0)
    target = f"{figure.aggregation.value} {figure.period}"
    return BacktestRow.from_draws(model, origin.isoformat(), h, target, actual, draws, scale * figure.period.months)


@dataclass(frozen=True)
class OriginFit:
    """The monthly family refitted at one backtest origin: its simulated paths by model."""

    origin: date
    last_month: date
    scale: float  # in-sample seasonal naive error per month, for MASE
    paths: dict[str, Paths]
    trailing_targets: np.ndarray | None  # trailing_year_targets at this origin

    def reconciled(self, paths: Paths) -> Paths:
        """A mixture's paths pulled toward this origin's trailing-year targets, as the forecast pulls its own."""
        if self.trailing_targets is None:
            return paths
        return pulled_toward(paths, self.last_month, self.trailing_targets, TRAILING_YEAR_WEIGHT)

    def rows(self, model: str, paths: Paths, latest: Sequence[Observation]) -> list[BacktestRow]:
        """Score `paths` against every figure reported later that they forecast."""
        rows = []
        for figure in latest:
            found = _draws_for(figure, paths, self.last_month)
            if found is not None and not figure.is_derived:
                rows.append(_row(model, self.origin, found[0], figure, found[1], self.scale))
        return rows


def monthly_backtest(
    series_id: str,
    prior: Prior,
    catalog_at: Callable[[date], Catalog],
    origins: Sequence[date],
    rng: np.random.Generator,
    n_paths: int = ORIGIN_PATHS,
) -> list[OriginFit]:
    """Refit the monthly family at each origin on what was published by then."""
    fits_by_origin: list[OriginFit] = []
    for origin in origins:
        known = catalog_at(origin).fit_figures(series_id)
        if len(known) < RICH_FIGURES:
            continue
        fits = fit_monthly(known, series_id, prior, MONTHLY_BACKTEST_HORIZON, n_paths, rng)
        fit = fits.lead.fit_
        assert fit is not None
        lagged = np.abs(fit.smoothed_months[12:] - fit.smoothed_months[:-12])
        scale = float(np.mean(lagged)) if len(lagged) else float(np.mean(np.abs(np.diff(fit.smoothed_months))))
        fits_by_origin.append(OriginFit(origin, fit.last_month, scale, fits.paths, trailing_year_targets(fits.months, prior)))
    return fits_by_origin


def weigh_and_calibrate(
    per_origin: Sequence[tuple[dict[str, Paths], Scorer]],
    rng: np.random.Generator,
    skill: dict[str, float] | None = None,
    reconcile: Sequence[Callable[[Paths], Paths]] = (),
) -> tuple[dict[str, float], Calibration, list[BacktestRow]]:
    """Weights and interval calibration from each model's backtest rows, plus the rows of their mixture.

    With a collection's skill, the two best models after shrinking toward it, calibrated on the
    chosen members' rows (a candidate left out must not widen what is served). Without one (a reported series alone), every model equally, calibrated on the
    mixture's own rows: a single series' few origins rank its models by chance, and a mixture of
    models that disagree is wider than each of them (docs/decisions.md, "Monthly weights").
    The mixture's rows are returned too, so its backtest scores show. `reconcile`, one per origin,
    does to each origin's mixture what the forecast does to its own (OriginFit.reconciled).
    """
    if reconcile and len(reconcile) != len(per_origin):
        raise ValueError(f"reconcile: {len(reconcile)} steps for {len(per_origin)} origins")
    rows = [row for paths_by_model, score in per_origin for name, paths in paths_by_model.items() for row in score(name, paths)]
    summary = summarise(rows)
    weights = pooled_best_weights(summary, len(per_origin), skill) if skill else equal_weights(summary)
    if not weights:
        return {}, Calibration.fixed(), rows
    combined_rows = []
    for index, (paths_by_model, score) in enumerate(per_origin):
        n_paths = next(iter(paths_by_model.values()))["month"].shape[0]
        mixed = mixture(paths_by_model, weights, n_paths, rng)
        combined_rows += score(COMBINATION, reconcile[index](mixed) if reconcile else mixed)
    chosen = [row for row in rows if weights.get(row.model, 0.0) > 0]  # the rows of what is served, not of every candidate
    return weights, calibrate(chosen if skill else combined_rows), rows + combined_rows


def borrowed_calibration(months: np.ndarray, annual_sd: float) -> Calibration:
    """Widen a sparse series' monthly paths until their next twelve months' total is as uncertain as a backtested year ahead.

    Below RICH_FIGURES a series' monthly model borrows the lender's variances and cannot be
    backtested; taken as they were, its year under way was far too sure. `annual_sd` is the
    pooled sd of one-year-ahead log errors (Prior.annual_sd). The scale is found on the widened
    totals themselves (widening the months moves the totals' median too), by bisection, and
    bounded as a backtest's calibration is (SCALE_BOUNDS).
    """

    def spread(scale: float) -> float:
        totals = widened({"month": months[:, :SEASON]}, scale)["month"].sum(axis=1)
        positive = totals[totals > 0]
        return float(np.std(np.log(positive))) if len(positive) > 1 else 0.0

    low, high = 1.0, SCALE_BOUNDS[1]
    if spread(low) >= annual_sd:
        return Calibration.fixed(1.0)
    if spread(high) <= annual_sd:
        return Calibration.fixed(high, applied=True)
    for _ in range(30):  # bisection: the spread grows with the scale
        middle = (low + high) / 2
        low, high = (middle, high) if spread(middle) < annual_sd else (low, middle)
    return Calibration.fixed(high, applied=True)
