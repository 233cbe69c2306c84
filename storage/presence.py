"""Away and back: a rep's presence, read by routing at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.events import record_event
from storage.models import RepPresence

# "Away" with no end is stored as far in the future; `back` clears it.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


def set_away(
    session: Session, rep_id: str, *, until: datetime | None, now: datetime, by: str
) -> RepPresence:
    row = session.get(RepPresence, rep_id)
    if row is None:
        row = RepPresence(rep_id=rep_id, updated_at=now)
        session.add(row)
    row.away_until = until or FOREVER
    row.away_since = now
    row.updated_at = now
    record_event(
        session,
        lead_id=None,
        kind="rep.away",
        at=now,
        actor=by,
        rep=rep_id,
        until=until.isoformat() if until else None,
    )
    return row


def set_back(session: Session, rep_id: str, *, now: datetime, by: str) -> bool:
    """True when the rep was away."""
    row = session.get(RepPresence, rep_id)
    was_away = row is not None and row.away_until is not None and row.away_until > now
    if row is not None:
        row.away_until = None
        row.updated_at = now
    record_event(session, lead_id=None, kind="rep.back", at=now, actor=by, rep=rep_id)
    return was_away


def away_until(session: Session, rep_id: str, now: datetime) -> datetime | None:
    row = session.get(RepPresence, rep_id)
    if row is None or row.away_until is None or row.away_until <= now:
        return None
    return row.away_until


def away_reps(session: Session, now: datetime) -> dict[str, datetime]:
    rows = session.execute(
        select(RepPresence.rep_id, RepPresence.away_until).where(RepPresence.away_until > now)
    )
    return {rep_id: until for rep_id, until in rows if until is not None}
