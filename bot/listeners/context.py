"""What every listener finds on its Bolt context, put there by one middleware: the
runtime (database, config, clock, Slack) and the acting user as an ``Actor``, resolved
to their rep id (by email, cached in the directory) only when a listener asks.

So the listeners are plain module-level functions: nothing is captured in a closure,
and a test can import one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.actor import Actor, user_id_of
from bot.runtime import Runtime

ACTOR = "leadrouter_actor"
RUNTIME = "leadrouter_runtime"


def actor(context: BoltContext) -> Actor:
    found = context.get(ACTOR)
    assert isinstance(found, Actor), "the context middleware runs before every listener"
    return found


def runtime(context: BoltContext) -> Runtime:
    found = context.get(RUNTIME)
    assert isinstance(found, Runtime), "the context middleware runs before every listener"
    return found


def register(app: App, rt: Runtime) -> None:
    @app.middleware
    def put_on_context(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> None:
        context[RUNTIME] = rt
        context[ACTOR] = Actor(user_id_of(body), rt.directory.rep_for)
        next()
