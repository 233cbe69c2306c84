"""Slack request signing (v0 HMAC-SHA256), as Slack signs requests it sends to apps."""

from __future__ import annotations

import hashlib
import hmac
import time


def compute_signature(signing_secret: str, timestamp: str | int, body: str | bytes) -> str:
    """Return ``v0=<hex>`` over ``v0:{timestamp}:{body}``."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    basestring = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(
    signing_secret: str,
    body: str | bytes,
    *,
    timestamp: int | None = None,
    sign: bool = True,
    bad_signature: bool = False,
) -> dict[str, str]:
    """Headers Slack adds to every request to the app's Request URL.

    ``sign=False`` omits both headers; ``bad_signature=True`` sends a well-formed but wrong
    signature (signed with a different secret).
    """
    if not sign:
        return {}
    ts = int(time.time()) if timestamp is None else int(timestamp)
    secret = signing_secret + "-wrong" if bad_signature else signing_secret
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": compute_signature(secret, ts, body),
    }
