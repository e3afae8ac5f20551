"""A small made-up data folder (test figures, not reported ones) that fits in seconds, for tests that need a
fitted service or a real server without the minute the real data/ takes.

Two yearly series (the lender and one carmaker), 2014-2024, growing 8% a year, all published on one day, so
there are no as-of replays to compute: a full refit takes about four seconds on this machine. Tests that need
more pass a third series, other years, or a release each year.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from forecast.data import OBSERVATION_COLUMNS

SERIES = ("lender_exports", "maker_a_exports")
MORE_SERIES = (*SERIES, "maker_b_exports")  # a third series for the tests that want one; levels follow this order
YEARS = range(2014, 2025)
PUBLISHED = "2025-01-20"
TARGETS_HEADER = (Path(__file__).resolve().parent.parent / "data" / "targets.csv").read_text().splitlines()[0]


def made_up_value(series_id: str, year: int) -> int:
    return round(100_000 * (MORE_SERIES.index(series_id) + 1) * 1.08 ** (year - 2012))


def made_up_row(series_id: str, year: int, url: str, published: str = PUBLISHED) -> dict[str, str]:
    """One year's figure of a made-up series, as a row of data/observations.csv (or of an ingest batch)."""
    return {
        "series_id": series_id,
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "aggregation": "year",
        "kind": "level",
        "value": str(made_up_value(series_id, year)),
        "unit": "vehicles",
        "qualifier": "exact",
        "source_publisher": "test fixture",
        "source_url": url,
        "published_date": published,
        "published_date_estimated": "false",
        "disputed": "false",
    }


def _csv_line(row: Mapping[str, str]) -> str:
    return ",".join(row.get(column, "") for column in OBSERVATION_COLUMNS)


def write_made_up_data(folder: Path, series: tuple[str, ...] = SERIES, years: range = YEARS, yearly_releases: bool = False) -> Path:
    """series.csv, observations.csv and an empty targets.csv in `folder` (created). All figures are published on
    one day (PUBLISHED), or with `yearly_releases` each year in the January after it (as-of replays then differ)."""
    folder.mkdir(parents=True)
    lines = ["id,entity,measure,basis,segment,unit,description,lends_prior,part_of"]
    lines += [
        f"{sid},{sid.split('_')[0]},vehicle exports,company,all vehicles,vehicles,made-up test series,{'true' if i == 0 else 'false'},"
        for i, sid in enumerate(series)
    ]
    (folder / "series.csv").write_text("\n".join(lines) + "\n")
    rows = [",".join(OBSERVATION_COLUMNS)]
    rows += [
        _csv_line(made_up_row(sid, year, f"https://example.test/{sid}/{year}", f"{year + 1}-01-20" if yearly_releases else PUBLISHED))
        for sid in series
        for year in years
    ]
    (folder / "observations.csv").write_text("\n".join(rows) + "\n")
    (folder / "targets.csv").write_text(TARGETS_HEADER + "\n")
    return folder
