"""Outbox handlers that post and update assignment cards in Slack."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.metadata import Metadata
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox.worker import Defer, GiveUp
from bot.runtime import Runtime
from bot.views.card import CardData, render_offer_card
from storage.models import Decision, Lead, Offer, OutboxItem, SlackUser
from storage.offers import record_card
from storage.outbox import Claimed

CARD_EVENT = "leadrouter_card"


def salesforce_url(rt: Runtime, lead: Lead) -> str | None:
    base = rt.settings.salesforce_instance_url
    if not base or not lead.salesforce_id:
        return None
    return f"{base.rstrip('/')}/lightning/r/Lead/{lead.salesforce_id}/view"


def load_card(rt: Runtime, session: Session, offer: Offer, rep_slack_id: str | None) -> CardData:
    lead = session.get(Lead, offer.lead_id)
    assert lead is not None
    decision = session.get(Decision, offer.decision_id) if offer.decision_id else None
    rep = rt.config.config.reps_by_id.get(offer.rep_id)
    return CardData(
        lead_public_id=lead.public_id,
        fields=lead.fields,
        offer_id=offer.id,
        rep_id=offer.rep_id,
        rep_slack_id=rep_slack_id,
        rep_timezone=rep.timezone if rep is not None else None,
        outcome=offer.outcome,
        offered_at=offer.offered_at,
        deadline=offer.deadline,
        responded_at=offer.responded_at,
        rule=decision.rule if decision else None,
        why=decision.reason if decision else None,
        reason=offer.reason,
        salesforce_url=salesforce_url(rt, lead),
        score_reasons=list(lead.score_reasons or []),
    )


def find_posted(rt: Runtime, channel: str, key: str) -> dict[str, Any] | None:
    """After a crash between Slack's answer and our commit: was the card posted?"""
    history = rt.slack.conversations_history(channel=channel, limit=100, include_all_metadata=True)
    for message in history.get("messages", []):
        meta = message.get("metadata") or {}
        if (
            meta.get("event_type") == CARD_EVENT
            and meta.get("event_payload", {}).get("outbox_key") == key
        ):
            return {"channel": channel, "ts": message["ts"]}
    return None


def post_offer_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    offer_id = int(item.payload["offer_id"])
    with rt.db.session() as session:
        offer = session.get(Offer, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        if offer.message_ts:
            return {"channel": offer.channel, "ts": offer.message_ts, "already_posted": True}
        rep_id = offer.rep_id
    slack_id = rt.directory.slack_user_for(rep_id)
    with rt.db.session() as session:
        cached = session.get(SlackUser, rep_id)
        dm = cached.dm_channel if cached is not None else None
    if item.attempts > 1:
        # A previous try may have reached Slack; adopt its message instead of re-posting.
        dm = dm or str(rt.slack.conversations_open(users=slack_id)["channel"]["id"])
        found = find_posted(rt, dm, item.key)
        if found is not None:
            _record(rt, offer_id, rep_id, found["channel"], found["ts"])
            return {**found, "recovered": True}
    with rt.db.session() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None
        text, blocks = render_offer_card(load_card(rt, session, offer, slack_id))
        offered_at = offer.offered_at
    response = rt.slack.chat_postMessage(
        channel=dm or slack_id,
        text=text,
        blocks=blocks,
        metadata=Metadata(
            event_type=CARD_EVENT, event_payload={"outbox_key": item.key, "offer_id": offer_id}
        ),
    )
    channel, ts = str(response["channel"]), str(response["ts"])
    _record(rt, offer_id, rep_id, channel, ts)
    rt.metrics.card_seconds.observe(max(0.0, (rt.clock.now() - offered_at).total_seconds()))
    return {"channel": channel, "ts": ts}


def _record(rt: Runtime, offer_id: int, rep_id: str, channel: str, ts: str) -> None:
    with rt.db.session() as session:
        record_card(session, offer_id, channel=channel, ts=ts)
        mapping = session.get(SlackUser, rep_id)
        if mapping is not None and channel.startswith("D"):
            mapping.dm_channel = channel


def update_offer_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    offer_id = int(item.payload["offer_id"])
    with rt.db.session() as session:
        offer = session.get(Offer, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        if not offer.message_ts or not offer.channel:
            post = session.scalars(
                select(OutboxItem).where(OutboxItem.key == f"offer:{offer_id}:post")
            ).first()
            if post is not None and post.status == "dead":
                raise GiveUp(f"the card was never posted: {post.last_error}")
            raise Defer("card not posted yet")
        channel, ts, rep_id = offer.channel, offer.message_ts, offer.rep_id
    slack_id = rt.directory.slack_user_for(rep_id)
    with rt.db.session() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None
        # Render the offer as it is now: an update that runs late is still right.
        text, blocks = render_offer_card(load_card(rt, session, offer, slack_id))
    rt.slack.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    return {"channel": channel, "ts": ts}
