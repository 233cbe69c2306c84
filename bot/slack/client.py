"""The Slack Web API client: slack_sdk's WebClient with its retry handlers, refusing any
message or view whose text did not pass the escaping boundary (``bot.slack.mrkdwn``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.slack.mrkdwn import unsafe_texts

# Methods whose arguments carry text Slack formats.
TEXT_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.scheduleMessage",
        "views.publish",
        "views.open",
        "views.update",
        "views.push",
    }
)
_CHECKED_ARGS = ("text", "blocks", "attachments", "view")
# Calls that do something new each time: a 5xx or a lost connection may come after Slack
# did it, so sending again could post twice. Never retried in place; the outbox retries
# them later, first looking for the earlier post (bot.outbox.recovery). A 429 is safe to
# retry: Slack refused the call without doing it.
NOT_IDEMPOTENT = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "views.open", "views.push"}
)


def api_method(url: str) -> str:
    """``https://slack.com/api/chat.postMessage?x=1`` -> ``chat.postMessage``."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class _IdempotentOnly:
    """Mixin for a retry handler: never re-send a call that is not idempotent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if api_method(request.url) in NOT_IDEMPOTENT:
            return False
        can: bool = super()._can_retry(  # type: ignore[misc]
            state=state, request=request, response=response, error=error
        )
        return can


class IdempotentConnectionRetry(_IdempotentOnly, ConnectionErrorRetryHandler):
    """Retries a dropped connection, except for calls a re-send could repeat."""


class IdempotentServerErrorRetry(_IdempotentOnly, ServerErrorRetryHandler):
    """Retries Slack's 500/503, except for calls a re-send could repeat."""


def retry_handlers(*, interactive: bool) -> list[RetryHandler]:
    handlers: list[RetryHandler] = [
        IdempotentConnectionRetry(max_retry_count=2),
        IdempotentServerErrorRetry(max_retry_count=2),
    ]
    if interactive:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    return handlers


class UnsafeSlackText(TypeError):
    """A message or view holds text that was never escaped: a bug, refused before
    anything is sent."""

    def __init__(self, where: str, paths: list[str]) -> None:
        self.paths = paths
        super().__init__(
            f"{where}: text at {', '.join(paths[:5])} is a plain str; build it with "
            "bot.slack.mrkdwn (esc, md, mention, link) so outside text is escaped"
        )


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def check_outgoing(where: str, args: dict[str, Any]) -> None:
    payload = {k: _plain(args[k]) for k in _CHECKED_ARGS if args.get(k) is not None}
    if payload.get("text") == "":
        payload.pop("text")
    bad = list(unsafe_texts(payload))
    if bad:
        raise UnsafeSlackText(where, bad)


class SafeWebClient(WebClient):
    """A WebClient that checks every message and view before it goes out."""

    def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> SlackResponse:
        if api_method in TEXT_METHODS:
            check_outgoing(api_method, {**(json or {}), **(kwargs.get("params") or {})})
        return super().api_call(api_method, json=json, **kwargs)


class SafeRespond(Respond):
    """Bolt's ``respond()`` (the response_url) behind the same check."""

    def __call__(  # type: ignore[override]
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> WebhookResponse:
        args: dict[str, Any] = dict(text) if isinstance(text, dict) else {"text": text}
        if blocks is not None:
            args["blocks"] = blocks
        if attachments is not None:
            args["attachments"] = attachments
        check_outgoing("respond", args)
        return super().__call__(text, blocks=blocks, attachments=attachments, **kwargs)


def make_web_client(token: str | None, base_url: str, *, interactive: bool = False) -> WebClient:
    """A client for the outbox worker (interactive=False) or for listeners.

    The outbox reschedules a rate-limited item by its Retry-After instead of
    sleeping in a worker thread, so only listeners (replying to a click) wait
    out one 429 in place.
    """
    return SafeWebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=retry_handlers(interactive=interactive),
    )


def safe_copy(client: WebClient) -> SafeWebClient:
    """The same client as a SafeWebClient (Bolt builds a plain one per request)."""
    if isinstance(client, SafeWebClient):
        return client
    return SafeWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
    )
