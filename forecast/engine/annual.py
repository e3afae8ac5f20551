"""The annual family: a series' yearly history, the growth curves fitted to it, and their joint yearly paths.

Each path is an anchor (a reported year, or the monthly model's draws of a year)
times one curve's growth, times lognormal drift: yearly shocks that add up, plus
one error in the curve's growth rate (Hyndman and Athanasopoulos, FPP3 5.5, the
drift method's interval). Curves are weighted and calibrated by their rolling-origin
backtest (backtest.annual_backtest). Why each constant is what it is:
docs/decisions.md, "Annual curves" and "Shocks and tails".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from forecast.backtest import (
    COVERAGE_TOLERANCE,
    SCALE_BOUNDS,
    Z80,
    BacktestRow,
    Calibration,
    annual_backtest,
    annual_curve_weights,
    calibrate,
    growth_rate_se,
    shrunk_sd,
    summarise,
)
from forecast.domain import Aggregation, Observation, Qualifier, rounding_unit
from forecast.engine.borrowing import Prior
from forecast.engine.projection import LAST_PROJECTION_YEAR
from forecast.errors import InsufficientHistory
from forecast.estimators.curves import (
    SHOCK_DF,
    SHOCK_SCALE,
    AnnualCurve,
    BorrowedDampedGrowth,
    DampedGrowth,
    SaturatingCurve,
    annual_family,
    growth_persistence,
    growth_since,
)

WELL_DETERMINED = 0.05  # a smoothed annual total joins the annual history when its sd is under 5%
ANNUAL_CALIBRATION_CAP = 2.0  # a handful of one-year-ahead rows may widen the bands at most this much

# exp() of a t-distributed shock has no mean: one extreme draw in thousands would decide the mean.
# Clipping at the t's 99.5% quantile lies beyond one year's 95% band.
SHOCK_CLIP = float(student_t.ppf(0.995, SHOCK_DF))


@dataclass(frozen=True)
class AnnualFit:
    """The annual family fitted on a series' yearly history."""

    years: np.ndarray  # the years of the history, as floats
    values: np.ndarray  # their totals
    rows: list[BacktestRow]  # the curves' rolling-origin backtest
    calibration: Calibration
    curves: dict[str, AnnualCurve]  # fitted curves with a positive weight
    sigma: dict[str, float]  # curve -> sd of yearly log-growth shocks
    weights: dict[str, float]  # curve -> weight


def annual_history(
    figures: Sequence[Observation],
    year_totals: Mapping[int, tuple[float, float]],
    current_year_draws: np.ndarray | None,
    current_year: int | None,
) -> dict[int, tuple[float, str]]:
    """Year -> (total, origin): reported years, smoothed years known within WELL_DETERMINED, years implied
    by a growth rate ("derived"), and the year under way when its months determine it as well."""
    history: dict[int, tuple[float, str]] = {}
    for year, (total, sd) in year_totals.items():
        if total > 0 and sd / total < WELL_DETERMINED:
            history[year] = (total, "estimated")
    for figure in figures:
        if figure.aggregation is Aggregation.YEAR and not figure.is_derived:
            bump = rounding_unit(figure.value) / 2 if figure.qualifier is Qualifier.LOWER_BOUND else 0.0
            history[figure.period.start.year] = (figure.value + bump, "reported")
    for figure in figures:
        # "400,000 in 2024, +53%" also says 2023: a year known only through a growth rate still counts
        if figure.aggregation is Aggregation.YEAR and figure.is_derived and history.get(figure.period.start.year, (0, ""))[1] != "reported":
            history[figure.period.start.year] = (figure.value, "derived")
    if current_year_draws is not None and current_year is not None and current_year not in history:
        median = float(np.median(current_year_draws))
        if median > 0 and float(np.std(current_year_draws)) / median < WELL_DETERMINED:
            history[current_year] = (median, "estimated")
    return dict(sorted(history.items()))


