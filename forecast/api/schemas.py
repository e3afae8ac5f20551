"""Request and response bodies of the HTTP API, named by role: `...In` is read from a request, `...Out` is served.

The `...Out` schemas describe the JSON the service has always served, field for
field; they are the contract dashboards build on. GET routes serve precomputed
bytes (render.py) and name their schema with `response_model=` for /openapi.json
only: FastAPI does not validate a returned Response, so tests validate real
bodies against these classes instead (tests/test_api.py). Each `...Out` forbids
fields it does not declare, so such a test fails when a body grows a field the
schema does not describe.

Floats the service could not compute (NaN) are served as null (render.to_json).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_HORIZON = 12  # future periods served when a request does not say
ALLOWED_LEVELS = (50, 80, 90, 95, 99)


class Out(BaseModel):
    """Base of every served body: exactly the fields declared."""

    model_config = ConfigDict(extra="forbid")


# requests ----------------------------------------------------------------------------------------


class Freq(str, Enum):
    month = "month"
    quarter = "quarter"
    year = "year"


class ForecastQuery(BaseModel):
    """The query of GET /v1/series/{series_id}/forecast."""

    horizon: int | None = Field(
        None,
        ge=1,
        le=240,
        description=f"number of future periods (default: {DEFAULT_HORIZON}, or every period the projection has when it has fewer)",
    )
    freq: Freq = Freq.month
    levels: str = Field("80,95", description="comma-separated interval levels out of 50,80,90,95,99")
    as_of: date | None = Field(None, description="the forecast as it stood on this day")

    def cache_key(self, series_id: str, as_csv: bool) -> str:
        """The key of the rendered body: one per series, query and media type."""
        return f"fc|{series_id}|{self.horizon}|{self.freq.value}|{self.levels}|{self.as_of}|{as_csv}"


class ObservationIn(BaseModel):
    """One figure, with the columns of data/observations.csv.

    Strict: a number is a JSON number or text, never true/false; a field not listed here is refused by name.
    The plausible ranges and text limits are checked with the CSV rows' (forecast/plausibility.py, rows.py).
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    series_id: str
    period_start: str
    period_end: str
    aggregation: str
    kind: str = "level"
    value: float | str
    unit: str
    qualifier: str = "exact"
    yoy_pct: float | str | None = None
    mom_pct: float | str | None = None
    source_publisher: str
    source_url: str | None = ""
    source_file: str | None = ""
    published_date: str | None = ""
    published_date_estimated: bool | str = False
    disputed: bool | str = False
    note: str | None = ""


MAX_BATCH_ROWS = 5000


class ObservationBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationIn] = Field(min_length=1, max_length=MAX_BATCH_ROWS)
    correction: bool = Field(
        False,
        description="the rows correct stored figures read wrongly: another value for a figure already known on its "
        "publication date is stored as a new version (the old one stays in its history) instead of refused with 409",
    )


