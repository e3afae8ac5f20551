"""What a route can ask FastAPI for, as `Annotated[..., Depends()]` aliases.

    State    the app's ApiState (service, current bodies, metrics)
    Service  the ForecastService
    Bodies   the ResponseCache of the snapshot being served; NotReady (503) before the first fit. Dependencies
             run before FastAPI validates the query, so routes with query parameters call
             `state.current()` themselves: a bad query stays a 422 before the first fit
    AsCsv    whether the request's Accept asks for text/csv
    READ     route dependency: every data route needs the read key (or a write key) when one is set (401)
    WRITE    route dependency: writes need a write key (401)

Every dependency is `async def`: a plain `def` would be run in a worker thread, which
costs more than the check itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}
# one message for a missing, malformed or wrong key: the answer tells nothing of what was wrong with it
UNAUTHORIZED = "a valid key is needed: 'Authorization: Bearer <key>'"


# declares the scheme in /openapi.json (the Authorize button of /docs); the check itself is keys.KeyRing's, on the raw header
BEARER = HTTPBearer(auto_error=False, description="a write key, or the read key when FORECAST_READ_KEY is set")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


async def check_read(state: State, request: Request, _: Credentials) -> None:
    if not state.keys.may_read(request.headers.get("authorization")):
        raise HTTPException(401, UNAUTHORIZED, headers=UNAUTHORIZED_HEADERS)


async def check_write(state: State, request: Request, _: Credentials) -> None:
    if not state.keys.writes_enabled:
        raise HTTPException(401, "ingest is disabled: set FORECAST_API_KEY to enable it", headers=UNAUTHORIZED_HEADERS)
    if not state.keys.may_write(request.headers.get("authorization")):
        raise HTTPException(401, UNAUTHORIZED, headers=UNAUTHORIZED_HEADERS)


READ = Depends(check_read)
WRITE = Depends(check_write)
