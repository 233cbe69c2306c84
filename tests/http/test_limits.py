"""BodyLimitMiddleware and BodyLimits, driven as plain ASGI (no server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from bot.http.limits import (
    DEFAULT_MAX_BODY_LEADS,
    DEFAULT_MAX_BODY_SLACK,
    ENV_LEADS,
    ENV_SLACK,
    MAX_BODY_OTHER,
    MAX_HEADER_BYTES,
    BodyLimitMiddleware,
    BodyLimits,
    declared_length,
)
from bot.settings import Settings, SettingsError

LIMITS = BodyLimits(slack=100, leads=1000, other=10, timeout_s=5)


class EchoApp:
    """Reads the whole body like Starlette's request.body(), answers with its length."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": headers or []}


class Feed:
    """``receive`` over a list of body pieces; counts how many were taken."""

    def __init__(self, pieces: list[bytes], *, hang_after: bool = False) -> None:
        self.pieces = pieces
        self.taken = 0
        self.hang_after = hang_after

    async def __call__(self) -> Message:
        if self.taken >= len(self.pieces):
            if self.hang_after:
                await asyncio.sleep(3600)
            return {"type": "http.disconnect"}
        self.taken += 1
        more = self.taken < len(self.pieces) or self.hang_after
        return {"type": "http.request", "body": self.pieces[self.taken - 1], "more_body": more}


def run(
    path: str,
    pieces: list[bytes],
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    limits: BodyLimits = LIMITS,
    hang_after: bool = False,
) -> tuple[int, dict[str, Any] | str, dict[bytes, bytes], Feed, EchoApp]:
    app = EchoApp()
    feed = Feed(pieces, hang_after=hang_after)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(BodyLimitMiddleware(app, limits)(scope(path, headers), feed, send))
    start, body = sent[0], sent[1]
    raw = body["body"].decode()
    parsed: dict[str, Any] | str = json.loads(raw) if raw.startswith("{") else raw
    return start["status"], parsed, dict(start["headers"]), feed, app


def test_declared_length_over_the_limit_is_413_before_reading() -> None:
    status, body, headers, feed, app = run(
        "/slack/events", [b"x"], [(b"content-length", b"2000000000")]
    )
    assert status == 413 and feed.taken == 0 and not app.called
    assert isinstance(body, dict) and "larger than 100 bytes" in body["error"]
    assert ENV_SLACK in body["error"]
    assert headers[b"connection"] == b"close"


def test_each_route_has_its_limit() -> None:
    assert run("/leads", [b"x" * 1000], [(b"content-length", b"1000")])[0] == 200
    assert run("/leads", [b"x" * 1001], [(b"content-length", b"1001")])[0] == 413
    assert run("/slack/events", [b"x" * 100], [(b"content-length", b"100")])[0] == 200
    assert run("/healthz", [b"x" * 11], [(b"content-length", b"11")])[0] == 413
    assert run("/leads/L-1001", [b"x" * 10], [(b"content-length", b"10")])[0] == 200


@pytest.mark.parametrize(
    "values", [[b"abc"], [b"-1"], [b"1e3"], [b"12, 12"], [b" "], [b"10", b"11"]]
)
def test_malformed_content_length_is_400(values: list[bytes]) -> None:
    headers = [(b"content-length", v) for v in values]
    status, body, _, feed, app = run("/leads", [b"x"], headers)
    assert status == 400 and feed.taken == 0 and not app.called
    assert isinstance(body, dict) and "Content-Length" in body["error"]


def test_repeated_equal_content_length_is_fine() -> None:
    headers = [(b"content-length", b"3"), (b"Content-Length", b"3")]
    assert run("/leads", [b"abc"], headers)[0] == 200


def test_streamed_body_is_counted_and_refused_once_past_the_limit() -> None:
    pieces = [b"x" * 40] * 10  # 400 bytes against a limit of 100
    status, _, headers, feed, _ = run("/slack/events", pieces)
    assert status == 413
    assert feed.taken == 3  # 40, 80, 120: stopped at the piece that crossed
    assert headers[b"connection"] == b"close"


def test_streamed_body_at_the_limit_passes_whole() -> None:
    status, body, _, feed, _ = run("/slack/events", [b"x" * 50, b"x" * 50])
    assert status == 200 and body == "100" and feed.taken == 2


def test_a_body_that_stalls_gets_408() -> None:
    limits = BodyLimits(slack=100, leads=1000, other=10, timeout_s=0.2)
    status, body, _, _, _ = run("/leads", [b"{"], limits=limits, hang_after=True)
    assert status == 408
    assert isinstance(body, dict) and "0.2 s" in body["error"]


def test_oversized_head_is_431_before_reading() -> None:
    big = [(b"x-big", b"a" * MAX_HEADER_BYTES)]
    status, body, _, feed, app = run("/leads", [b"x"], big)
    assert status == 431 and feed.taken == 0 and not app.called
    assert isinstance(body, dict) and str(MAX_HEADER_BYTES) in body["error"]
    assert run("/leads", [b"x"], [(b"x-ok", b"a" * (MAX_HEADER_BYTES // 2))])[0] == 200


def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("nothing to send")

    asyncio.run(BodyLimitMiddleware(app, LIMITS)({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan"]


def test_declared_length_parsing() -> None:
    assert declared_length([]) is None
    assert declared_length([(b"content-length", b"0")]) == 0
    assert declared_length([(b"Content-Length", b" 42 ")]) == 42
    with pytest.raises(ValueError):
        declared_length([(b"content-length", b"4 2")])


def test_limits_from_settings() -> None:
    defaults = Settings.from_env({})
    assert (defaults.max_body_slack, defaults.max_body_leads) == (
        DEFAULT_MAX_BODY_SLACK,
        DEFAULT_MAX_BODY_LEADS,
    )
    assert BodyLimits().slack == DEFAULT_MAX_BODY_SLACK == 256 * 1024
    assert BodyLimits().leads == DEFAULT_MAX_BODY_LEADS == 1_000_000
    assert BodyLimits().other == MAX_BODY_OTHER
    custom = Settings.from_env({ENV_SLACK: "65536", ENV_LEADS: " 2000000 "})
    assert (custom.max_body_slack, custom.max_body_leads) == (65536, 2_000_000)
    assert Settings.from_env({ENV_SLACK: ""}).max_body_slack == DEFAULT_MAX_BODY_SLACK


# The last: full-width digits, which str.isdigit() accepts.
@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "256k", "\uff11\uff12"])
def test_bad_limit_values_name_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({ENV_LEADS: value})
    message = str(info.value)
    assert ENV_LEADS in message and repr(value) in message and "\n" not in message
