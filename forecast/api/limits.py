"""BodyLimit: the ASGI layer that refuses a request body over Settings.max_body_bytes with a JSON 413.

It answers before the body is read whole: at once when Content-Length declares too many bytes, else as soon as
the bytes received so far pass the limit (a chunked or undeclared body is counted as it streams in). The refusal
has the one error shape (api/errors.py). Starlette's own limit answers in plain text, hence this layer.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException

from forecast.api.hotpath import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit: FastAPI's error handler (or BodyLimit) answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the body is larger than {max_bytes:,} bytes, the most read (FORECAST_MAX_BODY_BYTES)")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(send, f"Content-Length {int(declared):,}")
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self.refuse(send, f"more than {self.max_bytes:,} bytes received")

    async def refuse(self, send: Send, what: str) -> None:
        body = json.dumps(
            {
                "error": "ContentTooLarge",
                "message": f"the body is too large ({what}); at most {self.max_bytes:,} bytes are read (FORECAST_MAX_BODY_BYTES)",
                "field": "body",
                "reason": f"over {self.max_bytes:,} bytes",
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
