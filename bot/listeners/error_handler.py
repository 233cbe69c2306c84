"""One error handler: domain errors become ephemeral messages, bugs are logged."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond

from bot.errors import UserFacingError
from bot.slack.mrkdwn import Mrkdwn

log = logging.getLogger(__name__)

SORRY = Mrkdwn(
    "Something went wrong on Lead Router's side and nothing was changed. "
    "Try again in a minute; if it keeps happening, tell a RevOps admin."
)


def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
    report(error, body, respond)


def register(app: App) -> None:
    app.error(handle_error)


def report(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
    """Domain errors become an ephemeral message; anything else is logged as a bug."""
    if isinstance(error, UserFacingError):
        message = error.mrkdwn
    else:
        log.error(
            "listener_failed",
            exc_info=error,
            extra={"type": body.get("type"), "user": (body.get("user") or {}).get("id")},
        )
        message = SORRY
    if respond is not None and _has_response_url(body):
        respond(text=message, response_type="ephemeral", replace_original=False)


def reported(listener: Callable[..., None]) -> Callable[..., None]:
    """Run a listener and report what it raises here, not through Bolt.

    Bolt's thread runner (``process_before_response=False``) clears the ack's response
    when a listener raises after ``ack()``; if that happens before its waiting thread
    has read the response, Slack's request gets a 404 or 500 instead of the ack (a
    refused Claim click did, about one time in four). Catching here keeps the 200.
    """

    @functools.wraps(listener)  # Bolt injects arguments by the wrapped listener's names
    def run(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception as error:
            # Listeners that change state ack only after their commit; one that failed
            # before it still owes Slack an answer inside 3 s (else "didn't respond").
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                ack()
            body = kwargs.get("body") or kwargs.get("command") or {}
            report(error, body, kwargs.get("respond"))

    return run


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))