class FigureRetireIn(BaseModel):
    """POST /v1/observations/retire: a stored figure to keep but no longer fit, and why."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(min_length=1, max_length=4000, description="the figure's `key`, as GET /v1/series/{id}/observations lists it")
    reason: str = Field(min_length=1, max_length=4000, description="why it is retired; shown with the figure")


class In(BaseModel):
    """Base of the definition rows: a column the data/ file does not have is refused, and named."""

    model_config = ConfigDict(extra="forbid")


class SeriesIn(In):
    """One series, with the columns of data/series.csv (data/README.md)."""

    id: str
    entity: str
    measure: str
    basis: str = Field(description="caam, customs, company, local_customs or other")
    segment: str
    unit: str
    description: str | None = ""
    lends_prior: bool | str | None = False
    part_of: str | None = Field("", description="the id of the total this series is a part of")
    retired_on: str | None = ""
    retired_reason: str | None = ""


class SeriesBatchIn(In):
    series: list[SeriesIn] = Field(min_length=1, max_length=1000)


class TargetIn(In):
    """One target, with the columns of data/targets.csv (data/README.md)."""

    target_id: str
    entity: str
    metric: str
    comparator: str = Field(description=">=, >, <= or <")
    threshold: float | str
    unit: str
    deadline_year: int | str
    stated_on: str = Field(description="when it was stated: YYYY-MM-DD, YYYY-MM or YYYY")
    series_id: str | None = ""
    denominator_series_id: str | None = Field("", description="for a share: the series of the whole")
    supersedes: str | None = Field("", description="the id of the target this statement revises")
    source_publisher: str
    source_url: str | None = ""
    source_file: str | None = ""
    note: str | None = ""
    retired_on: str | None = ""
    retired_reason: str | None = ""


class TargetBatchIn(In):
    targets: list[TargetIn] = Field(min_length=1, max_length=1000)


class RetireIn(In):
    reason: str = Field(min_length=1, max_length=2000, description="why it is no longer tracked")


# operations --------------------------------------------------------------------------------------


class HealthOut(Out):
    status: str = Field(description="always 'ok' while the process answers")


class ReadyOut(Out):
    """`{"ready": false}` (503) until the first fit or load; then what is being served."""

    ready: bool
    version: str | None = Field(None, description="data fingerprint / model version of the served fit")
    series: int | None = Field(None, description="series with a projection")
    fitted_at: str | None = Field(None, description="when the served fit was made (ISO 8601, UTC)")
    recomputing: str | None = Field(None, description="why the served fit is older than the data, while a refit runs")
    failures: dict[str, str] | None = Field(None, description="series that could not be projected, and why")
    history_pending: dict[str, list[str]] | None = Field(
        None,
        description="as-of replays the refit served still has to run (`series` replayed again, new replay `days`); null when up to date",
    )


class ErrorOut(Out):
    """Every error: a name and a message; the other fields when the error has them."""

    error: str = Field(description="the error's name: UnknownSeries, DataError, InvalidRequest, NotReady, Unauthorized, ...")
    message: str = Field(description="what went wrong and how to fix the request")
    field: str | None = Field(None, description="the parameter or field at fault, e.g. 'horizon' or 'observations[1].value'")
    reason: str | None = Field(None, description="why the field is wrong (DataError, InvalidParameter)")
    source: str | None = Field(None, description="where the bad row came from (DataError)")
    line: int | None = Field(None, description="line of the bad row in its source (DataError)")
    row: int | None = Field(None, description="index of the bad row in the batch (DataError)")
    problems: list[dict[str, Any]] | None = Field(
        None, description="every bad row of the batch (field, reason, row), when more than one is bad (DataError)"
    )
    detail: Any = Field(None, description="validation problems as FastAPI lists them, or the HTTP error's detail")


# series and observations -------------------------------------------------------------------------


class SourceOut(Out):
    """Where a figure was published."""

    publisher: str
    url: str | None
    seed_file: str | None = Field(description="the seed article in data/seeds/ the figure was read from")
    published_date: date | None
    published_date_estimated: bool


class LastObservationOut(Out):
    period_start: date
    period_end: date
    aggregation: str
    value: float


class RetiredOut(Out):
    """A retired series or target: kept and served, with its figures and assessments, but it takes no new figures."""

    on: str = Field(description="the day it was retired")
    reason: str


class SeriesOut(Out):
    """One entry of GET /v1/series."""

    id: str
    entity: str
    measure: str
    basis: str = Field(description="who counts: caam, customs, company, local_customs, other")
    segment: str
    unit: str
    description: str
    last_observation: LastObservationOut | None
    forecast_available: bool
    forecast_unavailable_reason: str | None
    retired: RetiredOut | None = Field(None, description="when and why the series was retired; null while it is tracked")


class ConflictOut(Out):
    check: str
    detail: str
    resolution: str
    kept: bool | None = Field(description="whether this figure is the one kept; null when the check kept none")


class ObservationOut(Out):
    period_start: date
    period_end: date
    aggregation: str = Field(description="month, ytd, quarter, half, year or window")
    kind: str = Field(description="level, yoy_pct, mom_pct or share")
    value: float
    unit: str
    qualifier: str = Field(description="exact, approx, lower_bound or upper_bound")
    yoy_pct: float | None
    mom_pct: float | None
    derived: bool
    derived_from: list[str] = Field(description="keys of the figures this one was computed from")
    vintage: date = Field(description="the day the figure became known")
    source: SourceOut
    note: str
    disputed: bool
    used_in_fit: bool
    retired: str | None = Field(description="why the figure was retired (POST /v1/observations/retire); a retired figure is never fitted")
    key: str
    conflicts: list[ConflictOut]


class ObservationsOut(Out):
    series_id: str
    as_of: date | None
    retired: RetiredOut | None = Field(None, description="when and why the series was retired; its figures stay readable")
    count: int
    observations: list[ObservationOut]


# forecasts ---------------------------------------------------------------------------------------


class IntervalOut(Out):
    level: int
    lower: float
    upper: float


class ForecastPointOut(Out):
    period_start: date
    period_end: date
    mean: float
    median: float
    reported_share: float = Field(description="share of the period already covered by reported figures (0 to 1)")
    intervals: list[IntervalOut]


class CalibrationOut(Out):
    """How much the intervals were widened so backtest coverage matches nominal."""

    scale: float
    coverage_80_before: float | None
    coverage_95_before: float | None
    applied: bool
    n: int


class CalibrationsOut(Out):
    monthly: CalibrationOut
    annual: CalibrationOut


class ModelDetailsOut(Out):
    monthly: dict[str, Any] | None = Field(description="the monthly models: weights, parameters, seasonal factors, calibration")
    annual: dict[str, Any] | None = Field(description="the annual growth curves: weights, history, damping, saturation, calibration")


class ForecastModelOut(Out):
    name: str | None
    fitted_at: str
    version: str
    backtest: dict[str, Any] | None = Field(description="rolling-origin backtest summaries, 'monthly' and 'annual'")
    calibration: CalibrationsOut
    details: ModelDetailsOut


class ForecastOut(Out):
    series_id: str
    unit: str
    freq: Freq
    as_of: date | None = Field(description="the as_of asked for; null for today's forecast")
    data_as_of: date | None = Field(description="the last day of data the forecast knew")
    last_reported_period_end: date | None
    model: ForecastModelOut
    points: list[ForecastPointOut]
    sources: list[SourceOut]


# targets -----------------------------------------------------------------------------------------


class TargetSourceOut(Out):
    publisher: str
    url: str
    seed_file: str


class LatestActualOut(Out):
    year: int
    value: float
    origin: str = Field(description="'reported' or 'estimated'")


class DrawSummaryOut(Out):
    mean: float
    median: float
    intervals: dict[str, tuple[float, float]] = Field(description="level ('80', '95') -> [lower, upper]")


class ProjectionOut(DrawSummaryOut):
    year: int


class WhatIfOut(Out):
    """Each key is present only when the assessment computed it."""

    ratio_of_separate_medians: float | None = None
    numerator_projection_at_deadline: DrawSummaryOut | None = None
    required_annual_growth_from_latest: float | None = None
    year_met_if_growth: dict[str, int | None] | None = Field(None, description="annual growth ('5%') -> the year the target is met")
    probability_if_growth_capped: dict[str, float] | None = Field(None, description="annual growth cap ('5%') -> P(meet)")


class TargetHistoryOut(Out):
    as_of: str
    probability: float | None
    status: str
    projection_median: float | None
    latest_actual: LatestActualOut | None


class RevisionOut(Out):
    id: str
    relation: str = Field(description="'supersedes' or 'superseded_by'")
    threshold: float | None = None
    deadline_year: int | None = None
    stated_on: str | None = None


class TargetOut(Out):
    id: str
    description: str
    entity: str
    deadline_year: int
    comparator: str
    threshold: float
    unit: str
    stated_on: str
    source: TargetSourceOut
    series_id: str
    denominator_series_id: str
    latest_actual: LatestActualOut | None
    projection: ProjectionOut | None
    probability: float | None
    required_cagr: float | None
    projected_cagr: float | None
    attainment_year: int | str | None = Field(description="the first year the median meets the target, or 'not by <year>'")
    gap: float | None
    status: str = Field(description="on_track, at_risk, off_track, achieved, missed, not_assessed; 'superseded (...)' around it")
    status_rule: str
    assumptions: list[str]
    what_if: WhatIfOut
    history: list[TargetHistoryOut]
    revisions: list[RevisionOut]
    model: str
    deadline_passed: bool
    retired: RetiredOut | None = Field(None, description="when and why the target was retired; null while it is tracked")


# ingest ------------------------------------------------------------------------------------------


class IngestAcceptedOut(Out):
    job_id: str
    status: str
    detail: dict[str, Any] = Field(description="series affected and figures new, revised and unchanged")


class JobOut(Out):
    job_id: str
    status: str = Field(description="queued, running, done or failed")
    kind: str
    created_at: str
    finished_at: str | None
    detail: dict[str, Any]
