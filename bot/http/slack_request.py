"""The early checks on ``/slack/events``, before Bolt sees a request: the signature on
the raw bytes, then whether the body parses at all, as strict JSON where Bolt will read
JSON. Bolt checks the signature again (its verification stays on); this refuses garbage
before it costs a parse or a thread.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import parse_qsl

from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.signature import SignatureVerifier

from bot.http.strict_json import StrictJSONError, loads_strict

# What Slack sends: JSON for the Events API, a form for interactivity and slash commands.
SLACK_CONTENT_TYPES = frozenset({"application/json", "application/x-www-form-urlencoded"})


class SlackBodyError(ValueError):
    """The body cannot be a Slack request; the message is safe to send back."""


class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's v0 check (HMAC-SHA256, 5-minute replay window) over the bytes as
    received: the stock one decodes them first, which raises on invalid UTF-8."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        raw = body.encode() if isinstance(body, str) else body
        basestring = b"v0:" + timestamp.encode() + b":" + raw
        digest = hmac.new(self.signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
        return f"v0={digest}"


def signature_ok(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if timestamp is None or signature is None:
        return False
    # The verifier calls int() on the timestamp and compare_digest on the signature:
    # a non-numeric timestamp or a non-ASCII signature would raise there, not refuse.
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature.isascii():
        return False
    return verifier.is_valid(body, timestamp, signature)


def check_body(body: bytes, content_type: str | None) -> str:
    """Refuse what cannot be a Slack request before Bolt's parser (which raises) runs;
    the body as text when it may be one."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in SLACK_CONTENT_TYPES:
        raise SlackBodyError(
            "Content-Type must be application/json or application/x-www-form-urlencoded"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SlackBodyError("body is not UTF-8") from None


def check_json(text: str, headers: Mapping[str, str]) -> None:
    """Read strictly (``loads_strict``) exactly what Bolt's ``parse_body`` will read as
    JSON: the whole body, or the form's ``payload`` field. Its choice is repeated here with
    its own header helpers, so the two cannot disagree about which part is JSON."""
    # As BoltRequest reads the headers Bolt's Starlette adapter hands it.
    content_type = extract_content_type(build_normalized_headers(cast(Any, headers)))
    try:
        if not text:
            return
        if content_type == "application/json" or text.startswith("{"):
            loads_strict(text, "body")
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            if payload is not None:
                loads_strict(payload, "the payload field")
    except StrictJSONError as exc:
        raise SlackBodyError(str(exc)) from None
