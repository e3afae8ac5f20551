"""Progress against stated targets: precomputed bytes with an ETag, like the series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forecast.api import bodies as bodies_of
from forecast.api import render
from forecast.api.deps import READ, Bodies, State
from forecast.api.errors import error_responses
from forecast.api.schemas import TargetOut
from forecast.errors import UnknownTarget

router = APIRouter(tags=["targets"], dependencies=[READ])


@router.get("/v1/targets", response_model=list[TargetOut], responses=error_responses(401, 422, 503))
async def targets(request: Request, state: State, bodies: Bodies) -> Response:
    return state.respond(request, bodies_of.targets_list(bodies), "targets", bodies)


@router.get("/v1/targets/{target_id}", response_model=TargetOut, responses=error_responses(401, 404, 422, 503))
async def target(request: Request, state: State, bodies: Bodies, target_id: str) -> Response:
    if target_id not in bodies.snapshot.assessments:
        raise UnknownTarget(target_id)
    body = bodies.get(f"target|{target_id}", lambda: (render.target_body(bodies.snapshot, target_id), "application/json"))
    return state.respond(request, body, "target", bodies)
