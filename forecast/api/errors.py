"""Errors as HTTP: the ForecastError -> status table, and handlers that give every error one JSON shape.

Every error body is `{"error": <name>, "message": <how to fix it>, ...}` (schemas.ErrorOut):

    ForecastError (forecast/errors.py)   status from ERROR_STATUS; DataError and InvalidParameter add
                                         field and reason (DataError also source, line, row)
    RequestValidationError (FastAPI)     422 InvalidRequest with field and FastAPI's list as detail
    HTTPException (401, 404, ...)        the status's name from HTTP_ERROR_NAMES, detail = message
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecast.api.schemas import ErrorOut
from forecast.errors import DataError, ForecastError, InsufficientHistory, InvalidParameter, NotReady, UnknownSeries, UnknownTarget

ERROR_STATUS: dict[type[ForecastError], int] = {
    UnknownSeries: 404,
    UnknownTarget: 404,
    DataError: 422,
    InvalidParameter: 422,
    InsufficientHistory: 422,
    NotReady: 503,
}
JSON_BATCHES = ("series", "targets")  # the sources definitions.py names JSON rows by; an ingest's rows are 'observations'
HTTP_ERROR_NAMES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 422: "InvalidRequest"}
WHEN = {
    401: "the key is missing or wrong (Unauthorized)",
    404: "no such id (UnknownSeries, UnknownTarget, NotFound)",
    422: "a parameter or row is invalid (InvalidRequest, InvalidParameter, DataError, InsufficientHistory)",
    503: "forecasts are still being computed (NotReady); see /readyz",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses, each with the ErrorOut body."""
    return {status: {"model": ErrorOut, "description": WHEN[status]} for status in statuses}


def status_for(error: ForecastError) -> int:
    return next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 500)


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
    return JSONResponse(detail, status_code=status_for(error))


def batch_field(error: DataError) -> str:
    """'observations[3].value', 'series[0].unit', 'targets[1].supersedes': the batch is named by its key in the body."""
    if error.row is None:
        return error.field
    batch = error.source if error.source in JSON_BATCHES else "observations"
    return f"{batch}[{error.row}].{error.field}"


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = jsonable_encoder(error.errors())
    first = problems[0] if problems else {}
    field = field_name(first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid request"))
    return JSONResponse({"error": "InvalidRequest", "message": message, "field": field, "detail": problems}, status_code=422)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    name = HTTP_ERROR_NAMES.get(error.status_code, "HTTPError")
    return JSONResponse(
        {"error": name, "message": str(error.detail), "detail": error.detail}, status_code=error.status_code, headers=error.headers
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ForecastError, forecast_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)


def field_name(location: Sequence[object]) -> str:
    """('body', 'observations', 0, 'value') -> 'observations[0].value'; ('query', 'horizon') -> 'horizon'."""
    name = ""
    for part in list(location)[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name
