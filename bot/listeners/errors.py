"""One error handler: domain errors become ephemeral messages, bugs are logged."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond

from bot.errors import UserFacingError
from bot.runtime import Runtime

log = logging.getLogger(__name__)

SORRY = (
    "Something went wrong on Lead Router's side and nothing was changed. "
    "Try again in a minute; if it keeps happening, tell a RevOps admin."
)


def register(app: App, rt: Runtime) -> None:
    @app.error
    def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        if isinstance(error, UserFacingError):
            message = str(error)
        else:
            log.error(
                "listener_failed",
                exc_info=error,
                extra={"type": body.get("type"), "user": (body.get("user") or {}).get("id")},
            )
            message = SORRY
        if respond is not None and _has_response_url(body):
            respond(text=message, response_type="ephemeral", replace_original=False)


def _has_response_url(body: dict[str, Any]) -> bool:
    return bool(body.get("response_url") or body.get("response_urls"))
