"""An ASGI layer that answers repeated GETs from stored bytes before FastAPI routes them.

Dashboards poll the same few URLs. The first request for a URL goes through
FastAPI (validation, errors, building the body) and the route remembers the
finished body under the raw path and query string; every later request for the
same URL, until the next refit, is answered here with two ASGI messages. On
this machine FastAPI's routing and dependency machinery costs several times
more than sending the bytes (DESIGN-NOTES 4; bench/http.py measures both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RawKey = tuple[str, bytes, bool]  # (path, query string, wants CSV)


@dataclass(frozen=True)
class StoredResponse:
    """A finished 200 body with its headers, and the headers of its 304."""

    route: str
    etag: bytes
    content: bytes
    headers: list[tuple[bytes, bytes]]
    not_modified_headers: list[tuple[bytes, bytes]]

    @classmethod
    def build(cls, route: str, content: bytes, etag: str, media_type: str, cache_control: str) -> StoredResponse:
        common = [(b"etag", etag.encode()), (b"cache-control", cache_control.encode()), (b"vary", b"Accept")]
        headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode()), *common]
        return cls(route, etag.encode(), content, headers, common)


def wants_csv(accept: bytes | str) -> bool:
    return (b"text/csv" if isinstance(accept, bytes) else "text/csv") in accept  # type: ignore[operator]


class HotPath:
    """Serve stored GET responses; pass everything else to `app`.

    `lookup(key)` returns the StoredResponse for the current snapshot or None;
    `allowed(authorization)` says whether a read with that header is allowed;
    `count(route, status)` records the hit for /metrics.
    """

    def __init__(
        self,
        app: ASGIApp,
        lookup: Callable[[RawKey], StoredResponse | None],
        allowed: Callable[[bytes | None], bool],
        count: Callable[[str, str], None],
    ) -> None:
        self.app = app
        self.lookup = lookup
        self.allowed = allowed
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        accept = if_none_match = authorization = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"authorization":
                authorization = value
        stored = self.lookup((scope["path"], scope["query_string"], wants_csv(accept or b"")))
        if stored is None or not self.allowed(authorization):
            await self.app(scope, receive, send)  # FastAPI builds it, or explains the 401
            return
        if if_none_match == stored.etag:
            self.count(stored.route, "304")
            await send({"type": "http.response.start", "status": 304, "headers": stored.not_modified_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        self.count(stored.route, "200")
        await send({"type": "http.response.start", "status": 200, "headers": stored.headers})
        await send({"type": "http.response.body", "body": stored.content})
