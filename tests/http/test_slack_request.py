"""The early /slack/events checks: signature on the raw bytes, then the body's shape."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from bot.http.slack_request import RawBodyVerifier, SlackBodyError, check_body, signature_ok
from slack_emulator import compute_signature

SECRET = "s3cret"


def headers(body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time()) if ts is None else ts
    base = b"v0:" + str(stamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(stamp), "x-slack-signature": f"v0={digest}"}


def test_valid_signature_matches_slacks_own_scheme() -> None:
    body = b'{"type":"url_verification","challenge":"x"}'
    h = headers(body)
    assert h["x-slack-signature"] == compute_signature(SECRET, h["x-slack-request-timestamp"], body)
    assert signature_ok(RawBodyVerifier(SECRET), body, h)


def test_signature_over_bytes_that_are_not_utf8() -> None:
    body = b"\xff\xfe"
    assert signature_ok(RawBodyVerifier(SECRET), body, headers(body))


@pytest.mark.parametrize(
    "case",
    ["missing", "wrong secret", "stale", "future", "tampered", "bad timestamp", "non-ascii"],
)
def test_refusals(case: str) -> None:
    body = b"payload=%7B%7D"
    verifier = RawBodyVerifier(SECRET)
    h = headers(body)
    if case == "missing":
        h = {}
    elif case == "wrong secret":
        h = headers(body, secret="other")
    elif case == "stale":
        h = headers(body, ts=int(time.time()) - 301)
    elif case == "future":
        h = headers(body, ts=int(time.time()) + 301)
    elif case == "tampered":
        body += b"&x=1"
    elif case == "bad timestamp":
        h["x-slack-request-timestamp"] = "-1"
    elif case == "non-ascii":
        h["x-slack-signature"] = "v0=é"
    assert not signature_ok(verifier, body, h)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_slack_content_types_pass(content_type: str) -> None:
    check_body(b"{}", content_type)
    check_body(b"payload=%7B%7D", "application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{}", None),
        (b"{}", "text/plain"),
        (b"<a/>", "application/xml"),
        (b"\xff", "application/json"),
    ],
)
def test_other_bodies_are_refused(body: bytes, content_type: str | None) -> None:
    with pytest.raises(SlackBodyError):
        check_body(body, content_type)
