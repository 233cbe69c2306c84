"""Request body limits on every route, enforced before the body is read (SPEC §11).

A pure ASGI middleware: a declared ``Content-Length`` above the route's limit is refused
with 413 before a byte of the body is read (the client may be announcing 2 GB); a body
without one (chunked) is counted as it streams and refused as soon as it passes the limit.
Either way the server never holds more than the limit for one request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024

# Slack's interactive payloads carry the message or view they came from, and the bot's
# own cards measure under 4 KiB. Slack caps a view at 100 blocks (a message at 50), so
# even a full App Home stays well under this; 256 KiB is ~60x what the bot receives
# and keeps a flood of unsigned posts cheap (limit x concurrency is the worst case).
DEFAULT_MAX_BODY_SLACK = 256 * KIB
# One lead as JSON (SPEC §5): generous for long free-text fields, unchanged from before.
DEFAULT_MAX_BODY_LEADS = 1_000_000
# GET routes take no body; a little slack for clients that send an empty JSON object.
MAX_BODY_OTHER = 1 * KIB
# The whole body must arrive within this long: a client dripping a byte a second would
# otherwise hold a connection (and a concurrency slot) for days. Slack sends in ms.
BODY_TIMEOUT_S = 30.0

# Request line plus headers, in bytes (h11's own default, set explicitly for uvicorn in
# bot/http/serving.py). Slack's headers are under 2 KiB.
MAX_HEADER_BYTES = 16 * KIB

ENV_SLACK = "LEADROUTER_MAX_BODY_SLACK"
ENV_LEADS = "LEADROUTER_MAX_BODY_LEADS"


@dataclass(frozen=True)
class BodyLimits:
    slack: int = DEFAULT_MAX_BODY_SLACK
    leads: int = DEFAULT_MAX_BODY_LEADS
    other: int = MAX_BODY_OTHER
    timeout_s: float = BODY_TIMEOUT_S

    def for_path(self, path: str) -> tuple[int, str]:
        """The limit for a request path, and what to name in the 413 message."""
        if path == "/slack/events":
            return self.slack, ENV_SLACK
        if path == "/leads":
            return self.leads, ENV_LEADS
        return self.other, "bodies on this route"


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


class BodyTimeout(Exception):
    """Raised from ``receive`` when the body has not arrived within the time budget."""


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """``Content-Length`` as a number, None when absent; ValueError when malformed.

    Several headers must agree (RFC 9110 §8.6); anything but digits is malformed.
    """
    values = {value.strip() for name, value in headers if name.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    (value,) = values
    if not value.isdigit():
        raise ValueError("Content-Length is not a number of bytes")
    return int(value)


def head_size(scope: Scope) -> int:
    """The request line and headers as they were on the wire, near enough."""
    line = len(scope["method"]) + len(scope.get("raw_path") or scope["path"].encode()) + 12
    line += len(scope.get("query_string", b"")) + 1
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


async def _answer(send: Send, status: int, message: str) -> None:
    # Connection: close, because the rest of the body is never read: the server drops the
    # connection instead of draining (possibly gigabytes) to reuse it.
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Bounds every request body; add it inside Starlette's ServerErrorMiddleware
    (``Starlette(middleware=[...])``) so its own exceptions reach it, not the 500 handler."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # h11 enforces MAX_HEADER_BYTES only on a head still incomplete in its buffer; one
        # that arrives whole in a single read gets through, so the total is checked here.
        if head_size(scope) > MAX_HEADER_BYTES:
            await _answer(
                send, 431, f"request line and headers larger than {MAX_HEADER_BYTES} bytes"
            )
            return
        limit, named = self.limits.for_path(scope["path"])
        too_large = f"request body larger than {limit} bytes ({named})"
        try:
            declared = declared_length(scope["headers"])
        except ValueError as exc:
            await _answer(send, 400, str(exc))
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, too_large)
            return

        received = 0
        finished = False
        started = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.timeout_s

        async def bounded_receive() -> Message:
            nonlocal received, finished
            if finished:
                # Body complete: later calls wait for a disconnect, which has no budget.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
                finished = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _answer(send, 413, too_large)
        except BodyTimeout:
            if started:
                raise
            await _answer(
                send, 408, f"request body not received within {self.limits.timeout_s:g} s"
            )
