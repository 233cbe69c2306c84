"""Claim on an open-claim queue card: the first eligible member wins."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.actions import ActionId, LeadRef, decode
from bot.errors import NotARep, RepNotInSlack
from bot.listeners.errors import reported
from bot.runtime import Runtime
from bot.services import leads


def register(app: App, rt: Runtime) -> None:
    @app.action(ActionId.CLAIM)
    @reported
    def on_claim(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = decode(LeadRef, (body.get("actions") or [{}])[0].get("value"))
        user_id = str(body["user"]["id"])
        rep_id = rt.directory.rep_for(user_id)
        if rep_id is None:
            raise NotARep(user_id)
        result = leads.claim(rt, ref.lead, rep_id)
        if result.status == "claimed":
            public_id = result.lead.public_id if result.lead else "The lead"
            respond(
                text=f"It's yours: {public_id} is now assigned to you.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if result.status == "already_claimed" and result.owner is not None:
            try:
                owner = f"<@{rt.directory.slack_user_for(result.owner)}>"
            except RepNotInSlack:
                owner = result.owner
            text = f"Already claimed by {owner}."
        elif result.status == "unknown":
            text = "I can't find that lead any more."
        else:
            text = "This lead is no longer open for claim."
        respond(text=text, response_type="ephemeral", replace_original=False)
