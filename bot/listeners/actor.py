"""One Bolt middleware puts the clicking or typing user on the context as an ``Actor``,
resolved to their rep id (by email, cached in the directory) only when a listener asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.actor import Actor, user_id_of
from bot.runtime import Runtime

KEY = "leadrouter_actor"


def actor(context: BoltContext) -> Actor:
    found = context.get(KEY)
    assert isinstance(found, Actor), "the actor middleware runs before every listener"
    return found


def register(app: App, rt: Runtime) -> None:
    @app.middleware
    def resolve_actor(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> None:
        context[KEY] = Actor(user_id_of(body), rt.directory.rep_for)
        next()
