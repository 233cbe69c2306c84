"""Accept and Decline on an assignment card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.actions import ActionId, OfferRef, decode
from bot.runtime import Runtime
from bot.services import leads
from storage.models import Offer
from storage.offers import OfferAction

DONE_BEFORE = {
    "accepted": "You already accepted this lead.",
    "declined": "You declined this lead; it has been passed on.",
    "timed_out": "This offer expired and the lead was passed on.",
    "revoked": "This lead was reassigned; it is no longer yours to accept.",
}


def _action_value(body: dict[str, Any]) -> str | None:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value")
    return str(value) if value is not None else None


def register(app: App, rt: Runtime) -> None:
    def offered_to(offer_id: int) -> str:
        with rt.db.session() as session:
            offer = session.get(Offer, offer_id)
            rep_id = offer.rep_id if offer is not None else None
        if rep_id is None:
            return "someone else"
        try:
            return f"<@{rt.directory.slack_user_for(rep_id)}>"
        except Exception:  # naming the rep is a courtesy; the refusal stands without it
            return rep_id

    def reply(respond: Respond, action: OfferAction, ref: OfferRef) -> None:
        if action.changed:
            return
        if action.status == "unknown":
            text = "I can't find that offer any more. Use `/leads mine` to see your leads."
        elif action.status == "not_yours":
            text = f"This lead was offered to {offered_to(ref.offer)}; only they can act on it."
        else:
            outcome = action.offer.outcome if action.offer is not None else ""
            text = DONE_BEFORE.get(outcome, "This offer is no longer open.")
        respond(text=text, response_type="ephemeral", replace_original=False)

    def acting_rep(body: dict[str, Any]) -> str | None:
        return rt.directory.rep_for(str(body["user"]["id"]))

    @app.action(ActionId.ACCEPT)
    def on_accept(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = decode(OfferRef, _action_value(body))
        rep_id = acting_rep(body)
        action = leads.accept(rt, ref.offer, rep_id) if rep_id else OfferAction("not_yours")
        reply(respond, action, ref)

    @app.action(ActionId.DECLINE)
    def on_decline(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = decode(OfferRef, _action_value(body))
        rep_id = acting_rep(body)
        action = (
            leads.decline(rt, ref.offer, rep_id, reason=None)
            if rep_id
            else OfferAction("not_yours")
        )
        reply(respond, action, ref)

    @app.action(ActionId.OPEN_IN_SALESFORCE)
    def on_open_in_salesforce(ack: Ack) -> None:
        # A link button: Slack opens the URL itself and still sends us the click.
        ack()
