"""Rolling-origin evaluation as data: rows of (model, origin, horizon, actual, forecast, intervals).

Metric functions consume those rows; weights and interval calibration come
from them. Pure functions on plain values (Hyndman and Koehler 2006 for MASE).
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TypedDict

import numpy as np

from forecast.errors import InsufficientHistory
from forecast.estimators.curves import AnnualCurve, growth_persistence, growth_since

Z80, Z95 = 1.2815515655446004, 1.959963984540054
COVERAGE_TOLERANCE = 0.05  # calibrate when empirical coverage is off by more than 5 points


PRIOR_WEIGHT = 4.0  # pseudo-observations of the pooled sd when shrinking a curve's own residual sd


def shrunk_sd(own: float, dof: int, pooled: float) -> float:
    """Residual sd shrunk toward the pooled one: a few points cannot show their own spread."""
    own_part = dof * own**2 if math.isfinite(own) and dof > 0 else 0.0
    return math.sqrt((own_part + PRIOR_WEIGHT * pooled**2) / (max(dof, 0) + PRIOR_WEIGHT))


def growth_rate_se(n_years: int) -> float:
    """The sd of a growth rate read from `n_years` totals, per unit of the yearly log sd.

    The paths are a random walk in logs around the curve, so the growth rate is as uncertain
    as a random walk's drift estimated from n - 1 yearly changes: 1 / sqrt(n - 1); with
    the yearly shocks, a constant growth rate's projection h years ahead has variance
    h + h^2 / (n - 1) (the drift method's interval, Hyndman and Athanasopoulos, FPP3 5.5).
    Two years fix a growth rate no better than one more year's shock; without this term
    a young series' later years were covered too rarely (docs/decisions.md, 'Annual curves').
    """
    return 1 / math.sqrt(n_years - 1) if n_years > 1 else 0.0


def growth_spread(horizon: int, persistence: float, n_years: int) -> float:
    """The sd of a projection `horizon` years ahead, per unit of the yearly log sd (growth_rate_se).

    `persistence` is how far an error in the growth rate has carried by then
    (curves.growth_persistence): the horizon itself for constant growth, less where the
    curve's growth slows.
    """
    return math.sqrt(horizon + (persistence * growth_rate_se(n_years)) ** 2)


@dataclass(frozen=True)
class BacktestRow:
    model: str
    origin: str  # the cut-off: a date, or the last year used
    horizon: int  # months or years ahead
    target: str  # what was forecast: a period and aggregation
    actual: float
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    scale: float  # in-sample naive error, for MASE

    @property
    def is_annual(self) -> bool:
        """A row of the annual curves' backtest: its origin is the last year used, not a date."""
        return self.origin.isdigit()

    @property
    def year_scored(self) -> int:
        """The year an annual row forecast."""
        return int(self.origin) + self.horizon

    @classmethod
    def from_draws(cls, model: str, origin: str, horizon: int, target: str, actual: float, draws: np.ndarray, scale: float) -> BacktestRow:
        """A row scoring simulated draws of one target: their mean and 80% / 95% percentile bands."""
        return cls.from_paths(model, origin, [target], [actual], np.asarray(draws)[:, None], scale, first_horizon=horizon)[0]

    @classmethod
    def from_paths(
        cls,
        model: str,
        origin: str,
        targets: Sequence[str],
        actuals: Sequence[float] | np.ndarray,
        paths: np.ndarray,
        scale: float,
        first_horizon: int = 1,
    ) -> list[BacktestRow]:
        """One row per column of `paths` (n_paths, horizons), the percentiles of all columns taken at once."""
        low95, low80, high80, high95 = np.percentile(paths, [2.5, 10, 90, 97.5], axis=0)
        means = paths.mean(axis=0)
        return [
            cls(
                model,
                origin,
                first_horizon + h,
                target,
                float(actual),
                float(means[h]),
                float(low80[h]),
                float(high80[h]),
                float(low95[h]),
                float(high95[h]),
                scale,
            )
            for h, (target, actual) in enumerate(zip(targets, actuals, strict=True))
        ]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200), as in the M3 competition."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    denominator = np.abs(actual) + np.abs(forecast)
    terms = np.where(denominator > 0, 2.0 * np.abs(actual - forecast) / np.where(denominator > 0, denominator, 1), 0.0)
    return float(100.0 * np.mean(terms)) if len(terms) else math.nan


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> float:
    actual, forecast, scale = (np.asarray(v, float) for v in (actual, forecast, scale))
    ok = scale > 0
    return float(np.mean(np.abs(actual[ok] - forecast[ok]) / scale[ok])) if ok.any() else math.nan


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    actual = np.asarray(actual, float)
    return float(np.mean((actual >= lower) & (actual <= upper))) if len(actual) else math.nan


