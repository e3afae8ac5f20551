"""POST /v1/observations: new or revised figures, validated as a whole, stored, then a refit in the background.
POST /v1/observations/retire: a stored figure kept and shown but no longer fitted, with a reason; then a refit."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from forecast import tracking
from forecast.api.deps import WRITE, Service
from forecast.api.errors import write_responses
from forecast.api.schemas import FigureRetireIn, IngestAcceptedOut, ObservationBatchIn

router = APIRouter(tags=["ingest"])


@router.post(
    "/v1/observations",
    status_code=202,
    dependencies=[WRITE],
    response_model=IngestAcceptedOut,
    responses=write_responses(409),
)
async def ingest(batch: ObservationBatchIn, service: Service) -> IngestAcceptedOut:
    rows = [o.model_dump() for o in batch.observations]
    job = await asyncio.to_thread(service.ingest, rows, True, batch.correction)
    return IngestAcceptedOut(job_id=job.id, status=job.status, detail=dict(job.detail))


@router.post(
    "/v1/observations/retire",
    status_code=202,
    dependencies=[WRITE],
    response_model=IngestAcceptedOut,
    responses=write_responses(404),
)
async def retire(body: FigureRetireIn, service: Service) -> IngestAcceptedOut:
    job = await asyncio.to_thread(tracking.retire_figure, service, body.key, body.reason)
    return IngestAcceptedOut(job_id=job.id, status=job.status, detail=dict(job.detail))
