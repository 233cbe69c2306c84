"""Typed Slack failures, so callers decide: retry later, or give up visibly."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

# Errors no retry can fix: the outbox gives up on them and says so.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "users_not_found",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "cant_update_message",
        "message_not_found",
    }
)


@dataclass(frozen=True)
class SlackFailure:
    error: str
    retry_after: float | None = None
    permanent: bool = False

    def describe(self) -> str:
        return (
            self.error
            if self.retry_after is None
            else f"{self.error} (retry after {self.retry_after:g}s)"
        )


def classify(exc: SlackApiError) -> SlackFailure:
    response = exc.response
    status = getattr(response, "status_code", 200)
    error = str(response.get("error", "")) if hasattr(response, "get") else ""
    if status == 429 or error == "ratelimited":
        header = (response.headers or {}).get("Retry-After") or (response.headers or {}).get(
            "retry-after"
        )
        return SlackFailure("ratelimited", retry_after=float(header or 1))
    if status >= 500:
        return SlackFailure(error or f"http_{status}")
    return SlackFailure(error or f"http_{status}", permanent=error in PERMANENT)
