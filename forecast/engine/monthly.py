"""The monthly family: the structural model on every figure, the seasonal models on the months it smoothed.

Every member ends as `Paths`: joint sample paths of months and of their
year-to-date and quarter-to-date totals (estimators.paths), so members mix by
drawing whole paths (`mixture`). The structural model (estimators.statespace)
reads months, year-to-date totals, quarters, years, bounds and approximate
figures at once; the seasonal models (estimators.seasonal: ETS, airline SARIMA,
Theta) read the months it smoothed, in logs when all are positive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from forecast.domain import Aggregation, Observation, month_index
from forecast.engine.borrowing import Prior
from forecast.errors import InsufficientHistory
from forecast.estimators.estimates import Estimates
from forecast.estimators.paths import Paths, cumulate
from forecast.estimators.seasonal import SeasonalModel, seasonal_family
from forecast.estimators.statespace import MixedFrequencyStateSpace

RICH_FIGURES = 24  # below this, variances are borrowed (borrowing.Prior) and nothing is backtested

# A seasonal model's log paths are kept within 5x of the months seen: an integrated model
# simulated ten years ahead otherwise reaches volumes that overflow, and no export series moves so.
LOG_PATH_MARGIN = math.log(5.0)


@dataclass(frozen=True)
class SeasonalInput:
    """What the seasonal models read: months, the last one, and the year- and quarter-to-date totals at it."""

    months: np.ndarray
    last_month: date
    totals: dict[str, float]  # "ytd", "qtd"


class MonthlyMember(Protocol):
    """A fitted member of the monthly family as the mixture uses it: joint sample paths of the months ahead
    and of their year- and quarter-to-date totals (the yearly twin is estimators.curves.AnnualCurve)."""

    @property
    def name(self) -> str: ...

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> Paths: ...


@dataclass(frozen=True)
class StructuralMember:
    """A structural variant: its simulation already carries the months and their running totals."""

    name: str
    model: MixedFrequencyStateSpace

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> Paths:
        return self.model.simulate(horizon, n_paths, rng)


@dataclass(frozen=True)
class SeasonalMember:
    """A seasonal model fitted on months (in logs when `in_logs`): its draws are kept within LOG_PATH_MARGIN
    of the months seen, taken back to levels and cumulated from the totals so far."""

    model: SeasonalModel
    source: SeasonalInput
    in_logs: bool

    @property
    def name(self) -> str:
        return self.model.name

    def sample_paths(self, horizon: int, n_paths: int, rng: np.random.Generator) -> Paths:
        draws = self.model.simulate(horizon, n_paths, rng)
        if self.in_logs:
            work = np.log(self.source.months)
            draws = np.exp(np.clip(draws, work.min() - LOG_PATH_MARGIN, work.max() + LOG_PATH_MARGIN))
        if not np.all(np.isfinite(draws)):
            raise ValueError(f"{self.name}: simulated months are not finite")
        return cumulate(draws, self.source.last_month, self.source.totals["ytd"], self.source.totals["qtd"])


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
        return {
            **{name: model.estimates() for name, model in self.structural.items()},
            **{name: model.estimates() for name, model in self.seasonal.items()},
        }


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
    family: Callable[[], Sequence[SeasonalModel]] = seasonal_family,
) -> MonthlyFits:
    """Fit the structural variants on every figure, then the seasonal family on the months they smoothed.

    The seasonal models read the first structural variant's smoothed months, so it is fitted even
    when not wanted; unless the figures are a `plain` array (exact months, every one from a January
    on): then they read those months, since the smoothed ones stray from them by up to the variance
    floor. The seasonal models work in logs when every month they read is positive (logs=None),
    since seasonality and errors are proportional to the level; figures already in logs pass False.
    `warm`, each model's estimates at an earlier cut of a plain array, starts its estimation;
    reported series start cold, so that a vintage's fit does not depend on the one before.
    `family` makes the seasonal candidates (a test passes fakes).
    """
    warm = warm or {}
    reported = _every_month_reported(figures) if plain else None
    structural, paths = _fit_structural(figures, series_id, prior, horizon, n_paths, rng, wanted, draws, warm, reported is None)
    source = _plain_input(*reported) if reported is not None else _smoothed_input(figures, next(iter(structural.values())))
    in_logs = bool(np.all(source.months > 0)) if logs is None else logs
    seasonal: dict[str, SeasonalModel] = {}
    if len(figures) >= RICH_FIGURES:
        seasonal, seasonal_paths = _fit_seasonal(family(), source, in_logs, horizon, n_paths, rng, wanted, warm)
        paths.update(seasonal_paths)
    return MonthlyFits(structural, seasonal, paths, in_logs, source.months)


def _fit_structural(
    figures: Sequence[Observation],
    series_id: str,
    prior: Prior,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    wanted: Callable[[str], bool],
    draws: int,
    warm: Mapping[str, Estimates],
    lead_needed: bool,
) -> tuple[dict[str, MixedFrequencyStateSpace], dict[str, Paths]]:
    """The structural variants that are wanted (and the first one when the seasonal models read its months)."""
    structural: dict[str, MixedFrequencyStateSpace] = {}
    paths: dict[str, Paths] = {}
    for index, (name, make) in enumerate(_variants(len(figures), prior)):
        if (index == 0 and lead_needed) or wanted(name):
            structural[name] = make().fit(figures, series_id, draws=draws, warm=warm.get(name))
            if wanted(name):
                paths[name] = StructuralMember(name, structural[name]).sample_paths(horizon, n_paths, rng)
    return structural, paths


def _plain_input(months: np.ndarray, last_month: date) -> SeasonalInput:
    ytd = float(months[len(months) - last_month.month :].sum())
    qtd = float(months[len(months) - (last_month.month - 1) % 3 - 1 :].sum())
    return SeasonalInput(months, last_month, {"ytd": ytd, "qtd": qtd})


def _smoothed_input(figures: Sequence[Observation], lead: MixedFrequencyStateSpace) -> SeasonalInput:
    """The lead structural model's smoothed months from the first year of the latest unbroken run of years
    with months: months of years known only as totals are its interpolation, with a seasonal pattern it
    could not see (docs/decisions.md, "Seasonal models read the years with months")."""
    fit = lead.fit_
    assert fit is not None
    detailed = {
        f.period.start.year
        for f in figures
        if f.aggregation is Aggregation.MONTH or (f.aggregation is Aggregation.YTD and f.period.months < 12)
    }
    first_year = max(detailed, default=fit.first_month.year)
    while first_year - 1 in detailed:
        first_year -= 1
    first_detailed = date(first_year, 1, 1) if detailed else fit.first_month
    months = fit.smoothed_months[max(0, month_index(first_detailed) - month_index(fit.first_month)) :]
    return SeasonalInput(months, fit.last_month, lead.current_totals())


def _fit_seasonal(
    family: Sequence[SeasonalModel],
    source: SeasonalInput,
    in_logs: bool,
    horizon: int,
    n_paths: int,
    rng: np.random.Generator,
    wanted: Callable[[str], bool],
    warm: Mapping[str, Estimates],
) -> tuple[dict[str, SeasonalModel], dict[str, Paths]]:
    """Each wanted seasonal model that can be estimated on these months and simulated, and its paths."""
    work = np.log(source.months) if in_logs else source.months
    models: dict[str, SeasonalModel] = {}
    paths: dict[str, Paths] = {}
    for model in family:
        if not wanted(model.name) or len(work) < model.min_months:
            continue
        try:
            paths[model.name] = SeasonalMember(model.fit(work, warm.get(model.name)), source, in_logs).sample_paths(horizon, n_paths, rng)
        except (InsufficientHistory, np.linalg.LinAlgError, ValueError):
            continue  # a model that cannot be estimated or simulated on these months is simply not a candidate
        models[model.name] = model
    return models, paths


def _every_month_reported(figures: Sequence[Observation]) -> tuple[np.ndarray, date] | None:
    """The months, and the last one, when the figures are every month from a January on and nothing else."""
    if not figures or any(f.aggregation is not Aggregation.MONTH for f in figures):
        return None
    by_month = {month_index(f.period.start): f.value for f in figures}
    first, last = min(by_month), max(by_month)
    if len(by_month) != len(figures) or len(by_month) != last - first + 1 or first % 12 != 0:
        return None
    return np.array([by_month[t] for t in range(first, last + 1)]), date(last // 12, last % 12 + 1, 1)


def mixture(paths_by_model: Mapping[str, Paths], weights: Mapping[str, float], n_paths: int, rng: np.random.Generator) -> Paths:
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


def widened(paths: Paths, scale: float) -> Paths:
    """Each path's deviation from the median path, times `scale` (an interval calibration)."""
    if scale == 1.0:
        return paths
    return {key: np.median(v, axis=0) + scale * (v - np.median(v, axis=0)) for key, v in paths.items()}
