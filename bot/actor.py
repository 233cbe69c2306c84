"""Who is acting in Slack: a user, resolved to their rep id only when asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import NotARep


@dataclass
class Actor:
    slack_user_id: str
    lookup: Callable[[str], str | None] = field(repr=False)
    _rep: tuple[str | None] | None = field(default=None, repr=False)

    @property
    def rep_id(self) -> str | None:
        """Their rep id in routing.yml, or None (looked up once per request)."""
        if self._rep is None:
            self._rep = (self.lookup(self.slack_user_id) if self.slack_user_id else None,)
        return self._rep[0]

    def require(self) -> str:
        """Their rep id; NotARep (an ephemeral explanation) when they are not a rep."""
        rep = self.rep_id
        if rep is None:
            raise NotARep(self.slack_user_id)
        return rep


def user_id_of(body: dict[str, Any]) -> str:
    """The acting user of an interaction, a slash command or an event."""
    user = body.get("user")
    if isinstance(user, dict) and user.get("id"):
        return str(user["id"])
    if body.get("user_id"):
        return str(body["user_id"])
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return str(event["user"])
    return ""
