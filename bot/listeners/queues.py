"""Claim on an open-claim queue card: the first eligible member wins."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.actions import ActionId, LeadRef, decode
from bot.errors import RepNotInSlack
from bot.faults import crash_point
from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import reported
from bot.services import leads
from bot.slack.mrkdwn import Mrkdwn, md, mention


@reported
def on_claim(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    # Commit, then ack (see bot.listeners.offers.on_accept).
    rt = runtime(context)
    ref = decode(LeadRef, (body.get("actions") or [{}])[0].get("value"))
    rep_id = actor(context).require()
    result = leads.claim(rt, ref.lead, rep_id)
    crash_point("claim_committed")
    ack()
    if result.status == "claimed":
        public_id = result.public_id or "The lead"
        respond(
            text=md("It's yours: {} is now assigned to you.", public_id),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    if result.status == "already_claimed" and result.owner is not None:
        try:
            owner = mention(rt.directory.slack_user_for(result.owner), result.owner)
        except RepNotInSlack:
            owner = mention(None, result.owner)
        text = md("Already claimed by {}.", owner)
    elif result.status == "unknown":
        text = Mrkdwn("I can't find that lead any more.")
    else:
        text = Mrkdwn("This lead is no longer open for claim.")
    respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(ActionId.CLAIM)(on_claim)
