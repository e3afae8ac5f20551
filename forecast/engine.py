"""Fit one series from all its figures and project it: models, backtests, weights, paths, points.

The monthly structural model (estimators/statespace.py) carries months,
year-to-date totals, quarters and years at once; the seasonal models
(estimators/seasonal.py) are fitted on the months it smoothed; the annual growth curves
(estimators/curves.py) carry the long-range shape, anchored on the monthly
model's estimate of the latest year. Both are chosen and weighted by
rolling-origin backtests, and their intervals calibrated on the same rows.
A rich series' next two 12-month totals are pulled a fifth of the way toward
the annual family's forecast of them (TRAILING_YEAR_WEIGHT), at every backtest
origin as in the forecast.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
from scipy.stats import t as student_t

from forecast.backtest import (
    SCALE_BOUNDS,
    BacktestRow,
    Calibration,
    annual_backtest,
    annual_curve_weights,
    calibrate,
    equal_weights,
    growth_rate_se,
    pooled_best_weights,
    shrunk_sd,
    summarise,
)
from forecast.catalog import Catalog
from forecast.domain import Aggregation, Observation, Qualifier, add_months, month_end, month_index, rounding_unit
from forecast.errors import InsufficientHistory
from forecast.estimators.curves import AnnualCurve, BorrowedDampedGrowth, DampedGrowth, SaturatingCurve, annual_family, growth_persistence, growth_since
from forecast.estimators.estimates import Estimates
from forecast.estimators.seasonal import SEASON, SeasonalModel, seasonal_family
from forecast.estimators.paths import Paths, block_medians, cumulate, months_following_years, months_pulled_toward, pulled_toward, trailing_years
from forecast.estimators.season import deseasonalised, reseasonalised, reseasonalised_years, seasonal_factors
from forecast.estimators.statespace import POSTERIOR_DRAWS, MixedFrequencyStateSpace

LEVELS = (50, 80, 90, 95, 99)
LAST_PROJECTION_YEAR = 2035
MIN_FIGURES = 2
RICH_FIGURES = 24  # below this, variances are borrowed from the national series
MONTHLY_BACKTEST_HORIZON = 12
WELL_DETERMINED = 0.05  # a smoothed annual total joins the annual history when its sd is under 5%


ANNUAL_CALIBRATION_CAP = 2.0

# Temporal reconciliation (THieF, Athanasopoulos et al. 2017, with the annual level only): the
# monthly mixture's next two 12-month totals move this far toward the annual family's forecast of
# them, read from the totals of the 12-month blocks ending at the last month. THieF's structural
# scaling would move them halfway. On M3 monthly (bench/trailing_weight.py: 1,428 series, the
# unpulled forecast's medians pulled after the fact, scored on the test part the accuracy bench
# scores, so M3's gain is in-sample for this one number) halfway scored 13.73 sMAPE, a fifth 13.58,
# unpulled 13.64, and 0.1-0.3 all within 0.02 of 13.58 (targets then read with the saturating
# curves too). The CAAM series was the check: 9.52 and 9.67 over 1-12 months (seeds 1, 0), 9.98
# and 10.20 before (BENCHMARKS.md, session 11).
# A rich series' nested backtest scores months 1-12, the first block; the second reaches what is
# served only up to the years the annual curves carry (months_following_years rescales those).
TRAILING_YEAR_WEIGHT = 0.2
MIN_TRAILING_YEARS = 4  # the annual family needs a few totals to backtest and weigh its curves

Scorer = Callable[[str, Paths], list[BacktestRow]]  # backtest rows for one model's paths at one origin


@dataclass(frozen=True)
class Prior:
    """What sparse series borrow from richer ones (the service fits the national series first).

    monthly_params: level, slope and irregular variances of the structural model, in scaled units;
    annual_sd: sd of one-year-ahead log errors pooled over backtested series;
    damping: the national series' damped-growth phi;
    monthly_skill: each monthly model's backtest sMAPE relative to its family's, pooled over a
    collection of series (backtest.model_skill); None ranks models by the series' own backtest;
    annual_skill: the same for the annual curves (backtest.annual_curve_weights);
    seasonal_factors: the national series' months as multiples of their year's mean month.
    """

    monthly_params: tuple[float, ...] = (1e-2, 1e-5, 1e-3)
    annual_sd: float = 0.15
    damping: float | None = None
    source: str = "default"
    monthly_skill: dict[str, float] | None = None
    annual_skill: dict[str, float] | None = None
    seasonal_factors: tuple[float, ...] | None = None  # January..December, mean 1 (seasonal_factors())


def pooled_annual_sd(rows: Sequence[BacktestRow]) -> float | None:
    """Root mean square of one-year-ahead log errors: how wrong a year's projection has been.

    Only the annual backtest's rows count (BacktestRow.is_annual): a monthly model's year total
    one month ahead is a December, not a year ahead.
    """
    errors = [math.log(r.actual / r.mean) for r in rows if r.horizon == 1 and r.is_annual and r.actual > 0 and r.mean > 0]
    return float(np.sqrt(np.mean(np.square(errors)))) if len(errors) >= 3 else None


def trailing_year_targets(months: np.ndarray, prior: Prior) -> np.ndarray | None:
    """The annual family's median forecast of the next two 12-month totals, from the totals of the
    12-month blocks ending at the last month (trailing_years); None with fewer than
    MIN_TRAILING_YEARS blocks or a block that is not positive.

    Without the saturating curves, whose least squares took 95% of the time: a target cost
    200 ms with them (M3 monthly, every 20th series), three per M3 series, and the whole M3 run
    took 12.5 minutes on a slow hour; without them 11 ms, the targets a median 0.5% apart (4% at
    most). They did help the CAAM series: 9.19 and 9.34 sMAPE over 1-12 months (seeds 1, 0) with
    them, 9.52 and 9.67 without (BENCHMARKS.md, session 11).
    """
    blocks = trailing_years(months)
    if len(blocks) < MIN_TRAILING_YEARS or not np.all(blocks > 0):
        return None
    return forecast_annual_array(blocks, 2, prior=prior, n_paths=500, saturating=False).median


@dataclass(frozen=True)
class Point:
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
    model: dict[str, object]
    points: dict[str, list[Point]]  # freq -> points after the last reported period
    annual_years: np.ndarray
    annual_paths: np.ndarray  # (n_paths, len(annual_years)), joint over years
    annual_history: dict[int, tuple[float, str]]  # year -> (total, "reported" | "estimated")
    backtest_rows: list[BacktestRow] = field(default_factory=list)
    source_keys: list[str] = field(default_factory=list)
    last_reported_end: date | None = None

    def annual_quantiles(self, year: int, levels: Sequence[int] = (80, 95)) -> dict[str, object]:
        column = self.annual_paths[:, list(self.annual_years).index(year)]
        return summarise_draws(column, levels)


def _bands(paths: np.ndarray, levels: Sequence[int]) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Median and each level's lower and upper percentile along the draws (axis 0), in one call."""
    tails = [(100 - level) / 2 for level in levels]
    quantiles = np.percentile(paths, [50.0, *tails, *(100 - tail for tail in tails)], axis=0)
    n = len(levels)
    return quantiles[0], {level: quantiles[1 + i] for i, level in enumerate(levels)}, {level: quantiles[1 + n + i] for i, level in enumerate(levels)}


