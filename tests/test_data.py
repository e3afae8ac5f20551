"""Reading data/: the real files load, bad rows are named precisely, derived figures are right."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from forecast.data import (
    OBSERVATION_COLUMNS,
    OBSERVATIONS_FILE,
    derive_base_observations,
    load_directory,
    observations_from_rows,
    parse_observations,
    parse_series,
)
from forecast.domain import Aggregation, Kind, Period, Qualifier, add_months, agree_within_rounding, month_end, rounding_unit
from forecast.errors import DataError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

SERIES_CSV = """\
id,entity,measure,basis,segment,unit,description
china_exports_caam,China,vehicle exports,caam,all vehicles,vehicles,CAAM count
china_exports_gac,China,vehicle exports,customs,all vehicles,vehicles,customs count
"""

# A good row: CAAM October 2024, as MENAFN reported it.
GOOD_ROW = {
    "series_id": "china_exports_caam",
    "period_start": "2024-10-01",
    "period_end": "2024-10-31",
    "aggregation": "month",
    "kind": "level",
    "value": "542000",
    "unit": "vehicles",
    "qualifier": "exact",
    "yoy_pct": "11.1",
    "mom_pct": "",
    "source_publisher": "MENAFN",
    "source_url": "https://menafn.com/1108878481",
    "source_file": "",
    "published_date": "2024-11-12",
    "published_date_estimated": "",
    "disputed": "false",
    "note": "",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD_ROW, **changes}


def observations_csv(*rows: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OBSERVATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def series():
    return parse_series(SERIES_CSV)


@pytest.fixture(scope="module")
def real():
    return load_directory(DATA_DIR)


def rejection(series, *rows: dict[str, str], source: str = OBSERVATIONS_FILE) -> DataError:
    with pytest.raises(DataError) as caught:
        parse_observations(observations_csv(*rows), series, source=source)
    return caught.value


# The real data/ directory -------------------------------------------------------------------


def test_the_real_data_directory_loads_every_row(real):
    series, observations, targets = real
    with (DATA_DIR / "series.csv").open(encoding="utf-8") as handle:
        assert len(series) == sum(1 for _ in csv.DictReader(handle))
    with (DATA_DIR / "observations.csv").open(encoding="utf-8") as handle:
        assert len(observations) == sum(1 for _ in csv.DictReader(handle))
    with (DATA_DIR / "targets.csv").open(encoding="utf-8") as handle:
        assert len(targets) == sum(1 for _ in csv.DictReader(handle))


def test_every_series_has_a_level_figure_unless_it_is_growth_only(real):
    series, observations, _ = real
    kinds = defaultdict(set)
    for observation in observations:
        kinds[observation.series_id].add(observation.kind)
    growth_only = {series_id for series_id, item in series.items() if "growth rates only" in item.description}
    assert growth_only == {"chongqing_nev_exports", "dongfeng_exports"}
    for series_id in series:
        if series_id in growth_only:
            assert kinds[series_id] <= {Kind.YOY_PCT, Kind.MOM_PCT}, series_id
        else:
            assert Kind.LEVEL in kinds[series_id], f"{series_id} has no level figure"


def test_every_seed_article_from_000_to_004_is_cited(real):
    _, observations, _ = real
    cited = {o.source.seed_file[:3] for o in observations if o.source.seed_file}
    assert {"000", "001", "002", "003", "004"} <= cited
    assert {o.source.reference for o in observations if o.source.seed_file[:3] == "000"} == {"seed:000_46fb8e2fee177be0.txt"}


def test_a_bad_row_appended_to_the_real_file_is_named_by_its_line_and_nothing_is_returned(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "data")
    path = tmp_path / "data" / "observations.csv"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    bad_line = len(text.splitlines()) + 1
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=OBSERVATION_COLUMNS, lineterminator="\n").writerow(row(value="-1"))
    with pytest.raises(DataError) as caught:
        load_directory(tmp_path / "data")
    assert (caught.value.source, caught.value.line, caught.value.field) == ("observations.csv", bad_line, "value")


# Each kind of bad row --------------------------------------------------------------------------


def test_an_unknown_unit_names_the_line_and_field(series):
    error = rejection(series, row(unit="cars"))
    assert (error.source, error.line, error.field) == ("observations.csv", 2, "unit")
    assert "unknown unit 'cars'" in error.reason


def test_a_period_ending_before_it_starts_names_period_end(series):
    error = rejection(series, row(), row(period_start="2024-10-31", period_end="2024-10-01"))
    assert (error.line, error.field) == (3, "period_end")
    assert error.reason == "2024-10-01 is before period_start 2024-10-31"


def test_a_negative_volume_names_the_line_and_field(series):
    error = rejection(series, row(), row(source_publisher="Other"), row(value="-542000"), source="ingest batch")
    assert (error.source, error.line, error.field) == ("ingest batch", 4, "value")
    assert error.reason == "a volume cannot be negative (-542000)"


def test_a_value_that_is_not_a_number_names_the_value_field(series):
    error = rejection(series, row(value="about half a million"))
    assert (error.line, error.field) == (2, "value")
    assert error.reason == "'about half a million' is not a number"


def test_an_unknown_series_names_the_series_id_field(series):
    error = rejection(series, row(series_id="mars_exports"))
    assert (error.line, error.field) == (2, "series_id")
    assert error.reason.startswith("unknown series 'mars_exports'")


def test_the_same_row_twice_is_a_duplicate_naming_the_first_line(series):
    error = rejection(series, row(), row())
    assert (error.line, error.field) == (3, "series_id")
    assert error.reason.startswith("duplicate of line 2")


def test_a_month_on_month_rate_on_a_year_to_date_row_has_no_base(series):
    ytd = row(period_start="2024-01-01", period_end="2024-10-31", aggregation="ytd", value="4860000", mom_pct="6.6")
    error = rejection(series, row(), ytd)
    assert (error.line, error.field) == (3, "mom_pct")
    assert "growth rate without a base" in error.reason


@pytest.mark.parametrize(
    ("start", "end", "aggregation", "why"),
    [
        ("2024-01-01", "2024-02-29", "month", "a month must run from the 1st to the last day of one month"),
        ("2024-01-15", "2024-02-14", "month", "a month must run from the 1st to the last day of one month"),
        ("2024-02-01", "2024-04-30", "quarter", "a quarter must cover one calendar quarter"),
        ("2024-02-01", "2024-10-31", "ytd", "a year-to-date figure must start on 1 January of its year"),
        ("2024-01-01", "2024-12-30", "year", "a year must run from 1 January to 31 December"),
    ],
    ids=["month-spanning-two-months", "mid-month-to-mid-month", "quarter-off-by-a-month", "ytd-from-february", "short-year"],
)
def test_an_aggregation_that_does_not_fit_its_period_names_the_aggregation_field(series, start, end, aggregation, why):
    error = rejection(series, row(period_start=start, period_end=end, aggregation=aggregation, yoy_pct=""))
    assert (error.line, error.field) == (2, "aggregation")
    assert error.reason.endswith(why)


def test_a_row_with_neither_url_nor_seed_file_has_no_source(series):
    error = rejection(series, row(), row(source_publisher="Anonymous", source_url="", source_file=""))
    assert (error.line, error.field) == (3, "source_url")
    assert "needs a source_url or a source_file" in error.reason


def test_the_error_message_says_file_line_field_and_reason(series):
    error = rejection(series, row(value="-1"))
    assert str(error) == "observations.csv, line 2, field 'value': a volume cannot be negative (-1)"
    assert error.as_dict() == {
        "source": "observations.csv",
        "line": 2,
        "field": "value",
        "reason": "a volume cannot be negative (-1)",
    }


def test_a_note_spanning_two_lines_does_not_shift_the_line_of_a_later_bad_row(series):
    error = rejection(series, row(note="first line\nsecond line"), row(source_publisher="Other", value="-1"))
    assert error.line == 4


def test_a_file_with_good_rows_then_one_bad_row_raises_instead_of_returning_the_good_ones(series):
    text = observations_csv(row(), row(source_publisher="Other"), row(unit="cars"))
    with pytest.raises(DataError):
        parse_observations(text, series)


# Publication dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("2024-10-01", "2024-10-31", date(2024, 11, 12)), ("2024-12-01", "2024-12-31", date(2025, 1, 12))],
    ids=["october", "december-into-next-year"],
)
def test_a_caam_month_without_a_publication_date_is_dated_the_12th_of_the_next_month(series, start, end, expected):
    (observation,) = parse_observations(observations_csv(row(period_start=start, period_end=end, published_date="")), series)
    assert observation.vintage == expected
    assert observation.source.published_date == expected
    assert observation.source.published_date_estimated is True


def test_a_reported_publication_date_is_the_vintage_and_not_an_estimate(series):
    (observation,) = parse_observations(observations_csv(row()), series)
    assert observation.vintage == date(2024, 11, 12)
    assert observation.source.published_date_estimated is False


def test_an_undated_figure_sent_in_later_takes_the_day_it_was_loaded(series):
    text = observations_csv(row(published_date=""))
    (observation,) = parse_observations(text, series, loaded_on=date(2025, 1, 5))
    assert observation.vintage == date(2025, 1, 5)
    assert observation.source.published_date_estimated is False


def test_an_undated_caam_month_in_the_real_data_is_marked_estimated(real):
    _, observations, _ = real
    (march,) = [o for o in observations if o.series_id == "china_exports_caam" and o.period == Period(date(2025, 3, 1), date(2025, 3, 31))]
    assert march.vintage == date(2025, 4, 12)
    assert march.source.published_date_estimated is True


# Figures derived from growth rates --------------------------------------------------------------


def test_551000_at_plus_14_5_percent_year_on_year_implies_481223_a_year_earlier(series):
    may = row(
        period_start="2025-05-01", period_end="2025-05-31", value="551000", yoy_pct="14.5", mom_pct="6.6", published_date="2025-06-12"
    )
    (source,) = parse_observations(observations_csv(may), series)
    derived = {o.period: o for o in derive_base_observations([source])}
    year_earlier = derived[Period(date(2024, 5, 1), date(2024, 5, 31))]
    assert year_earlier.value == pytest.approx(481222.7, abs=0.05)  # 551000 / 1.145 = 481222.71
    assert year_earlier.aggregation is Aggregation.MONTH
    assert year_earlier.kind is Kind.LEVEL
    assert year_earlier.qualifier is Qualifier.APPROX
    assert year_earlier.derived_from == (source.key,)
    assert year_earlier.vintage == source.vintage == date(2025, 6, 12)
    assert year_earlier.uncertainty > 0


def test_551000_at_plus_6_6_percent_month_on_month_implies_516886_the_month_before(series):
    may = row(period_start="2025-05-01", period_end="2025-05-31", value="551000", yoy_pct="", mom_pct="6.6", published_date="2025-06-12")
    (source,) = parse_observations(observations_csv(may), series)
    (previous,) = derive_base_observations([source])
    assert previous.period == Period(date(2025, 4, 1), date(2025, 4, 30))
    assert previous.value == pytest.approx(516885.6, abs=0.05)  # 551000 / 1.066 = 516885.55
    assert previous.derived_from == (source.key,)
    assert previous.vintage == source.vintage
    assert previous.is_derived and not source.is_derived


def test_a_derived_figure_is_not_derived_from_again(series):
    (source,) = parse_observations(observations_csv(row(yoy_pct="11.1")), series)
    derived = derive_base_observations([source])
    assert len(derived) == 1
    assert derive_base_observations(derived) == []


def test_caam_april_2025_as_reported_agrees_with_the_figure_may_implies(real):
    _, observations, _ = real
    april = Period(date(2025, 4, 1), date(2025, 4, 30))
    (reported,) = [o for o in observations if o.series_id == "china_exports_caam" and o.period == april and o.kind is Kind.LEVEL]
    assert reported.value == 517000
    seed_may = [o for o in observations if o.series_id == "china_exports_caam" and o.period.start == date(2025, 5, 1) and o.mom_pct == 6.6]
    assert [o.source.seed_file[:3] for o in seed_may] == ["002"]
    (implied,) = [o for o in derive_base_observations(observations) if o.derived_from == (seed_may[0].key,) and o.period == april]
    assert implied.value == pytest.approx(516885.6, abs=0.05)
    assert agree_within_rounding(implied, reported)
    assert agree_within_rounding(reported, implied)


# data/README.md's counts and section 1a -------------------------------------------------------


def readme_section(heading: str) -> list[str]:
    """The lines under a heading of data/README.md, up to the next rule (---)."""
    lines = (DATA_DIR / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(heading) + 1
    return list(itertools.takewhile(lambda line: line != "---", lines[start:]))


def test_the_readme_counts_of_series_observations_and_targets_match_the_files(real):
    series, observations, targets = real
    text = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    found = re.search(r"there are (\d+) series, (\d+) observations \(.*?\) and (\d+) targets", text)
    assert found, "the counts sentence of section 1 is missing"
    assert tuple(map(int, found.groups())) == (len(series), len(observations), len(targets))


def test_the_readme_reach_and_density_table_matches_the_files(real):
    series, observations, _ = real
    table = [line for line in readme_section("### 1a. Reach and density per series") if line.startswith("|")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    years = [int(cell) for cell in header if cell.isdigit()]
    documented = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = cells[1:]
    computed = {}
    for series_id in series:
        rows = [o for o in observations if o.series_id == series_id]
        levels = [o for o in rows if o.kind is Kind.LEVEL]
        cells_by_year = defaultdict(set)
        for o in levels:
            cells_by_year[o.period.end.year].add((o.period, o.aggregation))
        computed[series_id] = [
            str(len(rows)),
            str(len(levels)),
            min(o.period.start for o in rows).isoformat(),
            max(o.period.end for o in rows).isoformat(),
            *(str(len(cells_by_year[year])) for year in years),
        ]
    assert computed == documented


# data/README.md's freshness table -----------------------------------------------------------
# Section 8 lists, per carmaker, the month-ends at which no figure of its series was fresh: published
# by that day, for a period ending at most four months earlier. The table is worked out again here
# from the files, so a row added to observations.csv and a README left as it was cannot disagree.

FRESHNESS_HEADING = re.compile(r"^### Freshness at month-ends \((\d{4})-(\d{2}) to (\d{4})-(\d{2})\)$")
FRESH_FOR_MONTHS = 4


def freshness_table() -> tuple[list[date], dict[str, tuple[list[str], list[str]]]]:
    """The month-ends the README's table spans, and per carmaker its series and the month-ends it lists."""
    lines = (DATA_DIR / "README.md").read_text(encoding="utf-8").splitlines()
    (start,) = [i for i, line in enumerate(lines) if FRESHNESS_HEADING.match(line)]
    first_year, first_month, last_year, last_month = map(int, FRESHNESS_HEADING.match(lines[start]).groups())  # type: ignore[union-attr]
    after = itertools.dropwhile(lambda line: not line.startswith("|"), lines[start + 1 :])
    table_rows = list(itertools.takewhile(lambda line: line.startswith("|"), after))[2:]  # past header and rule
    table = {}
    for line in table_rows:
        carmaker, series_cell, listed_cell = (cell.strip() for cell in line.strip("|").split("|"))
        table[carmaker] = (re.findall(r"`([a-z0-9_]+)`", series_cell), listed_months(listed_cell))
    ends, month = [], date(first_year, first_month, 1)
    while month <= date(last_year, last_month, 1):
        ends.append(month_end(month.year, month.month))
        month = add_months(month, 1)
    return ends, table