class Scores(TypedDict, total=False):
    """One model's backtest scores: sMAPE (percent), MASE, 80% and 95% coverage (fractions), row count; and per horizon."""

    smape: float
    mase: float
    coverage_80: float
    coverage_95: float
    n: int
    by_horizon: dict[int, Scores]


Summary = dict[str, Scores]  # model -> its scores (summarise)


def summarise(rows: Sequence[BacktestRow]) -> Summary:
    """Per model: sMAPE, MASE, 80%/95% coverage, count, and the same per horizon."""
    by_model: dict[str, list[BacktestRow]] = defaultdict(list)
    for row in rows:
        by_model[row.model].append(row)
    summary: Summary = {}
    for model, model_rows in by_model.items():
        summary[model] = _scores(model_rows)
        by_horizon: dict[int, list[BacktestRow]] = defaultdict(list)
        for row in model_rows:
            by_horizon[row.horizon].append(row)
        summary[model]["by_horizon"] = {h: _scores(r) for h, r in sorted(by_horizon.items())}
    return summary


def _scores(rows: Sequence[BacktestRow]) -> Scores:
    actual = np.array([r.actual for r in rows])
    return {
        "smape": round(smape(actual, np.array([r.mean for r in rows])), 3),
        "mase": round(mase(actual, np.array([r.mean for r in rows]), np.array([r.scale for r in rows])), 3),
        "coverage_80": round(coverage(actual, np.array([r.lower_80 for r in rows]), np.array([r.upper_80 for r in rows])), 3),
        "coverage_95": round(coverage(actual, np.array([r.lower_95 for r in rows]), np.array([r.upper_95 for r in rows])), 3),
        "n": len(rows),
    }


