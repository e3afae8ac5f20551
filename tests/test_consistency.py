"""Consistency checks: the conflicts in the real data are caught and resolved by the documented rules."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from forecast.catalog import Catalog
from forecast.data import OBSERVATION_COLUMNS, load_directory, parse_observations, parse_series
from forecast.domain import Period

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
Q1_2023 = Period(date(2023, 1, 1), date(2023, 3, 31))
SEED_000 = "000_46fb8e2fee177be0.txt"

SERIES_CSV = """\
id,entity,measure,basis,segment,unit,description
china_exports_caam,China,vehicle exports,caam,all vehicles,vehicles,CAAM count
"""


def caam(start: str, end: str, aggregation: str, value: str, qualifier: str = "exact", publisher: str = "MENAFN",
         url: str = "https://menafn.com/1108878481", seed: str = "", published: str = "2024-11-12") -> dict[str, str]:
    return {
        "series_id": "china_exports_caam", "period_start": start, "period_end": end, "aggregation": aggregation,
        "kind": "level", "value": value, "unit": "vehicles", "qualifier": qualifier, "source_publisher": publisher,
        "source_url": url, "source_file": seed, "published_date": published, "disputed": "false",
    }


def catalog_of(*rows: dict[str, str]) -> Catalog:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OBSERVATION_COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    series = parse_series(SERIES_CSV)
    return Catalog.build(series, parse_observations(buffer.getvalue(), series))


def checks(catalog: Catalog) -> list[str]:
    return [conflict.check for conflict in catalog.review.conflicts]


@pytest.fixture(scope="module")
def real() -> Catalog:
    series, observations, targets = load_directory(DATA_DIR)
    return Catalog.build(series, observations, targets)


def by_key(catalog: Catalog):
    return {o.key: o for o in catalog.reported}


def chosen(catalog: Catalog, series_id: str, period: Period, aggregation: str):
    (cell,) = [
        c for c in catalog.review.cells
        if c.chosen.series_id == series_id and c.chosen.period == period and c.chosen.aggregation.value == aggregation
    ]
    return cell.chosen


# The seed-000 case: CAAM's 2023 total credited to customs ------------------------------------------


def test_the_seed_000_customs_figure_of_4_91_million_is_flagged_as_a_basis_mixup(real):
    mixups = [c for c in real.review.conflicts if c.check == "basis_mixup"]
    (mixup,) = [c for c in mixups if c.series_id == "china_exports_gac" and c.period == YEAR_2023]
    assert "4,910,000" in mixup.detail
    flagged = by_key(real)[mixup.observation_keys[0]]
    assert flagged.source.seed_file == SEED_000
    assert flagged.value == 4_910_000
    assert mixup.kept_key != flagged.key


def test_customs_2023_keeps_the_5_22_million_customs_count_over_the_seed_000_figure(real):
    (disagreement,) = [
        c for c in real.review.conflicts
        if c.check == "disagreement" and c.series_id == "china_exports_gac" and c.period == YEAR_2023
    ]
    kept = by_key(real)[disagreement.kept_key]
    assert round(kept.value, -4) == 5_220_000
    assert kept.source.seed_file == ""
    losers = [by_key(real)[key] for key in disagreement.observation_keys if key != disagreement.kept_key]
    assert [(o.value, o.source.seed_file) for o in losers] == [(4_910_000, SEED_000)]
    assert disagreement.resolution.startswith("rule 2")


def test_the_seed_000_row_is_not_the_figure_used_for_customs_2023(real):
    used = chosen(real, "china_exports_gac", YEAR_2023, "year")
    assert used.source.seed_file != SEED_000
    assert used.value != 4_910_000
    assert round(used.value, -4) == 5_220_000


# Year-to-date totals ------------------------------------------------------------------------------


def test_4_7_million_for_january_to_september_in_the_caam_series_does_not_add_up_with_october():
    catalog = catalog_of(
        caam("2024-01-01", "2024-09-30", "ytd", "4700000", publisher="China Daily (seed article)", url="",
             seed=SEED_000, published="2024-11-28"),
        caam("2024-01-01", "2024-10-31", "ytd", "4860000", qualifier="approx"),
        caam("2024-10-01", "2024-10-31", "month", "542000"),
    )
    (conflict,) = [c for c in catalog.review.conflicts if c.check == "ytd_sum"]
    assert conflict.series_id == "china_exports_caam"
    assert conflict.period == Period(date(2024, 1, 1), date(2024, 10, 31))
    assert conflict.detail == "total 4,860,000 but its parts add to 5,242,000"
    assert set(conflict.observation_keys) == {o.key for o in catalog.reported}


def test_caams_own_january_to_september_of_about_4_32_million_adds_up_with_october():
    catalog = catalog_of(
        caam("2024-01-01", "2024-09-30", "ytd", "4320000", published="2024-10-11"),
        caam("2024-01-01", "2024-10-31", "ytd", "4860000", qualifier="approx"),
        caam("2024-10-01", "2024-10-31", "month", "542000"),
    )
    assert checks(catalog) == []


def test_a_year_below_its_year_to_date_total_is_flagged():
    catalog = catalog_of(
        caam("2024-01-01", "2024-11-30", "ytd", "5500000", published="2024-12-11"),
        caam("2024-01-01", "2024-12-31", "year", "5000000", published="2025-01-13"),
    )
    (conflict,) = catalog.review.conflicts
    assert conflict.check == "year_below_ytd"
    assert conflict.period == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert "5,000,000" in conflict.detail and "5,500,000" in conflict.detail


def test_a_year_to_date_total_falling_within_a_year_is_flagged():
    catalog = catalog_of(
        caam("2024-01-01", "2024-10-31", "ytd", "4860000"),
        caam("2024-01-01", "2024-11-30", "ytd", "4500000", published="2024-12-11"),
    )
    (conflict,) = catalog.review.conflicts
    assert conflict.check == "ytd_decreasing"
    assert conflict.period == Period(date(2024, 1, 1), date(2024, 11, 30))


def test_year_to_date_totals_that_rise_and_add_up_raise_nothing():
    catalog = catalog_of(
        caam("2024-01-01", "2024-10-31", "ytd", "4860000", qualifier="approx"),
        caam("2024-11-01", "2024-11-30", "month", "533000", published="2024-12-11"),
        caam("2024-01-01", "2024-11-30", "ytd", "5390000", published="2024-12-11"),
        caam("2024-01-01", "2024-12-31", "year", "5859000", published="2025-01-13"),
    )
    assert checks(catalog) == []


# Resolution rules ---------------------------------------------------------------------------------


def test_a_disputed_figure_loses_caam_q1_2023_keeps_994000_over_1_07_million(real):
    (conflict,) = [
        c for c in real.review.conflicts
        if c.check == "disagreement" and c.series_id == "china_exports_caam" and c.period == Q1_2023
    ]
    figures = by_key(real)
    assert figures[conflict.kept_key].value == 994_000
    (loser,) = [figures[key] for key in conflict.observation_keys if figures[key].value == 1_070_000]
    assert loser.disputed
    assert conflict.resolution.startswith("rule 1")
    assert chosen(real, "china_exports_caam", Q1_2023, "ytd").value == 994_000


def test_the_real_data_has_no_conflict_between_caam_april_2025_and_the_rate_may_implies(real):
    april = Period(date(2025, 4, 1), date(2025, 4, 30))
    assert not [c for c in real.review.conflicts if c.series_id == "china_exports_caam" and c.period == april]
    assert chosen(real, "china_exports_caam", april, "month").value == 517_000
