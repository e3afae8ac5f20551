"""Read and validate data/ (series, observations, targets); derive base periods from growth rates.

Every row is checked before anything is returned: a bad row raises DataError
naming the file, the line, the field and the reason, and nothing is loaded.
Observations sent as JSON rows (ingest) pass the same checks, one row at a
time, as the lines of observations.csv; their errors name the row's index.
Turning cells into typed values (and naming a bad one) is `forecast.rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from forecast.definitions import (  # noqa: F401 - series and targets are read where they always were read from
    KNOWN_UNITS,
    SEED_FILE,
    SERIES_COLUMNS,
    SERIES_FILE,
    TARGET_COLUMNS,
    TARGETS_FILE,
    VOLUME_UNITS,
    parse_series,
    parse_targets,
)
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
)
from forecast.plausibility import check_base, check_period, check_published, check_value
from forecast.rows import Row, read_csv_rows, read_json_rows

OBSERVATIONS_FILE = "observations.csv"

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
    """Validate and type every row of observations.csv text; a figure without a publication date gets an estimated vintage.

    `loaded_on` is the vintage of figures sent in later (ingest) that have no date.
    """
    return _check_rows(read_csv_rows(text, source, OBSERVATION_COLUMNS), series, loaded_on)


def observations_from_rows(
    rows: Sequence[Mapping[str, object]],
    series: Mapping[str, Series],
    source: str = "request",
    loaded_on: date | None = None,
) -> list[Observation]:
    """Validate and type rows sent as JSON: each maps every column of observations.csv to a value.

    A value is text, a number, true/false or None (blank); the same rows as
    observations.csv lines give the same observations. A bad row raises
    DataError with `row` its index in `rows` (and `line` 0), naming the field;
    a row with a column missing or unknown is refused naming that column.
    """
    return _check_rows(read_json_rows(rows, source, OBSERVATION_COLUMNS), series, loaded_on)


def _check_rows(rows: Iterable[Row], series: Mapping[str, Series], loaded_on: date | None) -> list[Observation]:
    """Every row through `_parse_observation`; the same figure from the same source on the same date twice is refused."""
    observations: list[Observation] = []
    seen: dict[tuple[str, date], Row] = {}
    for row in rows:
        observation = _parse_observation(row, series, loaded_on)
        identity = (observation.key, observation.vintage)
        if identity in seen:
            raise row.fail(
                "series_id",
                f"duplicate of {seen[identity].where}: same series, period, aggregation, kind, source and date",
            )
        seen[identity] = row
        observations.append(observation)
    return observations


def _parse_observation(row: Row, series: Mapping[str, Series], loaded_on: date | None) -> Observation:
    """The one validator of an observation row, whether it came from a CSV line or a JSON batch."""
    series_id = row.text("series_id", required=True)
    if series_id not in series:
        raise row.fail("series_id", f"unknown series '{series_id}': add it to {SERIES_FILE} first")
    meta = series[series_id]
    today = date.today()
    if loaded_on is not None and meta.retired_on:
        raise row.fail(
            "series_id", f"series '{series_id}' was retired on {meta.retired_on} ({meta.retired_reason}): it takes no new figures"
        )
    period, aggregation = _period_and_aggregation(row)
    check_period(row, period, today)
    kind = row.choice("kind", Kind, default="level")
    value, unit = _value_and_unit(row, kind, series_id, meta.unit)
    yoy, mom = _growth_rates(row, kind, aggregation)
    for field, rate, base in (("yoy_pct", yoy, period.shifted_years(-1)), ("mom_pct", mom, period.previous_month())):
        if rate is not None:
            check_base(row, field, value, unit, rate, base)
    qualifier = row.choice("qualifier", Qualifier, default="exact")
    source, vintage = _source_and_vintage(row, meta, period, aggregation, kind, loaded_on)
    observation = Observation(
        series_id=series_id,
        period=period,
        aggregation=aggregation,
        kind=kind,
        value=value,
        unit=unit,
        qualifier=qualifier,
        source=source,
        vintage=vintage,
        yoy_pct=yoy,
        mom_pct=mom,
        note=row.text("note"),
        disputed=row.flag("disputed"),
    )
    return replace(observation, uncertainty=measurement_sd(value, qualifier) if kind is Kind.LEVEL else 0.0)


def _period_and_aggregation(row: Row) -> tuple[Period, Aggregation]:
    """The period a figure covers (first and last day, inclusive) and an aggregation that fits it."""
    start = row.day("period_start", required=True)
    end = row.day("period_end", required=True)
    assert start is not None and end is not None
    if end < start:
        raise row.fail("period_end", f"{end} is before period_start {start}")
    period = Period(start, end)
    aggregation = row.choice("aggregation", Aggregation)
    misfit = aggregation_fits_period(aggregation, period)
    if misfit:
        raise row.fail("aggregation", f"'{aggregation.value}' does not fit {period}: {misfit}")
    return period, aggregation


def _value_and_unit(row: Row, kind: Kind, series_id: str, series_unit: str) -> tuple[float, str]:
    """The figure and its unit, checked against its kind.

    A level is in its series' unit (a volume is never negative), a growth rate
    in percent above -100, a share a ratio between 0 and 1.
    """
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
    elif unit != series_unit:
        raise row.fail("unit", f"series '{series_id}' is in {series_unit}, not '{unit}'")
    if kind is Kind.LEVEL and unit in VOLUME_UNITS and value < 0:
        raise row.fail("value", f"a volume cannot be negative ({value:g})")
    if kind is Kind.SHARE and not 0 <= value <= 1:
        raise row.fail("value", f"a share must lie between 0 and 1 ({value:g})")
    check_value(row, kind, unit, value)
    return value, unit


def _growth_rates(row: Row, kind: Kind, aggregation: Aggregation) -> tuple[float | None, float | None]:
    """The optional year-on-year and month-on-month changes (percent) reported with a level, each above -100%."""
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
    return yoy, mom


def _source_and_vintage(
    row: Row, meta: Series, period: Period, aggregation: Aggregation, kind: Kind, loaded_on: date | None
) -> tuple[Source, date]:
    """Who published the figure, where, and the day it became known (its vintage).

    A missing publication date is `loaded_on` (figures sent in later) or else
    estimated from the series' release habits, and then marked as estimated.
    """
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
    else:
        check_published(row, published, date.today())
    if published < period.end and kind is not Kind.SHARE:
        raise row.fail("published_date", f"{published} is before the period it reports ends ({period.end})")
    return Source(publisher, url, seed_file, published, estimated), published


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
            qualifier = Qualifier.LOWER_BOUND if observation.qualifier is Qualifier.LOWER_BOUND else Qualifier.APPROX
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


def load_directory(data_dir: Path) -> tuple[dict[str, Series], list[Observation], list[Target]]:
    """Read the three files of data/; raises DataError before returning anything if a row is bad."""
    series = parse_series((data_dir / SERIES_FILE).read_text(encoding="utf-8"))
    observations = parse_observations((data_dir / OBSERVATIONS_FILE).read_text(encoding="utf-8"), series)
    targets = parse_targets((data_dir / TARGETS_FILE).read_text(encoding="utf-8"), series)
    return series, observations, targets
