"""The manager ping's controls: Reassign to…, Nudge, Open for claim."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot import permissions
from bot.actions import ActionId, OfferRef, decode
from bot.errors import NotARep, UserFacingError
from bot.listeners.errors import reported
from bot.runtime import Runtime
from bot.services import leads
from bot.slack.mrkdwn import Mrkdwn, echoed_blocks, md, mention
from storage.models import Offer


def register(app: App, rt: Runtime) -> None:
    def authorised(body: dict[str, Any], offer_id: int) -> tuple[str, Offer]:
        user_id = str(body["user"]["id"])
        actor = rt.directory.rep_for(user_id)
        if actor is None:
            raise NotARep(user_id)
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
        if offer is None:
            raise UserFacingError("I can't find that offer any more.")
        config = rt.config.config
        if not permissions.may_reassign(config, actor, current_rep=offer.rep_id, queue=None):
            raise UserFacingError(
                f"Only {offer.rep_id}'s managers and admins can act on this escalation."
            )
        if offer.outcome != "pending":
            raise UserFacingError(f"Too late: the offer is already {offer.outcome}.")
        return actor, offer

    def done(respond: Respond, body: dict[str, Any], line: Mrkdwn) -> None:
        # The ping as Slack holds it (its text is already escaped), without its controls.
        blocks = echoed_blocks((body.get("message") or {}).get("blocks") or [])
        kept = [b for b in blocks if b.get("type") != "actions"]
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
        respond(replace_original=True, text=line, blocks=kept)

    @app.action(ActionId.ESCALATION_REASSIGN)
    @reported
    def on_reassign(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        block_id = str(action.get("block_id", ""))
        try:
            offer_id = int(block_id.removeprefix("escalation:"))
        except ValueError:
            raise UserFacingError("That control is from a damaged message.") from None
        actor, offer = authorised(body, offer_id)
        to_rep = str((action.get("selected_option") or {}).get("value", ""))
        if to_rep not in rt.config.config.reps_by_id:
            raise UserFacingError(f"`{to_rep}` is not a rep in routing.yml any more.")
        result = leads.reassign(rt, offer.lead_id, to_rep=to_rep, by=actor, reason="escalation")
        if result.status == "reassigned":
            done(
                respond,
                body,
                md(
                    ":twisted_rightwards_arrows: Reassigned to {} by {}.",
                    to_rep,
                    mention(str(body["user"]["id"])),
                ),
            )

    @app.action(ActionId.ESCALATION_NUDGE)
    @reported
    def on_nudge(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
        actor, offer = authorised(body, ref.offer)
        if leads.nudge(rt, offer.id, by=actor):
            respond(
                text=md("Nudged {} again.", offer.rep_id),
                response_type="ephemeral",
                replace_original=False,
            )

    @app.action(ActionId.ESCALATION_OPEN_CLAIM)
    @reported
    def on_open_claim(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
        actor, offer = authorised(body, ref.offer)
        queue = leads.open_for_claim(rt, offer.id, by=actor)
        if queue is None:
            raise UserFacingError("There is no queue to open this lead in.")
        done(
            respond,
            body,
            md(
                ":raising_hand: Opened for claim in *{}* by {}.",
                queue,
                mention(str(body["user"]["id"])),
            ),
        )
