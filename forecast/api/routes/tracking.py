"""What is tracked, changed by teams behind the write key: series and targets added, and retired with a reason.

Each answers 202 with the refit job that brings the change into the served forecasts (GET /v1/jobs/{id}).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from forecast import tracking
from forecast.api.deps import WRITE, Service
from forecast.api.errors import write_responses
from forecast.api.schemas import IngestAcceptedOut, RetireIn, SeriesBatchIn, TargetBatchIn
from forecast.store import Job

router = APIRouter(tags=["tracking"], dependencies=[WRITE])


def _accepted(job: Job) -> IngestAcceptedOut:
    return IngestAcceptedOut(job_id=job.id, status=job.status, detail=dict(job.detail))


@router.post("/v1/series", status_code=202, response_model=IngestAcceptedOut, responses=write_responses())
async def add_series(batch: SeriesBatchIn, service: Service) -> IngestAcceptedOut:
    rows = [item.model_dump() for item in batch.series]
    return _accepted(await asyncio.to_thread(tracking.add_series, service, rows))


@router.post("/v1/targets", status_code=202, response_model=IngestAcceptedOut, responses=write_responses())
async def add_targets(batch: TargetBatchIn, service: Service) -> IngestAcceptedOut:
    rows = [item.model_dump() for item in batch.targets]
    return _accepted(await asyncio.to_thread(tracking.add_targets, service, rows))


@router.post("/v1/series/{series_id}/retire", status_code=202, response_model=IngestAcceptedOut, responses=write_responses(404))
async def retire_series(series_id: str, body: RetireIn, service: Service) -> IngestAcceptedOut:
    return _accepted(await asyncio.to_thread(tracking.retire, service, "series", series_id, body.reason))


@router.post("/v1/targets/{target_id}/retire", status_code=202, response_model=IngestAcceptedOut, responses=write_responses(404))
async def retire_target(target_id: str, body: RetireIn, service: Service) -> IngestAcceptedOut:
    return _accepted(await asyncio.to_thread(tracking.retire, service, "targets", target_id, body.reason))
