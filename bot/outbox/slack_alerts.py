"""Outbox handlers for queue cards and admin alerts."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata

from bot.errors import RepNotInSlack
from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.outbox.recovery import (
    CARD_EVENT,
    already_posted,
    channel_id,
    find_posted,
    outbox_marker,
)
from bot.outbox.worker import Defer, GiveUp
from bot.runtime import Runtime
from bot.slack.errors import classify
from bot.slack.mrkdwn import Mrkdwn, code, md, mention
from bot.views.card import lead_name
from bot.views.queue_card import render_queue_card
from storage.models import Lead
from storage.outbox import Claimed


def _queue_card(rt: Runtime, lead: Lead) -> tuple[Mrkdwn, list[Any]]:
    decision = lead.decisions[-1] if lead.decisions else None
    claimed_by: Mrkdwn | None = None
    if lead.assignee:
        try:
            claimed_by = mention(rt.directory.slack_user_for(lead.assignee), lead.assignee)
        except RepNotInSlack:
            claimed_by = mention(None, lead.assignee)
    closed_note = None
    if lead.state != "queued" and claimed_by is None:
        closed_note = (
            f"Taken off the queue: {decision.reason}" if decision else "Taken off the queue"
        )
    return render_queue_card(
        lead_id=lead.id,
        public_id=lead.public_id,
        fields=lead.fields,
        queue_id=lead.queue_id or "?",
        why=decision.reason if decision else None,
        claimed_by=claimed_by,
        queued_at=lead.routed_at,
        claimed_at=lead.accepted_at,
        closed_note=closed_note,
    )


def post_queue_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    lead_id = int(item.payload["lead_id"])
    queue_id = str(item.payload["queue"])
    queue = rt.config.config.queues.get(queue_id)
    if queue is None:
        raise GiveUp(f"queue {queue_id!r} is no longer in routing.yml")
    with rt.db.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise GiveUp(f"lead {lead_id} no longer exists")
        if lead.queue_message_ts:
            return {"channel": lead.queue_channel, "ts": lead.queue_message_ts}
        text, blocks = _queue_card(rt, lead)
    channel = channel_id(rt, queue.channel)
    found = None
    if item.attempts > 1 and not channel.startswith("#"):
        found = find_posted(rt, channel, item.key)
    if found is None:
        try:
            response = rt.slack.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=Metadata(
                    event_type=CARD_EVENT,
                    event_payload={"outbox_key": item.key, "lead_id": lead_id},
                ),
            )
        except SlackApiError as exc:
            failure = classify(exc)
            if failure.permanent:
                _alert_queue_failure(rt, lead_id, queue_id, channel, failure.error)
            raise
        found = {"channel": str(response["channel"]), "ts": str(response["ts"])}
    with rt.db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.queue_channel, lead.queue_message_ts = found["channel"], found["ts"]
    return found


def _alert_queue_failure(
    rt: Runtime, lead_id: int, queue_id: str, channel: str, error: str
) -> None:
    now = rt.clock.now()
    with rt.db.session() as session:
        lead = session.get(Lead, lead_id)
        public_id = lead.public_id if lead is not None else str(lead_id)
        enqueue_admin_alert(
            session,
            rt.config.config,
            key=f"lead:{lead_id}:queue_failed:{queue_id}",
            text=md(
                ":warning: The open-claim card for *{}* could not be posted in {} (queue *{}*): "
                "Slack said {}. Invite the bot to the channel or fix `queues` in routing.yml; "
                "the lead waits in `/leads queue`.",
                public_id,
                channel,
                queue_id,
                code(error),
            ),
            now=now,
            lead_id=lead_id,
        )


def update_queue_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    lead_id = int(item.payload["lead_id"])
    with rt.db.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise GiveUp(f"lead {lead_id} no longer exists")
        if not lead.queue_message_ts or not lead.queue_channel:
            raise Defer("queue card not posted yet")
        channel, ts = lead.queue_channel, lead.queue_message_ts
        text, blocks = _queue_card(rt, lead)
    rt.slack.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    return {"channel": channel, "ts": ts}


def alert_unrouted(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """Tell every admin about a lead no rule could place, so it is never unseen."""
    lead_id = int(item.payload["lead_id"])
    with rt.db.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise GiveUp(f"lead {lead_id} no longer exists")
        public_id, name = lead.public_id, lead_name(lead.fields)
        company = lead.fields.get("company")
    admin = str(item.payload["admin"])
    text = md(
        ":warning: Lead *{}* ({}{}) matched no rule with an eligible rep. Assign it with "
        "{}, or see why with {}.",
        public_id,
        name,
        f", {company}" if company else "",
        code(f"/leads reassign {public_id} @rep"),
        code(f"/leads why {public_id}"),
    )
    user = rt.directory.slack_user_for(admin)
    found = already_posted(rt, item, user)
    if found is not None:
        return {"admin": admin, **found}
    response = rt.slack.chat_postMessage(channel=user, text=text, metadata=outbox_marker(item))
    return {"admin": admin, "channel": response["channel"], "ts": response["ts"]}
