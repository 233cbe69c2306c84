"""Builds the engine's ``Roster`` from the database inside a routing transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.config.models import RoutingConfig
from routing.roster import RepLoad, Roster
from storage.models import Offer, PoolState, RepPresence

# Offers that end a rep's claim on a lead for good.
EXCLUDING_OUTCOMES = ("declined", "timed_out", "revoked")
CAP_HORIZON = timedelta(weeks=1)


def loads_matter(config: RoutingConfig) -> bool:
    """Whether routing reads offer counts (``max_pending``, caps, ``least_loaded``): what
    other routing transactions change, so what must be re-read once a pool is locked."""
    return any(pool.strategy == "least_loaded" for pool in config.pools.values()) or any(
        rep.max_pending is not None or rep.caps is not None for rep in config.reps
    )


def load_roster(
    session: Session,
    config: RoutingConfig,
    *,
    lead_id: int | None,
    now: datetime,
    pool_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Roster:
    away: dict[str, datetime | None] = dict(
        session.execute(
            select(RepPresence.rep_id, RepPresence.away_until).where(RepPresence.away_until > now)
        ).all()
    )
    pools: dict[str, Mapping[str, Any]] = {
        pool_id: state
        for pool_id, state in session.execute(select(PoolState.pool_id, PoolState.state))
    }
    if pool_overrides:
        pools.update(pool_overrides)
    excluded: frozenset[str] = frozenset()
    if lead_id is not None:
        excluded = load_exclusions(session, [lead_id]).get(lead_id, frozenset())
    return Roster(
        reps=load_loads(session, config, now=now, away=away), pools=pools, excluded=excluded
    )


def load_exclusions(session: Session, lead_ids: Collection[int]) -> dict[int, frozenset[str]]:
    """Per lead, the reps it must not go to again (declined, timed out, revoked)."""
    if not lead_ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(Offer.lead_id, Offer.rep_id).where(
            Offer.lead_id.in_(sorted(lead_ids)), Offer.outcome.in_(EXCLUDING_OUTCOMES)
        )
    )
    for lead_id, rep_id in rows:
        found[lead_id].add(rep_id)
    return {lead_id: frozenset(reps) for lead_id, reps in found.items()}


def add_offers(reps: dict[str, RepLoad], offered: Collection[tuple[str, datetime]]) -> None:
    """``reps`` (in place) as :func:`load_loads` would read them once these offers (rep,
    when) are stored too: routing several leads in one transaction decides them all
    before it writes their offers."""
    for rep_id, at in offered:
        load = reps.get(rep_id)
        if load is None:
            continue
        last = load.last_offered_at
        reps[rep_id] = replace(
            load,
            pending=load.pending + 1,
            recent_offers=(*load.recent_offers, at),
            last_offered_at=at if last is None or at > last else last,
        )


def load_loads(
    session: Session,
    config: RoutingConfig,
    *,
    now: datetime,
    away: Mapping[str, datetime | None],
) -> dict[str, RepLoad]:
    """Each rep's load (offers) with the presence ``away`` read before."""
    # Each aggregate scans the offers table, which grows with every lead ever routed, and
    # routing may run it twice per lead (again with the pool row locked): read only what
    # the config can use (pending for max_pending and least_loaded, recency for
    # least_loaded, recent offers for caps).
    least_loaded = any(pool.strategy == "least_loaded" for pool in config.pools.values())
    pending: dict[str, int] = {}
    if least_loaded or any(rep.max_pending is not None for rep in config.reps):
        pending = dict(
            session.execute(
                select(Offer.rep_id, func.count())
                .where(Offer.outcome == "pending")
                .group_by(Offer.rep_id)
            ).all()
        )
    last: dict[str, datetime] = {}
    if least_loaded:
        last = dict(
            session.execute(
                select(Offer.rep_id, func.max(Offer.offered_at)).group_by(Offer.rep_id)
            ).all()
        )
    recent: dict[str, list[datetime]] = defaultdict(list)
    if any(rep.caps is not None for rep in config.reps):
        rows = session.execute(
            select(Offer.rep_id, Offer.offered_at).where(Offer.offered_at > now - CAP_HORIZON)
        )
        for rep_id, offered_at in rows:
            recent[rep_id].append(offered_at)
    return {
        rep.id: RepLoad(
            pending=pending.get(rep.id, 0),
            recent_offers=tuple(recent.get(rep.id, ())),
            last_offered_at=_aware(last.get(rep.id)),
            away_until=_aware(away.get(rep.id)),
        )
        for rep in config.reps
    }


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite and come back naive.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
