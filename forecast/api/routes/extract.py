"""POST /v1/extract: an article's figures proposed as rows, each with its words' span, its guesses and its review."""

from __future__ import annotations

import asyncio
from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forecast.api.deps import WRITE, Service
from forecast.api.errors import write_responses
from forecast.api.extract_schemas import ExtractIn, ExtractOut
from forecast.api.routes.dashboard import ASSETS, serve
from forecast.errors import InvalidParameter
from forecast.extract import LANGUAGES, Article, extract
from forecast.extract.review import reviewed
from forecast.extract.rows import extraction_body

router = APIRouter(tags=["extract"])


@router.post("/v1/extract", dependencies=[WRITE], response_model=ExtractOut, responses=write_responses())
async def extract_figures(body: ExtractIn, service: Service) -> ExtractOut:
    if body.language not in LANGUAGES:
        raise InvalidParameter("language", f"no rules for '{body.language}'; known: {', '.join(sorted(LANGUAGES))}")
    article = Article(body.text, body.publisher, body.url, body.published_date)
    catalog = await asyncio.to_thread(service.catalog)
    cited = Counter(figure.series_id for figure in catalog.reported)
    extraction = await asyncio.to_thread(extract, article, catalog.series, LANGUAGES[body.language], body.check_language, cited)
    return ExtractOut.model_validate(extraction_body(reviewed(extraction, catalog.series, catalog.reported), article))


@router.get("/review", include_in_schema=False)
async def review_page(request: Request) -> Response:
    """The review page: paste an article, accept, edit or reject each proposed figure, send the accepted ones."""
    return serve(request, ASSETS["review.html"])
