"""The series, their figures with provenance, and their forecasts: precomputed bytes with an ETag.

Each route builds its body once per snapshot (render.py) and ApiState.respond
stores it for the hot path, which answers every later identical GET. The two
routes with query parameters ask for the current bodies (`state.current()`)
only once FastAPI has validated the query: a bad query is a 422 even before
the first fit, as a dependency (deps.Bodies) would make it a 503.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from forecast.api import render
from forecast.api.deps import READ, AsCsv, Bodies, State
from forecast.api.errors import error_responses
from forecast.api.render import ResponseCache
from forecast.api.schemas import ALLOWED_LEVELS, DEFAULT_HORIZON, ForecastOut, ForecastQuery, ObservationsOut, SeriesOut
from forecast.errors import InvalidParameter
from forecast.services import ForecastService

router = APIRouter(dependencies=[READ])
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV when Accept asks for text/csv"}
}
SeriesId = Annotated[str, Path(description="series id from GET /v1/series")]


@router.get("/v1/series", tags=["series"], response_model=list[SeriesOut], responses=error_responses(401, 422, 503))
async def list_series(request: Request, state: State, bodies: Bodies) -> Response:
    body = bodies.get("series", lambda: (render.series_list(bodies.snapshot), "application/json"))
    return state.respond(request, body, "series", bodies)


@router.get(
    "/v1/series/{series_id}/observations",
    tags=["series"],
    response_model=ObservationsOut,
    responses={**CSV, **error_responses(401, 404, 422, 503)},
)
async def observations(
    request: Request,
    state: State,
    as_csv: AsCsv,
    series_id: SeriesId,
    as_of: Annotated[date | None, Query(description="only figures known on this day (YYYY-MM-DD)")] = None,
) -> Response:
    bodies = state.current()
    bodies.snapshot.catalog.require(series_id)

    def build() -> tuple[object, str]:
        body = render.observations_body(state.service.catalog(as_of), series_id)
        return (render.observations_csv(body), "text/csv") if as_csv else (body, "application/json")

    return state.respond(request, bodies.get(f"obs|{series_id}|{as_of}|{as_csv}", build), "observations", bodies)


@router.get(
    "/v1/series/{series_id}/forecast",
    tags=["forecast"],
    response_model=ForecastOut,
    responses={**CSV, **error_responses(401, 404, 422, 503)},
)
async def forecast(
    request: Request,
    state: State,
    as_csv: AsCsv,
    series_id: SeriesId,
    query: Annotated[ForecastQuery, Query()],
) -> Response:
    bodies = state.current()
    body = bodies.get(query.cache_key(series_id, as_csv), lambda: forecast_payload(state.service, bodies, series_id, query, as_csv))
    return state.respond(request, body, "forecast", bodies)


def forecast_payload(
    service: ForecastService, bodies: ResponseCache, series_id: str, query: ForecastQuery, as_csv: bool
) -> tuple[object, str]:
    """The forecast body (JSON-ready, or CSV bytes) and its media type."""
    bodies.snapshot.catalog.require(series_id)
    levels = parse_levels(query.levels)
    freq = query.freq.value
    found = service.forecast_for(series_id, query.as_of, freq=freq, horizon=query.horizon or 0)
    # asked for: exactly that many, or a 422; not asked: a default no projection can fail (years run only to 2035)
    periods = query.horizon or min(DEFAULT_HORIZON, len(found.points.get(freq, [])))
    payload = render.forecast_body(bodies.snapshot, found, freq, periods, levels, query.as_of)
    return (render.forecast_csv(payload, levels), "text/csv") if as_csv else (payload, "application/json")


def parse_levels(levels: str) -> list[int]:
    """'95,80' -> [80, 95]; InvalidParameter (422) unless each is one of ALLOWED_LEVELS."""
    try:
        parsed = sorted({int(part) for part in levels.split(",") if part.strip()})
    except ValueError:
        raise InvalidParameter("levels", f"'{levels}' must be comma-separated integers out of {ALLOWED_LEVELS}") from None
    if not parsed or any(level not in ALLOWED_LEVELS for level in parsed):
        raise InvalidParameter("levels", f"each level must be one of {ALLOWED_LEVELS}")
    return parsed
