"""The uvicorn settings over a real socket: head deadline, header size, the options."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from bot.http.limits import MAX_HEADER_BYTES
from bot.http.serving import (
    HEADER_TIMEOUT_S,
    LIMIT_CONCURRENCY,
    HeaderTimeoutH11Protocol,
    server_options,
)

HEAD_TIMEOUT = 0.4


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hi"})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        hello, log_level="warning", lifespan="off", **server_options(header_timeout_s=HEAD_TIMEOUT)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    sock.close()


def closed_after(sock: socket.socket, limit: float = 5.0) -> float:
    """Seconds until the server closes ``sock`` (reading and discarding any answer)."""
    started = time.monotonic()
    sock.settimeout(limit)
    while sock.recv(65536):
        pass
    return time.monotonic() - started


def read_answer(sock: socket.socket) -> bytes:
    """One answer: the app's are chunked (no Content-Length), uvicorn's own 400 closes."""
    data = b""
    while not data.endswith(b"0\r\n\r\n"):
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    return data


def test_options_load_in_uvicorn() -> None:
    config = uvicorn.Config(hello, **server_options())
    config.load()
    assert config.limit_concurrency == LIMIT_CONCURRENCY
    assert config.h11_max_incomplete_event_size == MAX_HEADER_BYTES
    assert issubclass(config.http_protocol_class, HeaderTimeoutH11Protocol)
    assert HeaderTimeoutH11Protocol.header_timeout_s == HEADER_TIMEOUT_S


def test_silent_connection_is_closed_after_the_head_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        waited = closed_after(sock)
    assert HEAD_TIMEOUT * 0.8 < waited < HEAD_TIMEOUT + 1.5


def test_dripped_head_is_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(40):  # a header byte every 50 ms, never finishing: 2 s
                sock.sendall(b"X")
                time.sleep(0.05)
        except OSError:
            pass  # closed under us: what we are waiting for
        closed_after(sock)
        assert time.monotonic() - started < HEAD_TIMEOUT + 1.5


def test_prompt_requests_are_served_and_keep_alive_works(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = read_answer(sock)
            assert answer.startswith(b"HTTP/1.1 200") and b"\r\nhi\r\n" in answer
            time.sleep(HEAD_TIMEOUT * 1.5)  # idle between requests: the keep-alive timer's


def test_second_request_head_has_its_deadline_too(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_answer(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert closed_after(sock) < HEAD_TIMEOUT + 1.5


def test_oversized_head_still_arriving_is_refused(port: int) -> None:
    """h11's limit: a head past MAX_HEADER_BYTES without its blank line is a 400. (One that
    arrives whole in one read passes h11; BodyLimitMiddleware then answers 431.)"""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        big = b"X-Big: " + b"a" * (MAX_HEADER_BYTES + 1) + b"\r\n"
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + big)  # no end of head yet
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 400"), answer
