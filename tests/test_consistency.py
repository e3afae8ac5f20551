"""Consistency checks: the conflicts in the real data are caught and resolved by the documented rules."""

from __future__ import annotations

import csv
import io
from dataclasses import replace as dataclass_replace
from datetime import date
from pathlib import Path

import pytest

from forecast.catalog import Catalog
from forecast.consistency import agreeing_groups
from forecast.data import OBSERVATION_COLUMNS, load_directory, parse_observations, parse_series
from forecast.domain import Period, Qualifier, Source
from forecast.publishers import publisher_identities
from forecast.tolerance import Figure, Interval, rate_interval

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
Q1_2023 = Period(date(2023, 1, 1), date(2023, 3, 31))
SEED_000 = "000_46fb8e2fee177be0.txt"

SERIES_CSV = """\
id,entity,measure,basis,segment,unit,description
china_exports_caam,China,vehicle exports,caam,all vehicles,vehicles,CAAM count
"""


def caam(
    start: str,
    end: str,
    aggregation: str,
    value: str,
    qualifier: str = "exact",
    publisher: str = "MENAFN",
    url: str = "https://menafn.com/1108878481",
    seed: str = "",
    published: str = "2024-11-12",
) -> dict[str, str]:
    return {
        "series_id": "china_exports_caam",
        "period_start": start,
        "period_end": end,
        "aggregation": aggregation,
        "kind": "level",
        "value": value,
        "unit": "vehicles",
        "qualifier": qualifier,
        "source_publisher": publisher,
        "source_url": url,
        "source_file": seed,
        "published_date": published,
        "disputed": "false",
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
        c
        for c in catalog.review.cells
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
        c for c in real.review.conflicts if c.check == "disagreement" and c.series_id == "china_exports_gac" and c.period == YEAR_2023
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
        caam(
            "2024-01-01",
            "2024-09-30",
            "ytd",
            "4700000",
            publisher="China Daily (seed article)",
            url="",
            seed=SEED_000,
            published="2024-11-28",
        ),
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
        c for c in real.review.conflicts if c.check == "disagreement" and c.series_id == "china_exports_caam" and c.period == Q1_2023
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


# Issue 23, item 4 ---------------------------------------------------------------------------------
# Each test below reads the real rows of data/observations.csv.

YEAR_2013 = Period(date(2013, 1, 1), date(2013, 12, 31))
YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))
JAN_AUG_2024 = Period(date(2024, 1, 1), date(2024, 8, 31))
JAN_AUG_2025 = Period(date(2025, 1, 1), date(2025, 8, 31))
MAY_2025 = Period(date(2025, 5, 1), date(2025, 5, 31))


def rows(catalog: Catalog, series_id: str, period: Period, value: float | None = None):
    return [o for o in catalog.reported if o.series_id == series_id and o.period == period and (value is None or o.value == value)]


def conflicts(catalog: Catalog, check: str, series_id: str, period: Period):
    return [c for c in catalog.review.conflicts if (c.check, c.series_id, c.period) == (check, series_id, period)]


# 1. A CAAM count filed as customs, with no second customs figure to trip over ---------------------


def test_china_dailys_customs_977_300_for_2013_is_caams_count_by_the_customs_2014_growth_rate(real):
    (filed,) = rows(real, "china_exports_gac", YEAR_2013)  # the only customs figure for 2013
    (mixup,) = conflicts(real, "basis_mixup", "china_exports_gac", YEAR_2013)
    assert mixup.observation_keys[0] == filed.key and filed.value == 977_300
    involved = [by_key(real)[key] for key in mixup.observation_keys[1:]]
    assert ("china_exports_caam", 977_300) in {(o.series_id, o.value) for o in involved}
    (customs_2014,) = [o for o in involved if o.series_id == "china_exports_gac"]
    assert (customs_2014.value, customs_2014.yoy_pct, customs_2014.period.start.year) == (897_000, -2.8, 2014)
    assert "implies 921,851 to 923,829" in mixup.detail


def test_customs_2013_is_fitted_on_the_922_800_the_2014_rate_implies_not_on_caams_977_300(real):
    used = chosen(real, "china_exports_gac", YEAR_2013, "year")
    assert used.is_derived and round(used.value, -2) == 922_800
    assert by_key(real)[used.derived_from[0]].value == 897_000
    (mixup,) = conflicts(real, "basis_mixup", "china_exports_gac", YEAR_2013)
    assert mixup.kept_key == used.key
    assert 977_300 not in {o.value for o in real.fit_figures("china_exports_gac")}
    assert real.conflicts_for(rows(real, "china_exports_gac", YEAR_2013)[0]) == [mixup]


