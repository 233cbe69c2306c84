"""Salesforce sync state: poller high-water marks, the user directory, advisory locks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from storage.db import Database
from storage.locking import for_update, insert_ignore
from storage.models import Lead, SalesforceUser, SyncState


def sync_state(session: Session, name: str, *, lock: bool = False) -> SyncState | None:
    stmt = select(SyncState).where(SyncState.name == name)
    if lock:
        stmt = for_update(session, stmt)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def save_sync_state(
    session: Session,
    name: str,
    *,
    high_water: datetime | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> SyncState:
    """Upsert; the high-water mark only ever moves forward."""
    insert_ignore(
        session,
        SyncState.__table__,
        {"name": name, "high_water": high_water, "updated_at": now, "data": data or {}},
        key="name",
    )
    state = sync_state(session, name, lock=True)
    assert state is not None
    if high_water is not None and (state.high_water is None or high_water > state.high_water):
        state.high_water = high_water
    state.updated_at = now
    if data is not None:
        state.data = {**(state.data or {}), **data}
    return state


def leads_by_salesforce_id(session: Session, ids: Iterable[str]) -> dict[str, Lead]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    stmt = select(Lead).where(Lead.salesforce_id.in_(wanted))
    return {lead.salesforce_id: lead for lead in session.scalars(stmt) if lead.salesforce_id}


def upsert_salesforce_users(
    session: Session, users: Iterable[dict[str, Any]], *, now: datetime
) -> int:
    count = 0
    for user in users:
        row = session.get(SalesforceUser, user["Id"])
        email = (user.get("Email") or "").strip().lower() or None
        if row is None:
            row = SalesforceUser(id=user["Id"], synced_at=now, is_active=True)
            session.add(row)
        row.email = email
        row.username = (user.get("Username") or "").strip().lower() or row.username
        row.is_active = bool(user.get("IsActive", True))
        row.synced_at = now
        count += 1
    session.flush()
    return count


def salesforce_user_id(session: Session, ref: str) -> str | None:
    """The active user whose email (or username) is ``ref``; the newest on a tie."""
    key = ref.strip().lower()
    stmt = (
        select(SalesforceUser.id)
        .where(
            SalesforceUser.is_active.is_(True),
            or_(
                func.lower(SalesforceUser.email) == key,
                func.lower(SalesforceUser.username) == key,
            ),
        )
        .order_by(SalesforceUser.synced_at.desc(), SalesforceUser.id)
    )
    return session.scalars(stmt).first()


@contextmanager
def try_advisory_lock(db: Database, key: int) -> Iterator[bool]:
    """A session-level ``pg_try_advisory_lock`` held for the block: True when ours.

    One holder across every replica; the others get False at once and skip the work.
    SQLite has one process by construction: always True.
    """
    if db.is_sqlite:
        yield True
        return
    with db.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
