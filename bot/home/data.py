"""Reads what an App Home shows from the database, as ``HomeData`` for the view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.home.speed import local_midnight, todays_speed
from bot.views.home import (
    MAX_LINES_SHOWN,
    MAX_PENDING_SHOWN,
    AcceptedLead,
    AwayRep,
    HomeData,
    OpenLead,
    PendingOffer,
    TeamHome,
)
from routing.config.models import RoutingConfig
from routing.teams import Team, team_of
from storage.models import LEAD_ID_OFFSET, Lead, Offer, RepPresence

RECENT_ACCEPTED = 10


def _public_id(lead_id: int) -> str:
    return f"L-{lead_id + LEAD_ID_OFFSET}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _salesforce_url(base: str | None, salesforce_id: str | None) -> str | None:
    if not base or not salesforce_id:
        return None
    return f"{base.rstrip('/')}/lightning/r/Lead/{salesforce_id}/view"


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def load_home(
    session: Session,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    salesforce_base: str | None = None,
) -> HomeData:
    rep = config.reps_by_id.get(rep_id)
    pending_q = (
        select(Offer.id, Offer.offered_at, Offer.deadline, Lead.id, Lead.fields, Lead.salesforce_id)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(Offer.rep_id == rep_id, Offer.outcome == "pending")
    )
    pending = [
        PendingOffer(
            offer_id=offer_id,
            public_id=_public_id(lead_id),
            fields=dict(fields),
            offered_at=offered_at,
            deadline=deadline,
            salesforce_url=_salesforce_url(salesforce_base, sf_id),
        )
        for offer_id, offered_at, deadline, lead_id, fields, sf_id in session.execute(
            pending_q.order_by(Offer.offered_at, Offer.id).limit(MAX_PENDING_SHOWN)
        )
    ]
    accepted_q = select(Lead.id, Lead.fields, Lead.received_at, Lead.accepted_at).where(
        Lead.assignee == rep_id, Lead.accepted_at.is_not(None)
    )
    accepted = [
        AcceptedLead(
            public_id=_public_id(lead_id),
            fields=dict(fields),
            accepted_at=accepted_at,
            waited=accepted_at - received_at if received_at else None,
        )
        for lead_id, fields, received_at, accepted_at in session.execute(
            accepted_q.order_by(Lead.accepted_at.desc(), Lead.id.desc()).limit(RECENT_ACCEPTED)
        )
    ]
    presence = session.get(RepPresence, rep_id)
    team = team_of(config, rep_id)
    return HomeData(
        rep_name=rep.name if rep is not None else rep_id,
        now=now,
        away_until=presence.away_until if presence is not None else None,
        pending=pending,
        pending_total=_count(session, pending_q),
        accepted=accepted,
        accepted_total=_count(session, accepted_q),
        team=load_team(session, config, team, now) if team is not None else None,
    )


def load_team(session: Session, config: RoutingConfig, team: Team, now: datetime) -> TeamHome:
    reps = sorted(team.reps)

    def name(rep_id: str) -> str:
        rep = config.reps_by_id.get(rep_id)
        return rep.name if rep is not None else rep_id

    offered_q = (
        select(Offer.rep_id, Offer.offered_at, Offer.deadline, Lead.id, Lead.fields)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(Offer.rep_id.in_(reps), Offer.outcome == "pending")
    )
    offered = [
        OpenLead(
            public_id=_public_id(lead_id),
            fields=dict(fields),
            since=offered_at,
            rep_name=name(offer_rep),
            deadline=deadline,
        )
        for offer_rep, offered_at, deadline, lead_id, fields in session.execute(
            offered_q.order_by(Offer.offered_at, Offer.id).limit(MAX_LINES_SHOWN)
        )
    ]
    queued_q = select(Lead.id, Lead.fields, Lead.routed_at, Lead.received_at, Lead.queue_id).where(
        Lead.state == "queued", Lead.queue_id.in_(team.queues)
    )
    queued = [
        OpenLead(
            public_id=_public_id(lead_id),
            fields=dict(fields),
            since=routed_at or received_at,
            queue_id=queue_id,
        )
        for lead_id, fields, routed_at, received_at, queue_id in session.execute(
            queued_q.order_by(Lead.routed_at, Lead.id).limit(MAX_LINES_SHOWN)
        )
    ]
    away = [
        AwayRep(name=name(rep_id), until=_aware(until))
        for rep_id, until in session.execute(
            select(RepPresence.rep_id, RepPresence.away_until)
            .where(RepPresence.rep_id.in_(reps), RepPresence.away_until > now)
            .order_by(RepPresence.away_until, RepPresence.rep_id)
        )
        if until is not None
    ]
    since = local_midnight(now, config.timezone)
    pairs = [
        (_aware(received), _aware(accepted))
        for received, accepted in session.execute(
            select(Lead.received_at, Lead.accepted_at).where(
                Lead.assignee.in_(reps), Lead.accepted_at >= since
            )
        )
        if accepted is not None
    ]
    return TeamHome(
        size=len(reps),
        offered=offered,
        offered_total=_count(session, offered_q),
        queued=queued,
        queued_total=_count(session, queued_q),
        away=away,
        speed=todays_speed(pairs, now, config.timezone),
        timezone=config.timezone,
        admin=team.admin,
    )
