"""Series and target definitions: the rows of data/series.csv and data/targets.csv, or the same rows sent as JSON.

One validator per kind of row, whichever way it came: `series_from_rows` and
`targets_from_rows` take rows read by `forecast.rows` from a CSV file or a JSON
batch and check each the same way. A batch is checked against what is known
already (the stored series and targets): one lender at most across both, a part
names a total that exists, a revision names a target that exists. Every bad row
is named (its first bad field and why) before anything is returned, so a batch
is kept whole or not at all. A row whose id is known with the same columns is
left out (sending a batch twice adds nothing); with other columns it is refused:
a definition does not change under its id (a revised target is a new target
that `supersedes` the old one).

`retired_on` and `retired_reason` (optional columns) say that an entity was
retired, and why: it stays, with its figures and assessments, but takes no new figures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from forecast.domain import Basis, Series, Source, Target
from forecast.errors import DataError
from forecast.rows import Row, read_csv_rows, read_json_rows

SERIES_FILE = "series.csv"
TARGETS_FILE = "targets.csv"

RETIREMENT_COLUMNS = ("retired_on", "retired_reason")
SERIES_COLUMNS = ("id", "entity", "measure", "basis", "segment", "unit", "description", "lends_prior", "part_of", *RETIREMENT_COLUMNS)
# Columns a series file written before the roles (or retirement) existed may leave out: read as blank.
SERIES_OPTIONAL_COLUMNS = frozenset({"lends_prior", "part_of", *RETIREMENT_COLUMNS})
TARGET_COLUMNS = (
    "target_id",
    "entity",
    "metric",
    "comparator",
    "threshold",
    "unit",
    "deadline_year",
    "stated_on",
    "series_id",
    "denominator_series_id",
    "supersedes",
    "source_publisher",
    "source_url",
    "source_file",
    "note",
    *RETIREMENT_COLUMNS,
)
TARGET_OPTIONAL_COLUMNS = frozenset(RETIREMENT_COLUMNS)

VOLUME_UNITS = frozenset({"vehicles", "cny", "usd"})
KNOWN_UNITS = VOLUME_UNITS | {"ratio", "percent", "countries", "persons", "rank", "vehicles_per_year", "usd_per_vehicle"}
COMPARATORS = frozenset({">=", ">", "<=", "<"})
SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")

T = TypeVar("T", Series, Target)


def parse_series(text: str, source: str = SERIES_FILE) -> dict[str, Series]:
    """Every series row of series.csv text, validated (one lender at most; parts of existing totals)."""
    return series_from_rows(read_csv_rows(text, source, SERIES_COLUMNS, SERIES_OPTIONAL_COLUMNS), {})


def series_from_json(items: Sequence[Mapping[str, object]], known: Mapping[str, Series]) -> dict[str, Series]:
    """Series rows sent as JSON (`{"series": [...]}`), checked as series.csv lines are, against the `known` series."""
    return series_from_rows(read_json_rows(items, "series", SERIES_COLUMNS, SERIES_OPTIONAL_COLUMNS), known)


def series_from_rows(rows: Sequence[Row], known: Mapping[str, Series]) -> dict[str, Series]:
    """The series the rows add to `known` (a row identical to a known series adds nothing); every bad row named."""
    added: dict[str, Series] = {}
    where: dict[str, Row] = {}
    problems: list[DataError] = []
    for row in rows:
        try:
            item = _series_row(row)
            if item.id in added:
                raise row.fail("id", f"duplicate series id '{item.id}' ({where[item.id].where} has it too)")
            if _known_unchanged(row, "id", item, known.get(item.id), "series"):
                continue
            added[item.id] = item
            where[item.id] = row
        except DataError as problem:
            problems.append(problem)
    everything = {**known, **added}
    for item in added.values():
        try:
            _check_roles(item, everything, where[item.id], where)
        except DataError as problem:
            problems.append(problem)
    _raise_all(problems)
    return added


def _series_row(row: Row) -> Series:
    series_id = row.text("id", required=True)
    if not re.fullmatch(r"[a-z0-9_]+", series_id):
        raise row.fail("id", f"'{series_id}' must be lower-case letters, digits and underscores")
    unit = row.text("unit", required=True)
    if unit not in KNOWN_UNITS:
        raise row.fail("unit", f"unknown unit '{unit}' (known: {', '.join(sorted(KNOWN_UNITS))})")
    part_of = row.text("part_of")
    if part_of == series_id:
        raise row.fail("part_of", f"'{series_id}' cannot be a part of itself")
    retired_on, retired_reason = _retirement(row)
    return Series(
        id=series_id,
        entity=row.text("entity", required=True),
        measure=row.text("measure", required=True),
        basis=row.choice("basis", Basis),
        segment=row.text("segment", required=True),
        unit=unit,
        description=row.text("description"),
        lends_prior=row.strict_flag("lends_prior"),
        part_of=part_of,
        retired_on=retired_on,
        retired_reason=retired_reason,
    )


def _retirement(row: Row) -> tuple[str, str]:
    """The optional retirement columns: both blank, or a day and a reason."""
    day, _ = row.loose_day("retired_on")
    reason = row.text("retired_reason")
    if day is None and reason:
        raise row.fail("retired_on", "a retired_reason needs the day it was retired")
    if day is not None and not reason:
        raise row.fail("retired_reason", "a retired entity needs the reason it was retired")
    return row.text("retired_on"), reason


def _known_unchanged(row: Row, field: str, item: T, known: T | None, what: str) -> bool:
    """True when `item` is already known as it is (retirement aside); a different definition under a known id is refused."""
    if known is None:
        return False
    if replace(item, retired_on="", retired_reason="") == replace(known, retired_on="", retired_reason=""):
        return True
    raise row.fail(field, f"{what} '{item.id}' exists with another definition; an id keeps its definition")


def _check_roles(item: Series, series: Mapping[str, Series], row: Row, rows: Mapping[str, Row]) -> None:
    lender = next(other.id for other in series.values() if other.lends_prior) if item.lends_prior else item.id
    if lender != item.id:
        where = f" ({rows[lender].where})" if lender in rows else " (stored)"
        raise row.fail("lends_prior", f"only one series may lend its fit to sparse series: '{lender}'{where} already does")
    if item.part_of:
        _check_part(item, series, row)


def _check_part(part: Series, series: Mapping[str, Series], row: Row) -> None:
    """A part is compared with its share of its total: both must count the same thing the same way, with no loop."""
    total = series.get(part.part_of)
    if total is None:
        raise row.fail("part_of", f"unknown series '{part.part_of}': a part names the id of its total in {SERIES_FILE}")
    if total.unit != part.unit:
        raise row.fail("part_of", f"'{part.id}' is in {part.unit} but its total '{total.id}' is in {total.unit}")
    if total.basis is not part.basis:
        raise row.fail("part_of", f"'{part.id}' is counted on basis {part.basis.value} but its total '{total.id}' on {total.basis.value}")
    chain = [part.id]
    while total is not None:
        if total.id in chain:
            raise row.fail("part_of", f"parts form a loop: {' -> '.join([*chain, total.id])}")
        chain.append(total.id)
        total = series.get(total.part_of) if total.part_of else None


def parse_targets(text: str, series: Mapping[str, Series], source: str = TARGETS_FILE) -> list[Target]:
    """Every target row of targets.csv text, validated against `series`."""
    return targets_from_rows(read_csv_rows(text, source, TARGET_COLUMNS, TARGET_OPTIONAL_COLUMNS), series, {})


def targets_from_json(items: Sequence[Mapping[str, object]], series: Mapping[str, Series], known: Mapping[str, Target]) -> list[Target]:
    """Target rows sent as JSON (`{"targets": [...]}`), checked as targets.csv lines are, against the `known` targets."""
    return targets_from_rows(read_json_rows(items, "targets", TARGET_COLUMNS, TARGET_OPTIONAL_COLUMNS), series, known)


def targets_from_rows(rows: Sequence[Row], series: Mapping[str, Series], known: Mapping[str, Target]) -> list[Target]:
    """The targets the rows add to `known` (a row identical to a known target adds nothing); every bad row named."""
    added: dict[str, Target] = {}
    where: dict[str, Row] = {}
    problems: list[DataError] = []
    for row in rows:
        try:
            target = _target_row(row, series)
            if target.id in added:
                raise row.fail("target_id", f"duplicate target id '{target.id}' ({where[target.id].where} has it too)")
            if _known_unchanged(row, "target_id", target, known.get(target.id), "target"):
                continue
            added[target.id] = target
            where[target.id] = row
        except DataError as problem:
            problems.append(problem)
    ids = {*known, *added}
    for target in added.values():
        if target.supersedes and (target.supersedes not in ids or target.supersedes == target.id):
            problems.append(where[target.id].fail("supersedes", f"target '{target.id}' supersedes unknown target '{target.supersedes}'"))
    _raise_all(problems)
    return list(added.values())


def _target_row(row: Row, series: Mapping[str, Series]) -> Target:
    target_id = row.text("target_id", required=True)
    comparator = row.text("comparator", required=True)
    if comparator not in COMPARATORS:
        raise row.fail("comparator", f"'{comparator}' is not one of {', '.join(sorted(COMPARATORS))}")
    threshold = row.number("threshold", required=True)
    deadline = row.number("deadline_year", required=True)
    assert threshold is not None and deadline is not None
    if deadline != int(deadline) or not 2000 <= deadline <= 2100:
        raise row.fail("deadline_year", f"'{row.text('deadline_year')}' is not a year")
    unit = row.text("unit", required=True)
    series_id = row.text("series_id")
    denominator = row.text("denominator_series_id")
    for field, ref in (("series_id", series_id), ("denominator_series_id", denominator)):
        if ref and ref not in series:
            raise row.fail(field, f"unknown series '{ref}': add it to {SERIES_FILE} first")
    if denominator and unit != "ratio":
        raise row.fail("unit", "a target with a denominator is a share: its unit is ratio")
    if series_id and not denominator and unit != series[series_id].unit:
        raise row.fail("unit", f"target is in {unit} but series '{series_id}' is in {series[series_id].unit}")
    stated_on, _ = row.loose_day("stated_on")
    if stated_on is None:
        raise row.fail("stated_on", "is required")
    url = row.text("source_url")
    seed_file = row.text("source_file")
    if not url and not seed_file:
        raise row.fail("source_url", "every target needs a source_url or a source_file (seed article)")
    retired_on, retired_reason = _retirement(row)
    return Target(
        id=target_id,
        entity=row.text("entity", required=True),
        metric=row.text("metric", required=True),
        comparator=comparator,
        threshold=threshold,
        unit=unit,
        deadline_year=int(deadline),
        stated_on=row.text("stated_on"),
        source=Source(row.text("source_publisher", required=True), url, seed_file, stated_on, True),
        series_id=series_id,
        denominator_series_id=denominator,
        supersedes=row.text("supersedes"),
        note=row.text("note"),
        measurable=bool(series_id),
        unmeasurable_reason="" if series_id else "no reported series measures this metric",
        retired_on=retired_on,
        retired_reason=retired_reason,
    )


def _raise_all(problems: list[DataError]) -> None:
    """Raise the first bad row, carrying every other one in `problems`, so one answer names them all."""
    if problems:
        first = problems[0]
        first.problems = problems
        raise first