def summarise_draws(draws: np.ndarray, levels: Sequence[int] = LEVELS) -> dict[str, object]:
    median, lower, upper = _bands(np.asarray(draws), levels)
    return {"mean": float(np.mean(draws)), "median": float(median), "intervals": {level: (float(lower[level]), float(upper[level])) for level in levels}}


def _variants(n_figures: int, prior: Prior) -> list[tuple[str, Callable[[], MixedFrequencyStateSpace]]]:
    if n_figures >= RICH_FIGURES:
        return [
            ("local_linear_trend", lambda: MixedFrequencyStateSpace()),
            ("random_walk_drift", lambda: MixedFrequencyStateSpace(drift_only=True)),
        ]
    return [("local_linear_trend_borrowed", lambda: MixedFrequencyStateSpace(seasonal=False, fixed_params=prior.monthly_params))]


def monthly_candidates(n_figures: int, prior: Prior) -> list[str]:
    """Names of the monthly models a series with `n_figures` figures is fitted with."""
    names = [name for name, _ in _variants(n_figures, prior)]
    return names + ([model.name for model in seasonal_family()] if n_figures >= RICH_FIGURES else [])


# A seasonal model's log paths are kept within 5x of the months seen: an integrated model
# simulated ten years ahead otherwise reaches volumes that overflow, and no export series moves so.
LOG_PATH_MARGIN = math.log(5.0)


@dataclass
class MonthlyFits:
    """The fitted monthly models of one series at one cut-off, and their simulated paths by name."""

    structural: dict[str, MixedFrequencyStateSpace]
    seasonal: dict[str, SeasonalModel]
    paths: dict[str, Paths]
    in_logs: bool
    # what the seasonal models read: the latest unbroken run of years with months, on the figures' scale
    # (a plain array fitted in logs holds logs here: its levels are MonthlyArray.values)
    months: np.ndarray

    @property
    def lead(self) -> MixedFrequencyStateSpace:
        return next(iter(self.structural.values()))

    def estimates(self) -> dict[str, Estimates]:
        """Each fitted model's estimates by name, to start the fits at a later cut."""
        return {name: model.estimates() for name, model in [*self.structural.items(), *self.seasonal.items()]}


