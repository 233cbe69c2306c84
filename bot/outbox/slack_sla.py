"""Outbox handlers for the SLA ladder: reminders and escalation notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.errors import RepNotInSlack
from bot.outbox.recovery import already_posted, outbox_marker
from bot.outbox.worker import Defer, GiveUp
from bot.runtime import Runtime
from bot.slack.mrkdwn import Mrkdwn, md, mention
from bot.views.card import lead_name
from bot.views.escalation import escalation_blocks
from bot.views.text import clock_time
from routing.effects import EscalationNotice, parse
from storage.cards import OfferFacts, card_post, decision_facts, lead_facts, offer_facts
from storage.db import UnitOfWork
from storage.outbox import Claimed

MIN_CARD_WAIT = timedelta(milliseconds=500)


def _card_on_its_way(session: UnitOfWork, offer_id: int) -> datetime | None:
    """When the offer's card is next tried, while it is still to be posted (not done,
    not given up on); else None."""
    row = card_post(session, offer_id)
    if row is None or row.status != "pending":
        return None
    due = row.next_attempt_at
    return due if due.tzinfo is not None else due.replace(tzinfo=UTC)


def rep_mention(rt: Runtime, rep_id: str) -> Mrkdwn:
    try:
        return mention(rt.directory.slack_user_for(rep_id), rep_id)
    except RepNotInSlack:
        return mention(None, rep_id)


def send_reminder(rt: Runtime, item: Claimed) -> dict[str, Any]:
    offer_id = int(item.payload["offer_id"])
    with rt.db.session() as session:
        # The card's row before the offer: a card done by then has its ts on the offer
        # (stored before the row is marked done), read after it.
        card_retry = _card_on_its_way(session, offer_id)
        offer = offer_facts(session, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        if offer.outcome != "pending":
            return {"skipped": f"offer {offer.outcome}"}
        if not offer.message_ts and card_retry is not None:
            # The reminder belongs in the card's thread: wait for the card (another
            # worker may be posting it right now) rather than post it on its own; a
            # card backing off (Slack down) is not asked after more often than it tries.
            wait = max(MIN_CARD_WAIT, card_retry - rt.clock.now())
            raise Defer("card not posted yet", wait)
        lead = lead_facts(session, offer.lead_id)
        assert lead is not None
        rep = rt.config.config.reps_by_id.get(offer.rep_id)
        due = (
            md(" Accept by *{}*.", clock_time(offer.deadline, rep.timezone if rep else None))
            if offer.deadline
            else ""
        )
        text = md(
            ":alarm_clock: Reminder: *{}* {} is waiting for you.{}",
            lead.public_id,
            lead_name(lead.fields),
            due,
        )
        channel, ts, rep_id = offer.channel, offer.message_ts, offer.rep_id
    user = rt.directory.slack_user_for(rep_id)
    where = channel or user
    found = already_posted(rt, item, where, thread_ts=ts)
    if found is not None:
        return found
    # In the card's thread, broadcast so it shows in the conversation too.
    response = rt.slack.chat_postMessage(
        channel=where,
        text=text,
        thread_ts=ts,
        reply_broadcast=bool(ts),
        metadata=outbox_marker(item),
    )
    return {"channel": response["channel"], "ts": response["ts"]}


def escalation_candidates(
    rt: Runtime, offer: OfferFacts, pool_id: str | None
) -> list[tuple[str, str]]:
    """Reps a manager may hand the lead to: the pool's members, else the rep's team."""
    config = rt.config.config
    if pool_id and pool_id in config.pools:
        ids = [m.rep for m in config.pools[pool_id].members]
    else:
        managers = config.managers_of(offer.rep_id)
        ids = [r.id for r in config.reps if config.managers_of(r.id) & managers]
    return [
        (rep_id, config.reps_by_id[rep_id].name)
        for rep_id in ids
        if rep_id != offer.rep_id and rep_id in config.reps_by_id
    ]


def send_escalation_notice(rt: Runtime, item: Claimed) -> dict[str, Any]:
    notice = parse(item.kind, item.payload)  # the stored row, typed again
    assert isinstance(notice, EscalationNotice)
    offer_id, to = notice.offer_id, notice.to
    with rt.db.session() as session:
        offer = offer_facts(session, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        lead = lead_facts(session, offer.lead_id)
        assert lead is not None
        decision = decision_facts(session, offer.decision_id)
        candidates = escalation_candidates(rt, offer, decision.pool_id if decision else None)
        text, blocks = escalation_blocks(
            offer_id=offer.id,
            public_id=lead.public_id,
            lead_label=lead_name(lead.fields),
            rep_mention=rep_mention(rt, offer.rep_id),
            offered_at=offer.offered_at,
            now=rt.clock.now(),
            candidates=candidates,
            can_open_claim=bool(rt.config.config.queues),
            outcome=None if offer.outcome == "pending" else f"Offer is now {offer.outcome}.",
        )
    channel = rt.directory.slack_user_for(to.target) if to.kind == "rep" else to.target
    found = already_posted(rt, item, channel)
    if found is not None:
        return found
    response = rt.slack.chat_postMessage(
        channel=channel, text=text, blocks=blocks, metadata=outbox_marker(item)
    )
    return {
        "channel": response["channel"],
        "ts": response["ts"],
        "recipient": item.payload["recipient"],
    }
