"""The early checks on ``/slack/events``, before Bolt sees a request: the signature on
the raw bytes, then whether the body parses at all, as strict JSON where Bolt will read
JSON, then whether the parts Bolt's routing indexes blindly have the shape Slack gives
them. Bolt checks the signature again (its verification stays on); this refuses garbage
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


def form_bolt_drops(text: str, headers: Mapping[str, str]) -> dict[str, str] | None:
    """The fields of a form that Bolt's ``parse_body`` reads as empty, else None.

    Bolt takes any form whose text contains ``payload`` anywhere for an interactivity
    form and, finding no ``payload`` field, parses it as ``{}``: a slash command run in a
    channel named ``#payload-team``, or ``/leads why payload``, was dropped unanswered
    (404). Such a form is read here as Bolt reads every other form."""
    content_type = extract_content_type(build_normalized_headers(cast(Any, headers)))
    if not text or content_type == "application/json" or text.startswith("{"):
        return None
    if "payload" not in text:
        return None
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return None if "payload" in fields else fields


def check_shape(body: Mapping[str, Any]) -> None:
    """Refuse a parsed body whose routing fields Bolt would index into and crash on (a
    block_actions payload whose ``actions`` is empty or whose action has no
    ``action_id``, an ``event`` or ``view`` that is not an object): Bolt matches
    listeners outside any listener's error handling, so it would answer 500 and log
    the payload as a bug; its "unhandled request" warning also concatenates the routing
    ids (``type``, ``action_id``, ``callback_id``, ``command``), so those must be
    strings. A click's button ``value``, its ``user`` and the ``response_url`` the reply
    is posted to are read as Slack sends them too (a string; an object with a string
    ``id``; an http(s) URL, which a click on a message always has). A form's fields
    (a slash command) hold no NUL character, as JSON bodies hold none
    (:func:`loads_strict`): PostgreSQL refuses one in any text it is asked to compare.
    Slack never sends anything else; the message names what is wrong."""
    for key, value in body.items():
        if isinstance(value, str) and "\x00" in value:
            raise SlackBodyError(f"the form field {_shown_key(key)} has a NUL character")
    for key in ("type", "action_id", "callback_id", "command"):
        if key in body and not isinstance(body[key], str):
            raise SlackBodyError(f"the payload's {key} must be a string")
    response_url = body.get("response_url", "https://")
    if not isinstance(response_url, str) or not response_url.startswith(("https://", "http://")):
        raise SlackBodyError("the payload's response_url must be an http(s) URL")
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message") and "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise SlackBodyError(f"the {kind} payload's actions must be a list of objects")
        if kind == "block_actions" and not isinstance(actions[0].get("action_id"), str):
            raise SlackBodyError("the block_actions payload's action has no action_id string")
        if not isinstance(actions[0].get("value", ""), str):
            raise SlackBodyError(f"the {kind} payload's action value must be a string")
    if kind == "block_actions":
        user = body.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise SlackBodyError("the block_actions payload's user must be an object with an id")
        container = body.get("container")
        in_view = isinstance(container, dict) and container.get("type") == "view"
        if not in_view and "response_url" not in body:
            raise SlackBodyError("a block_actions payload from a message must have a response_url")
    for key in ("event", "view"):
        if key in body and not isinstance(body[key], dict):
            raise SlackBodyError(f"the payload's {key} must be an object")


def _shown_key(key: str) -> str:
    return repr(key if len(key) <= 40 else key[:40] + "...")
