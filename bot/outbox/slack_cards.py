"""Outbox handlers that post and update assignment cards in Slack."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata

from bot.errors import RepNotInSlack
from bot.home.refresh import refresh_homes
from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.outbox.recovery import CARD_EVENT, channel_id, find_posted
from bot.outbox.worker import Defer, GiveUp
from bot.runtime import Runtime
from bot.slack.errors import classify
from bot.slack.mrkdwn import md
from bot.views.card import CardData, render_offer_card
from lifecycle.card_delivery import card_delivered, is_late
from lifecycle.home import request_home_refresh
from lifecycle.reassign import pass_over
from lifecycle.salesforce_writes import enqueue_for_new_offer
from lifecycle.sla_plan import replan_from
from routing.teams import home_audience
from storage.cards import (
    DecisionFacts,
    LeadFacts,
    OfferFacts,
    card_post,
    decision_facts,
    lead_facts,
    offer_facts,
)
from storage.db import UnitOfWork
from storage.outbox import Claimed
from storage.slack_users import dm_channel, remember_dm_channel

# Slack's answers to a DM whose user is gone: pass the lead on instead of retrying.
GONE_USER_ERRORS = frozenset(
    {"account_inactive", "user_not_found", "user_disabled", "users_not_found", "channel_not_found"}
)


def salesforce_url(rt: Runtime, lead: LeadFacts) -> str | None:
    # Password and JWT logins learn the instance at login: use it once known.
    base = rt.settings.salesforce_instance_url or (
        rt.salesforce.known_instance_url if rt.salesforce is not None else None
    )
    if not base or not lead.salesforce_id:
        return None
    return f"{base.rstrip('/')}/lightning/r/Lead/{lead.salesforce_id}/view"


def load_card(
    rt: Runtime, session: UnitOfWork, offer: OfferFacts, rep_slack_id: str | None
) -> CardData:
    lead = lead_facts(session, offer.lead_id)
    assert lead is not None
    return card_data(rt, offer, lead, decision_facts(session, offer.decision_id), rep_slack_id)


def card_data(
    rt: Runtime,
    offer: OfferFacts,
    lead: LeadFacts,
    decision: DecisionFacts | None,
    rep_slack_id: str | None,
) -> CardData:
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
        in_channel=bool(offer.channel) and not str(offer.channel).startswith("D"),
        delivered_late_at=(
            offer.delivered_at
            if offer.delivered_at is not None and is_late(offer.offered_at, offer.delivered_at)
            else None
        ),
    )


def post_offer_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    offer_id = int(item.payload["offer_id"])
    # Everything the card shows, read in one short transaction.
    with rt.db.session() as session:
        offer = offer_facts(session, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        if offer.message_ts:
            return {"channel": offer.channel, "ts": offer.message_ts, "already_posted": True}
        rep_id = offer.rep_id
        decision = decision_facts(session, offer.decision_id)
        lead = lead_facts(session, offer.lead_id)
        assert lead is not None
        dm = dm_channel(session, rep_id)
    shared_channel = delivery_channel(rt, rep_id, decision.pool_id if decision else None)
    if shared_channel is not None:
        shared_channel = channel_id(rt, shared_channel)
    try:
        slack_id = rt.directory.slack_user_for(rep_id)
    except RepNotInSlack as problem:
        return pass_on_unreachable(rt, offer_id, problem)
    if item.attempts > 1:
        # A previous try may have reached Slack; adopt its message instead of re-posting.
        where = shared_channel or dm
        if where is None:
            where = dm = str(rt.slack.conversations_open(users=slack_id)["channel"]["id"])
        found = find_posted(rt, where, item.key) if not where.startswith("#") else None
        if found is not None:
            _record(rt, offer_id, rep_id, found["channel"], found["ts"], known_dm=dm)
            return {**found, "recovered": True}
    card = replace(card_data(rt, offer, lead, decision, slack_id), in_channel=bool(shared_channel))
    now = rt.clock.now()
    if offer.outcome == "pending" and is_late(offer.offered_at, now):
        # Late: the ladder will count from delivery (lifecycle.card_delivery); say so.
        plan = replan_from(rt.config.config, rep_id, offer.sla, now)
        card = replace(
            card, deadline=plan.deadline if plan else card.deadline, delivered_late_at=now
        )
    text, blocks = render_offer_card(card)
    try:
        response = rt.slack.chat_postMessage(
            channel=shared_channel or dm or slack_id,
            text=text,
            blocks=blocks,
            metadata=Metadata(
                event_type=CARD_EVENT, event_payload={"outbox_key": item.key, "offer_id": offer_id}
            ),
        )
    except SlackApiError as exc:
        error = classify(exc).error
        if error not in GONE_USER_ERRORS or shared_channel is not None:
            raise
        # The account was deactivated or removed since we mapped it.
        rt.directory.forget(rep_id)
        rep = rt.config.config.reps_by_id.get(rep_id)
        return pass_on_unreachable(
            rt, offer_id, RepNotInSlack(rep_id, rep.email if rep else None, error)
        )
    channel, ts = str(response["channel"]), str(response["ts"])
    _record(rt, offer_id, rep_id, channel, ts, known_dm=dm)
    rt.metrics.card_seconds.observe(max(0.0, (rt.clock.now() - offer.offered_at).total_seconds()))
    return {"channel": channel, "ts": ts}


def delivery_channel(rt: Runtime, rep_id: str, pool_id: str | None) -> str | None:
    """Where a card goes when not to the rep's DM: the pool's channel (with a mention)
    for ``delivery: channel`` pools, else the rep's own channel; None means the DM."""
    config = rt.config.config
    pool = config.pools.get(pool_id) if pool_id else None
    if pool is not None and pool.delivery == "channel" and pool.channel:
        return pool.channel
    rep = config.reps_by_id.get(rep_id)
    if rep is not None and rep.delivery == "channel" and rep.channel:
        return rep.channel
    return None


