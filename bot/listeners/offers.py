"""Accept and Decline on an assignment card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.actions import ActionId, BlockId, OfferRef, ViewId, decode
from bot.listeners.actor import actor
from bot.listeners.errors import reported
from bot.runtime import Runtime
from bot.services import leads
from bot.slack.mrkdwn import Mrkdwn, md, mention
from bot.views.card import lead_name
from bot.views.decline_modal import decline_modal, reason_from_state
from lifecycle.offers import OfferAction
from storage.models import Lead, Offer

DONE_BEFORE = {
    "accepted": Mrkdwn("You already accepted this lead."),
    "declined": Mrkdwn("You declined this lead; it has been passed on."),
    "timed_out": Mrkdwn("This offer expired and the lead was passed on."),
    "revoked": Mrkdwn("This lead was reassigned; it is no longer yours to accept."),
}


def _action_value(body: dict[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return str(value) if value is not None else None


def register(app: App, rt: Runtime) -> None:
    def offered_to(offer_id: int) -> Mrkdwn:
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
            rep_id = offer.rep_id if offer is not None else None
        if rep_id is None:
            return Mrkdwn("someone else")
        try:
            return mention(rt.directory.slack_user_for(rep_id), rep_id)
        except Exception:  # naming the rep is a courtesy; the refusal stands without it
            return mention(None, rep_id)

    def closed_text(action: OfferAction, ref: OfferRef) -> Mrkdwn:
        if action.status == "unknown":
            return Mrkdwn("I can't find that offer any more. Use `/leads mine` to see your leads.")
        if action.status == "not_yours":
            return md(
                "This lead was offered to {}; only they can act on it.", offered_to(ref.offer)
            )
        outcome = action.offer.outcome if action.offer is not None else ""
        return DONE_BEFORE.get(outcome, Mrkdwn("This offer is no longer open."))

    def reply(
        respond: Respond,
        body: dict[str, Any],
        client: WebClient,
        action: OfferAction,
        ref: OfferRef,
    ) -> None:
        if action.changed:
            return
        text = closed_text(action, ref)
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            # A click in App Home has no response_url: answer in the user's DM.
            client.chat_postMessage(channel=str(body["user"]["id"]), text=text)

    def check_open(offer_id: int, rep_id: str | None) -> OfferAction | None:
        """None when the rep may act on the offer now; else why not."""
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
            if offer is None:
                return OfferAction("unknown")
            if rep_id is None or offer.rep_id != rep_id:
                return OfferAction("not_yours", offer)
            if offer.outcome != "pending":
                return OfferAction("not_pending", offer)
        return None

    def lead_label(offer_id: int) -> str:
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
            lead = session.get(Lead, offer.lead_id) if offer is not None else None
            return f"{lead.public_id} {lead_name(lead.fields)}" if lead is not None else "this lead"

    @app.action(ActionId.ACCEPT)
    @reported
    def on_accept(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        ack()
        ref = decode(OfferRef, _action_value(body))
        rep_id = actor(context).rep_id
        action = leads.accept(rt, ref.offer, rep_id) if rep_id else OfferAction("not_yours")
        reply(respond, body, client, action, ref)

    @app.action(ActionId.DECLINE)
    @reported
    def on_decline(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        ack()
        ref = decode(OfferRef, _action_value(body))
        rep_id = actor(context).rep_id
        check = check_open(ref.offer, rep_id)
        if check is not None:
            reply(respond, body, client, check, ref)
            return
        # Open the modal while the trigger is fresh (Slack gives it 3 seconds).
        client.views_open(
            trigger_id=body["trigger_id"],
            view=decline_modal(
                ref,
                lead_label=lead_label(ref.offer),
                reasons=rt.config.config.decline_reasons,
            ),
        )

    @app.view(ViewId.DECLINE_REASON)
    @reported
    def on_decline_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        ref = decode(OfferRef, view.get("private_metadata"))
        rep_id = actor(context).rep_id
        reason = reason_from_state(view.get("state", {}).get("values", {}))
        if reason is None:
            ack(response_action="errors", errors={BlockId.REASON: "Pick a reason."})
            return
        check = check_open(ref.offer, rep_id)
        if check is not None:
            ack(response_action="errors", errors={BlockId.REASON: closed_text(check, ref)})
            return
        ack()
        leads.decline(rt, ref.offer, rep_id or "", reason=reason)

    @app.action(ActionId.OPEN_IN_SALESFORCE)
    @reported
    def on_open_in_salesforce(ack: Ack) -> None:
        # A link button: Slack opens the URL itself and still sends us the click.
        ack()
