"""The outbox: side effects as rows, claimed by workers, done once per intent.

A row's ``key`` names the intent (``offer:12:post``); enqueueing the same key again
is a no-op, so a retried request or a re-run step never duplicates a Slack post.
Workers lease rows (``locked_until``); a worker that dies leaves its lease to
expire and another worker picks the row up with ``attempts`` telling it that a
previous try may have reached Slack.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from routing.effects import Effect
from storage.db import OUTBOX_QUEUED, Database
from storage.deferred import defer_insert
from storage.locking import for_update, insert_ignore
from storage.models import OutboxItem, table_of

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    lead_id: int | None
    payload: dict[str, Any]
    attempts: int  # including this one


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    lead_id: int | None = None,
    delay: timedelta = timedelta(0),
) -> bool:
    """Add a side effect; False when that intent is already queued or done."""
    row = _row(key, kind, payload, lead_id, now=now, due=now + delay)
    session.info[OUTBOX_QUEUED] = True
    return insert_ignore(session, OutboxItem.__table__, row, key="key")


def enqueue_later(
    session: Session,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    lead_id: int | None = None,
) -> None:
    """:func:`enqueue`, written with the transaction's other deferred rows when it
    commits (see storage.deferred): for hot paths that queue many effects at once."""
    session.info[OUTBOX_QUEUED] = True
    defer_insert(
        session, table_of(OutboxItem), _row(key, kind, payload, lead_id, now=now), unique_on="key"
    )


def enqueue_effect(
    session: Session,
    effect: Effect,
    *,
    key: str,
    now: datetime,
    lead_id: int | None = None,
    delay: timedelta = timedelta(0),
    later: bool = False,
) -> bool:
    """Store a typed side effect as its outbox row (``later``: with the transaction's
    other deferred rows at commit; then always True). False when already queued."""
    if later:
        enqueue_later(
            session, key=key, kind=effect.KIND, payload=effect.payload(), now=now, lead_id=lead_id
        )
        return True
    return enqueue(
        session,
        key=key,
        kind=effect.KIND,
        payload=effect.payload(),
        now=now,
        lead_id=lead_id,
        delay=delay,
    )


def _row(
    key: str,
    kind: str,
    payload: dict[str, Any],
    lead_id: int | None,
    *,
    now: datetime,
    due: datetime | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "lead_id": lead_id,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now if due is None else due,
    }


def claim_batch(
    db: Database, *, now: datetime, limit: int = 20, lease: timedelta = timedelta(seconds=30)
) -> list[Claimed]:
    """Lease due rows; SKIP LOCKED lets any number of replicas drain together."""
    with db.session() as session:
        stmt = (
            select(OutboxItem)
            .where(
                OutboxItem.status == "pending",
                OutboxItem.next_attempt_at <= now,
                or_(OutboxItem.locked_until.is_(None), OutboxItem.locked_until <= now),
            )
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
        )
        rows = session.scalars(for_update(session, stmt, skip_locked=True)).all()
        claimed = []
        for row in rows:
            row.locked_until = now + lease
            row.attempts += 1
            claimed.append(
                Claimed(row.id, row.key, row.kind, row.lead_id, dict(row.payload), row.attempts)
            )
        return claimed


def complete(session: Session, item_id: int, *, now: datetime, result: dict[str, Any]) -> None:
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(status="done", done_at=now, result=result, locked_until=None, last_error=None)
    )


def retry_later(
    session: Session, item_id: int, *, error: str, at: datetime, count_attempt: bool = True
) -> None:
    values: dict[str, Any] = {"next_attempt_at": at, "locked_until": None, "last_error": error}
    if not count_attempt:
        values["attempts"] = OutboxItem.attempts - 1
    session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(**values))


def give_up(session: Session, item_id: int, *, error: str, now: datetime) -> None:
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(status="dead", last_error=error, locked_until=None, done_at=now)
    )


def backoff(attempts: int) -> timedelta:
    """1s, 2s, 4s ... capped at 5 minutes."""
    return timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


def pending_for_lead(session: Session, lead_id: int) -> list[OutboxItem]:
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.lead_id == lead_id, OutboxItem.status != "done")
        .order_by(OutboxItem.id)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class PendingAfter:
    """A pending row queued after another: its payload and its lease, if any."""

    payload: dict[str, Any]
    locked_until: datetime | None


def lease_of(session: Session, item_id: int) -> datetime | None:
    """How long the row is leased for (None: not leased, or no such row)."""
    row = session.get(OutboxItem, item_id)
    return row.locked_until if row is not None else None


def pending_after(
    session: Session, item_id: int, *, kind: str, key_prefix: str
) -> list[PendingAfter]:
    """Pending rows of ``kind`` queued after ``item_id`` whose key starts with
    ``key_prefix`` (taken literally: ``%`` and ``_`` match only themselves)."""
    rows = session.execute(
        select(OutboxItem.payload, OutboxItem.locked_until).where(
            OutboxItem.kind == kind,
            OutboxItem.status == "pending",
            OutboxItem.id > item_id,
            OutboxItem.key.startswith(key_prefix, autoescape=True),
        )
    )
    return [PendingAfter(payload, locked_until) for payload, locked_until in rows]


@dataclass(frozen=True)
class Waiting:
    """A pending row no worker has started: when it was queued and when it is due."""

    id: int
    payload: dict[str, Any]
    created_at: datetime
    due: datetime


def pending_not_started(
    session: Session, *, kind: str, key_prefixes: Collection[str], now: datetime
) -> list[Waiting]:
    """Rows of ``kind`` whose key starts with one of ``key_prefixes``, pending and not
    leased by a worker, row-locked until the caller commits (skipping any a worker is
    claiming now), so none of them starts before the caller's change is visible. A
    change can join one instead of queueing another (App Home refreshes)."""
    if not key_prefixes:
        return []
    stmt = select(
        OutboxItem.id, OutboxItem.payload, OutboxItem.created_at, OutboxItem.next_attempt_at
    ).where(
        OutboxItem.kind == kind,
        OutboxItem.status == "pending",
        or_(OutboxItem.locked_until.is_(None), OutboxItem.locked_until <= now),
        or_(*(OutboxItem.key.startswith(p, autoescape=True) for p in sorted(key_prefixes))),
    )
    return [
        Waiting(i, dict(p), _aware(c), _aware(d))
        for i, p, c, d in session.execute(for_update(session, stmt, skip_locked=True))
    ]


def reschedule(session: Session, item_id: int, *, at: datetime) -> None:
    session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(next_attempt_at=at))


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