def _record(
    rt: Runtime,
    offer_id: int,
    rep_id: str,
    channel: str,
    ts: str,
    *,
    known_dm: str | None = None,
) -> None:
    with rt.db.session() as session:
        card_delivered(
            session, rt.config.config, offer_id, channel=channel, ts=ts, at=rt.clock.now()
        )
        if channel.startswith("D") and channel != known_dm:
            remember_dm_channel(session, rep_id, channel)  # the next card goes straight there
        # A new card is a new pending offer on the rep's (and their managers') App Home.
        request_home_refresh(session, home_audience(rt.config.config, [rep_id]), rt.clock.now())


def update_offer_card(rt: Runtime, item: Claimed) -> dict[str, Any]:
    offer_id = int(item.payload["offer_id"])
    with rt.db.session() as session:
        offer = offer_facts(session, offer_id)
        if offer is None:
            raise GiveUp(f"offer {offer_id} no longer exists")
        if not offer.message_ts or not offer.channel:
            post = card_post(session, offer_id)
            if post is not None and post.status == "dead":
                raise GiveUp(f"the card was never posted: {post.last_error}")
            raise Defer("card not posted yet")
        channel, ts, rep_id = offer.channel, offer.message_ts, offer.rep_id
    slack_id = rt.directory.slack_user_for(rep_id)
    with rt.db.session() as session:
        offer = offer_facts(session, offer_id)
        assert offer is not None
        # Render the offer as it is now: an update that runs late is still right.
        text, blocks = render_offer_card(load_card(rt, session, offer, slack_id))
    rt.slack.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    # Accepted, declined, timed out or reassigned: the Homes listing it change too.
    refresh_homes(rt, home_audience(rt.config.config, [rep_id]))
    return {"channel": channel, "ts": ts}


def pass_on_unreachable(rt: Runtime, offer_id: int, problem: RepNotInSlack) -> dict[str, Any]:
    """A rep we cannot reach in Slack never sits on a lead: pass it on, tell admins."""
    now = rt.clock.now()
    with rt.db.session() as session:
        why = f"not reachable in Slack ({problem.error})"
        passed = pass_over(session, rt.config.router, offer_id, why=why, now=now)
        if passed is None:
            return {"skipped": "offer no longer pending"}
        if rt.salesforce is not None:
            enqueue_for_new_offer(session, rt.config.config, passed.offer_id, now=now)
        enqueue_admin_alert(
            session,
            rt.config.config,
            key=f"offer:{offer_id}:unreachable",
            text=md(
                ":warning: {} Lead *{}* was passed on{}.",
                problem,
                passed.lead.public_id,
                f" to {passed.to}" if passed.to else "",
            ),
            now=now,
            lead_id=passed.lead.id,
        )
    return {"rerouted": True, "error": problem.error}
