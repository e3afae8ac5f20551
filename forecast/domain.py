"""Reported figures as plain values: periods, series, observations, targets.

Nothing here knows about files, SQL, HTTP or joblib. Units are the series' own
(vehicles, cny, usd, ratio); growth rates are in percent as reported.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum


class Aggregation(str, Enum):
    """How a figure covers its period."""

    MONTH = "month"
    YTD = "ytd"  # 1 January to period_end (Jan-Feb released together is a YTD at February)
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"
    WINDOW = "window"  # any other span, e.g. 1 January to 8 April


class Kind(str, Enum):
    """What the value measures about its period."""

    LEVEL = "level"
    YOY_PCT = "yoy_pct"  # change against the same period one year earlier, percent
    MOM_PCT = "mom_pct"  # change against the previous month, percent (months only)
    SHARE = "share"


class Qualifier(str, Enum):
    """How the value was worded: "4.91 million", "about", "over", "under"."""

    EXACT = "exact"
    APPROX = "approx"
    LOWER_BOUND = "lower_bound"
    UPPER_BOUND = "upper_bound"


class Basis(str, Enum):
    """Who counts. CAAM manufacturer shipments and customs counts are different series."""

    CAAM = "caam"
    CUSTOMS = "customs"
    COMPANY = "company"
    LOCAL_CUSTOMS = "local_customs"
    OTHER = "other"


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """First day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_index(day: date) -> int:
    """Months since year 0: a dense integer for monthly arithmetic."""
    return day.year * 12 + day.month - 1


@dataclass(frozen=True, order=True)
class Period:
    """A closed span of days [start, end]."""

    start: date
    end: date

    def shifted_years(self, years: int) -> Period:
        start = _same_day_in_year(self.start, self.start.year + years)
        end = _same_day_in_year(self.end, self.end.year + years)
        if self.end == month_end(self.end.year, self.end.month):
            end = month_end(end.year, end.month)
        return Period(start, end)

    def previous_month(self) -> Period:
        first = add_months(self.start, -1)
        return Period(first, month_end(first.year, first.month))

    @property
    def months(self) -> int:
        """Number of calendar months the period touches."""
        return month_index(self.end) - month_index(self.start) + 1

    @property
    def ends_on_month_end(self) -> bool:
        return self.end == month_end(self.end.year, self.end.month)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _same_day_in_year(day: date, year: int) -> date:
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def aggregation_fits_period(aggregation: Aggregation, period: Period) -> str | None:
    """Why `period` cannot carry `aggregation`, or None when it can."""
    start, end = period.start, period.end
    month_aligned = start.day == 1 and period.ends_on_month_end
    if aggregation is Aggregation.MONTH and not (month_aligned and period.months == 1):
        return "a month must run from the 1st to the last day of one month"
    if aggregation is Aggregation.YTD and not (start.month == 1 and start.day == 1 and start.year == end.year):
        return "a year-to-date figure must start on 1 January of its year"
    if aggregation is Aggregation.QUARTER and not (month_aligned and period.months == 3 and start.month in (1, 4, 7, 10)):
        return "a quarter must cover one calendar quarter"
    if aggregation is Aggregation.HALF and not (month_aligned and period.months == 6 and start.month in (1, 7)):
        return "a half must cover January-June or July-December"
    if aggregation is Aggregation.YEAR and not (start == date(start.year, 1, 1) and end == date(start.year, 12, 31)):
        return "a year must run from 1 January to 31 December"
    return None


@dataclass(frozen=True)
class Series:
    """One measured quantity: entity x measure x basis x segment, in one unit.

    Two roles, read from data/series.csv rather than written into code:
    `lends_prior` marks the one series whose fit sparse series borrow from
    (monthly variances, annual error sd, damping, seasonal pattern), so it is
    fitted first; `part_of` names the total this series is a part of (NEV
    exports within all exports), in the same unit and basis, or is "".
    """

    id: str
    entity: str
    measure: str
    basis: Basis
    segment: str
    unit: str
    description: str = ""
    lends_prior: bool = False
    part_of: str = ""
    retired_on: str = ""  # a retired series is kept, figures and fit included, but takes no new figures
    retired_reason: str = ""


@dataclass(frozen=True)
class Source:
    publisher: str
    url: str = ""
    seed_file: str = ""
    published_date: date | None = None
    published_date_estimated: bool = False

    @property
    def reference(self) -> str:
        """The address or seed file a reader can check."""
        return self.url or f"seed:{self.seed_file}"


@dataclass(frozen=True)
class Observation:
    """One reported (or derived) figure about one series and period.

    `vintage` is the day the figure became known; as-of queries filter on it.
    `uncertainty` is a standard deviation in the series' unit from rounding or
    derivation, used as measurement noise in fits.
    """

    series_id: str
    period: Period
    aggregation: Aggregation
    kind: Kind
    value: float
    unit: str
    qualifier: Qualifier
    source: Source
    vintage: date
    yoy_pct: float | None = None
    mom_pct: float | None = None
    note: str = ""
    disputed: bool = False  # the curator marked it as suspect or conflicting
    derived_from: tuple[str, ...] = ()  # keys of the observations this one was computed from
    uncertainty: float = 0.0
    retired: str = ""  # why the figure was retired (POST /v1/observations/retire): kept and shown, never fitted

    @property
    def key(self) -> str:
        """Identity of a figure across versions: what, when, and who said it."""
        return "|".join(
            (
                self.series_id,
                self.period.start.isoformat(),
                self.period.end.isoformat(),
                self.aggregation.value,
                self.kind.value,
                self.source.publisher,
                self.source.reference,
            )
        )

    @property
    def cell(self) -> tuple[str, Period, Aggregation, Kind]:
        """What the figure is about, regardless of who said it."""
        return (self.series_id, self.period, self.aggregation, self.kind)

    @property
    def is_derived(self) -> bool:
        return bool(self.derived_from)

    def with_vintage(self, vintage: date) -> Observation:
        return replace(self, vintage=vintage)


