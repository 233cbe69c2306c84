"""Accept and Decline on an assignment card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.actions import ActionId, BlockId, OfferRef, ViewId, decode
from bot.errors import UserFacingError
from bot.faults import crash_point
from bot.listeners.context import actor, runtime
from bot.listeners.error_handler import SORRY, reported
from bot.runtime import Runtime
from bot.services import leads
from bot.services.leads import OfferView
from bot.slack.mrkdwn import Mrkdwn, md, mention
from bot.views.card import lead_name
from bot.views.decline_modal import decline_modal, reason_from_state
from lifecycle.offers import Answer

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


def _offered_to(rt: Runtime, rep_id: str | None) -> Mrkdwn:
    if rep_id is None:
        return Mrkdwn("someone else")
    try:
        return mention(rt.directory.slack_user_for(rep_id), rep_id)
    except Exception:  # naming the rep is a courtesy; the refusal stands without it
        return mention(None, rep_id)


def closed_text(rt: Runtime, answer: Answer) -> Mrkdwn:
    """Why a click changed nothing, in the rep's words."""
    if answer.status == "unknown":
        return Mrkdwn("I can't find that offer any more. Use `/leads mine` to see your leads.")
    if answer.status == "not_yours":
        return md(
            "This lead was offered to {}; only they can act on it.", _offered_to(rt, answer.rep_id)
        )
    return DONE_BEFORE.get(answer.outcome or "", Mrkdwn("This offer is no longer open."))


def _reply(
    rt: Runtime, respond: Respond, body: dict[str, Any], client: WebClient, answer: Answer
) -> None:
    if answer.changed:
        return
    text = closed_text(rt, answer)
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        # A click in App Home has no response_url: answer in the user's DM.
        client.chat_postMessage(channel=str(body["user"]["id"]), text=text)


def _refusal(offer: OfferView | None, rep_id: str | None) -> Answer | None:
    """None when the rep may act on the offer now; else why not."""
    if offer is None:
        return Answer("unknown")
    if rep_id is None or offer.rep_id != rep_id:
        return Answer("not_yours", offer.outcome, offer.rep_id)
    if offer.outcome != "pending":
        return Answer("not_pending", offer.outcome, offer.rep_id)
    return None


@reported
def on_accept(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    # Commit, then ack: Slack never sends a click twice, so "done" must mean stored.
    rt = runtime(context)
    ref = decode(OfferRef, _action_value(body))
    rep_id = actor(context).rep_id
    if rep_id is None:
        offer = leads.offer_view(rt, ref.offer)
        answer = Answer("not_yours", rep_id=offer.rep_id if offer else None)
    else:
        answer = leads.accept(rt, ref.offer, rep_id)
    crash_point("accept_committed")
    ack()
    _reply(rt, respond, body, client, answer)


@reported
def on_decline(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    ack()
    rt = runtime(context)
    ref = decode(OfferRef, _action_value(body))
    offer = leads.offer_view(rt, ref.offer)
    refusal = _refusal(offer, actor(context).rep_id)
    if refusal is not None or offer is None:
        _reply(rt, respond, body, client, refusal or Answer("unknown"))
        return
    # Open the modal while the trigger is fresh (Slack gives it 3 seconds).
    client.views_open(
        trigger_id=body["trigger_id"],
        view=decline_modal(
            ref,
            lead_label=f"{offer.lead_public_id} {lead_name(offer.lead_fields)}",
            reasons=rt.config.config.decline_reasons,
        ),
    )


@reported
def on_decline_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    rt = runtime(context)
    ref = decode(OfferRef, view.get("private_metadata"))
    rep_id = actor(context).rep_id
    reason = reason_from_state(view.get("state", {}).get("values", {}))
    if reason is None:
        ack(response_action="errors", errors={BlockId.REASON: "Pick a reason."})
        return
    try:
        refusal = _refusal(leads.offer_view(rt, ref.offer), rep_id)
        if refusal is None:
            answer = leads.decline(rt, ref.offer, rep_id or "", reason=reason)
            # Lost to a timeout or a reassignment between the check and the lock.
            refusal = None if answer.changed else answer
    except Exception as error:
        # A modal has no response_url: the error goes on the modal, which stays open.
        why = error.mrkdwn if isinstance(error, UserFacingError) else SORRY
        ack(response_action="errors", errors={BlockId.REASON: why})
        raise
    if refusal is not None:
        ack(response_action="errors", errors={BlockId.REASON: closed_text(rt, refusal)})
        return
    crash_point("decline_committed")
    ack()


@reported
def on_open_in_salesforce(ack: Ack) -> None:
    # A link button: Slack opens the URL itself and still sends us the click.
    ack()


def register(app: App) -> None:
    app.action(ActionId.ACCEPT)(on_accept)
    app.action(ActionId.DECLINE)(on_decline)
    app.view(ViewId.DECLINE_REASON)(on_decline_submitted)
    app.action(ActionId.OPEN_IN_SALESFORCE)(on_open_in_salesforce)
