"""What a figure may be before it is stored: the documented ranges of years, values and growth rates.

A figure outside these ranges is refused at the door (a DataError naming the
field), whether it comes from data/observations.csv or an ingest batch, because
the fit cannot use it: a month in year 9999 or a growth rate on year 0001 breaks
every later refit, a value of 1e308 turns the medians into NaN, a publication
date in the future hides every figure published before it. The limits are listed
in README.md ("Limits and validation"); tests/test_bad_inputs.py has one test per limit.
"""

from __future__ import annotations

from datetime import date

from forecast.domain import Kind, Period, base_from_growth
from forecast.rows import Row

FIRST_YEAR = 1990  # no series starts earlier (the data's first period is 2004); a base year before it is a typo
# Plausible levels by unit, inclusive: an upper bound well above any real figure (a hundred million vehicles is
# more than the world makes in a year), so only typos and overflows are refused.
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "vehicles": (0.0, 1e8),
    "vehicles_per_year": (0.0, 1e8),
    "cny": (0.0, 1e15),
    "usd": (0.0, 1e14),
    "usd_per_vehicle": (0.0, 1e7),
    "countries": (0.0, 250.0),
    "persons": (0.0, 1e10),
    "rank": (0.0, 10_000.0),
    "ratio": (0.0, 1e6),
    "percent": (-100.0, 1e5),
}
MAX_GROWTH_PCT = 1e5  # a thousandfold rise; growth must also be above -100%


def check_period(row: Row, period: Period, today: date) -> None:
    """Years from FIRST_YEAR on, and no period that ends after `today` (a figure is reported once its period is over)."""
    if period.start.year < FIRST_YEAR:
        raise row.fail("period_start", f"{period.start} is before {FIRST_YEAR}, the first year the service holds")
    if period.end > today:
        raise row.fail("period_end", f"{period.end} is in the future (today is {today}): a figure is reported after its period")


def check_published(row: Row, published: date, today: date) -> None:
    """A publication date is a day that has happened."""
    if published > today:
        raise row.fail("published_date", f"{published} is in the future (today is {today})")


def check_value(row: Row, kind: Kind, unit: str, value: float) -> None:
    """A level within the plausible range of its unit; a growth rate between -100% (excluded) and MAX_GROWTH_PCT."""
    if kind in (Kind.YOY_PCT, Kind.MOM_PCT):
        check_rate(row, "value", value)
        return
    low, high = VALUE_RANGES.get(unit, (float("-inf"), float("inf")))
    if kind is Kind.LEVEL and not low <= value <= high:
        raise row.fail("value", f"{value:g} {unit} is outside the plausible range {low:g} to {high:g}")


def check_rate(row: Row, field: str, rate: float) -> None:
    if rate <= -100:
        raise row.fail(field, f"a fall of {rate:g}% leaves nothing: growth must be above -100%")
    if rate > MAX_GROWTH_PCT:
        raise row.fail(field, f"{rate:g}% is beyond the plausible range (at most {MAX_GROWTH_PCT:g}%)")


def check_base(row: Row, field: str, value: float, unit: str, rate: float, base: Period) -> None:
    """A growth rate reported with a level implies the base period's level: it must be a figure the service can hold."""
    check_rate(row, field, rate)
    if base.start.year < FIRST_YEAR:
        raise row.fail(field, f"growth rate without a base the service holds: its base period {base} is before {FIRST_YEAR}")
    implied = base_from_growth(value, rate)
    low, high = VALUE_RANGES.get(unit, (float("-inf"), float("inf")))
    if not low <= implied <= high:
        raise row.fail(field, f"implies a base of {implied:g} {unit} for {base}, outside the plausible range {low:g} to {high:g}")
