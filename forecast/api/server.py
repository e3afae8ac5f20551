"""The HTTP server: uvicorn with the app factory, and bounds on what one connection may hold.

uvicorn closes a keep-alive connection idle for `timeout_keep_alive` seconds after a
response, but a connection that has not yet sent a whole request is held for ever:
200 half-sent requests were all still open 60 s later (issue 22), and its httptools
parser accepts headers of any size. DeadlineProtocol gives each request
`request_timeout` seconds, from the connection's opening or the previous response,
to arrive whole (headers and body), then closes the connection; and it refuses (400,
then closes) a request whose request line and headers exceed `max_header_bytes`
(h11's default bound, 16 KiB).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from forecast.config import Settings


class HeadersTooLarge(ValueError):
    """Raised inside the parser; uvicorn answers any parser error with a 400 and closes the connection."""


class DeadlineProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, request_timeout: float, max_header_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout
        self.max_header_bytes = max_header_bytes
        self._header_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        self._disarm()  # the request is whole: the app takes as long as it takes
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()  # the next request, if any, has its own deadline

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            raise HeadersTooLarge(f"request line and headers over {self.max_header_bytes} bytes")

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_for(settings: Settings) -> functools.partial[DeadlineProtocol]:
    """uvicorn's `http=`: a partial of a module-level class, so it pickles into worker processes too."""
    return functools.partial(DeadlineProtocol, request_timeout=settings.request_timeout, max_header_bytes=settings.max_header_bytes)


def serve(settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "forecast.api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http=cast("type[asyncio.Protocol]", protocol_for(settings)),  # uvicorn only calls it, as it would a class
        timeout_keep_alive=settings.timeout_keep_alive,
        access_log=False,  # an access log line would carry query strings; nothing of a request is logged
    )
