"""App Home: published when a user opens it; a retried event publishes once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import reported
from bot.views.home import render_not_a_rep
from lifecycle.home import request_home_refresh
from storage.dedupe import first_time


@reported
def on_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    # Events are acknowledged by Bolt before this runs (process_before_response=False).
    if event.get("tab", "home") != "home":
        return
    rt = runtime(context)
    who = actor(context)
    user_id, rep_id = who.slack_user_id, who.rep_id
    now = rt.clock.now()
    with rt.db.session() as session:
        # Slack retries an event it thinks we missed (X-Slack-Retry-Num): same event_id.
        event_id = body.get("event_id")
        if event_id and not first_time(session, f"slack-event:{event_id}", now):
            return
        if rep_id is not None:
            request_home_refresh(session, [rep_id], now, delay=timedelta(0))
    if rep_id is None:
        client.views_publish(user_id=user_id, view=render_not_a_rep())
        return


def register(app: App) -> None:
    app.event("app_home_opened")(on_app_home_opened)
