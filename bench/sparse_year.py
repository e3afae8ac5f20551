"""The year under way of a sparse series: how close and how well covered, on the CAAM series cut to sparse ones.

    python -m bench.sparse_year

A carmaker's or a province's series is a few whole years plus some months of the
year under way. No such series has enough history to score that year, so the
national CAAM series stands in: for each year Y with a full-year total and each
month M (1-9) for which a figure of Y ends in month M, the cut keeps CAAM's
reported years before Y and the months and year-to-date totals of Y up to M
(plus the figures their growth rates imply for Y-1). Cuts with RICH_FIGURES
figures or more are skipped: those are fitted as a rich series. Each cut is
fitted with ``fit_series`` and the prior the service would have borrowed on the
day its last figure was published: the whole CAAM series as known that day.
``--prior today`` borrows from today's fit instead, as this bench did before
session 10 (2026-11-30): it has seen the years scored. Year Y is scored against
CAAM's reported total.

    python -m bench.sparse_year --prior today
    python -m bench.sparse_year --whole-years 2   # a young series: two whole years, then the months

The totals one and two years after the year under way are scored too, where CAAM reported them.

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from forecast.backtest import spread_origins  # noqa: E402
from forecast.catalog import Catalog  # noqa: E402
from forecast.config import Settings  # noqa: E402
from forecast.domain import Aggregation, Observation, Series  # noqa: E402
from forecast.engine.borrowing import Prior  # noqa: E402
from forecast.engine.monthly import RICH_FIGURES  # noqa: E402
from forecast.engine.projection import Point  # noqa: E402
from forecast.engine.series import fit_series  # noqa: E402
from forecast.errors import InsufficientHistory  # noqa: E402
from forecast.services import ForecastService  # noqa: E402
from forecast.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERIES = "china_exports_caam"
MONTHS = range(1, 10)


@dataclass(frozen=True)
class SparseCut:
    """The figures of one cut, answering what fit_series asks of a catalog."""

    series: Series
    figures: list[Observation]
    as_of: None = None

    def require(self, series_id: str) -> Series:
        return self.series

    def fit_figures(self, series_id: str) -> list[Observation]:
        return self.figures


def reported_totals(catalog: Catalog) -> dict[int, float]:
    return {f.period.start.year: f.value for f in catalog.fit_figures(SERIES) if f.aggregation is Aggregation.YEAR and not f.is_derived}


def cuts(catalog: Catalog, whole_years: int | None = None) -> list[tuple[int, int, list[Observation], float]]:
    """(year, month, the cut's figures, the year's reported total) for each cut; `whole_years` keeps only the last ones."""
    figures = catalog.fit_figures(SERIES)
    totals = reported_totals(catalog)
    out = []
    for year in sorted(totals):
        years_before = [f for f in figures if f.aggregation is Aggregation.YEAR and f.period.start.year < year and not f.is_derived]
        if whole_years is not None:
            if len(years_before) < whole_years:
                continue
            years_before = sorted(years_before, key=lambda f: f.period.start)[-whole_years:]
        for month in MONTHS:
            so_far = [
                f
                for f in figures
                if f.period.start.year == year and f.aggregation in (Aggregation.MONTH, Aggregation.YTD) and f.period.end.month <= month
            ]
            if not any(f.period.end.month == month for f in so_far):
                continue
            implied = [
                f
                for f in figures
                if f.is_derived
                and f.period.start.year == year - 1
                and f.aggregation is not Aggregation.YEAR
                and f.period.end.month <= month
            ]
            cut = years_before + so_far + implied
            if len(cut) < RICH_FIGURES:
                out.append((year, month, cut, totals[year]))
    return out


def score(point: Point, actual: float) -> tuple[float, bool, bool]:
    """sMAPE of the median, and whether the 80% and 95% bands hold the actual."""
    (low80, high80), (low95, high95) = point.intervals[80], point.intervals[95]
    return 200 * abs(point.median - actual) / (point.median + actual), low80 <= actual <= high80, low95 <= actual <= high95


def prior_on(service: ForecastService, day: date, known: dict[date, Prior]) -> Prior:
    """The prior from the national series as published by `day`, as the service's as-of replays borrow it.

    Fitted without its monthly backtest, which the prior does not read (its annual backtest,
    which gives the annual sd, runs).
    """
    if day not in known:
        try:
            known[day] = service.prior_from(fit_series(SERIES, service.catalog(day), prior=Prior(), n_paths=500))
        except InsufficientHistory:
            known[day] = Prior()
    return known[day]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--prior",
        choices=["as-of", "today"],
        default="as-of",
        help="borrow from the national series as known on each cut's day (default), or from today's fit",
    )
    parser.add_argument(
        "--whole-years",
        type=int,
        default=None,
        metavar="K",
        help="keep only the last K whole years before each cut's year (a young series: BYD's has 2)",
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    workdir = Path(tempfile.mkdtemp(prefix="bench-sparse-"))
    settings = Settings(data_dir=ROOT / "data", models_dir=workdir, database_path=workdir / "bench.sqlite3")
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    catalog = service.catalog()
    started = time.perf_counter()
    origins = spread_origins([o.vintage for o in catalog.reported if o.series_id == SERIES], settings.backtest_origins)
    today = service.prior_from(fit_series(SERIES, catalog, prior=Prior(), catalog_at=service.catalog, origins=origins))
    priors: dict[date, Prior] = {}
    rows = []
    later: dict[int, list[tuple[float, bool, bool]]] = {1: [], 2: []}  # the years after the one under way
    totals = reported_totals(catalog)
    print(f"{'year':>5} {'known':>6} {'median':>10} {'actual':>10} {'80% band':>23} {'sMAPE':>6}")
    unfitted = 0
    for year, month, figures, actual in cuts(catalog, args.whole_years):
        prior = today if args.prior == "today" else prior_on(service, max(f.vintage for f in figures), priors)
        try:
            forecast = fit_series(SERIES, SparseCut(catalog.require(SERIES), figures), prior=prior, seed=settings.random_seed, n_paths=2000)  # type: ignore[arg-type]
        except InsufficientHistory:
            unfitted += 1  # a cut of the first years, with fewer figures than any model needs
            continue
        by_year = {p.period_start.year: p for p in forecast.points["year"]}
        point = by_year[year]
        smape, inside80, inside95 = score(point, actual)
        rows.append((smape, inside80, inside95))
        for ahead, scored in later.items():
            if year + ahead in totals and year + ahead in by_year:
                scored.append(score(by_year[year + ahead], totals[year + ahead]))
        (low80, high80) = point.intervals[80]
        print(
            f"{year:>5} {'1-' + str(month):>6} {point.median:>10,.0f} {actual:>10,.0f} {low80:>11,.0f}-{high80:<11,.0f} {smape:>6.2f}",
            flush=True,
        )
    scores = np.array(rows, dtype=float)
    result = {
        "suite": "sparse-year",
        "cuts": len(rows),
        "cuts_too_short": unfitted,
        "smape": round(float(scores[:, 0].mean()), 2),
        "coverage_80": round(100 * float(scores[:, 1].mean()), 1),
        "coverage_95": round(100 * float(scores[:, 2].mean()), 1),
        "prior": args.prior,
        "whole_years": args.whole_years,
        "prior_annual_sd": round(today.annual_sd, 4) if args.prior == "today" else sorted({round(p.annual_sd, 4) for p in priors.values()}),
        "seconds": round(time.perf_counter() - started, 1),
    }
    for ahead, scored in later.items():
        if scored:
            found = np.array(scored, dtype=float)
            result[f"year_plus_{ahead}"] = {
                "cuts": len(scored),
                "smape": round(float(found[:, 0].mean()), 2),
                "coverage_80": round(100 * float(found[:, 1].mean()), 1),
                "coverage_95": round(100 * float(found[:, 2].mean()), 1),
            }
    print(f"{len(rows)} cuts: sMAPE {result['smape']}, {result['coverage_80']}% / {result['coverage_95']}% inside the 80% / 95% bands")
    for ahead in later:
        if f"year_plus_{ahead}" in result:
            found = result[f"year_plus_{ahead}"]
            print(f"  year + {ahead} ({found['cuts']} cuts): sMAPE {found['smape']}, {found['coverage_80']}% / {found['coverage_95']}%")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
