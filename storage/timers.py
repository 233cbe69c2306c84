"""Durable timers: rows that fire once, claimed with SKIP LOCKED by any replica.

A timer fires inside one transaction: the row is locked, its effects (database
changes and outbox rows) are written, and it is marked done; a crash rolls all of
it back and the timer fires again later, so every timer takes effect exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.locking import for_update, insert_ignore
from storage.models import Timer


def schedule(
    session: Session,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    lead_id: int | None = None,
    offer_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """False when a timer with this key exists already (the intent is scheduled)."""
    return insert_ignore(
        session,
        Timer.__table__,
        {
            "key": key,
            "kind": kind,
            "lead_id": lead_id,
            "offer_id": offer_id,
            "due_at": due_at,
            "status": "pending",
            "attempts": 0,
            "payload": payload or {},
        },
        key="key",
    )


def cancel_for_offer(session: Session, offer_id: int) -> int:
    """Stop an offer's ladder (accepted, declined, reassigned); the caller holds the
    offer's row lock.

    A step of this offer being fired right now by another transaction (its timer row is
    locked, and it waits for the offer lock we hold) is skipped, not waited for: waiting
    was a deadlock (we hold the offer and want the timer, it holds the timer and wants
    the offer). Once we commit, that step sees the offer is no longer pending and ends
    as ``skipped``, so it never runs after the ladder was stopped.
    """
    pending = select(Timer.id).where(Timer.offer_id == offer_id, Timer.status == "pending")
    ids = list(session.scalars(for_update(session, pending, skip_locked=True)))
    if not ids:
        return 0
    result = session.execute(
        update(Timer).where(Timer.id.in_(ids), Timer.status == "pending").values(status="cancelled")
    )
    return int(result.rowcount or 0)


def claim_due(session: Session, now: datetime) -> Timer | None:
    """The most overdue pending timer, locked for this transaction (others skip it)."""
    stmt = (
        select(Timer)
        .where(Timer.status == "pending", Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
    )
    return session.scalars(for_update(session, stmt, skip_locked=True)).first()


def mark_fired(timer: Timer, now: datetime, *, outcome: str = "done") -> None:
    timer.status = outcome
    timer.fired_at = now
    timer.attempts += 1


def pending_for_offer(session: Session, offer_id: int) -> list[Timer]:
    stmt = (
        select(Timer)
        .where(Timer.offer_id == offer_id, Timer.status == "pending")
        .order_by(Timer.due_at)
    )
    return list(session.scalars(stmt))
