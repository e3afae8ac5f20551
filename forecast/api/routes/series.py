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

from forecast.api import bodies as bodies_of
from forecast.api.deps import READ, AsCsv, Bodies, State
from forecast.api.errors import error_responses
from forecast.api.schemas import ForecastOut, ForecastQuery, ObservationsOut, SeriesOut

router = APIRouter(dependencies=[READ])
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV when Accept asks for text/csv"}
}
SeriesId = Annotated[str, Path(description="series id from GET /v1/series")]


@router.get("/v1/series", tags=["series"], response_model=list[SeriesOut], responses=error_responses(401, 422, 503))
async def list_series(request: Request, state: State, bodies: Bodies) -> Response:
    return state.respond(request, bodies_of.series_list(bodies), "series", bodies)


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
    return state.respond(request, bodies_of.observations(state.service, bodies, series_id, as_of, as_csv), "observations", bodies)


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
    return state.respond(request, bodies_of.forecast(state.service, bodies, series_id, query, as_csv), "forecast", bodies)
