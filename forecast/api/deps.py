"""What a route can ask FastAPI for, as `Annotated[..., Depends()]` aliases.

    State    the app's ApiState (service, current bodies, metrics)
    Service  the ForecastService
    Bodies   the ResponseCache of the snapshot being served; NotReady (503) before the first fit. Dependencies
             run before FastAPI validates the query, so routes with query parameters call
             `state.current()` themselves: a bad query stays a 422 before the first fit
    AsCsv    whether the request's Accept asks for text/csv
    READ     route dependency: reads need the read key when one is set (401)
    WRITE    route dependency: writes need a write key (401)

Every dependency is `async def`: a plain `def` would be run in a worker thread, which
costs more than the check itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from forecast.api.hotpath import wants_csv
from forecast.api.render import ResponseCache
from forecast.api.state import ApiState
from forecast.services import ForecastService


async def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(api_state)]


async def forecast_service(state: State) -> ForecastService:
    return state.service


Service = Annotated[ForecastService, Depends(forecast_service)]


async def current_bodies(state: State) -> ResponseCache:
    return state.current()


Bodies = Annotated[ResponseCache, Depends(current_bodies)]


async def accepts_csv(request: Request) -> bool:
    return wants_csv(request.headers.get("accept", ""))


AsCsv = Annotated[bool, Depends(accepts_csv)]


async def check_read(state: State, authorization: Annotated[str | None, Header()] = None) -> None:
    if not state.read_allowed(authorization.encode("latin-1") if authorization else None):
        raise HTTPException(401, "reads need 'Authorization: Bearer <key>'")


async def check_write(state: State, authorization: Annotated[str | None, Header()] = None) -> None:
    if not state.settings.write_keys:
        raise HTTPException(401, "ingest is disabled: set FORECAST_API_KEY to enable it")
    if not state.is_write_key(authorization):
        raise HTTPException(401, "missing or wrong 'Authorization: Bearer <key>'")


READ = Depends(check_read)
WRITE = Depends(check_write)
