"""Read and validate data/ (series, observations, targets); derive base periods from growth rates.

Every row is checked before anything is returned: a bad row raises DataError
naming the file, the line, the field and the reason, and nothing is loaded.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from forecast.domain import (
    Aggregation,
    Basis,
    Kind,
    Observation,
    Period,
    Qualifier,
    Series,
    Source,
    Target,
    aggregation_fits_period,
    base_from_growth,
    base_from_growth_sd,
    measurement_sd,
    month_end,
)
from forecast.errors import DataError

SERIES_FILE = "series.csv"
OBSERVATIONS_FILE = "observations.csv"
TARGETS_FILE = "targets.csv"

SERIES_COLUMNS = ("id", "entity", "measure", "basis", "segment", "unit", "description")
OBSERVATION_COLUMNS = (
    "series_id",
    "period_start",
    "period_end",
    "aggregation",
    "kind",
    "value",
    "unit",
    "qualifier",
    "yoy_pct",
    "mom_pct",
    "source_publisher",
    "source_url",
    "source_file",
    "published_date",
    "published_date_estimated",
    "disputed",
    "note",
)
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
)

VOLUME_UNITS = frozenset({"vehicles", "cny", "usd"})
KNOWN_UNITS = VOLUME_UNITS | {"ratio", "percent", "countries", "persons", "rank", "vehicles_per_year", "usd_per_vehicle"}
COMPARATORS = frozenset({">=", ">", "<=", "<"})
SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})


class _Row:
    """One CSV row with its line number, and typed accessors that raise DataError."""

    def __init__(self, source: str, line: int, values: Mapping[str, str]) -> None:
        self.source = source
        self.line = line
        self.values = values

    def fail(self, field: str, reason: str) -> DataError:
        return DataError(self.source, self.line, field, reason)

    def text(self, field: str, required: bool = False) -> str:
        value = (self.values.get(field) or "").strip()
        if required and not value:
            raise self.fail(field, "is required")
        return value

    def number(self, field: str, required: bool = False) -> float | None:
        raw = self.text(field, required)
        if not raw:
            return None
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            raise self.fail(field, f"'{raw}' is not a number") from None
        if not math.isfinite(value):
            raise self.fail(field, f"'{raw}' is not a finite number")
        return value

    def day(self, field: str, required: bool = False) -> date | None:
        raw = self.text(field, required)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(field, f"'{raw}' is not a date (YYYY-MM-DD)") from None

    def loose_day(self, field: str) -> tuple[date | None, bool]:
        """A date that may be given as YYYY or YYYY-MM; returns (latest day it can mean, was_partial)."""
        raw = self.text(field)
        if not raw:
            return None, False
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return self.day(field), False
        if re.fullmatch(r"\d{4}-\d{2}", raw):
            year, month = (int(part) for part in raw.split("-"))
            if not 1 <= month <= 12:
                raise self.fail(field, f"'{raw}' has no month {month}")
            return month_end(year, month), True
        if re.fullmatch(r"\d{4}", raw):
            return date(int(raw), 12, 31), True
        raise self.fail(field, f"'{raw}' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")

    def flag(self, field: str) -> bool:
        raw = self.text(field).lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise self.fail(field, f"'{raw}' is not true or false")

    def choice(self, field: str, enum: type, default: str | None = None) -> object:
        raw = self.text(field) or (default or "")
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(field, f"'{raw}' is not one of: {allowed}") from None


def _read_rows(text: str, source: str, columns: tuple[str, ...]) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in columns if column not in header]
    if missing:
        raise DataError(source, 1, missing[0], f"column is missing from the header (expected {', '.join(columns)})")
    unknown = [column for column in header if column not in columns]
    if unknown:
        raise DataError(source, 1, unknown[0], "unknown column")
    rows = []
    for row in reader:
        if None in row:
            raise DataError(source, reader.line_num, "(row)", "more fields than the header has")
        rows.append(_Row(source, reader.line_num, row))
    return rows


def parse_series(text: str, source: str = SERIES_FILE) -> dict[str, Series]:
    series: dict[str, Series] = {}
    for row in _read_rows(text, source, SERIES_COLUMNS):
        series_id = row.text("id", required=True)
        if not re.fullmatch(r"[a-z0-9_]+", series_id):
            raise row.fail("id", f"'{series_id}' must be lower-case letters, digits and underscores")
        if series_id in series:
            raise row.fail("id", f"duplicate series id '{series_id}'")
        unit = row.text("unit", required=True)
        if unit not in KNOWN_UNITS:
            raise row.fail("unit", f"unknown unit '{unit}' (known: {', '.join(sorted(KNOWN_UNITS))})")
        series[series_id] = Series(
            id=series_id,
            entity=row.text("entity", required=True),
            measure=row.text("measure", required=True),
            basis=row.choice("basis", Basis),  # type: ignore[arg-type]
            segment=row.text("segment", required=True),
            unit=unit,
            description=row.text("description"),
        )
    return series


def estimate_publication(series: Series, period: Period, aggregation: Aggregation) -> date:
    """When a figure with no publication date most likely became known.

    CAAM releases a month's figures around the 10th-15th of the next month and
    customs a little earlier; companies and local customs give annual figures
    within a few weeks of the year's end. Estimates are marked as such.
    """
    following = period.end + timedelta(days=1)
    if series.basis is Basis.CAAM:
        return date(following.year, following.month, 12) if following.day == 1 else period.end + timedelta(days=12)
    if series.basis is Basis.CUSTOMS:
        return date(following.year, following.month, 10) if following.day == 1 else period.end + timedelta(days=10)
    if aggregation is Aggregation.YEAR:
        return period.end + timedelta(days=21)
    return period.end + timedelta(days=15)


def parse_observations(
    text: str,
    series: Mapping[str, Series],
    source: str = OBSERVATIONS_FILE,
    loaded_on: date | None = None,
) -> list[Observation]:
    """Validate and type every row; a figure without a publication date gets an estimated vintage.

    `loaded_on` is the vintage of figures sent in later (ingest) that have no date.
    """
    observations: list[Observation] = []
    seen: dict[tuple[str, date], int] = {}
    for row in _read_rows(text, source, OBSERVATION_COLUMNS):
        observation = _parse_observation(row, series, loaded_on)
        identity = (observation.key, observation.vintage)
        if identity in seen:
            raise row.fail(
                "series_id",
                f"duplicate of line {seen[identity]}: same series, period, aggregation, kind, source and date",
            )
        seen[identity] = row.line
        observations.append(observation)
    return observations


def _parse_observation(row: _Row, series: Mapping[str, Series], loaded_on: date | None) -> Observation:
    series_id = row.text("series_id", required=True)
    if series_id not in series:
        raise row.fail("series_id", f"unknown series '{series_id}': add it to {SERIES_FILE} first")
    meta = series[series_id]
    start = row.day("period_start", required=True)
    end = row.day("period_end", required=True)
    assert start is not None and end is not None
    if end < start:
        raise row.fail("period_end", f"{end} is before period_start {start}")
    period = Period(start, end)
    aggregation: Aggregation = row.choice("aggregation", Aggregation)  # type: ignore[assignment]
    misfit = aggregation_fits_period(aggregation, period)
    if misfit:
        raise row.fail("aggregation", f"'{aggregation.value}' does not fit {period}: {misfit}")
    kind: Kind = row.choice("kind", Kind, default="level")  # type: ignore[assignment]
    value = row.number("value", required=True)
    assert value is not None
    unit = row.text("unit", required=True)
    if unit not in KNOWN_UNITS:
        raise row.fail("unit", f"unknown unit '{unit}' (known: {', '.join(sorted(KNOWN_UNITS))})")
    if kind in (Kind.YOY_PCT, Kind.MOM_PCT):
        if unit != "percent":
            raise row.fail("unit", f"a {kind.value} figure is in percent, not '{unit}'")
    elif kind is Kind.SHARE:
        if unit != "ratio":
            raise row.fail("unit", f"a share is a ratio, not '{unit}'")
    elif unit != meta.unit:
        raise row.fail("unit", f"series '{series_id}' is in {meta.unit}, not '{unit}'")
    if kind is Kind.LEVEL and unit in VOLUME_UNITS and value < 0:
        raise row.fail("value", f"a volume cannot be negative ({value:g})")
    if kind is Kind.SHARE and not 0 <= value <= 1:
        raise row.fail("value", f"a share must lie between 0 and 1 ({value:g})")
    if kind in (Kind.YOY_PCT, Kind.MOM_PCT) and value <= -100:
        raise row.fail("value", f"a fall of {value:g}% leaves nothing: growth must be above -100%")
    yoy = row.number("yoy_pct")
    mom = row.number("mom_pct")
    for field, rate in (("yoy_pct", yoy), ("mom_pct", mom)):
        if rate is not None and rate <= -100:
            raise row.fail(field, f"a fall of {rate:g}% leaves nothing: growth must be above -100%")
    if (mom is not None or kind is Kind.MOM_PCT) and aggregation is not Aggregation.MONTH:
        field = "mom_pct" if mom is not None else "kind"
        raise row.fail(field, f"growth rate without a base: month-on-month change needs a month, not a {aggregation.value}")
    if kind is not Kind.LEVEL and (yoy is not None or mom is not None):
        raise row.fail("yoy_pct" if yoy is not None else "mom_pct", "growth columns belong on level rows")
    qualifier: Qualifier = row.choice("qualifier", Qualifier, default="exact")  # type: ignore[assignment]
    publisher = row.text("source_publisher", required=True)
    url = row.text("source_url")
    seed_file = row.text("source_file")
    if not url and not seed_file:
        raise row.fail("source_url", "every figure needs a source_url or a source_file (seed article)")
    if seed_file and not SEED_FILE.fullmatch(seed_file):
        raise row.fail("source_file", f"'{seed_file}' is not a seed file name like 000_46fb8e2fee177be0.txt")
    published, partial = row.loose_day("published_date")
    estimated = row.flag("published_date_estimated") or partial
    if published is None:
        published = loaded_on or estimate_publication(meta, period, aggregation)
        estimated = loaded_on is None
    if published < period.end and kind is not Kind.SHARE:
        raise row.fail("published_date", f"{published} is before the period it reports ends ({period.end})")
    observation = Observation(
        series_id=series_id,
        period=period,
        aggregation=aggregation,
        kind=kind,
        value=value,
        unit=unit,
        qualifier=qualifier,
        source=Source(publisher, url, seed_file, published, estimated),
        vintage=published,
        yoy_pct=yoy,
        mom_pct=mom,
        note=row.text("note"),
        disputed=row.flag("disputed"),
    )
    return replace(observation, uncertainty=measurement_sd(value, qualifier) if kind is Kind.LEVEL else 0.0)


def derive_base_observations(observations: Iterable[Observation]) -> list[Observation]:
    """Figures implied by growth rates: 551,000 in May 2025 at +14.5% says May 2024 was about 481,200.

    Each derived figure keeps the key of the figure it came from, the same
    source and vintage, and a standard deviation from both roundings.
    """
    derived = []
    for observation in observations:
        if observation.kind is not Kind.LEVEL or observation.is_derived:
            continue
        for rate, base_period, label in (
            (observation.yoy_pct, observation.period.shifted_years(-1), "year on year"),
            (observation.mom_pct, observation.period.previous_month(), "month on month"),
        ):
            if rate is None:
                continue
            value = base_from_growth(observation.value, rate)
            qualifier = (
                Qualifier.LOWER_BOUND if observation.qualifier is Qualifier.LOWER_BOUND else Qualifier.APPROX
            )
            derived.append(
                Observation(
                    series_id=observation.series_id,
                    period=base_period,
                    aggregation=observation.aggregation,
                    kind=Kind.LEVEL,
                    value=round(value, 1),
                    unit=observation.unit,
                    qualifier=qualifier,
                    source=observation.source,
                    vintage=observation.vintage,
                    note=f"implied by {observation.value:,.0f} for {observation.period} at {rate:+g}% {label}",
                    disputed=observation.disputed,
                    derived_from=(observation.key,),
                    uncertainty=base_from_growth_sd(observation.value, observation.uncertainty, rate),
                )
            )
    return derived


def parse_targets(text: str, series: Mapping[str, Series], source: str = TARGETS_FILE) -> list[Target]:
    targets: list[Target] = []
    ids: set[str] = set()
    for row in _read_rows(text, source, TARGET_COLUMNS):
        target_id = row.text("target_id", required=True)
        if target_id in ids:
            raise row.fail("target_id", f"duplicate target id '{target_id}'")
        ids.add(target_id)
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
        supersedes = row.text("supersedes")
        note = row.text("note")
        targets.append(
            Target(
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
                supersedes=supersedes,
                note=note,
                measurable=bool(series_id),
                unmeasurable_reason="" if series_id else "no reported series measures this metric",
            )
        )
    for target in targets:
        if target.supersedes and target.supersedes not in ids:
            raise DataError(source, 0, "supersedes", f"target '{target.id}' supersedes unknown target '{target.supersedes}'")
    return targets


def load_directory(data_dir: Path) -> tuple[dict[str, Series], list[Observation], list[Target]]:
    """Read the three files of data/; raises DataError before returning anything if a row is bad."""
    series = parse_series((data_dir / SERIES_FILE).read_text(encoding="utf-8"))
    observations = parse_observations((data_dir / OBSERVATIONS_FILE).read_text(encoding="utf-8"), series)
    targets = parse_targets((data_dir / TARGETS_FILE).read_text(encoding="utf-8"), series)
    return series, observations, targets