@dataclass(frozen=True)
class Conflict:
    """Figures that cannot all be true, with the rule that decided between them."""

    check: str  # disagreement | ytd_sum | ytd_decreasing | year_below_ytd | derived_vs_reported | basis_mixup
    series_id: str
    period: Period
    observation_keys: tuple[str, ...]
    detail: str
    resolution: str
    kept_key: str | None = None


@dataclass(frozen=True)
class Target:
    """A stated goal: `metric comparator threshold` by `deadline_year`."""

    id: str
    entity: str
    metric: str
    comparator: str  # ">=", ">", "<=", "<"
    threshold: float
    unit: str
    deadline_year: int
    stated_on: str
    source: Source
    series_id: str = ""  # the series it is measured on (numerator for shares)
    denominator_series_id: str = ""  # for share targets
    supersedes: str = ""  # id of an earlier statement this one replaces
    note: str = ""
    measurable: bool = True
    unmeasurable_reason: str = ""
    retired_on: str = ""  # a retired target is still assessed and served, flagged retired
    retired_reason: str = ""


def rounding_unit(value: float) -> float:
    """The rounding step a reported figure implies: 4,910,000 -> 10,000.

    Trailing zeros are read as rounding, but never coarser than two
    significant digits ("4.7 million" is known to +-50,000; "1 million" to +-50,000).
    """
    magnitude = abs(value)
    if magnitude == 0 or not math.isfinite(magnitude):
        return 1.0
    if magnitude != int(magnitude):
        text = f"{magnitude:.10f}".rstrip("0")
        return 10.0 ** -(len(text.split(".")[1]) if "." in text else 0)
    step = 1.0
    while magnitude % (step * 10) == 0:
        step *= 10
    coarsest = 10.0 ** (math.floor(math.log10(magnitude)) - 1)
    return max(1.0, min(step, coarsest))


def percent_rounding(pct: float) -> float:
    """Rounding step of a reported percentage: 14.5 -> 0.1, 7 -> 1."""
    text = repr(float(pct))
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 10.0**-decimals


def measurement_sd(value: float, qualifier: Qualifier) -> float:
    """Standard deviation of a reported figure around the true one.

    A rounded figure is uniform within its rounding step (sd = step/sqrt(12));
    "about" widens that to at least 1% of the value; bounds are handled by the
    caller as one-sided information.
    """
    step = rounding_unit(value)
    sd = step / math.sqrt(12)
    if qualifier is Qualifier.APPROX:
        sd = max(sd, 0.01 * abs(value))
    if qualifier in (Qualifier.LOWER_BOUND, Qualifier.UPPER_BOUND):
        sd = max(sd, step / math.sqrt(12), 0.01 * abs(value))
    return sd


def agree_within_rounding(a: Observation, b: Observation) -> bool:
    """Whether two figures for the same cell can both be true."""
    tolerance = (rounding_unit(a.value) + rounding_unit(b.value)) / 2 + 2 * (a.uncertainty + b.uncertainty) * (a.is_derived or b.is_derived)
    if a.qualifier is Qualifier.APPROX or b.qualifier is Qualifier.APPROX:
        tolerance = max(tolerance, 0.01 * max(abs(a.value), abs(b.value)))
    for low, high in ((a, b), (b, a)):
        if low.qualifier is Qualifier.LOWER_BOUND and high.qualifier is not Qualifier.LOWER_BOUND:
            return high.value >= low.value - tolerance
    return abs(a.value - b.value) <= tolerance


def base_from_growth(value: float, growth_pct: float) -> float:
    """The base-period level that `value` grew from at `growth_pct` percent."""
    return value / (1.0 + growth_pct / 100.0)


def base_from_growth_sd(value: float, value_sd: float, growth_pct: float) -> float:
    """Delta-method sd of base_from_growth given the value's sd and the rate's rounding."""
    factor = 1.0 + growth_pct / 100.0
    growth_sd = percent_rounding(growth_pct) / 100.0 / math.sqrt(12)
    return math.hypot(value_sd / factor, value * growth_sd / factor**2)


def required_cagr(latest: float, threshold: float, years: int) -> float:
    """Annual growth needed to go from `latest` to `threshold` in `years` years."""
    if years <= 0:
        return 0.0 if latest >= threshold else math.inf
    if latest <= 0:
        return math.inf
    return float((threshold / latest) ** (1.0 / years) - 1.0)


def cagr(start: float, end: float, years: int) -> float:
    if years <= 0 or start <= 0:
        return math.nan
    return float((end / start) ** (1.0 / years) - 1.0)


def meets(value: float, comparator: str, threshold: float) -> bool:
    if comparator == ">=":
        return value >= threshold
    if comparator == ">":
        return value > threshold
    if comparator == "<=":
        return value <= threshold
    if comparator == "<":
        return value < threshold
    raise ValueError(f"unknown comparator {comparator!r}")


@dataclass(frozen=True)
class ResolvedCell:
    """The one figure the fit uses for a cell, and everything said about it."""

    chosen: Observation
    alternatives: tuple[Observation, ...] = field(default=())
