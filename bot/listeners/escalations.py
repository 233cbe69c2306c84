"""The manager ping's controls: Reassign to…, Nudge, Open for claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot import permissions
from bot.actions import ActionId, OfferRef, decode
from bot.errors import UserFacingError
from bot.listeners.actor import actor
from bot.listeners.errors import reported
from bot.runtime import Runtime
from bot.services import leads
from bot.slack.mrkdwn import Mrkdwn, echoed_blocks, md, mention
from storage.models import Offer


@dataclass(frozen=True)
class LateOffer:
    """What a listener needs of the offer, read inside its session."""

    id: int
    lead_id: int
    rep_id: str
    outcome: str


def register(app: App, rt: Runtime) -> None:
    def authorised(context: BoltContext, offer_id: int) -> tuple[str, LateOffer]:
        """The acting manager and the late offer, if they may act on it now."""
        by = actor(context).require()
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
            late = (
                LateOffer(offer.id, offer.lead_id, offer.rep_id, offer.outcome)
                if offer is not None
                else None
            )
        if late is None:
            raise UserFacingError("I can't find that offer any more.")
        config = rt.config.config
        if not permissions.may_reassign(config, by, current_rep=late.rep_id, queue=None):
            raise UserFacingError(
                f"Only {late.rep_id}'s managers and admins can act on this escalation."
            )
        if late.outcome != "pending":
            raise UserFacingError(f"Too late: the offer is already {late.outcome}.")
        return by, late

    def done(respond: Respond, body: dict[str, Any], line: Mrkdwn) -> None:
        # The ping as Slack holds it (its text is already escaped), without its controls.
        blocks = echoed_blocks((body.get("message") or {}).get("blocks") or [])
        kept = [b for b in blocks if b.get("type") != "actions"]
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
        respond(replace_original=True, text=line, blocks=kept)

    @app.action(ActionId.ESCALATION_REASSIGN)
    @reported
    def on_reassign(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        ack()
        block_id = str(action.get("block_id", ""))
        try:
            offer_id = int(block_id.removeprefix("escalation:"))
        except ValueError:
            raise UserFacingError("That control is from a damaged message.") from None
        by, offer = authorised(context, offer_id)
        to_rep = str((action.get("selected_option") or {}).get("value", ""))
        if to_rep not in rt.config.config.reps_by_id:
            raise UserFacingError(f"`{to_rep}` is not a rep in routing.yml any more.")
        result = leads.reassign(rt, offer.lead_id, to_rep=to_rep, by=by, reason="escalation")
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
    def on_nudge(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        ack()
        ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
        by, offer = authorised(context, ref.offer)
        if leads.nudge(rt, offer.id, by=by):
            respond(
                text=md("Nudged {} again.", offer.rep_id),
                response_type="ephemeral",
                replace_original=False,
            )

    @app.action(ActionId.ESCALATION_OPEN_CLAIM)
    @reported
    def on_open_claim(
        ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        ack()
        ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
        by, offer = authorised(context, ref.offer)
        queue = leads.open_for_claim(rt, offer.id, by=by)
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
