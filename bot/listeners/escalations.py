"""The manager ping's controls: Reassign to…, Nudge, Open for claim."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot import permissions
from bot.actions import ActionId, OfferRef, decode
from bot.errors import UserFacingError
from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import reported
from bot.services import leads
from bot.services.leads import OfferView
from bot.slack.mrkdwn import Mrkdwn, echoed_blocks, md, mention


def _authorised(context: BoltContext, offer_id: int) -> tuple[str, OfferView]:
    """The acting manager and the late offer, if they may act on it now."""
    by = actor(context).require()
    rt = runtime(context)
    late = leads.offer_view(rt, offer_id)
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


def _done(respond: Respond, body: dict[str, Any], line: Mrkdwn) -> None:
    # The ping as Slack holds it (its text is already escaped), without its controls.
    blocks = echoed_blocks((body.get("message") or {}).get("blocks") or [])
    kept = [b for b in blocks if b.get("type") != "actions"]
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    respond(replace_original=True, text=line, blocks=kept)


@reported
def on_reassign(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    # Commit, then ack (see bot.listeners.offers.on_accept).
    block_id = str(action.get("block_id", ""))
    try:
        offer_id = int(block_id.removeprefix("escalation:"))
    except ValueError:
        raise UserFacingError("That control is from a damaged message.") from None
    by, offer = _authorised(context, offer_id)
    rt = runtime(context)
    to_rep = str((action.get("selected_option") or {}).get("value", ""))
    if to_rep not in rt.config.config.reps_by_id:
        raise UserFacingError(f"`{to_rep}` is not a rep in routing.yml any more.")
    result = leads.reassign(rt, offer.lead_id, to_rep=to_rep, by=by, reason="escalation")
    ack()
    if result.status == "reassigned":
        _done(
            respond,
            body,
            md(
                ":twisted_rightwards_arrows: Reassigned to {} by {}.",
                to_rep,
                mention(str(body["user"]["id"])),
            ),
        )


@reported
def on_nudge(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
    by, offer = _authorised(context, ref.offer)
    rt = runtime(context)
    nudged = leads.nudge(rt, offer.id, by=by)
    ack()
    if nudged:
        respond(
            text=md("Nudged {} again.", offer.rep_id),
            response_type="ephemeral",
            replace_original=False,
        )


@reported
def on_open_claim(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ref = decode(OfferRef, (body.get("actions") or [{}])[0].get("value"))
    by, offer = _authorised(context, ref.offer)
    rt = runtime(context)
    queue = leads.open_for_claim(rt, offer.id, by=by)
    ack()
    if queue is None:
        raise UserFacingError("There is no queue to open this lead in.")
    _done(
        respond,
        body,
        md(
            ":raising_hand: Opened for claim in *{}* by {}.",
            queue,
            mention(str(body["user"]["id"])),
        ),
    )


def register(app: App) -> None:
    app.action(ActionId.ESCALATION_REASSIGN)(on_reassign)
    app.action(ActionId.ESCALATION_NUDGE)(on_nudge)
    app.action(ActionId.ESCALATION_OPEN_CLAIM)(on_open_claim)