def fit_monthly(
    figures: Sequence[Observation],
    series_id: str,
    prior: Prior,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    *,
    wanted: Callable[[str], bool] = lambda name: True,
    draws: int = 0,
    logs: bool | None = None,
    warm: Mapping[str, Estimates] | None = None,
    plain: bool = False,
) -> MonthlyFits:
    """Fit the structural variants on every figure, then the seasonal family on the months they smoothed.

    The seasonal models read the first structural variant's smoothed months, so it is fitted even
    when not wanted; unless the figures are a `plain` array (exact months, every one from a January
    on): then they read those months (the smoothed ones stray from them by up to the variance
    floor, 2% on M3's log volumes). Reported series always go through the structural model,
    which reads bounds ("over 3 million") and approximate figures as such, and whose smoothed
    years the annual history needs.
    The seasonal models work in logs when every smoothed month is positive (logs=None), since
    seasonality and errors are proportional to the level; figures already in logs pass False.
    `warm`, each model's estimates at an earlier cut of a plain array, starts its estimation.
    Reported series start cold: on the CAAM series warm starts across vintages gave the same
    likelihoods to 1e-4, yet flipped one origin's pick between two near-tied models
    (china-exports, bench/accuracy.py); a vintage's fit should not depend on the one before.
    """
    structural: dict[str, MixedFrequencyStateSpace] = {}
    paths: dict[str, Paths] = {}
    warm = warm or {}
    variants = _variants(len(figures), prior)
    reported = _every_month_reported(figures) if plain else None
    for index, (name, make) in enumerate(variants):
        if (index == 0 and reported is None) or wanted(name):
            structural[name] = make().fit(figures, series_id, draws=draws, warm=warm.get(name))
            if wanted(name):
                paths[name] = structural[name].simulate(horizon, n_paths, rng)
    if reported is not None:
        months, last_month = reported
        totals = {"ytd": float(months[len(months) - last_month.month :].sum()), "qtd": float(months[len(months) - (last_month.month - 1) % 3 - 1 :].sum())}
    else:
        lead = next(iter(structural.values()))
        fit = lead.fit_
        assert fit is not None
        # Months of years known only as annual totals are the structural model's interpolation, with a
        # seasonal pattern it could not see: the seasonal models start in the first year of the latest
        # unbroken run of years with months. From 2007 on, with CAAM's sparse part-years
        # of 2007-2015 and no month of 2016, they scored 10.46 and 10.26 sMAPE over 1-12 months
        # (china-exports, seeds 0 and 1); from 2017, 10.15 and 9.98 (10.10 and 9.96 before the older
        # years were in the data).
        detailed = {f.period.start.year for f in figures if f.aggregation is Aggregation.MONTH or (f.aggregation is Aggregation.YTD and f.period.months < 12)}
        first_year = max(detailed, default=fit.first_month.year)
        while first_year - 1 in detailed:
            first_year -= 1
        first_detailed = date(first_year, 1, 1) if detailed else fit.first_month
        months = fit.smoothed_months[max(0, month_index(first_detailed) - month_index(fit.first_month)) :]
        last_month, totals = fit.last_month, lead.current_totals()
    in_logs = bool(np.all(months > 0)) if logs is None else logs
    work = np.log(months) if in_logs else months
    seasonal: dict[str, SeasonalModel] = {}
    for model in seasonal_family() if len(figures) >= RICH_FIGURES else []:
        if not wanted(model.name) or len(work) < model.min_months:
            continue
        try:
            draws_ = model.fit(work, warm.get(model.name)).simulate(horizon, n_paths, rng)
        except (InsufficientHistory, np.linalg.LinAlgError, ValueError):
            continue  # a model that cannot be estimated on these months is simply not a candidate
        if in_logs:
            draws_ = np.exp(np.clip(draws_, work.min() - LOG_PATH_MARGIN, work.max() + LOG_PATH_MARGIN))
        if not np.all(np.isfinite(draws_)):
            continue
        seasonal[model.name] = model
        paths[model.name] = cumulate(draws_, last_month, totals["ytd"], totals["qtd"])
    return MonthlyFits(structural, seasonal, paths, in_logs, months)


def _every_month_reported(figures: Sequence[Observation]) -> tuple[np.ndarray, date] | None:
    """The months, and the last one, when the figures are every month from a January on and nothing else."""
    if not figures or any(f.aggregation is not Aggregation.MONTH for f in figures):
        return None
    by_month = {month_index(f.period.start): f.value for f in figures}
    first, last = min(by_month), max(by_month)
    if len(by_month) != len(figures) or len(by_month) != last - first + 1 or first % 12 != 0:
        return None
    return np.array([by_month[t] for t in range(first, last + 1)]), date(last // 12, last % 12 + 1, 1)


def _draws_for(figure: Observation, paths: dict[str, np.ndarray], last_month: date) -> tuple[int, np.ndarray] | None:
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


COMBINATION = "combination"  # backtest rows of the weighted mixture itself, reported beside its members'


@dataclass(frozen=True)
class OriginFit:
    """The monthly family refitted at one backtest origin: its simulated paths by model."""

    origin: date
    last_month: date
    scale: float  # in-sample seasonal naive error per month, for MASE
    paths: dict[str, Paths]
    trailing_targets: np.ndarray | None  # trailing_year_targets at this origin

    def reconciled(self, paths: Paths) -> Paths:
        """A mixture's paths pulled toward this origin's trailing-year targets, as fit_series pulls its own."""
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
    n_paths: int = 400,
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

    With a collection's skill, the two best models after shrinking toward it, calibrated on
    the members' rows: calibrating that mixture on its own rows was tried, and on every 5th
    M3 monthly series its bands then covered 76% / 89% out of sample, against 85% / 95%.
    Without one (a reported series alone), every model equally, calibrated on the mixture's
    own rows. A single series' backtest origins rank its models by chance: on the CAAM
    series (china-exports, bench/accuracy.py) the two best by their own backtest scored
    11.4 sMAPE over 1-12 months at origins from 2024-03 to 2026-01 (mean of seeds 0-4) and
    7.3 at origins to 2025-04 (seeds 1, 2), every model equally 10.0 and 7.3. A mixture of models that
    disagree is wider than each of them, so the members' rows over-widened it (100% of the
    later months inside its 80% bands; 83-85% calibrated on its own rows).
    The mixture's rows are reported, so its backtest scores show. `reconcile`, one per origin,
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
        mixture = _mixture(paths_by_model, weights, n_paths, rng)
        combined_rows += score(COMBINATION, reconcile[index](mixture) if reconcile else mixture)
    return weights, calibrate(rows if skill else combined_rows), rows + combined_rows


