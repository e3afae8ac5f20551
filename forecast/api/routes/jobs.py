"""GET /v1/jobs/{job_id}: how an ingest's refit is going."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from forecast.api.deps import READ, Service
from forecast.api.errors import error_responses
from forecast.api.schemas import JobOut

router = APIRouter(tags=["ingest"], dependencies=[READ])  # a job echoes what was ingested: a read like any other


@router.get("/v1/jobs/{job_id}", response_model=JobOut, responses=error_responses(401, 404, 422))
async def job(job_id: str, service: Service) -> JobOut:
    found = service.store.job(job_id)
    if found is None:
        raise HTTPException(404, f"unknown job '{job_id}'")
    return JobOut(
        job_id=found.id,
        status=found.status,
        kind=found.kind,
        created_at=found.created_at,
        finished_at=found.finished_at,
        detail=dict(found.detail),
    )
