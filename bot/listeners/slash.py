"""The ``/leads`` slash command: a change commits before the ack; a lookup acks first."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.faults import crash_point
from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import reported
from bot.slash import SlashContext, dispatch
from bot.slash.router import changes_state

COMMAND = "/leads"


@reported
def on_leads(ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    text = str(command.get("text", ""))
    # A change (claim, reassign, away) is committed before Slack hears "done", and its
    # reply rides in the ack; a lookup acks at once and answers by response_url.
    commit_first = changes_state(text)
    if not commit_first:
        ack()
    ctx = SlashContext(
        rt=runtime(context),
        user_id=str(command.get("user_id", "")),
        channel_id=str(command.get("channel_id", "")),
        text=text,
        actor=actor(context),
    )
    reply = dispatch(ctx)
    if commit_first:
        crash_point("slash_committed")
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        return
    respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def register(app: App) -> None:
    app.command(COMMAND)(on_leads)
