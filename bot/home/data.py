"""What an App Home shows, as ``HomeData`` for the view.

The rows come from ``storage.home_queries``; the names, links and public ids the Home
shows are made here, where the wording lives.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
from storage.db import UnitOfWork
from storage.home_queries import (
    accepted_leads,
    accepts_since,
    away_among,
    pending_offers,
    queued_leads,
    stored_away_until,
    team_pending_offers,
)
from storage.models import LEAD_ID_OFFSET

RECENT_ACCEPTED = 10


def _public_id(lead_id: int) -> str:
    return f"L-{lead_id + LEAD_ID_OFFSET}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _salesforce_url(base: str | None, salesforce_id: str | None) -> str | None:
    if not base or not salesforce_id:
        return None
    return f"{base.rstrip('/')}/lightning/r/Lead/{salesforce_id}/view"


def load_home(
    session: UnitOfWork,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    salesforce_base: str | None = None,
) -> HomeData:
    rep = config.reps_by_id.get(rep_id)
    pending_page = pending_offers(session, rep_id, limit=MAX_PENDING_SHOWN)
    pending = [
        PendingOffer(
            offer_id=row.offer_id,
            public_id=_public_id(row.lead_id),
            fields=dict(row.fields),
            offered_at=row.offered_at,
            deadline=row.deadline,
            salesforce_url=_salesforce_url(salesforce_base, row.salesforce_id),
        )
        for row in pending_page.rows
    ]
    accepted_page = accepted_leads(session, rep_id, limit=RECENT_ACCEPTED)
    accepted = [
        AcceptedLead(
            public_id=_public_id(row.lead_id),
            fields=dict(row.fields),
            accepted_at=row.accepted_at,
            waited=row.accepted_at - row.received_at if row.received_at else None,
        )
        for row in accepted_page.rows
    ]
    team = team_of(config, rep_id)
    return HomeData(
        rep_name=rep.name if rep is not None else rep_id,
        now=now,
        away_until=stored_away_until(session, rep_id),
        pending=pending,
        pending_total=pending_page.total,
        accepted=accepted,
        accepted_total=accepted_page.total,
        team=load_team(session, config, team, now) if team is not None else None,
    )


def load_team(session: UnitOfWork, config: RoutingConfig, team: Team, now: datetime) -> TeamHome:
    reps = sorted(team.reps)

    def name(rep_id: str) -> str:
        rep = config.reps_by_id.get(rep_id)
        return rep.name if rep is not None else rep_id

    offered_page = team_pending_offers(session, reps, limit=MAX_LINES_SHOWN)
    offered = [
        OpenLead(
            public_id=_public_id(row.lead_id),
            fields=dict(row.fields),
            since=row.offered_at,
            rep_name=name(row.rep_id),
            deadline=row.deadline,
        )
        for row in offered_page.rows
    ]
    queued_page = queued_leads(session, team.queues, limit=MAX_LINES_SHOWN)
    queued = [
        OpenLead(
            public_id=_public_id(row.lead_id),
            fields=dict(row.fields),
            since=row.routed_at or row.received_at,
            queue_id=row.queue_id,
        )
        for row in queued_page.rows
    ]
    away = [
        AwayRep(name=name(rep_id), until=_aware(until))
        for rep_id, until in away_among(session, reps, now)
    ]
    since = local_midnight(now, config.timezone)
    pairs = [
        (_aware(received), _aware(accepted))
        for received, accepted in accepts_since(session, reps, since)
    ]
    return TeamHome(
        size=len(reps),
        offered=offered,
        offered_total=offered_page.total,
        queued=queued,
        queued_total=queued_page.total,
        away=away,
        speed=todays_speed(pairs, now, config.timezone),
        timezone=config.timezone,
        admin=team.admin,
    )
