"""create_app(): the FastAPI application. Routes only look up precomputed bytes or call one service function."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecast.api import render
from forecast.api.hotpath import HotPath, RawKey, StoredResponse, wants_csv as accepts_csv
from forecast.config import Settings
from forecast.errors import DataError, ForecastError, InsufficientHistory, InvalidParameter, NotReady, UnknownSeries, UnknownTarget
from forecast.services import ForecastService, Snapshot
from forecast.store import Store

log = logging.getLogger("forecast.api")

DEFAULT_HORIZON = 12  # future periods served when a request does not say
ALLOWED_LEVELS = (50, 80, 90, 95, 99)
HTTP_ERROR_NAMES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 422: "InvalidRequest"}
ERROR_STATUS: dict[type[ForecastError], int] = {
    UnknownSeries: 404,
    UnknownTarget: 404,
    DataError: 422,
    InvalidParameter: 422,
    InsufficientHistory: 422,
    NotReady: 503,
}


class Freq(str, Enum):
    month = "month"
    quarter = "quarter"
    year = "year"


class ObservationIn(BaseModel):
    """One figure, with the columns of data/observations.csv."""

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


class ObservationBatchIn(BaseModel):
    observations: list[ObservationIn] = Field(min_length=1, max_length=5000)


class JobOut(BaseModel):
    job_id: str
    status: str
    kind: str
    created_at: str
    finished_at: str | None
    detail: dict[str, Any]


def create_app(settings: Settings | None = None, service: ForecastService | None = None, fit_on_start: bool = True) -> FastAPI:
    settings = settings or Settings()
    if service is None:
        service = ForecastService(settings, Store(settings.database_path))
    registry = CollectorRegistry()
    requests_total = Counter("forecast_requests_total", "Requests served", ["route", "status"], registry=registry)
    ready_gauge = Gauge("forecast_ready", "1 once forecasts are loaded", registry=registry)
    refit_seconds = Gauge("forecast_last_refit_seconds", "Seconds the last refit took", registry=registry)
    series_gauge = Gauge("forecast_series_projected", "Series with a projection", registry=registry)
    state: dict[str, render.ResponseCache] = {}

    def on_swap(snapshot: Snapshot) -> None:
        state["cache"] = render.ResponseCache(snapshot)
        ready_gauge.set(1)
        refit_seconds.set(snapshot.seconds)
        series_gauge.set(len(snapshot.forecasts))

    service.on_swap.append(on_swap)
    if service.ready:  # built around a service that has already fitted or loaded its models
        on_swap(service.snapshot)
    cache_control = f"public, max-age={settings.cache_max_age}, must-revalidate"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if fit_on_start:
            service.load_data_dir()
            worker = threading.Thread(target=service.start, daemon=True, name="initial-fit")
            worker.start()
        yield
        await asyncio.to_thread(service.close)  # let fitted models being written reach the disk

    app = FastAPI(
        title="forecast",
        version="1",
        description="Vehicle export figures with provenance, projections with calibrated intervals, and progress against targets.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings

    def stored_response(key: RawKey) -> StoredResponse | None:
        current = state.get("cache")
        return current.stored.get(key) if current is not None else None

    def read_allowed(authorization: bytes | None) -> bool:
        if not settings.read_key:
            return True
        token = (authorization or b"").decode("latin-1").removeprefix("Bearer ").strip()
        return token == settings.read_key or token in settings.write_keys

    app.add_middleware(
        HotPath,
        lookup=stored_response,
        allowed=read_allowed,
        count=lambda route, status: requests_total.labels(route, status).inc(),
    )

    @app.exception_handler(ForecastError)
    async def forecast_error(request: Request, error: ForecastError) -> JSONResponse:
        status = next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 500)
        detail: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
        if isinstance(error, (DataError, InvalidParameter)):
            detail.update(error.as_dict())
        if isinstance(error, DataError) and error.row is not None:
            detail["field"] = f"observations[{error.row}].{error.field}"
        return JSONResponse(detail, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = jsonable_encoder(error.errors())
        first = problems[0] if problems else {}
        field = _field_name(first.get("loc", ()))
        message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid request"))
        return JSONResponse({"error": "InvalidRequest", "message": message, "field": field, "detail": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        name = HTTP_ERROR_NAMES.get(error.status_code, "HTTPError")
        return JSONResponse({"error": name, "message": str(error.detail), "detail": error.detail}, status_code=error.status_code, headers=error.headers)

    def cache() -> render.ResponseCache:
        current = state.get("cache")
        if current is None:
            raise NotReady("forecasts are still being computed; see /readyz")
        return current

    async def check_read(authorization: Annotated[str | None, Header()] = None) -> None:
        if not read_allowed(authorization.encode("latin-1") if authorization else None):
            raise HTTPException(401, "reads need 'Authorization: Bearer <key>'")

    def _is_write_key(authorization: str | None) -> bool:
        return bool(authorization) and authorization.removeprefix("Bearer ").strip() in settings.write_keys  # type: ignore[union-attr]

    async def check_write(authorization: Annotated[str | None, Header()] = None) -> None:
        if not settings.write_keys:
            raise HTTPException(401, "ingest is disabled: set FORECAST_API_KEY to enable it")
        if not _is_write_key(authorization):
            raise HTTPException(401, "missing or wrong 'Authorization: Bearer <key>'")

    def send(request: Request, body: render.Body, route: str, current: render.ResponseCache) -> Response:
        key = (request.url.path, request.scope["query_string"], wants_csv(request))
        current.remember(key, StoredResponse.build(route, body.content, body.etag, body.media_type, cache_control))
        headers = {"ETag": body.etag, "Cache-Control": cache_control, "Vary": "Accept"}
        if request.headers.get("if-none-match") == body.etag:
            requests_total.labels(route, "304").inc()
            return Response(status_code=304, headers=headers)
        requests_total.labels(route, "200").inc()
        return Response(body.content, media_type=body.media_type, headers=headers)

    def wants_csv(request: Request) -> bool:
        return accepts_csv(request.headers.get("accept", ""))

    Reader = Depends(check_read)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        if not service.ready:
            return JSONResponse({"ready": False}, status_code=503)
        snapshot = service.snapshot
        return JSONResponse({"ready": True, "version": snapshot.version, "series": len(snapshot.forecasts), "fitted_at": snapshot.created_at})

    @app.get("/metrics", tags=["ops"])
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/series", tags=["series"], dependencies=[Reader])
    async def list_series(request: Request) -> Response:
        current = cache()
        return send(request, current.get("series", lambda: (render.series_list(current.snapshot), "application/json")), "series", current)

    @app.get("/v1/series/{series_id}/observations", tags=["series"], dependencies=[Reader])
    async def observations(
        request: Request,
        series_id: Annotated[str, Path(description="series id from GET /v1/series")],
        as_of: Annotated[date | None, Query(description="only figures known on this day (YYYY-MM-DD)")] = None,
    ) -> Response:
        current = cache()
        current.snapshot.catalog.require(series_id)
        as_csv = wants_csv(request)
        key = f"obs|{series_id}|{as_of}|{as_csv}"

        def build() -> tuple[object, str]:
            body = render.observations_body(service.catalog(as_of), series_id)
            return (render.observations_csv(body), "text/csv") if as_csv else (body, "application/json")

        return send(request, current.get(key, build), "observations", current)

    @app.get("/v1/series/{series_id}/forecast", tags=["forecast"], dependencies=[Reader])
    async def forecast(
        request: Request,
        series_id: str,
        horizon: Annotated[
            int | None, Query(ge=1, le=240, description=f"number of future periods (default: {DEFAULT_HORIZON}, or every period the projection has when it has fewer)")
        ] = None,
        freq: Freq = Freq.month,
        levels: Annotated[str, Query(description="comma-separated interval levels out of 50,80,90,95,99")] = "80,95",
        as_of: Annotated[date | None, Query(description="the forecast as it stood on this day")] = None,
    ) -> Response:
        current = cache()
        as_csv = wants_csv(request)
        key = f"fc|{series_id}|{horizon}|{freq.value}|{levels}|{as_of}|{as_csv}"

        def build() -> tuple[object, str]:
            current.snapshot.catalog.require(series_id)
            parsed = _parse_levels(levels)
            found = service.forecast_for(series_id, as_of, freq=freq.value, horizon=horizon or 0)
            # asked for: exactly that many, or a 422; not asked: a default no projection can fail (years run only to 2035)
            periods = horizon or min(DEFAULT_HORIZON, len(found.points.get(freq.value, [])))
            payload = render.forecast_body(current.snapshot, found, freq.value, periods, parsed, as_of)
            return (render.forecast_csv(payload, parsed), "text/csv") if as_csv else (payload, "application/json")

        return send(request, current.get(key, build), "forecast", current)

    @app.get("/v1/targets", tags=["targets"], dependencies=[Reader])
    async def targets(request: Request) -> Response:
        current = cache()
        return send(request, current.get("targets", lambda: (render.targets_list(current.snapshot), "application/json")), "targets", current)

    @app.get("/v1/targets/{target_id}", tags=["targets"], dependencies=[Reader])
    async def target(request: Request, target_id: str) -> Response:
        current = cache()
        if target_id not in current.snapshot.assessments:
            raise UnknownTarget(target_id)
        return send(request, current.get(f"target|{target_id}", lambda: (render.target_body(current.snapshot, target_id), "application/json")), "target", current)

    @app.post("/v1/observations", status_code=202, tags=["ingest"], dependencies=[Depends(check_write)])
    async def ingest(batch: ObservationBatchIn) -> JSONResponse:
        rows = [o.model_dump() for o in batch.observations]
        job = await asyncio.to_thread(service.ingest, rows)
        return JSONResponse({"job_id": job.id, "status": job.status, "detail": job.detail}, status_code=202)

    @app.get("/v1/jobs/{job_id}", tags=["ingest"], response_model=JobOut)
    async def job(job_id: str) -> JobOut:
        found = service.store.job(job_id)
        if found is None:
            raise HTTPException(404, f"unknown job '{job_id}'")
        return JobOut(job_id=found.id, status=found.status, kind=found.kind, created_at=found.created_at, finished_at=found.finished_at, detail=dict(found.detail))

    return app


def _parse_levels(levels: str) -> list[int]:
    try:
        parsed = sorted({int(part) for part in levels.split(",") if part.strip()})
    except ValueError:
        raise InvalidParameter("levels", f"'{levels}' must be comma-separated integers out of {ALLOWED_LEVELS}") from None
    if not parsed or any(level not in ALLOWED_LEVELS for level in parsed):
        raise InvalidParameter("levels", f"each level must be one of {ALLOWED_LEVELS}")
    return parsed


def _field_name(location: Sequence[object]) -> str:
    """('body', 'observations', 0, 'value') -> 'observations[0].value'; ('query', 'horizon') -> 'horizon'."""
    name = ""
    for part in list(location)[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name
