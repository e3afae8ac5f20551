"""create_app(): the FastAPI application around one ForecastService.

app.py        create_app: settings, service, hot path, CORS allow-list, routers, error handlers
state.py      ApiState: the service, the current snapshot's bodies, metrics, keys
keys.py       the Bearer scheme and the keys as digests, compared in constant time
deps.py       Annotated[..., Depends()] aliases routes ask for (State, Service, Bodies, READ, WRITE)
routes/       one APIRouter per resource: ops, series, targets, observations (ingest), extract (articles), jobs, charts (SVG),
              tracking (series and targets added and retired),
              dashboard (the page at / and its static files)
schemas.py    request and response bodies (ObservationIn, ForecastOut, ErrorOut, ...)
errors.py     ForecastError -> HTTP status, and one JSON shape for every error
render.py     bodies as bytes with an ETag, once per snapshot
hotpath.py    the ASGI layer that answers repeated GETs from those bytes before FastAPI routes them
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from forecast.api.errors import add_error_handlers
from forecast.api.hotpath import HotPath
from forecast.api.limits import BodyLimit
from forecast.api.routes import charts, dashboard, extract, jobs, observations, ops, series, targets, tracking
from forecast.api.state import ApiState
from forecast.config import Settings
from forecast.replicas import ModelFollower
from forecast.services import ForecastService
from forecast.store import Store

DESCRIPTION = "Vehicle export figures with provenance, projections with calibrated intervals, and progress against targets."


def create_app(settings: Settings | None = None, service: ForecastService | None = None, fit_on_start: bool = True) -> FastAPI:
    """The app serving `service` (by default one on `settings`' database). With `fit_on_start`, start-up reads
    data/ and loads the stored models, or fits, in a background thread; /readyz says 503 until then."""
    settings = settings or Settings()
    if service is None:
        service = ForecastService(settings, Store(settings.database))
    state = ApiState(settings, service)
    app = FastAPI(
        title="forecast",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan(service, fit_on_start, state),
    )
    app.state.api = state
    app.state.service = service
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # 413 before a large body is read whole
    app.add_middleware(HotPath, lookup=state.stored, allowed=state.read_allowed, count=state.metrics.count)
    if settings.cors_origins:  # outside the hot path, so its answers carry the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag"],
        )
    for module in (ops, series, targets, observations, extract, jobs, charts, dashboard, tracking):
        app.include_router(module.router)
    add_error_handlers(app)
    return app


def _lifespan(service: ForecastService, fit_on_start: bool, state: ApiState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if fit_on_start:
            service.load_data_dir()
            threading.Thread(target=service.start, daemon=True, name="initial-fit").start()
        follower = ModelFollower(service.follow_replicas, service.settings.replica_poll_seconds)
        if service.store.shared:  # replicas on one PostgreSQL store: serve the models another one fits
            follower.start()
        yield
        follower.stop()
        await asyncio.to_thread(state.stop_warming)
        await asyncio.to_thread(service.close)  # let fitted models being written reach the disk

    return lifespan
