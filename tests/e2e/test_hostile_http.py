"""Hostile requests against the running bot, over real HTTP (issue 19): malformed bodies
get a 4xx (never a 500), huge bodies a 413 at once, the webhook token rotates."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.http.limits import DEFAULT_MAX_BODY_LEADS, DEFAULT_MAX_BODY_SLACK
from slack_emulator import signed_headers
from tests.e2e.harness import SIGNING_SECRET, WEBHOOK_TOKEN, Stack
from tests.e2e.rawhttp import LAST_CHUNK, chunk, raw_request

pytestmark = pytest.mark.e2e

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TWO_GB = 2_000_000_000

# (content type, body): none of these is a Slack request.
MALFORMED = [
    (FORM, b"payload=not-json"),
    (FORM, b"payload=%7Boops"),
    (FORM, b"payload=%5B1%2C2%5D"),  # JSON, but a list
    (FORM, b"payload=%22text%22"),
    (JSON, b"{oops"),
    (JSON, b"[1, 2]"),
    (JSON, b'"just a string"'),
    (JSON, b'{"authorizations": 5}'),  # an object Bolt's context builder chokes on
    (JSON, b"\xff\xfe{}"),  # not UTF-8
    ("text/plain", b"hello"),
    ("application/xml", b"<a/>"),
    (None, b"payload=%7B%7D"),
]


def slack_post(
    stack: Stack, body: bytes, content_type: str | None, *, sign: bool, timestamp: int | None = None
) -> tuple[int, str]:
    headers = {"Content-Type": content_type} if content_type else {}
    if sign:
        # signed_headers signs text; sign the exact bytes for the non-UTF-8 case
        ts = int(time.time()) if timestamp is None else timestamp
        headers.update(signed_headers(SIGNING_SECRET, body.decode("latin-1"), timestamp=ts))
        if not body.isascii():
            headers["X-Slack-Signature"] = raw_signature(body, ts)
    response = stack.http.post("/slack/events", content=body, headers=headers)
    return response.status_code, response.text


def raw_signature(body: bytes, ts: int) -> str:
    import hashlib
    import hmac

    base = b"v0:" + str(ts).encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("content_type", "body"), MALFORMED)
def test_malformed_slack_bodies_get_4xx_signed_or_not(
    stack: Stack, content_type: str | None, body: bytes
) -> None:
    status, text = slack_post(stack, body, content_type, sign=True)
    assert status == 400, text
    assert "Traceback" not in text and len(text) < 200
    assert json.loads(text)["error"]
    # Unsigned: refused before anything is parsed.
    status, text = slack_post(stack, body, content_type, sign=False)
    assert status == 401, text
    assert stack.http.get("/healthz").status_code == 200


def test_signature_is_checked_before_parsing(stack: Stack) -> None:
    body = b"payload=not-json"
    stale = int(time.time()) - 6 * 60  # outside Slack's 5-minute replay window
    assert slack_post(stack, body, FORM, sign=True, timestamp=stale)[0] == 401
    wrong = {"Content-Type": FORM, **signed_headers(SIGNING_SECRET + "x", body.decode())}
    assert stack.http.post("/slack/events", content=body, headers=wrong).status_code == 401
    odd = [
        (b"Content-Type", FORM.encode()),
        (b"X-Slack-Request-Timestamp", b"soon"),
        (b"X-Slack-Signature", b"v0=\xe9\xe9"),  # not ASCII: compare_digest would raise
    ]
    response = stack.http.post("/slack/events", content=body, headers=odd)
    assert response.status_code == 401


def test_url_verification_challenge_still_answered(stack: Stack) -> None:
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "c-123"}).encode()
    status, text = slack_post(stack, body, JSON, sign=True)
    assert status == 200 and json.loads(text)["challenge"] == "c-123"


def head(method: str, path: str, *lines: str) -> str:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines])


@pytest.mark.parametrize("path", ["/slack/events", "/leads", "/healthz"])
def test_declared_2gb_body_gets_413_at_once(stack: Stack, path: str) -> None:
    method = "GET" if path == "/healthz" else "POST"
    started = time.monotonic()
    answer = raw_request(
        stack.bot.port,
        head(method, path, f"Content-Length: {TWO_GB}", f"Content-Type: {JSON}"),
        timeout=2,
    )
    assert answer.status == 413, answer.head
    assert time.monotonic() - started < 1.0
    assert "connection: close" in answer.head.lower()
    assert "larger than" in json.loads(answer.body)["error"]
    assert stack.http.get("/healthz").status_code == 200


def test_declared_2gb_with_expect_continue_is_refused_before_the_body(stack: Stack) -> None:
    answer = raw_request(
        stack.bot.port,
        head("POST", "/slack/events", f"Content-Length: {TWO_GB}", "Expect: 100-continue"),
    )
    assert answer.status == 413  # not "100 Continue": the client is told not to send


def test_oversized_headers_are_refused(stack: Stack) -> None:
    big = "X-Big: " + "a" * 20_000
    whole = raw_request(stack.bot.port, head("GET", "/healthz", big))
    assert whole.status == 431, whole.head
    assert stack.http.get("/healthz").status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "12, 13", "1e9"])
def test_malformed_content_length_is_400(stack: Stack, value: str) -> None:
    answer = raw_request(stack.bot.port, head("POST", "/leads", f"Content-Length: {value}"))
    assert answer.status == 400, answer.head


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/slack/events", DEFAULT_MAX_BODY_SLACK), ("/leads", DEFAULT_MAX_BODY_LEADS)],
)
def test_chunked_body_over_the_limit_gets_413(stack: Stack, path: str, limit: int) -> None:
    piece = b"x" * 65536
    pieces = [chunk(piece)] * (limit // len(piece) + 2) + [LAST_CHUNK]
    answer = raw_request(
        stack.bot.port,
        head(
            "POST",
            path,
            "Transfer-Encoding: chunked",
            f"Content-Type: {JSON}",
            f"Authorization: Bearer {WEBHOOK_TOKEN}",
        ),
        pieces,
    )
    assert answer.status == 413, answer.head
    assert stack.http.get("/healthz").status_code == 200


def test_chunked_body_under_the_limit_is_read(stack: Stack) -> None:
    lead = {"external_id": "chunked-1", "email": "chunk@example.com", "country": "US"}
    body = json.dumps(lead).encode()
    pieces = [chunk(body[:10]), chunk(body[10:]), LAST_CHUNK]
    answer = raw_request(
        stack.bot.port,
        head(
            "POST",
            "/leads",
            "Transfer-Encoding: chunked",
            f"Content-Type: {JSON}",
            f"Authorization: Bearer {WEBHOOK_TOKEN}",
        ),
        pieces,
    )
    assert answer.status == 202, answer.text
    # A body near the limit, not JSON: counted and let through to the parser, which says 400.
    near = b" " * (DEFAULT_MAX_BODY_LEADS - 10) + b"{"
    response = stack.http.post(
        "/leads",
        content=iter([near[:500_000], near[500_000:]]),
        headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
    )
    assert response.status_code == 400 and "not valid JSON" in response.text


def test_lead_body_that_is_not_json_stays_400(stack: Stack) -> None:
    response = stack.http.post(
        "/leads", content=b"{oops", headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.fixture
def rotating(stack: Stack) -> Iterator[Stack]:
    """The running bot with LEADROUTER_WEBHOOK_TOKEN="current,next" (and blanks)."""
    before = stack.rt.settings
    stack.rt.settings = before.replace(webhook_token=" current-token, ,next-token,")
    try:
        yield stack
    finally:
        stack.rt.settings = before


def test_webhook_token_rotation_accepts_both_values(rotating: Stack) -> None:
    lead = {"external_id": "rot-1", "email": "rot@example.com", "country": "US"}

    def post(token: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return rotating.http.post("/leads", json=lead, headers=headers)

    first = post("current-token")
    assert first.status_code == 202, first.text
    assert post("next-token").status_code == 200  # the same lead again: a duplicate
    for refused in ["third-token", "current-token,next-token", "current", "next-tok"]:
        assert post(refused).status_code == 401, refused
    bare = rotating.http.post("/leads", json=lead, headers={"Authorization": "Bearer"})
    assert bare.status_code == 401  # blanks in the setting are not an empty token
    lead_id = first.json()["id"]
    for token, status in [("next-token", 200), ("current-token", 200), ("third-token", 401)]:
        headers = {"Authorization": f"Bearer {token}"}
        assert rotating.http.get(f"/leads/{lead_id}", headers=headers).status_code == status
    # A hostile header: non-ASCII bytes compare as bytes, refused, not a 500.
    odd = rotating.http.post(
        "/leads",
        json=lead,
        headers=[(b"Authorization", "Bearer cürrent".encode("latin-1"))],
    )
    assert odd.status_code == 401
