"""Made-up series shaped like data/'s, for bench/scale.py: test data, never real figures, never written into data/.

Three shapes, in the proportions of data/observations.csv's series (most report months
and year-to-date totals, a few only year totals, a few only a half-year and the year):

- ``monthly``: like CAAM's series. The first two years have only their annual totals; after
  that, January and February come out together (a year-to-date total at February, no
  January figure), and each later month has its own figure and the year-to-date total,
  each missing now and then (a month known only from two year-to-date totals, or not at
  all); December's year-to-date total is the year's.
- ``annual``: only calendar-year totals, like most carmakers' overseas sales.
- ``half_year``: the January-June total and the year's, like the local customs' series.

Values follow a made-up latent monthly path (a level, a yearly growth rate, a seasonal
pattern with the Chinese New Year dip, multiplicative noise), so every year-to-date total
is the sum of its months. Every figure is published on a fixed lag after its period
(12 days for a month or year-to-date total, 21 for a year), and its source names this
module, so a made-up figure cannot be mistaken for a reported one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from forecast.data import OBSERVATION_COLUMNS, OBSERVATIONS_FILE
from forecast.datafiles import _table
from forecast.definitions import SERIES_COLUMNS, SERIES_FILE, TARGET_COLUMNS, TARGETS_FILE

SHAPES = ("monthly", "annual", "half_year")
SHAPE_WEIGHTS = (0.7, 0.2, 0.1)
LAST_MONTH = date(2026, 2, 1)  # the latest month of any made-up series (data/'s latest CAAM month)
FIRST_YEARS = range(2016, 2021)  # a series starts on 1 January of one of these
ANNUAL_ONLY_YEARS = 2  # a monthly series' first years, known only by their totals
MONTH_SHOWN = 0.8  # chance a month's own figure is published (from March on)
YTD_SHOWN = 0.75  # chance a month's year-to-date total is published
SEASON = np.array([0.8, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.1, 1.3])  # Jan..Dec, mean ~1
PUBLISHER = "made up by bench/scale_data.py"
NOTE = "made-up figure for the scale benchmark (test data, not a reported figure)"


@dataclass(frozen=True)
class MadeUpSeries:
    id: str
    shape: str
    rows: tuple[dict[str, object], ...]  # rows of observations.csv


def _month_end(first: date) -> date:
    return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def _row(series_id: str, start: date, end: date, aggregation: str, value: float) -> dict[str, object]:
    lag = 21 if aggregation == "year" else 12
    return {
        "series_id": series_id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "aggregation": aggregation,
        "kind": "level",
        "value": round(value),
        "unit": "vehicles",
        "qualifier": "exact",
        "source_publisher": PUBLISHER,
        "source_url": f"https://example.test/bench/scale/{series_id}/{aggregation}/{end.isoformat()}",
        "published_date": (end + timedelta(days=lag)).isoformat(),
        "published_date_estimated": False,
        "disputed": False,
        "note": NOTE,
    }


def _months(first_year: int) -> list[date]:
    months, day = [], date(first_year, 1, 1)
    while day <= LAST_MONTH:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _latent(rng: np.random.Generator, months: Sequence[date]) -> np.ndarray:
    """A made-up monthly path: level x growth x season x noise."""
    level = float(np.exp(rng.uniform(np.log(2_000), np.log(200_000))))
    growth = rng.uniform(-0.05, 0.4)  # a year
    t = np.arange(len(months)) / 12.0
    season = SEASON[[m.month - 1 for m in months]]
    return level * (1 + growth) ** t * season * np.exp(rng.normal(0.0, 0.08, len(months)))


def _rows(series_id: str, shape: str, rng: np.random.Generator) -> Iterator[dict[str, object]]:
    months = _months(int(rng.choice(FIRST_YEARS)))
    values = dict(zip(months, _latent(rng, months), strict=True))
    years = sorted({m.year for m in months})
    for year in years:
        january = date(year, 1, 1)
        in_year = [m for m in months if m.year == year]
        complete = len(in_year) == 12
        if complete and (shape != "monthly" or year < years[0] + ANNUAL_ONLY_YEARS):
            yield _row(series_id, january, date(year, 12, 31), "year", sum(values[m] for m in in_year))
            if shape == "half_year":
                yield _row(series_id, january, date(year, 6, 30), "ytd", sum(values[m] for m in in_year[:6]))
            continue
        if shape != "monthly" or year < years[0] + ANNUAL_ONLY_YEARS:
            continue  # the year under way of an annual or half-year series: nothing yet
        total = 0.0
        for month in in_year:
            total += values[month]
            end = _month_end(month)
            if month.month == 1:
                continue  # released with February
            if month.month > 2 and rng.random() < MONTH_SHOWN:
                yield _row(series_id, month, end, "month", values[month])
            if month.month == 12:
                yield _row(series_id, january, end, "year", total)
            elif month.month == 2 or rng.random() < YTD_SHOWN:
                yield _row(series_id, january, end, "ytd", total)


def made_up_series(count: int, distinct: int | None = None, seed: int = 21) -> list[MadeUpSeries]:
    """`count` made-up series ``scale_00000``...; series k repeats the figures of series k mod `distinct` (all distinct when None)."""
    out = []
    for k in range(count):
        source = k if distinct is None else k % distinct
        rng = np.random.default_rng([seed, source])
        shape = SHAPES[int(rng.choice(len(SHAPES), p=SHAPE_WEIGHTS))]
        series_id = f"scale_{k:05d}"
        out.append(MadeUpSeries(series_id, shape, tuple(_rows(series_id, shape, rng))))
    return out


def series_row(series: MadeUpSeries) -> dict[str, object]:
    return {
        "id": series.id,
        "entity": f"made-up entity {series.id}",
        "measure": "vehicle exports",
        "basis": "company",
        "segment": "all vehicles",
        "unit": "vehicles",
        "description": f"made-up {series.shape} series for bench/scale.py (test data, not reported figures)",
        "lends_prior": False,
    }


def write_data_dir(folder: Path, series: Sequence[MadeUpSeries]) -> Path:
    """The series as a data/-format folder (series.csv, observations.csv, an empty targets.csv) under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SERIES_FILE).write_text(_table(SERIES_COLUMNS, (series_row(s) for s in series)), encoding="utf-8")
    rows = (row for s in series for row in s.rows)
    (folder / OBSERVATIONS_FILE).write_text(_table(OBSERVATION_COLUMNS, rows), encoding="utf-8")
    (folder / TARGETS_FILE).write_text(_table(TARGET_COLUMNS, ()), encoding="utf-8")
    return folder
