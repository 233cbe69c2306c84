"""The Slack Web API client: slack_sdk's WebClient with its retry handlers."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def make_web_client(token: str | None, base_url: str, *, interactive: bool = False) -> WebClient:
    """A client for the outbox worker (interactive=False) or for listeners.

    The outbox reschedules a rate-limited item by its Retry-After instead of
    sleeping in a worker thread, so only listeners (replying to a click) wait
    out one 429 in place.
    """
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    if interactive:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    return WebClient(token=token, base_url=base_url, timeout=10, retry_handlers=handlers)
