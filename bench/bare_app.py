"""Bare FastAPI baseline for the HTTP benchmark (bench.http).

One ``async def`` route, GET /bare, returning a fixed ~1.5 KB JSON body as a
pre-encoded ``Response``: the cheapest useful thing FastAPI + uvicorn can do,
so the forecast endpoints can be reported as a ratio to it.

Served by bench.http with the same uvicorn flags as the real service::

    .venv/bin/uvicorn bench.bare_app:create_app --factory --host 127.0.0.1 \
        --port 8766 --loop uvloop --http httptools --no-access-log --workers 1
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Response


def _build_body(target: int = 1536) -> bytes:
    """A forecast-shaped JSON document of roughly ``target`` bytes (fixed, deterministic)."""
    points = [
        {
            "period_start": f"2025-{month:02d}-01",
            "mean": 550000.0 + 1000.0 * month,
            "lo80": 500000.0 + 900.0 * month,
            "hi80": 600000.0 + 1100.0 * month,
        }
        for month in range(1, 13)
    ]
    doc: dict[str, object] = {
        "series_id": "bare_baseline",
        "freq": "month",
        "horizon": 12,
        "points": points,
        "pad": "",
    }
    body = json.dumps(doc, separators=(",", ":")).encode()
    doc["pad"] = "x" * max(0, target - len(body))
    return json.dumps(doc, separators=(",", ":")).encode()


BODY: bytes = _build_body()


def create_app() -> FastAPI:
    app = FastAPI(title="bench-bare", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/bare")
    async def bare() -> Response:
        return Response(content=BODY, media_type="application/json")

    return app


app = create_app()
