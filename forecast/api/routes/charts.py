"""Charts as SVG (matplotlib, forecast/charts.py): a series' fan chart and a target's probability over time.

Drawn once per snapshot and query, like the JSON bodies, and served as bytes with an ETag (a repeat is
answered by the hot path). The series chart takes the forecast's query (`freq`, `horizon`, `levels`, `as_of`);
every drawn layer carries its values in a `data-points` attribute.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from forecast.api import render
from forecast.api.bodies import forecast_payload
from forecast.api.deps import READ, State
from forecast.api.errors import error_responses
from forecast.api.routes.series import SeriesId
from forecast.api.schemas import ForecastQuery
from forecast.errors import UnknownTarget

router = APIRouter(tags=["charts"], dependencies=[READ])
SVG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "an SVG chart"}}


@router.get("/v1/series/{series_id}/chart.svg", response_class=Response, responses={**SVG, **error_responses(401, 404, 422, 503)})
async def series_chart(request: Request, state: State, series_id: SeriesId, query: Annotated[ForecastQuery, Query()]) -> Response:
    bodies = state.current()

    def build() -> tuple[object, str]:
        payload, _ = forecast_payload(state.service, bodies, series_id, query, as_csv=False)
        assert isinstance(payload, dict)
        return render.series_chart_image(bodies.snapshot, payload, state.service.catalog(query.as_of)), "image/svg+xml"

    body = await asyncio.to_thread(bodies.get, f"svg|{query.cache_key(series_id, False)}", build)
    return state.respond(request, body, "series_chart", bodies)


@router.get("/v1/targets/{target_id}/chart.svg", response_class=Response, responses={**SVG, **error_responses(401, 404, 422, 503)})
async def target_chart(
    request: Request,
    state: State,
    target_id: str,
    as_of: Annotated[date | None, Query(description="only the assessments made by this day")] = None,
) -> Response:
    bodies = state.current()
    if target_id not in bodies.snapshot.assessments:
        raise UnknownTarget(target_id)
    build = lambda: (render.target_chart_image(bodies.snapshot, target_id, as_of), "image/svg+xml")  # noqa: E731
    body = await asyncio.to_thread(bodies.get, f"svg|target|{target_id}|{as_of}", build)
    return state.respond(request, body, "target_chart", bodies)
