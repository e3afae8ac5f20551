"""Idle and half-sent connections are closed after a documented timeout; oversized headers are refused.

A real uvicorn server (forecast.api.server's protocol and settings) in a thread, on a free port, with a
one-route app; raw sockets play the slow or stalled clients.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from forecast.api.server import protocol_for
from forecast.config import Settings
from tests.live import serving

REQUEST_TIMEOUT = 1.0
KEEP_ALIVE = 1


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the length of the request body it read."""
    assert scope["type"] == "http"
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    settings = Settings(_env_file=None, request_timeout=REQUEST_TIMEOUT, timeout_keep_alive=KEEP_ALIVE)
    config = uvicorn.Config(
        echo_app,
        host="127.0.0.1",
        port=0,
        http=protocol_for(settings),
        timeout_keep_alive=settings.timeout_keep_alive,
        lifespan="off",
        log_level="warning",
    )
    with serving(config, start_within=10) as bound:
        yield bound


def connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    return connection


def seconds_until_closed(connection: socket.socket, limit: float = 8.0) -> float:
    """Reads until the server closes the connection; the seconds that took (whatever was answered is dropped)."""
    started = time.monotonic()
    connection.settimeout(limit)
    while connection.recv(65536):
        pass
    return time.monotonic() - started


def test_a_connection_that_sends_nothing_is_closed_after_the_request_timeout(port: int) -> None:
    with connect(port) as connection:
        assert REQUEST_TIMEOUT - 0.2 < seconds_until_closed(connection) < REQUEST_TIMEOUT + 2


def test_half_sent_headers_are_closed_after_the_request_timeout(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\nX-Half: ")
        assert seconds_until_closed(connection) < REQUEST_TIMEOUT + 2


def test_a_half_sent_body_is_closed_after_the_request_timeout(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"POST /in HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        assert seconds_until_closed(connection) < REQUEST_TIMEOUT + 2


def test_two_hundred_half_sent_requests_are_all_closed(port: int) -> None:
    connections = [connect(port) for _ in range(200)]
    for connection in connections:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: te")
    time.sleep(REQUEST_TIMEOUT + 1)
    for connection in connections:
        connection.settimeout(2)
        assert connection.recv(1) == b""  # closed by the server, not waiting
        connection.close()


def test_a_request_sent_slowly_but_within_the_timeout_is_answered_and_the_idle_connection_then_closed(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"POST /in HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\r\nab")
        time.sleep(REQUEST_TIMEOUT / 2)
        connection.sendall(b"cd")
        answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n4")
        time.sleep(KEEP_ALIVE / 2)  # a second request on the kept-alive connection
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        assert seconds_until_closed(connection) < max(KEEP_ALIVE, REQUEST_TIMEOUT) + 2


def test_headers_over_the_limit_are_refused_with_a_400_and_the_connection_closed(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
        answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 400")
        assert seconds_until_closed(connection) < 2