def yearly_shocks(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Standardised yearly log-growth shocks: t(SHOCK_DF), with the normal's 2.5% and 97.5% quantiles."""
    return np.clip(rng.standard_t(SHOCK_DF, shape), -SHOCK_CLIP, SHOCK_CLIP) * SHOCK_SCALE


def log_drift(rng: np.random.Generator, n_paths: int, sd: float, n_years: int, persistence: np.ndarray) -> np.ndarray:
    """Log deviations of `n_paths` paths from a curve: yearly shocks that add up, plus one error in
    the curve's growth rate (growth_rate_se of `n_years` totals) carried as far as the curve's
    growth carries (`persistence`, curves.growth_persistence)."""
    steps = yearly_shocks(rng, (n_paths, len(persistence))) * sd
    growth_error = yearly_shocks(rng, (n_paths, 1)) * sd * growth_rate_se(n_years)
    drift: np.ndarray = np.cumsum(steps, axis=1) + growth_error * persistence[None, :]
    return drift


def annual_paths(
    fit: AnnualFit,
    anchor_draws: np.ndarray,
    anchor_year: int,
    n_paths: int,
    rng: np.random.Generator,
    last_year: int = LAST_PROJECTION_YEAR,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint annual paths for the years after `anchor_year` to `last_year`: (years, (n_paths, len(years))).

    Each path follows one curve, drawn in proportion to its weight: the anchor times the curve's
    growth, times lognormal drift (log_drift) scaled by the curve's sd and the calibration.
    """
    years = np.arange(anchor_year + 1, last_year + 1)
    names = list(fit.curves)
    probabilities = np.array([fit.weights[name] for name in names])
    choice = rng.choice(len(names), size=n_paths, p=probabilities / probabilities.sum())
    paths = np.empty((n_paths, len(years)))
    for index, name in enumerate(names):
        members = choice == index
        if not members.any():
            continue
        curve = fit.curves[name]
        growth = growth_since(curve, anchor_year, years)
        sd = fit.sigma[name] * fit.calibration.scale
        drift = log_drift(rng, int(members.sum()), sd, len(fit.years), growth_persistence(curve, anchor_year, years))
        paths[members] = anchor_draws[members, None] * growth[None, :] * np.exp(drift)
    return years, paths


def annual_candidates(n_years: int, prior: Prior, saturating: bool = True) -> list[AnnualCurve]:
    """The annual curves a series with n_years totals can fit, plus borrowed damping below DampedGrowth's minimum;
    without the curves with a saturation level unless `saturating`."""
    candidates: list[AnnualCurve] = [
        curve for curve in annual_family() if curve.min_points <= n_years and (saturating or not isinstance(curve, SaturatingCurve))
    ]
    if prior.damping is not None and 2 <= n_years < DampedGrowth.min_points:
        candidates.append(BorrowedDampedGrowth(prior.damping))
    return candidates


def untested_weights(candidates: Sequence[AnnualCurve]) -> dict[str, float]:
    """Weights when no curve could be backtested (two whole years): growth damped as the lender's is
    (compounding two years' growth rate is a default, not the data's verdict); constant growth when
    no damping was borrowed."""
    names = {curve.name for curve in candidates}
    return {BorrowedDampedGrowth.name: 1.0} if BorrowedDampedGrowth.name in names else {"constant_growth": 1.0}


def fit_curves(
    candidates: Sequence[AnnualCurve], weights: dict[str, float], years: np.ndarray, values: np.ndarray, pooled_sd: float
) -> tuple[dict[str, AnnualCurve], dict[str, float], dict[str, float]]:
    """The candidates with a positive weight that fit these totals: (curves, log-growth sds, their weights)."""
    curves: dict[str, AnnualCurve] = {}
    sigma: dict[str, float] = {}
    for curve in candidates:
        if weights.get(curve.name, 0.0) <= 0:
            continue
        try:
            fitted = curve.fit(years, values)
        except InsufficientHistory:
            continue
        curves[curve.name] = fitted
        sigma[curve.name] = shrunk_sd(fitted.residual_sd_, len(years) - fitted.n_params, pooled_sd)
    return curves, sigma, {name: weights[name] for name in curves}


def mixture_rows(rows: Sequence[BacktestRow], weights: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The weighted curves' one-year-ahead rows, one per origin: (log actual (k,), log centres, log sds and
    weights (k, curves)); a curve without a row at an origin weighs nothing there."""
    names = [name for name, weight in weights.items() if weight > 0]
    by_origin: dict[str, dict[str, BacktestRow]] = {}
    for row in rows:
        if row.horizon == 1 and row.model in names and row.actual > 0 and row.mean > 0 and row.upper_80 > row.lower_80 > 0:
            by_origin.setdefault(row.origin, {})[row.model] = row
    shape = (len(by_origin), len(names))
    actual, centres, sds, mix = np.zeros(shape[0]), np.zeros(shape), np.ones(shape), np.zeros(shape)
    for i, present in enumerate(by_origin.values()):
        actual[i] = np.log(next(iter(present.values())).actual)
        for j, name in enumerate(names):
            if name in present:
                row = present[name]
                centres[i, j], sds[i, j], mix[i, j] = np.log(row.mean), np.log(row.upper_80 / row.lower_80) / (2 * Z80), weights[name]
    return actual, centres, sds, mix / np.maximum(mix.sum(axis=1, keepdims=True), 1e-300)


SCALE_GRID = np.geomspace(0.05, 2 * SCALE_BOUNDS[1], 1000)  # the scales tried for each backtest row


def mixture_inside(
    actual: np.ndarray, centres: np.ndarray, sds: np.ndarray, mix: np.ndarray, scales: np.ndarray, level: float
) -> np.ndarray:
    """(rows, scales): whether each actual lies in the central `level` band of its mixture of lognormal curves,
    every curve's log sd times each scale (the paths' calibration scales every curve's sd, not their disagreement)."""
    z = (actual[:, None, None] - centres[:, None, :]) / (sds[:, None, :] * scales[None, :, None])
    cdf = np.sum(mix[:, None, :] * norm.cdf(z), axis=2)
    tail = (1 - level) / 2
    inside: np.ndarray = (cdf >= tail) & (cdf <= 1 - tail)
    return inside


def annual_calibrate(rows: Sequence[BacktestRow], weights: Mapping[str, float] | None = None) -> Calibration:
    """Calibration on one-year-ahead rows (longer horizons lean on the random-walk assumption being calibrated),
    in logs as the curves' bands are drawn, on the central 80% band (the t shocks carry the tails), capped at
    ANNUAL_CALIBRATION_CAP: of the mixture the paths draw when `weights` (a collection's pooled skill) are
    given; otherwise of every curve's rows scored alone.

    Conformal-style, as backtest.calibrate, but on the mixture: each origin needs the smallest scale of the
    curves' sds that puts its actual inside the mixture's 80% band, and the scale is the 80% quantile of these.
    Scoring each curve's rows alone would ask every curve to cover by itself what the mixture covers with the
    curves' disagreement added, and would count curves that are not drawn. Weights read off these same rows
    (a series alone: sMAPE^-3 of its own backtest) would make the mixture's score on them in-sample, so such
    a mixture keeps the curves' rows (docs/decisions.md, "Calibration").
    """
    if weights is None:
        found = calibrate([row for row in rows if row.horizon == 1], in_logs=True, central=True)
        capped = min(found.scale, ANNUAL_CALIBRATION_CAP)
        return Calibration(capped, found.coverage_80_before, found.coverage_95_before, found.applied, found.n)
    actual, centres, sds, mix = mixture_rows(rows, weights)
    if len(actual) == 0:
        return Calibration.fixed()
    cover80, cover95 = (float(np.mean(mixture_inside(actual, centres, sds, mix, np.ones(1), level))) for level in (0.80, 0.95))
    if len(actual) < 5 or (abs(cover80 - 0.80) <= COVERAGE_TOLERANCE and abs(cover95 - 0.95) <= COVERAGE_TOLERANCE):
        return Calibration(1.0, cover80, cover95, False, len(actual))
    inside = mixture_inside(actual, centres, sds, mix, SCALE_GRID, 0.80)
    # the smallest scale from which every larger one covers the row (the largest tried when none does)
    outside_from_top = np.argmax(~inside[:, ::-1], axis=1)  # 0 when the largest is outside, or when none is
    needed = SCALE_GRID[np.minimum(len(SCALE_GRID) - outside_from_top, len(SCALE_GRID) - 1)]
    needed = np.where(inside.all(axis=1), SCALE_GRID[0], needed)
    scale = min(float(np.clip(np.quantile(needed, 0.80), *SCALE_BOUNDS)), ANNUAL_CALIBRATION_CAP)
    return Calibration(scale, cover80, cover95, True, len(actual))


def fit_annual(history: Mapping[int, tuple[float, str]], prior: Prior) -> AnnualFit:
    """Backtest, weigh, calibrate and fit the annual family on a series' yearly history (annual_history)."""
    years = np.array(list(history), dtype=float)
    values = np.array([v for v, _ in history.values()])
    candidates = annual_candidates(len(years), prior)
    rows = annual_backtest(years, values, candidates, prior.annual_sd)
    weights = annual_curve_weights(summarise(rows), prior.annual_skill)
    curves, sigma, kept = fit_curves(candidates, weights or untested_weights(candidates), years, values, prior.annual_sd)
    return AnnualFit(years, values, rows, annual_calibrate(rows, kept if prior.annual_skill else None), curves, sigma, kept)


def plain_annual_backtest(values: np.ndarray, prior: Prior, saturating: bool) -> list[BacktestRow]:
    """Rolling-origin rows of the annual family on a plain yearly array (years 0, 1, ...)."""
    return annual_backtest(np.arange(len(values), dtype=float), values, annual_candidates(len(values), prior, saturating), prior.annual_sd)


def plain_annual_paths(
    values: np.ndarray, horizon: int, prior: Prior, backtest: Sequence[BacktestRow] | None, n_paths: int, seed: int, saturating: bool
) -> tuple[np.ndarray, dict[str, float]]:
    """The annual family's paths `horizon` years past a plain yearly array: ((n_paths, horizon), the curves' weights).

    A given `backtest` may score curves that are not candidates here: they get neither weight nor a say in calibration.
    """
    rng = np.random.default_rng(seed)
    years = np.arange(len(values), dtype=float)
    candidates = annual_candidates(len(years), prior, saturating)
    names = {curve.name for curve in candidates}
    rows = [row for row in backtest if row.model in names] if backtest is not None else plain_annual_backtest(values, prior, saturating)
    weights = annual_curve_weights(summarise(rows), prior.annual_skill) or {"constant_growth": 1.0}
    curves, sigma, kept = fit_curves(candidates, weights, years, values, prior.annual_sd)
    fit = AnnualFit(years, values, rows, annual_calibrate(rows, kept if prior.annual_skill else None), curves, sigma, kept)
    _, paths = annual_paths(fit, np.full(n_paths, values[-1]), int(years[-1]), n_paths, rng, last_year=int(years[-1]) + horizon)
    return paths, kept
