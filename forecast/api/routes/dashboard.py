"""GET / (the dashboard) and GET /static/{name} (its script and style): files from forecast/api/static/,
read once at start-up and served as bytes with an ETag, so the page works offline and a reload costs 304s."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

STATIC = Path(__file__).resolve().parent.parent / "static"
CACHE_CONTROL = "no-cache"  # revalidate every load: a new release shows at once, an unchanged file costs a 304

router = APIRouter(tags=["dashboard"])


@dataclass(frozen=True)
class Asset:
    content: bytes
    etag: str
    media_type: str


def load_assets(directory: Path = STATIC) -> dict[str, Asset]:
    """Every file of `directory` by name, with an ETag from its bytes."""
    assets = {}
    for path in sorted(directory.iterdir()):
        if path.is_file():
            content = path.read_bytes()
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            charset = "; charset=utf-8" if media_type.startswith("text/") or media_type.endswith("javascript") else ""
            assets[path.name] = Asset(content, f'"{hashlib.blake2b(content, digest_size=10).hexdigest()}"', media_type + charset)
    return assets


ASSETS = load_assets()


def serve(request: Request, asset: Asset) -> Response:
    headers = {"ETag": asset.etag, "Cache-Control": CACHE_CONTROL}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.content, media_type=asset.media_type, headers=headers)


@router.get("/", include_in_schema=False)
async def dashboard(request: Request) -> Response:
    return serve(request, ASSETS["index.html"])


@router.get("/static/{name}", include_in_schema=False)
async def static(request: Request, name: str) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        raise HTTPException(404, f"no dashboard file '{name}'")
    return serve(request, asset)