def borrowed_calibration(months: np.ndarray, annual_sd: float) -> Calibration:
    """Widen a sparse series' monthly paths until their next twelve months' total is as uncertain as a backtested year ahead.

    Below RICH_FIGURES a series' monthly model borrows the national variances and cannot be
    backtested. Taken as they were, its year under way was far too sure, and curves grown from
    whole years ignored that year's months (BYD's 2026 at 2.15 million after two months of about
    100,000). On the CAAM series cut to sparse ones (bench/sparse_year.py, BENCHMARKS.md) the
    year under way is closer and its bands hold more of the outcomes; anchored on the months
    but not widened (a first look, 29 cuts), only 24% / 38% fell inside its 80% / 95% bands.
    `annual_sd` is the pooled sd of one-year-ahead log errors (Prior.annual_sd). The scale is
    found on the widened totals themselves (widening the months moves the totals' median
    too), and bounded as a backtest's calibration is (SCALE_BOUNDS).
    """
    def spread(scale: float) -> float:
        totals = _widen({"month": months[:, :SEASON]}, scale)["month"].sum(axis=1)
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


def _mixture(paths_by_model: dict[str, Paths], weights: dict[str, float], n_paths: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw whole paths from each model in proportion to its weight (keeps paths coherent)."""
    names = list(paths_by_model)
    probabilities = np.array([weights.get(name, 0.0) for name in names])
    probabilities = probabilities / probabilities.sum() if probabilities.sum() > 0 else np.full(len(names), 1 / len(names))
    choice = rng.choice(len(names), size=n_paths, p=probabilities)
    rows = rng.integers(0, n_paths, size=n_paths)
    return {
        key: np.stack([paths_by_model[names[c]][key][r] for c, r in zip(choice, rows, strict=True)])
        for key in next(iter(paths_by_model.values()))
    }


def _widen(paths: dict[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    if scale == 1.0:
        return paths
    return {key: np.median(v, axis=0) + scale * (v - np.median(v, axis=0)) for key, v in paths.items()}


def _annual_history(figures: Sequence[Observation], year_totals: Mapping[int, tuple[float, float]], current_year_draws: np.ndarray | None, current_year: int | None) -> dict[int, tuple[float, str]]:
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


# Year-on-year growth shocks are heavy-tailed (2009, 2020, 2021 in export series): Student t with
# 3 degrees of freedom, scaled to the normal's 95% quantile. On M3 yearly (bench/accuracy.py) this
# moved 80% coverage from 85.8% to 82.0% and left 95% at 95.1%; normal shocks cannot fit both.
SHOCK_DF = 3.0
SHOCK_SCALE = 1.959964 / float(student_t.ppf(0.975, SHOCK_DF))


# exp() of a t-distributed shock has no mean: one extreme draw in thousands decided the mean of
# CAAM's 2027 total (73M against a median of 8M). Clipping at the t's 99.5% quantile lies beyond
# one year's 95% band; on M3 yearly coverage moved from 80.9% / 94.6% to 80.5% / 93.7% (BENCHMARKS.md).
SHOCK_CLIP = float(student_t.ppf(0.995, SHOCK_DF))


def yearly_shocks(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Standardised yearly log-growth shocks: t(SHOCK_DF), with the normal's 2.5% and 97.5% quantiles."""
    return np.clip(rng.standard_t(SHOCK_DF, shape), -SHOCK_CLIP, SHOCK_CLIP) * SHOCK_SCALE


def log_drift(rng: np.random.Generator, n_paths: int, sd: float, n_years: int, persistence: np.ndarray) -> np.ndarray:
    """Log deviations of `n_paths` paths from a curve: yearly shocks that add up, plus one error in
    the curve's growth rate (growth_rate_se of `n_years` totals) carried as far as the curve's
    growth carries (`persistence`, curves.growth_persistence)."""
    steps = yearly_shocks(rng, (n_paths, len(persistence))) * sd
    growth_error = yearly_shocks(rng, (n_paths, 1)) * sd * growth_rate_se(n_years)
    return np.cumsum(steps, axis=1) + growth_error * persistence[None, :]


def _annual_paths(
    curves: dict[str, AnnualCurve],
    weights: dict[str, float],
    sigma: dict[str, float],
    anchor_draws: np.ndarray,
    anchor_year: int,
    calibration: float,
    n_paths: int,
    rng: np.random.Generator,
    n_years: int,
    last_year: int = LAST_PROJECTION_YEAR,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint annual paths after `anchor_year`: the anchor times each curve's growth, times lognormal drift.

    Each path also draws its own error in the curve's growth rate, as uncertain as one read
    from `n_years` totals is (growth_rate_se), carried as far as the curve's own growth
    carries (growth_persistence); the yearly shocks add up around it.
    """
    years = np.arange(anchor_year + 1, last_year + 1)
    names = list(curves)
    probabilities = np.array([weights[name] for name in names])
    choice = rng.choice(len(names), size=n_paths, p=probabilities / probabilities.sum())
    paths = np.empty((n_paths, len(years)))
    for index, name in enumerate(names):
        members = choice == index
        if not members.any():
            continue
        curve = curves[name]
        growth = growth_since(curve, anchor_year, years)
        drift = log_drift(rng, int(members.sum()), sigma[name] * calibration, n_years, growth_persistence(curve, anchor_year, years))
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
    """Weights when no curve could be backtested (two whole years): growth damped as the national series' is.

    Compounding two years' growth rate is a default, not the data's verdict. On the CAAM
    series cut to two whole years plus months (bench/sparse_year.py --whole-years 2, 48 and
    39 cuts) the damped curve alone scored 25.9 and 48.2 sMAPE one and two years after the
    year under way, with constant growth beside it 29.8 and 52.9 (BENCHMARKS.md, session 10).
    Constant growth when no damping was borrowed.
    """
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


def annual_calibrate(rows: Sequence[BacktestRow]) -> Calibration:
    """Calibration on one-year-ahead rows only (longer horizons lean on the random-walk assumption
    being calibrated), capped at ANNUAL_CALIBRATION_CAP."""
    calibration = calibrate([row for row in rows if row.horizon == 1])
    if calibration.scale <= ANNUAL_CALIBRATION_CAP:
        return calibration
    return Calibration(ANNUAL_CALIBRATION_CAP, calibration.coverage_80_before, calibration.coverage_95_before, True, calibration.n)


def fit_series(
    series_id: str,
    catalog: Catalog,
    *,
    prior: Prior,
    n_paths: int = 2000,
    seed: int = 0,
    horizon_months: int = 36,
    catalog_at: Callable[[date], Catalog] | None = None,
    origins: Sequence[date] = (),
    fixed_weights: dict[str, object] | None = None,
    posterior_draws: int = POSTERIOR_DRAWS,
) -> SeriesForecast:
    """Fit and project one series. `fixed_weights` ("monthly_weights", "monthly_scale") replays a
    monthly selection (as-of fits) without the nested monthly backtest. The annual curves are
    always backtested and weighed on the figures given: cheap, a tenth of a second on the national series.

    A sparse series (under RICH_FIGURES figures) borrows the national variances, and its monthly
    paths are widened by rule (borrowed_calibration); the months of its year under way carry that
    year, and its curves grow on from them.

    posterior_draws sets how precisely the uncertainty of never-reported months
    is measured; it only decides which estimated year totals are well enough
    determined to anchor the annual curves, so replays can afford fewer.
    """
    meta = catalog.require(series_id)
    figures = catalog.fit_figures(series_id)
    if len(figures) < MIN_FIGURES:
        raise InsufficientHistory(series_id, len(figures), MIN_FIGURES)
    sparse = len(figures) < RICH_FIGURES  # variances borrowed from the national series, no monthly backtest
    # A sparse series' own months are too few for a seasonal pattern: it borrows the national one,
    # or low January-February months would project a low year (bench/sparse_year.py)
    borrowed_season = prior.seasonal_factors if sparse else None
    rng = np.random.default_rng(seed)
    last_end = max(f.period.end for f in figures)

    # monthly model(s)
    monthly: dict[str, MixedFrequencyStateSpace] = {}
    seasonal_models: dict[str, SeasonalModel] = {}
    monthly_rows: list[BacktestRow] = []
    monthly_weights: dict[str, float] = {}
    monthly_calibration = Calibration.fixed()
    combined: dict[str, np.ndarray] | None = None
    reconciliation: dict[str, object] | None = None  # the next two 12-month totals pulled toward the annual family's
    if len(figures) >= 3:
        candidates = monthly_candidates(len(figures), prior)
        if fixed_weights is not None:
            monthly_weights = dict(fixed_weights.get("monthly_weights", {}))  # type: ignore[call-overload]
            monthly_calibration = Calibration.fixed(float(fixed_weights.get("monthly_scale", 1.0)))  # type: ignore[arg-type]
        elif catalog_at is not None and len(candidates) > 1:
            origin_fits = monthly_backtest(series_id, prior, catalog_at, origins, rng)
            scored = [(fit.paths, lambda name, paths, fit=fit: fit.rows(name, paths, figures)) for fit in origin_fits]
            reconcile = [fit.reconciled for fit in origin_fits]
            monthly_weights, monthly_calibration, monthly_rows = weigh_and_calibrate(scored, rng, prior.monthly_skill, reconcile)
        monthly_weights = monthly_weights or {candidates[0]: 1.0}
        horizon = max(horizon_months, month_index(date(LAST_PROJECTION_YEAR, 12, 1)) - month_index(last_end))
        fits = fit_monthly(
            deseasonalised(figures, borrowed_season) if borrowed_season else figures, series_id, prior, horizon, n_paths, rng,
            wanted=lambda name: monthly_weights.get(name, 0.0) > 0, draws=posterior_draws,
        )
        monthly, seasonal_models = fits.structural, fits.seasonal
        mixture = _mixture(fits.paths, monthly_weights, n_paths, rng)
        if not sparse and fits.lead.fit_ is not None:
            trailing_targets = trailing_year_targets(fits.months, prior)
            if trailing_targets is not None:
                before = block_medians(mixture["month"], len(trailing_targets))
                mixture = pulled_toward(mixture, fits.lead.fit_.last_month, trailing_targets, TRAILING_YEAR_WEIGHT)
                reconciliation = {"weight": TRAILING_YEAR_WEIGHT, "trailing_years_read": len(fits.months) // SEASON,
                                  "annual_forecast": [float(t) for t in trailing_targets], "monthly_before": before}
        if borrowed_season and fits.lead.fit_ is not None:
            months, ytd_now, qtd_now = reseasonalised(mixture, borrowed_season, fits.lead.fit_)
            mixture = cumulate(months, fits.lead.fit_.last_month, ytd_now, qtd_now)
        if sparse:
            # cannot be backtested, so widened by rule (see borrowed_calibration); in a replay too,
            # where the scale of today's fit would widen a second time
            monthly_calibration = borrowed_calibration(mixture["month"], prior.annual_sd)
        combined = _widen(mixture, monthly_calibration.scale)
    lead = next(iter(monthly.values()), None)
    last_month = lead.fit_.last_month if lead is not None and lead.fit_ is not None else date(last_end.year, last_end.month, 1)

    # annual history and curves
    current_year = last_month.year if last_month.month < 12 else None
    current_draws = None
    if combined is not None and current_year is not None:
        current_draws = combined["ytd"][:, 12 - last_month.month - 1]
    year_totals: Mapping[int, tuple[float, float]] = {}
    if lead is not None and lead.fit_ is not None:
        # a fit on deseasonalised figures sums deseasonalised months: its years are summed again, each month times its factor
        year_totals = reseasonalised_years(lead.fit_, borrowed_season) if borrowed_season else lead.fit_.smoothed_year_totals
    history = _annual_history(figures, year_totals, current_draws, current_year)
    years = np.array(list(history), dtype=float)
    values = np.array([v for v, _ in history.values()])
    candidates = annual_candidates(len(years), prior)
    annual_rows = annual_backtest(years, values, candidates, prior.annual_sd)
    annual_weights = annual_curve_weights(summarise(annual_rows), prior.annual_skill)
    annual_calibration = annual_calibrate(annual_rows)
    curves, sigma, weights = fit_curves(candidates, annual_weights or untested_weights(candidates), years, values, prior.annual_sd)

    # A rich series' monthly model is backtested a year ahead and sees this year's months; the annual
    # curves only see whole years. So the monthly model carries the year after the last one it has
    # figures for, and the curves grow on from there.
    bridge_year = (current_year if current_year is not None else last_month.year) + 1
    bridge_h = month_index(date(bridge_year, 12, 1)) - month_index(last_month)
    month_carried: int | None = None  # a year under way whose reported months carry it, the curves growing on from it
    bridged = curves and combined is not None and not sparse and bridge_h <= combined["ytd"].shape[1]
    if curves and bridged:
        assert combined is not None
        anchor = np.maximum(combined["ytd"][:, bridge_h - 1], 0.0)
        later_years, later_paths = _annual_paths(curves, weights, sigma, anchor, bridge_year, annual_calibration.scale, n_paths, rng, len(years))
        annual_years = np.concatenate([[bridge_year], later_years])
        annual_paths = np.column_stack([anchor, later_paths])
    elif curves:
        last_year = int(years[-1])
        # The months reported this year outweigh curves grown from whole years (see
        # borrowed_calibration): the curves grow on from them. Years between the last whole one
        # and this one (none reported well enough) are still grown from the last whole one.
        month_carried = current_year if current_draws is not None and current_year is not None and current_year >= last_year else None
        grown_to = month_carried - 1 if month_carried is not None else LAST_PROJECTION_YEAR
        annual_years, annual_paths = _annual_paths(curves, weights, sigma, np.full(n_paths, values[-1]), last_year, annual_calibration.scale, n_paths, rng, len(years), last_year=grown_to)
        if month_carried is not None and current_draws is not None:
            current = np.maximum(current_draws, 0.0)
            later_years, later_paths = _annual_paths(curves, weights, sigma, current, month_carried, annual_calibration.scale, n_paths, rng, len(years))
            annual_years = np.concatenate([annual_years, [month_carried], later_years])
            annual_paths = np.column_stack([annual_paths, current, later_paths])
    elif combined is not None:
        # no annual curve can be fitted: the monthly model's own December totals carry the years
        decembers = [h for h in range(combined["ytd"].shape[1]) if add_months(last_month, h + 1).month == 12]
        annual_years = np.array([add_months(last_month, h + 1).year for h in decembers])
        annual_paths = np.maximum(combined["ytd"][:, decembers], 0.0)
    else:
        raise InsufficientHistory(series_id, len(years), 2, "annual totals (or 3 figures of any kind for the monthly model)")
    if current_draws is not None and current_year is not None and current_year not in annual_years:
        # The year under way is an outcome too (a target due this year): when its months anchor the
        # curves, its paths are the ones the later years grow from.
        annual_years = np.concatenate([[current_year], annual_years])
        annual_paths = np.column_stack([np.maximum(current_draws, 0.0), annual_paths])

    months_follow_from = None
    if combined is not None and curves:
        monthly_own = {current_year, bridge_year if bridged else None}
        follow = [i for i, year in enumerate(annual_years) if int(year) not in monthly_own]
        combined, months_follow_from = months_following_years(combined, last_month, annual_years[follow], annual_paths[:, follow])

    monthly_year = None
    if not curves or bridged or month_carried is not None:
        monthly_year = current_year
    months_projected = combined["month"].shape[1] if combined is not None else 0  # every month to the end of 2035
    reported_months = _reported_months(figures)
    points = _points(combined, last_month, months_projected, annual_years, annual_paths, monthly_year, reported_months)
    model_description = {
        "name": _describe(monthly_weights if monthly else {}, weights),
        "monthly": {
            "weights": monthly_weights if monthly else {},
            "parameters": {
                **{name: dict(zip(m.fit_.param_names, [float(p) for p in m.fit_.params], strict=True)) for name, m in monthly.items() if m.fit_},
                **{name: m.parameters for name, m in seasonal_models.items()},
            },
            "converged": {name: m.fit_.converged for name, m in monthly.items() if m.fit_},
            "seasonal": bool(lead.fit_.seasonal) if lead is not None and lead.fit_ else None,
            "borrowed_from": prior.source if sparse and monthly else None,
            # a sparse series without a borrowed season (the national one had no three complete years of months) says so here
            "seasonal_factors": (prior.seasonal_factors if sparse else seasonal_factors(lead.fit_, reported_months)) if lead is not None and lead.fit_ else None,
            "seasonal_factors_from": (prior.source if prior.seasonal_factors else None) if sparse else "own months",
            "calibration": monthly_calibration.as_dict(),
            # the mixture's next two 12-month totals (medians, before) moved TRAILING_YEAR_WEIGHT of the way to these; the
            # second's months in years the curves carry are then rescaled to the curves' (months_follow_curves_from)
            "reconciled_with_trailing_years": reconciliation,
        },
        "annual": {
            "weights": weights,
            "log_growth_sd": sigma,
            "history": {int(y): {"total": v, "origin": o} for y, (v, o) in history.items()},
            "monthly_model_carries_year": bridge_year if bridged else None,
            # from this year on, each path's months are rescaled to sum to its year (months_following_years)
            "months_follow_curves_from": months_follow_from,
            "calibration": annual_calibration.as_dict(),
            "saturation": {n: {"level": c.saturation_, "at_bound": c.saturation_at_bound_} for n, c in curves.items() if isinstance(c, SaturatingCurve)},
            "damping": {n: c.phi_ for n, c in curves.items() if isinstance(c, DampedGrowth)},
        },
        "backtest": {"monthly": summarise(monthly_rows), "annual": summarise(annual_rows)},
        "figures_used": len(figures),
    }
    return SeriesForecast(
        series_id=series_id,
        unit=meta.unit,
        as_of=catalog.as_of,
        fitted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        model=model_description,
        points=points,
        annual_years=annual_years,
        annual_paths=annual_paths,
        annual_history=history,
        backtest_rows=[*monthly_rows, *annual_rows],
        source_keys=[f.key for f in figures],
        last_reported_end=last_end,
    )


def _describe(monthly_weights: dict[str, float], annual_weights: dict[str, float]) -> str:
    parts = []
    if monthly_weights:
        parts.append("monthly: " + " + ".join(f"{w:.2f} {n}" for n, w in monthly_weights.items() if w > 0))
    if annual_weights:
        total = sum(annual_weights.values())
        parts.append("annual: " + " + ".join(f"{w / total:.2f} {n}" for n, w in annual_weights.items()))
    return "; ".join(parts)


def points_from_paths(periods: Sequence[tuple[date, date, float]], paths: np.ndarray, levels: Sequence[int] = LEVELS) -> list[Point]:
    """One point per (start, end, reported share) and column of `paths` (n_paths, k), all percentiles taken in one call.

    Per column, the replays' and the forecast's points took a quarter of a refit (44,000 calls).
    """
    if not periods:
        return []
    paths = np.maximum(paths, 0.0)
    median, lower, upper = _bands(paths, levels)
    means = paths.mean(axis=0)
    return [
        Point(start, end, float(means[k]), float(median[k]), {level: (float(lower[level][k]), float(upper[level][k])) for level in levels}, share)
        for k, (start, end, share) in zip(range(paths.shape[1]), periods, strict=True)
    ]


def _reported_months(figures: Sequence[Observation]) -> set[int]:
    """The months (month_index) that reported figures cover whole: a year-to-date total covers January on."""
    covered: set[int] = set()
    for f in figures:
        if f.is_derived:
            continue
        first = month_index(f.period.start) + (0 if f.period.start.day == 1 else 1)
        last = month_index(f.period.end) - (0 if f.period.ends_on_month_end else 1)
        covered.update(range(first, last + 1))
    return covered


def _points(
    combined: dict[str, np.ndarray] | None,
    last_month: date,
    horizon_months: int,
    annual_years: np.ndarray,
    annual_paths: np.ndarray,
    current_year: int | None,
    reported_months: set[int],
) -> dict[str, list[Point]]:
    def share(start: date, months: int) -> float:
        first = month_index(start)
        return sum(1 for m in range(first, first + months) if m in reported_months) / months

    points: dict[str, list[Point]] = {"month": [], "quarter": [], "year": []}
    if combined is not None:
        wanted: dict[str, tuple[list[int], list[tuple[date, date, float]]]] = {key: ([], []) for key in ("month", "qtd", "ytd")}
        for h in range(1, min(horizon_months, combined["month"].shape[1]) + 1):
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
        for key, freq in (("month", "month"), ("qtd", "quarter"), ("ytd", "year")):
            columns, periods = wanted[key]
            points[freq] = points_from_paths(periods, combined[key][:, columns])
    covered = {p.period_start.year for p in points["year"]}
    later = [index for index, year in enumerate(annual_years) if int(year) not in covered]
    points["year"] += points_from_paths([(date(int(annual_years[i]), 1, 1), date(int(annual_years[i]), 12, 31), 0.0) for i in later], annual_paths[:, later])
    points["year"].sort(key=lambda p: p.period_start)
    return points


@dataclass(frozen=True)
class ArrayForecast:
    """A projection of a plain, regular series (benchmarks): mean and interval bounds per step."""

    model: str
    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]
    median: np.ndarray


def _array_summary(model: str, paths: np.ndarray, levels: Sequence[int]) -> ArrayForecast:
    median, lower, upper = _bands(paths, levels)
    return ArrayForecast(model, paths.mean(axis=0), lower, upper, median)


def annual_array_backtest(values: Sequence[float], prior: Prior = Prior(), saturating: bool = True) -> list[BacktestRow]:
    """Rolling-origin rows of the annual family on a plain yearly array (years 0, 1, ...)."""
    values = np.asarray(values, dtype=float)
    return annual_backtest(np.arange(len(values), dtype=float), values, annual_candidates(len(values), prior, saturating), prior.annual_sd)


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
    without the saturating curves unless `saturating` (the trailing-year targets leave them out)."""
    rng = np.random.default_rng(seed)
    values = np.asarray(values, dtype=float)
    years = np.arange(len(values), dtype=float)
    candidates = annual_candidates(len(years), prior, saturating)
    names = {curve.name for curve in candidates}
    # a given backtest may score curves that are not candidates here: they get neither weight nor a say in calibration
    rows = [row for row in backtest if row.model in names] if backtest is not None else annual_array_backtest(values, prior, saturating)
    weights = annual_curve_weights(summarise(rows), prior.annual_skill) or {"constant_growth": 1.0}
    curves, sigma, kept = fit_curves(candidates, weights, years, values, prior.annual_sd)
    anchor = np.full(n_paths, values[-1])
    scale = annual_calibrate(rows).scale
    _, paths = _annual_paths(curves, kept, sigma, anchor, int(years[-1]), scale, n_paths, rng, len(years), last_year=int(years[-1]) + horizon)
    return _array_summary(_describe({}, kept), paths, levels)


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
        values = np.asarray(values, dtype=float)
        return cls(values, bool(np.all(values > 0)) if in_logs is None else in_logs)

    def figures(self, upto: int) -> list[Observation]:
        from forecast.domain import Kind, Period, Source

        work = np.log(self.values[:upto]) if self.logs else self.values[:upto]
        source, start = Source("array"), date(2000, 1, 1)
        out = []
        for t, value in enumerate(work):
            first = add_months(start, t)
            out.append(Observation("array", Period(first, month_end(first.year, first.month)), Aggregation.MONTH, Kind.LEVEL,
                                   float(value), "units", Qualifier.EXACT, source, first, uncertainty=1e-6 * max(1.0, abs(float(value)))))
        return out

    def unlogged(self, paths: np.ndarray) -> np.ndarray:
        return np.exp(paths) if self.logs else paths


@dataclass(frozen=True)
class ArrayBacktest:
    """A plain monthly array's rolling-origin rows, and each model's estimates at the last cut.

    The forecast's fits on the whole array start from those estimates: the last cut
    is the same series `horizon` months shorter.
    """

    rows: list[BacktestRow]
    estimates: dict[str, Estimates]


def monthly_array_backtest(
    values: Sequence[float], horizon: int, *, origins: int = 2, seed: int = 0, in_logs: bool | None = None, trailing_weight: float = TRAILING_YEAR_WEIGHT
) -> ArrayBacktest:
    """Each monthly model's rows at `origins` cut-offs `horizon` months apart (none shorter than RICH_FIGURES).

    Each model's paths are scored pulled toward the cut's trailing-year targets, as the
    forecast pulls its mixture: its calibration and the pooled skill then measure what is
    served. Scored unpulled, the M3 monthly bands covered 83.7% / 94.5% (82.5% / 94.1%
    before the pull) against 80% / 95% nominal (BENCHMARKS.md, session 11).
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
    """The monthly selection of fit_series on a plain, complete monthly array starting in January.

    Its rolling-origin rows (`backtest`, computed here when not given) pick the
    two best models, ranked with the collection's skill in `prior`, and calibrate
    the intervals on the members' rows (a reported series alone weighs all its
    models equally, `weigh_and_calibrate`); the chosen models' fits start from their
    estimates at the last cut. A collection is backtested first, so its skill can
    be pooled before any series is forecast (bench/accuracy.py). The next two
    12-month totals are pulled `trailing_weight` of the way toward the annual family's
    (in levels, after the widening, which moves their medians little); the backtest
    pulls each model's paths the same way, since the members' rows calibrate the mixture.
    """
    rng = np.random.default_rng(seed + 1)
    array = MonthlyArray.of(values, in_logs)
    simulated = max(horizon, 2 * SEASON)  # both 12-month blocks whole, to be pulled toward the annual family's
    backtest = backtest if backtest is not None else monthly_array_backtest(values, horizon, origins=origins, seed=seed, in_logs=in_logs, trailing_weight=trailing_weight)
    rows = backtest.rows
    weights = pooled_best_weights(summarise(rows), len({r.origin for r in rows}), prior.monthly_skill)
    weights = weights or {monthly_candidates(RICH_FIGURES, Prior())[0]: 1.0}
    fits = fit_monthly(array.figures(len(array.values)), "array", Prior(), simulated, n_paths, rng, wanted=lambda name: weights.get(name, 0.0) > 0, logs=False, warm=backtest.estimates, plain=True)
    combined = _widen(_mixture(fits.paths, weights, n_paths, rng), calibrate(rows).scale)
    months = array.unlogged(combined["month"])
    targets = trailing_year_targets(array.values, Prior()) if trailing_weight else None  # the annual family alone, as in the backtest
    if targets is not None:
        months = months_pulled_toward(months, targets, trailing_weight)
    return _array_summary(_describe(weights, {}) + (" (in logs)" if array.logs else ""), months[:, :horizon], levels)