# 2. Two exact figures that disagree, joined by a lower bound; aggregate checks on every candidate --


def test_the_over_7_million_bounds_fit_both_2025_totals_but_never_join_7_06_and_7_098_million(real):
    figures = [Figure.reported(o) for o in rows(real, "china_exports_caam", YEAR_2025)]
    groups = agreeing_groups(figures)
    exact = sorted(sorted({f.observation.value for f in g if f.observation.qualifier is Qualifier.EXACT}) for g in groups)
    assert exact == [[7_060_000], [7_098_000]]
    assert all(sum(f.observation.qualifier is Qualifier.LOWER_BOUND for f in g) == 3 for g in groups)


def test_ecgs_7_06_million_for_2025_is_listed_against_caams_7_098_million_and_loses(real):
    (conflict,) = conflicts(real, "disagreement", "china_exports_caam", YEAR_2025)
    figures = by_key(real)
    losers = [figures[key] for key in conflict.observation_keys if key != conflict.kept_key]
    assert [(o.value, o.source.publisher) for o in losers] == [(7_060_000, "ECG")]
    assert figures[conflict.kept_key].value == 7_098_000
    assert conflict.resolution.startswith("rule 3") and "counting 3 loose figure(s) that fit both" in conflict.resolution
    assert chosen(real, "china_exports_caam", YEAR_2025, "year").value == 7_098_000


def test_ecgs_7_06_million_is_tested_against_the_months_though_it_is_not_the_figure_used(real):
    (ecg,) = rows(real, "china_exports_caam", YEAR_2025, 7_060_000)
    tested = [c for c in conflicts(real, "ytd_sum", "china_exports_caam", YEAR_2025) if c.observation_keys[0] == ecg.key]
    (conflict,) = tested
    assert conflict.detail.startswith("total 7,060,000 but its parts add to 7,096,000")
    parts = {(o.period.start.month, o.period.end.month, o.value) for o in map(by_key(real).get, conflict.observation_keys[1:]) if o}
    assert {(1, 11, 6_343_000), (12, 12, 753_000)} <= parts
    assert by_key(real)[conflict.kept_key].value == 7_098_000


def test_byd_may_2025_lists_the_driven_88_640_against_89_047_despite_more_than_89_000(real):
    (conflict,) = conflicts(real, "disagreement", "byd_overseas_sales", MAY_2025)
    figures = by_key(real)
    assert [figures[k].value for k in conflict.observation_keys if k != conflict.kept_key] == [88_640]
    assert figures[conflict.kept_key].value == 89_047
    assert chosen(real, "byd_overseas_sales", MAY_2025, "month").value == 89_047


def test_geely_2025_keeps_the_figure_more_publishers_agree_on_and_lists_418_904_against_420_100(real):
    """Rule 3 (data/README.md section 5), worked out from the rows rather than a hard-coded pick.

    Libertatea's 418,904 and the 420,100 of several pages cannot both be true; Il Messaggero's
    420,000 fits both and counts for both groups. The group more independent publishers agree on
    is kept, and the conflict lists both values with the counts that decided it.
    """
    figures = [Figure.reported(o) for o in rows(real, "geely_auto_exports", YEAR_2025)]
    identity = publisher_identities(real.reported)
    groups = agreeing_groups(figures)
    assert len(groups) == 2

    def publishers(group) -> int:
        return len({identity[f.publisher] for f in group})

    def most_precise(group) -> float:
        return min(group, key=lambda f: f.interval.high - f.interval.low).observation.value

    assert sorted(most_precise(g) for g in groups) == [418_904, 420_100]
    assert all(any(f.observation.value == 420_000 for f in g) for g in groups)  # the loose figure sits in both
    winner, loser = sorted(groups, key=publishers, reverse=True)
    assert publishers(winner) > publishers(loser)  # rule 3 decides; a tie would go to rule 5
    assert most_precise(winner) == 420_100  # what data/README.md states for today's rows (5 publishers against 2)

    (conflict,) = conflicts(real, "disagreement", "geely_auto_exports", YEAR_2025)
    listed = {by_key(real)[k].value for k in conflict.observation_keys}
    assert {418_904, 420_100} <= listed
    assert by_key(real)[conflict.kept_key].value == most_precise(winner)
    assert conflict.resolution.startswith("rule 3")
    assert f"{publishers(winner)} publisher(s) against {publishers(loser)}" in conflict.resolution
    assert chosen(real, "geely_auto_exports", YEAR_2025, "year").value == most_precise(winner)