def listed_months(cell: str) -> list[str]:
    """'2024-07, 2025-05 to 2025-07' as ['2024-07', '2025-05', '2025-06', '2025-07']; 'none' as []."""
    if cell == "none":
        return []
    months = []
    for part in cell.split(", "):
        first, _, last = part.partition(" to ")
        month, stop = date.fromisoformat(f"{first}-01"), date.fromisoformat(f"{last or first}-01")
        while month <= stop:
            months.append(month.isoformat()[:7])
            month = add_months(month, 1)
    return months


def uncovered_month_ends(observations, series_ids: list[str], ends: list[date]) -> list[str]:
    levels = [o for o in observations if o.series_id in series_ids and o.kind is Kind.LEVEL and not o.disputed]
    return [
        end.isoformat()[:7]
        for end in ends
        if not any(o.vintage <= end and o.period.end >= month_end(*months_before(end, FRESH_FOR_MONTHS)) for o in levels)
    ]


def months_before(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 - months
    return index // 12, index % 12 + 1


def test_the_readme_freshness_table_lists_exactly_the_month_ends_the_files_leave_uncovered(real):
    _, observations, _ = real
    ends, table = freshness_table()
    assert table, "no rows under the freshness heading"
    computed = {carmaker: uncovered_month_ends(observations, series_ids, ends) for carmaker, (series_ids, _) in table.items()}
    assert computed == {carmaker: listed for carmaker, (_, listed) in table.items()}


def test_the_freshness_table_covers_every_carmaker_series_a_current_target_is_bound_to(real):
    series, _, targets = real
    _, table = freshness_table()
    in_table = {series_id for series_ids, _ in table.values() for series_id in series_ids}
    assert in_table <= series.keys()
    bound = {
        t.series_id
        for t in targets
        if t.deadline_year >= 2025
        and t.series_id
        and series[t.series_id].basis.value == "company"
        and series[t.series_id].measure in ("overseas sales", "exports")
    }
    assert bound and bound <= in_table


def test_a_month_range_in_the_freshness_table_reads_as_every_month_in_it():
    assert listed_months("2024-11, 2025-05 to 2025-07") == ["2024-11", "2025-05", "2025-06", "2025-07"]
    assert listed_months("2025-11 to 2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert listed_months("none") == []


# Rounding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit"),
    [(4_910_000, 10_000), (4_700_000, 100_000), (551_000, 1_000), (318_553, 1)],
)
def test_the_rounding_unit_is_read_from_trailing_zeros_but_never_coarser_than_two_digits(value, unit):
    assert rounding_unit(value) == unit


# Rows sent as JSON (ingest) pass the same checks ------------------------------------------------

NUMBER_COLUMNS = ("value", "yoy_pct", "mom_pct")
FLAG_COLUMNS = ("published_date_estimated", "disputed")


def as_json(csv_row: dict[str, str]) -> dict[str, object]:
    """A CSV row as a client would send it: numbers as numbers, flags as booleans, blanks as null; through JSON and back."""
    typed: dict[str, object] = {}
    for column, raw in csv_row.items():
        if not raw.strip():
            typed[column] = None
        elif column in NUMBER_COLUMNS:
            typed[column] = float(raw.replace(",", ""))
        elif column in FLAG_COLUMNS:
            typed[column] = raw.strip().lower() in ("true", "yes", "1")
        else:
            typed[column] = raw
    return json.loads(json.dumps(typed))


def json_rejection(series, *rows: dict[str, object]) -> DataError:
    with pytest.raises(DataError) as caught:
        observations_from_rows(rows, series)
    return caught.value


def test_every_row_of_observations_csv_sent_as_json_rows_gives_the_same_figures_and_derived_figures(real):
    series, from_file, _ = real
    text = (DATA_DIR / "observations.csv").read_text(encoding="utf-8")
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert parse_observations(text, series) == from_file
    as_text = observations_from_rows(csv_rows, series, source="request")
    typed = observations_from_rows([as_json(r) for r in csv_rows], series, source="request")
    assert len(typed) == len(csv_rows) == len(from_file)
    assert as_text == from_file
    assert typed == from_file
    assert derive_base_observations(typed) == derive_base_observations(from_file)
    assert any(o.yoy_pct is not None for o in typed) and any(o.source.published_date_estimated for o in typed)


def test_a_bad_json_row_is_named_by_its_index_and_field_not_by_a_line(series):
    error = json_rejection(series, as_json(row()), as_json(row(source_publisher="Other", value="-1")))
    assert (error.source, error.row, error.line, error.field) == ("request", 1, 0, "value")
    assert str(error) == "request, row 1, field 'value': a volume cannot be negative (-1)"
    assert error.as_dict()["row"] == 1


def test_a_json_row_with_an_unknown_column_is_refused_naming_the_column(series):
    error = json_rejection(series, as_json(row()), {**as_json(row(source_publisher="Other")), "colour": "red"})
    assert (error.row, error.field, error.reason) == (1, "colour", "unknown column")


def test_a_json_row_with_a_column_missing_is_refused_naming_the_column(series):
    missing = {k: v for k, v in as_json(row()).items() if k != "qualifier"}
    error = json_rejection(series, missing)
    assert (error.row, error.field) == (0, "qualifier")
    assert error.reason.startswith("column is missing")


def test_the_same_json_row_twice_is_a_duplicate_naming_the_first_row(series):
    error = json_rejection(series, as_json(row(source_publisher="Other")), as_json(row()), as_json(row()))
    assert (error.row, error.field) == (2, "series_id")
    assert error.reason.startswith("duplicate of row 1")


def test_a_json_value_that_is_a_list_is_refused_naming_the_field(series):
    error = json_rejection(series, {**as_json(row()), "value": [542000]})
    assert (error.row, error.field) == (0, "value")
    assert "list" in error.reason


def test_json_numbers_flags_and_nulls_read_as_their_csv_text(series):
    sent = {**as_json(row(published_date="")), "value": 542000, "disputed": True, "yoy_pct": 11.1}
    (observation,) = observations_from_rows([sent], series, loaded_on=date(2025, 1, 5))
    (from_csv,) = parse_observations(observations_csv(row(published_date="", disputed="true")), series, loaded_on=date(2025, 1, 5))
    assert observation == from_csv
    assert (observation.value, observation.yoy_pct, observation.disputed) == (542000.0, 11.1, True)
    assert observation.vintage == date(2025, 1, 5)