def spread_origins(vintages: Sequence[date], count: int) -> list[date]:
    """Backtest origins: `count` of the days new figures arrived, spread over the last 3 * count.

    Spread, not consecutive: origins a month apart score mostly one to three months
    ahead, and weights from them favoured models that fail a year out (docs/decisions.md,
    'Monthly family').
    The newest vintage is left out: nothing was published after it to score.
    """
    recent = sorted(set(vintages))[-3 * count :]
    step = max(1, len(recent) // count)
    return recent[:-1][::step][-count:]


MAX_ANNUAL_ORIGINS = 10  # the most recent origins: older ones cost fits and describe an older regime
SHARPNESS = 3  # annual weights ~ sMAPE^-3 without a collection's skill (docs/decisions.md, 'Annual curves')


def inverse_smape_weights(summary: Summary, power: float = SHARPNESS) -> dict[str, float]:
    """Combination weights proportional to sMAPE^-power over models that were backtested."""
    scores = _smapes(summary)
    if not scores:
        return {}
    inverse = {m: max(v, 1e-6) ** -power for m, v in scores.items()}
    total = sum(inverse.values())
    return {m: v / total for m, v in inverse.items()}


# A collection's pooled skill counts as much as this many backtest origins of the series' own.
POOLED_ORIGINS = 3.0
POOLED_BEST = 2  # the monthly forecast is the equal-weight mixture of this many best models


def model_skill(summaries: Sequence[Summary]) -> dict[str, float]:
    """Each model's backtest sMAPE relative to its family's mean on the same series, averaged over a collection.

    Relative, so that series with large errors do not decide alone; below 1 is better than the family.
    """
    ratios: dict[str, list[float]] = defaultdict(list)
    for summary in summaries:
        scores = _smapes(summary)
        level = float(np.mean(list(scores.values()))) if scores else math.nan
        if not level > 0:
            continue
        for model, value in scores.items():
            ratios[model].append(value / level)
    return {model: float(np.mean(values)) for model, values in ratios.items()}


def pooled_best_weights(
    summary: Summary,
    origins: int,
    skill: dict[str, float] | None = None,
    best: int = POOLED_BEST,
) -> dict[str, float]:
    """Equal weights on the `best` models by backtest sMAPE, shrunk toward the collection's skill.

    One or two origins of one series rank close models by chance, so each model's own
    score is shrunk toward its skill pooled over the collection, worth POOLED_ORIGINS
    origins (docs/decisions.md, 'Monthly family'). Pooling the few best with equal weights
    rather than weighting all follows Kourentzes, Barrow and Petropoulos (2019). Without a
    skill the ranking is the series' own backtest.
    """
    scores = _smapes(summary)
    if not scores:
        return {}
    if skill:
        level = float(np.mean(list(scores.values())))
        scores = {m: (origins * v + POOLED_ORIGINS * skill.get(m, 1.0) * level) / (origins + POOLED_ORIGINS) for m, v in scores.items()}
    chosen = sorted(scores, key=lambda m: scores[m])[:best]
    return {m: 1.0 / len(chosen) for m in chosen}


def equal_weights(summary: Summary) -> dict[str, float]:
    """Equal weights on every model that was backtested."""
    scores = _smapes(summary)
    return {m: 1.0 / len(scores) for m in scores}


ANNUAL_BEST = 3  # the annual forecast with a collection's skill: equal weights on this many curves


def annual_curve_weights(summary: Summary, skill: dict[str, float] | None = None, best: int = ANNUAL_BEST) -> dict[str, float]:
    """Annual combination weights: equal on the `best` curves by a collection's pooled skill, else sMAPE^-3 of the series' own.

    Ten origins of a short yearly series still rank curves mostly by chance, so a
    collection's pooled skill ranks them when there is one (docs/decisions.md, 'Annual
    curves'). Only curves backtested on this series are eligible, so a short series
    falls back to the curves it can fit.
    """
    if not skill:
        return inverse_smape_weights(summary)
    return pooled_best_weights(summary, origins=0, skill=skill, best=best)  # no origin of its own: the skill alone ranks


def _smapes(summary: Summary) -> dict[str, float]:
    scores = {m: float(s["smape"]) for m, s in summary.items() if s["n"]}
    return {m: v for m, v in scores.items() if not math.isnan(v)}


@dataclass(frozen=True)
class Calibration:
    """How much to widen (or narrow) intervals so backtest coverage matches nominal."""

    scale: float
    coverage_80_before: float
    coverage_95_before: float
    applied: bool
    n: int

    @classmethod
    def fixed(cls, scale: float = 1.0, applied: bool = False) -> Calibration:
        """A scale no backtest measured here (a replayed one, or one set by rule): no coverage before it."""
        return cls(scale, math.nan, math.nan, applied, 0)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


SCALE_BOUNDS = (0.5, 4.0)  # a handful of origins (or a rule) can neither collapse nor explode the bands


def standardised_errors(rows: Sequence[BacktestRow], in_logs: bool = False) -> np.ndarray:
    """Each row's absolute error over the sd its 80% interval implies; in logs for lognormal bands
    (centre times exp(+-z sd)), where an error is measured on the scale the bands are drawn on."""
    actual = np.array([r.actual for r in rows])
    centre = np.array([r.mean for r in rows])
    lower, upper = np.array([r.lower_80 for r in rows]), np.array([r.upper_80 for r in rows])
    if in_logs:
        ok = (actual > 0) & (centre > 0) & (lower > 0) & (upper > lower)
        sd = np.log(upper[ok] / lower[ok]) / (2 * Z80)
        return np.asarray(np.abs(np.log(actual[ok] / centre[ok])) / sd)
    sd = (upper - lower) / (2 * Z80)
    ok = sd > 0
    return np.asarray(np.abs(actual[ok] - centre[ok]) / sd[ok])


def calibrate(rows: Sequence[BacktestRow], in_logs: bool = False, central: bool = False) -> Calibration:
    """Conformal-style: rescale deviations by the backtest's standardised error quantiles.

    Each row's error is divided by the sd its 80% interval implies (standardised_errors); the
    scale that makes 80% and 95% of those fall inside is averaged over both levels, or with
    `central` the 80% level's alone: where the paths draw heavy-tailed shocks, the tails are
    theirs to carry, and the 95% quantile of a dozen rows is their one largest miss. Applied
    only when coverage is off by more than 5 points, and bounded to SCALE_BOUNDS.
    """
    if not rows:
        return Calibration.fixed()
    actual = np.array([r.actual for r in rows])
    cover80 = coverage(actual, np.array([r.lower_80 for r in rows]), np.array([r.upper_80 for r in rows]))
    cover95 = coverage(actual, np.array([r.lower_95 for r in rows]), np.array([r.upper_95 for r in rows]))
    z = standardised_errors(rows, in_logs)
    needed = (abs(cover80 - 0.80) > COVERAGE_TOLERANCE or abs(cover95 - 0.95) > COVERAGE_TOLERANCE) and len(z) >= 5
    if not needed:
        return Calibration(1.0, cover80, cover95, False, len(rows))
    scale = float(np.quantile(z, 0.80) / Z80)
    if not central:
        scale = float(np.mean([scale, np.quantile(z, 0.95) / Z95]))
    return Calibration(float(np.clip(scale, *SCALE_BOUNDS)), cover80, cover95, True, len(rows))


def annual_backtest(
    years: np.ndarray,
    values: np.ndarray,
    candidates: Sequence[AnnualCurve],
    fallback_sd: float,
    max_horizon: int = 3,
) -> list[BacktestRow]:
    """Rolling origin over annual totals: fit on years up to each origin, forecast the next ones.

    Forecasts carry the curve's growth from the last actual (anchored), as
    projections do; intervals are lognormal with sd sigma * growth_spread(h, ...).
    """
    rows: list[BacktestRow] = []
    years = np.asarray(years, float)
    values = np.asarray(values, float)
    for curve in candidates:
        fitted = curve
        for cut in range(max(curve.min_points, len(years) - MAX_ANNUAL_ORIGINS), len(years)):
            train_years, train_values = years[:cut], values[:cut]
            try:
                fitted = copy.deepcopy(fitted).fit(train_years, train_values)  # starts where the last origin's fit ended
            except InsufficientHistory:
                continue  # too short at this origin: the row is simply absent
            sigma = shrunk_sd(fitted.residual_sd_, cut - fitted.n_params, fallback_sd)
            scale = float(np.mean(np.abs(np.diff(train_values)))) if cut > 1 else math.nan
            anchor_year, anchor = train_years[-1], train_values[-1]
            persistence = growth_persistence(fitted, anchor_year, anchor_year + np.arange(1, max_horizon + 1))
            for h in range(1, max_horizon + 1):
                index = cut + h - 1
                if index >= len(years) or years[index] != anchor_year + h:
                    break
                mean = anchor * growth_since(fitted, anchor_year, years[index : index + 1])[0]
                spread = sigma * growth_spread(h, persistence[h - 1], cut)
                rows.append(
                    BacktestRow(
                        model=curve.name,
                        origin=str(int(anchor_year)),
                        horizon=h,
                        target=f"year {int(years[index])}",
                        actual=float(values[index]),
                        mean=float(mean),
                        lower_80=float(mean * math.exp(-Z80 * spread)),
                        upper_80=float(mean * math.exp(Z80 * spread)),
                        lower_95=float(mean * math.exp(-Z95 * spread)),
                        upper_95=float(mean * math.exp(Z95 * spread)),
                        scale=scale,
                    )
                )
    return rows
