"""The outbox: side effects as rows, claimed by workers, done once per intent.

A row's ``key`` names the intent (``offer:12:post``); enqueueing the same key again
is a no-op, so a retried request or a re-run step never duplicates a Slack post.
Workers lease rows for a few seconds (``locked_until``, held under the worker's
``lease_token``) and renew the lease while they work; a worker that dies stops renewing,
its lease runs out within :data:`LEASE`, and another worker picks the row up with
``attempts`` telling it that a previous try may have reached Slack. Only the holder of a
lease can complete, retry or give up a row, so a worker that lost its lease (too slow to
renew) never overwrites what the new holder did.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from routing.effects import Effect
from storage.db import OUTBOX_QUEUED, Database
from storage.deferred import defer_insert
from storage.locking import for_update, insert_ignore
from storage.models import OutboxItem, table_of

MAX_ATTEMPTS = 12
# Short, and renewed every HEARTBEAT while the row is worked on: a dead replica's rows
# are taken over within LEASE (plus one poll), not after half a minute.
LEASE = timedelta(seconds=3)
HEARTBEAT = timedelta(seconds=1)


def new_lease_token() -> str:
    """A worker's name on its leases: the pid (to tell replicas apart in logs and tests)
    and a random part (pids repeat across hosts and restarts)."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:16]}"[:32]


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    lead_id: int | None
    payload: dict[str, Any]
    attempts: int  # including this one
    token: str | None = None  # the lease holder; None: act without checking (tests)
    leased_at: datetime | None = None


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
    db: Database,
    *,
    now: datetime,
    limit: int = 20,
    lease: timedelta = LEASE,
    token: str | None = None,
    exclude: Collection[int] = (),
) -> list[Claimed]:
    """Lease due rows under ``token`` (a fresh one if not given); SKIP LOCKED lets any
    number of replicas drain together. ``exclude``: rows the caller still holds (a
    lease it was late to renew is not a row to start a second time)."""
    token = token or new_lease_token()
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
        if exclude:
            stmt = stmt.where(OutboxItem.id.not_in(sorted(exclude)))
        rows = session.scalars(for_update(session, stmt, skip_locked=True)).all()
        claimed = []
        for row in rows:
            row.locked_until = now + lease
            row.lease_token = token
            row.leased_at = now
            row.attempts += 1
            claimed.append(
                Claimed(
                    row.id,
                    row.key,
                    row.kind,
                    row.lead_id,
                    dict(row.payload),
                    row.attempts,
                    token,
                    now,
                )
            )
        return claimed


def renew(
    db: Database, *, token: str, ids: Iterable[int], now: datetime, lease: timedelta = LEASE
) -> set[int]:
    """Extend the leases ``token`` still holds on ``ids``; returns the ids renewed (a
    row missing from it is done, or was taken over after its lease ran out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    with db.session() as session:
        rows = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(wanted),
                OutboxItem.lease_token == token,
                OutboxItem.status == "pending",
            )
            .values(locked_until=now + lease)
            .returning(OutboxItem.id)
            .execution_options(synchronize_session=False)
        )
        return {int(i) for (i,) in rows}


def _held(item_id: int, token: str | None) -> Any:
    """The row, if ``token`` still holds its lease (any holder when ``token`` is None)."""
    where = OutboxItem.id == item_id
    return where if token is None else where & (OutboxItem.lease_token == token)


def _changed(result: Any) -> bool:
    return bool(cast(CursorResult[Any], result).rowcount)


def complete(
    session: Session,
    item_id: int,
    *,
    now: datetime,
    result: dict[str, Any],
    token: str | None = None,
) -> bool:
    """Mark the row done; False when ``token`` no longer holds it (nothing changed)."""
    done = session.execute(
        update(OutboxItem)
        .where(_held(item_id, token))
        .values(
            status="done",
            done_at=now,
            result=result,
            locked_until=None,
            lease_token=None,
            last_error=None,
        )
    )
    return _changed(done)


def retry_later(
    session: Session,
    item_id: int,
    *,
    error: str,
    at: datetime,
    count_attempt: bool = True,
    token: str | None = None,
) -> bool:
    values: dict[str, Any] = {
        "next_attempt_at": at,
        "locked_until": None,
        "lease_token": None,
        "last_error": error,
    }
    if not count_attempt:
        values["attempts"] = OutboxItem.attempts - 1
    return _changed(
        session.execute(update(OutboxItem).where(_held(item_id, token)).values(**values))
    )


def give_up(
    session: Session, item_id: int, *, error: str, now: datetime, token: str | None = None
) -> bool:
    return _changed(
        session.execute(
            update(OutboxItem)
            .where(_held(item_id, token))
            .values(
                status="dead", last_error=error, locked_until=None, lease_token=None, done_at=now
            )
        )
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
    leased_at: datetime | None


def pending_after(
    session: Session, item_id: int, *, kind: str, key_prefix: str
) -> list[PendingAfter]:
    """Pending rows of ``kind`` queued after ``item_id`` whose key starts with
    ``key_prefix`` (taken literally: ``%`` and ``_`` match only themselves)."""
    rows = session.execute(
        select(OutboxItem.payload, OutboxItem.locked_until, OutboxItem.leased_at).where(
            OutboxItem.kind == kind,
            OutboxItem.status == "pending",
            OutboxItem.id > item_id,
            OutboxItem.key.startswith(key_prefix, autoescape=True),
        )
    )
    return [PendingAfter(payload, until, at) for payload, until, at in rows]


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
