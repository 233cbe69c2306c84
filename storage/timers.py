"""Durable timers: rows that fire once, claimed with SKIP LOCKED by any replica.

A timer fires inside one transaction: the row is locked, its effects (database
changes and outbox rows) are written, and it is marked done; a crash rolls all of
it back and the timer fires again later, so every timer takes effect exactly once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
    """Stop an offer's ladder (see :func:`cancel_for_offers`)."""
    return cancel_for_offers(session, [offer_id])


def cancel_for_offers(session: Session, offer_ids: Collection[int]) -> int:
    """Stop these offers' ladders (accepted, declined, reassigned); the caller holds
    the offers' row locks.

    A step of this offer being fired right now by another transaction (its timer row is
    locked, and it waits for the offer lock we hold) is skipped, not waited for: waiting
    was a deadlock (we hold the offer and want the timer, it holds the timer and wants
    the offer). Once we commit, that step sees the offer is no longer pending and ends
    as ``skipped``, so it never runs after the ladder was stopped.
    """
    if not offer_ids:
        return 0
    pending = select(Timer.id).where(
        Timer.offer_id.in_(sorted(offer_ids)), Timer.status == "pending"
    )
    ids = list(session.scalars(for_update(session, pending, skip_locked=True)))
    if not ids:
        return 0
    # The session's own copies (timers a batch has claimed) are updated by id: letting
    # the ORM evaluate the criteria against every object it holds cost more than the
    # statement.
    stmt = update(Timer).where(Timer.id.in_(ids), Timer.status == "pending")
    result = session.execute(
        stmt.values(status="cancelled"),
        execution_options={"synchronize_session": False},
    )
    for timer_id in ids:
        timer = session.identity_map.get(identity_key(Timer, timer_id))
        if timer is not None:
            set_committed_value(timer, "status", "cancelled")
    return int(cast(CursorResult[Any], result).rowcount or 0)


def claim_due(session: Session, now: datetime, *, limit: int = 1) -> list[Timer]:
    """The most overdue pending timers (at most ``limit``), in the order they fell due,
    locked for this transaction: other replicas skip them and claim the next ones."""
    stmt = (
        select(Timer)
        .where(Timer.status == "pending", Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(for_update(session, stmt, skip_locked=True)))


def claim_one(session: Session, timer_id: int, now: datetime) -> Timer | None:
    """This timer if it is still pending and due, locked (None when another transaction
    holds it or it has fired meanwhile)."""
    stmt = (
        select(Timer)
        .where(Timer.id == timer_id, Timer.status == "pending", Timer.due_at <= now)
        .execution_options(populate_existing=True)
    )
    return session.scalars(for_update(session, stmt, skip_locked=True)).first()


def behind_earlier_steps(session: Session, timers: Sequence[Timer]) -> set[int]:
    """Ids of these timers that must wait: an earlier step of their offer is still
    pending and is not among them (another replica holds it, or it is still to be
    claimed). Asked with the offers locked, so that step cannot fire meanwhile; an
    offer's steps then always run in their order, whoever claimed which."""
    offer_ids = {t.offer_id for t in timers if t.offer_id is not None}
    if not offer_ids:
        return set()
    ours = {t.id for t in timers}
    rows = session.execute(
        select(Timer.id, Timer.offer_id, Timer.due_at).where(
            Timer.offer_id.in_(sorted(offer_ids)),
            Timer.status == "pending",
            Timer.due_at <= max(t.due_at for t in timers),
        )
    )
    first: dict[int, tuple[datetime, int]] = {}
    for timer_id, offer_id, due_at in rows:
        key = (due_at, timer_id)
        if offer_id is None or timer_id in ours:
            continue
        if offer_id not in first or key < first[offer_id]:
            first[offer_id] = key
    return {
        t.id
        for t in timers
        if t.offer_id is not None and t.offer_id in first and (t.due_at, t.id) > first[t.offer_id]
    }


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


def move_pending_steps(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Give the pending timers named by ``rows`` (their ``key``) the rows' ``due_at`` and
    ``payload`` (a ladder counted from a later start); fired ones are left as they are."""
    moved = 0
    for row in rows:
        result = session.execute(
            update(Timer)
            .where(Timer.key == row["key"], Timer.status == "pending")
            .values(due_at=row["due_at"], payload=row["payload"])
            .execution_options(synchronize_session=False)
        )
        moved += int(cast(CursorResult[Any], result).rowcount or 0)
    return moved