# 3. A growth rate off by a point: tolerance from its printed digits ------------------------------


def test_a_printed_rate_is_known_to_half_its_last_digit_and_a_multiple_to_two_significant_digits():
    assert (rate_interval(12.7).low, rate_interval(12.7).high) == (pytest.approx(12.65), pytest.approx(12.75))
    assert rate_interval(21) == Interval(20.5, 21.5)
    assert rate_interval(170) == Interval(165, 175)  # "2.7 times"


def test_steelorbis_plus_12_7_percent_for_january_to_august_2025_is_flagged_against_the_levels(real):
    (steelorbis,) = [o for o in rows(real, "china_exports_caam", JAN_AUG_2025) if o.yoy_pct == 12.7]
    (conflict,) = [c for c in conflicts(real, "derived_vs_reported", "china_exports_caam", JAN_AUG_2024)]
    assert conflict.observation_keys[0] == steelorbis.key
    assert "at +12.7% (SteelOrbis)" in conflict.detail
    assert "a rate of 13.54 to 13.95%" in conflict.detail  # the levels give about +13.75%
    involved = {(o.period.end, o.value) for o in map(by_key(real).get, conflict.observation_keys) if o}
    assert (date(2024, 8, 31), 511_000) in involved  # August 2024, reported


def test_january_to_august_2024_is_fitted_on_the_base_the_13_7_percent_rate_implies(real):
    used = chosen(real, "china_exports_caam", JAN_AUG_2024, "ytd")
    assert used.is_derived and by_key(real)[used.derived_from[0]].yoy_pct == 13.7
    assert round(used.value, -3) == 3_775_000
    (conflict,) = conflicts(real, "derived_vs_reported", "china_exports_caam", JAN_AUG_2024)
    assert conflict.kept_key == used.key


# 4. One publisher, however spelled; a seed and its own web page are one source ------------------


def test_two_spellings_on_one_page_and_a_seed_with_its_web_page_are_one_publisher(real):
    identity = publisher_identities(real.reported)
    by_cell: dict = {}
    for o in real.reported:
        by_cell.setdefault(o.cell, []).append(o)
    same_page = set()
    for group in by_cell.values():
        for a in group:
            for b in group:
                if a.source.publisher < b.source.publisher and a.source.url and a.source.url == b.source.url:
                    same_page.add((a.source.publisher, b.source.publisher, a.cell))
    assert len(same_page) == 7
    assert all(identity[a] == identity[b] for a, b, _ in same_page)
    assert identity["Just Auto"] == identity["just-auto"]
    assert identity["China Daily (seed article)"] == identity["China Daily"]
    assert identity["PhoneAuto (seed article)"] == identity["PhoneAuto"]
    assert identity["Shangyou News / iChongqing (seed article)"] == identity["iChongqing"]
    assert identity["UrduPoint (Xinhua)"] != identity["Xinhua Spanish"]  # a credit in brackets is not an alias


def test_one_page_spelled_twice_counts_once_against_a_rival_figure(real):
    pair = rows(real, "china_exports_caam", Period(date(2019, 1, 1), date(2019, 5, 31)))
    assert {o.source.publisher for o in pair} == {"carzxzc.com (China Daily repost)", "carzxzc.com (Xinhua-style report)"}
    rival = dataclass_replace(
        pair[0],
        value=400_000.0,
        source=Source("Rival Wire", url="https://rival.example/1", published_date=date(2019, 6, 1)),
        vintage=date(2019, 6, 1),
    )
    catalog = Catalog.build(real.series, [*pair, rival])
    (conflict,) = [c for c in catalog.review.conflicts if c.check == "disagreement"]
    assert "(1 publisher(s) against 1)" in conflict.resolution
    assert conflict.resolution.startswith("rule 5")
    assert by_key(catalog)[conflict.kept_key].value == 392_000


def test_a_base_implied_by_a_bound_fills_a_cell_only_when_no_rate_gives_a_point_figure(real):
    q1_2022 = Period(date(2022, 1, 1), date(2022, 3, 31))
    used = chosen(real, "china_exports_gac", q1_2022, "ytd")
    source = by_key(real)[used.derived_from[0]]
    assert (source.value, source.yoy_pct, source.source.publisher) == (1_070_000, 58.3, "Global Times")
    assert used.qualifier is Qualifier.APPROX  # not WION's "over 1.1 million" at +58%
