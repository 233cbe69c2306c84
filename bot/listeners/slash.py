"""The ``/leads`` slash command: parse, ack at once, answer ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import reported
from bot.slash import SlashContext, dispatch

COMMAND = "/leads"


@reported
def on_leads(ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    ctx = SlashContext(
        rt=runtime(context),
        user_id=str(command.get("user_id", "")),
        channel_id=str(command.get("channel_id", "")),
        text=str(command.get("text", "")),
        actor=actor(context),
    )
    reply = dispatch(ctx)
    respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def register(app: App) -> None:
    app.command(COMMAND)(on_leads)
