"""Liveness and readiness, open to all; Prometheus metrics, behind the read key when one is set. Never cached."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from forecast.api.deps import READ, Service, State
from forecast.api.errors import WHEN
from forecast.api.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["ops"])
# the 401 is JSON like every error, although the 200 is text: declared by hand, as `model=` would take the route's media type
UNAUTHORIZED_JSON = {"description": WHEN[401], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut, "description": 'not ready yet: `{"ready": false}`'}})
async def readyz(service: Service) -> JSONResponse:
    if not service.ready:
        return JSONResponse({"ready": False}, status_code=503)
    snapshot = service.snapshot
    body = {"ready": True, "version": snapshot.version, "series": len(snapshot.forecasts), "fitted_at": snapshot.created_at}
    pending = snapshot.history_pending.as_dict() if snapshot.history_pending else None
    return JSONResponse({**body, "recomputing": service.recomputing, "failures": dict(snapshot.failures), "history_pending": pending})


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    dependencies=[READ],
    responses={200: {"description": "Prometheus text exposition format"}, 401: UNAUTHORIZED_JSON},
)
async def metrics(state: State) -> Response:
    return Response(state.metrics.exposition(), media_type=state.metrics.media_type)
