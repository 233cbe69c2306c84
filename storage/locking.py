"""Dialect-aware helpers for locks and idempotent inserts."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Select, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def for_update(session: Session, stmt: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
    """Row locks on PostgreSQL; on SQLite BEGIN IMMEDIATE already serialises writers."""
    if dialect(session) == "postgresql":
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt


def insert_ignore(session: Session, table: Any, values: dict[str, Any], key: str) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING; True when a row was inserted."""
    name = dialect(session)
    if name == "postgresql":
        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    elif name == "sqlite":
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    else:  # pragma: no cover - only the two engines above are supported
        stmt = insert(table).values(**values)
    # Without preserve_rowcount, psycopg reports -1 for an INSERT (SQLAlchemy only keeps
    # the count of UPDATE/DELETE by default): every call looked like an insert.
    result = session.execute(stmt, execution_options={"preserve_rowcount": True})
    return cast("CursorResult[Any]", result).rowcount > 0


def advisory_xact_lock(session: Session, key: int) -> None:
    """Serialise a critical section across replicas (PostgreSQL only)."""
    if dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
