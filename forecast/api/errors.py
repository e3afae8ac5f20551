"""Errors as HTTP: the ForecastError -> status table, and handlers that give every error one JSON shape.

Every error body is `{"error": <name>, "message": <how to fix it>, ...}` (schemas.ErrorOut):

    ForecastError (forecast/errors.py)   status from ERROR_STATUS; DataError and InvalidParameter add
                                         field and reason (DataError also source, line, row)
    RequestValidationError (FastAPI)     422 InvalidRequest with field and FastAPI's list as detail
    HTTPException (401, 404, 413, ...)   the status's name from HTTP_ERROR_NAMES, detail = message
    any other exception                  500 InternalError: the same JSON shape, never plain text
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from forecast.api.schemas import ErrorOut
from forecast.errors import (
    ConflictingFigure,
    DataError,
    ForecastError,
    InsufficientHistory,
    InvalidParameter,
    NotReady,
    UnknownObservation,
    UnknownSeries,
    UnknownTarget,
)

log = logging.getLogger("forecast")

ERROR_STATUS: dict[type[ForecastError], int] = {  # the first class that matches decides: subclasses first
    ConflictingFigure: 409,
    UnknownSeries: 404,
    UnknownTarget: 404,
    UnknownObservation: 404,
    DataError: 422,
    InvalidParameter: 422,
    InsufficientHistory: 422,
    NotReady: 503,
}
JSON_BATCHES = ("series", "targets")  # the sources definitions.py names JSON rows by; an ingest's rows are 'observations'
HTTP_ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "ContentTooLarge",
    422: "InvalidRequest",
}
WHEN = {
    400: "the body cannot be read as text (BadRequest): not UTF-8",
    401: "the key is missing or wrong (Unauthorized)",
    404: "no such id (UnknownSeries, UnknownTarget, UnknownObservation, NotFound)",
    409: "a figure gives a stored figure another value without a later publication date (ConflictingFigure)",
    413: "the body is larger than FORECAST_MAX_BODY_BYTES (ContentTooLarge)",
    422: "a parameter or row is invalid (InvalidRequest, InvalidParameter, DataError, InsufficientHistory)",
    503: "forecasts are still being computed (NotReady); see /readyz",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses, each with the ErrorOut body."""
    return {status: {"model": ErrorOut, "description": WHEN[status]} for status in statuses}


def write_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """error_responses of a write with a JSON body: behind the write key (401), so the errors every such body can
    meet, an unreadable body (400), one over the limit (413, api.limits.BodyLimit) and a bad field (422), plus `statuses`."""
    return error_responses(*sorted({400, 401, 413, 422, *statuses}))


def status_for(error: ForecastError) -> int:
    return next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 500)


class ErrorResponse(JSONResponse):
    """An error body in ASCII JSON: a lone surrogate quoted from a request (JSON "\\ud800") stays an escape."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


async def forecast_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ForecastError)
    detail: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
    if isinstance(error, (DataError, InvalidParameter)):
        detail.update(error.as_dict())
    if isinstance(error, DataError) and error.row is not None:
        detail["field"] = batch_field(error)
    if isinstance(error, DataError) and len(error.problems) > 1:
        detail["problems"] = [
            {**problem, "field": batch_field(bad)} for problem, bad in zip(detail["problems"], error.problems, strict=True)
        ]
    return ErrorResponse(detail, status_code=status_for(error))


def batch_field(error: DataError) -> str:
    """'observations[3].value', 'series[0].unit', 'targets[1].supersedes': the batch is named by its key in the body."""
    if error.row is None:
        return error.field
    batch = error.source if error.source in JSON_BATCHES else "observations"
    return f"{batch}[{error.row}].{error.field}"


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = jsonable_encoder([{k: v for k, v in problem.items() if k != "input"} for problem in error.errors()])
    first = problems[0] if problems else {}
    malformed = first.get("type") == "json_invalid"  # loc is ('body', <offset>): the body as a whole is at fault
    field = "body" if malformed else field_name(first.get("loc", ()))
    reason = f"not JSON: {first.get('ctx', {}).get('error', 'decode error')}" if malformed else str(first.get("msg", "invalid"))
    message = f"{field}: {reason}" if field else reason
    body = {"error": "InvalidRequest", "message": message, "field": field, "reason": reason, "detail": problems}
    return ErrorResponse(body, status_code=422)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    name = HTTP_ERROR_NAMES.get(error.status_code, "HTTPError")
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return ErrorResponse(
        {"error": name, "message": str(error.detail), "detail": error.detail}, status_code=error.status_code, headers=headers
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document declares at this path. Starlette's 405 names only the first route's
    methods, and /v1/series is read by one router and written by another."""
    path = request.url.path
    paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
    return sorted({method.upper() for template, item in paths.items() if compile_path(template)[0].match(path) for method in item})


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback, answered in the one error shape (the detail stays in the log)."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"error": "InternalError", "message": "the service failed on this request; the error is logged"}, status_code=500)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(ForecastError, forecast_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)


UNION_MEMBERS = frozenset({"float", "str", "bool", "int", "none"})  # pydantic names a union's member after the field


def field_name(location: Sequence[object]) -> str:
    """('body', 'observations', 0, 'value', 'float') -> 'observations[0].value'; ('query', 'horizon') -> 'horizon'."""
    name = ""
    for part in list(location)[1:]:
        if part in UNION_MEMBERS:
            break
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name
