"""Rows written with their transaction in one statement per table, just before it commits.

Hot paths that write many rows nobody reads back in the same transaction (an SLA batch's
outbox rows and events) add them here instead of one INSERT each: every ORM-less
``INSERT`` also autoflushed the session, so a batch of a hundred steps paid for hundreds
of statements. The rows commit with the transaction, or vanish with its rollback, like
any other write. ``write_deferred`` writes them earlier for a caller that must read them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

_KEY = "leadrouter.deferred"


class _Pending:
    """Per table, in the order first deferred: rows (by conflict key, first one wins)."""

    def __init__(self) -> None:
        self.tables: dict[str, tuple[Table, str | None, dict[Any, dict[str, Any]]]] = {}

    def add(self, table: Table, row: dict[str, Any], unique_on: str | None) -> None:
        entry = self.tables.get(table.name)
        if entry is None:
            entry = self.tables[table.name] = (table, unique_on, {})
        rows = entry[2]
        key = row[unique_on] if unique_on is not None else len(rows)
        rows.setdefault(key, row)


def defer_insert(
    session: Session, table: Table, row: dict[str, Any], *, unique_on: str | None = None
) -> None:
    """Insert ``row`` when the transaction commits; with ``unique_on``, a row whose key
    exists already (in the table or deferred before) is skipped, as ON CONFLICT DO
    NOTHING."""
    pending = session.info.get(_KEY)
    if pending is None:
        pending = session.info[_KEY] = _Pending()
    pending.add(table, row, unique_on)


def write_deferred(session: Session) -> int:
    """Write what is deferred now (an executemany per table); the number of rows."""
    pending: _Pending | None = session.info.pop(_KEY, None)
    if pending is None:
        return 0
    session.flush()  # the rows they refer to (a new lead, offer) go first
    written = 0
    dialect = session.get_bind().dialect.name
    for table, unique_on, rows in pending.tables.values():
        stmt: Any = insert(table)
        if unique_on is not None:
            if dialect == "postgresql":
                stmt = pg_insert(table).on_conflict_do_nothing(index_elements=[unique_on])
            elif dialect == "sqlite":
                stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=[unique_on])
        session.execute(stmt, list(rows.values()))
        written += len(rows)
    return written


def discard_deferred(session: Session) -> None:
    session.info.pop(_KEY, None)


def install(sessions: sessionmaker[Session]) -> None:
    """Write deferred rows just before each of these sessions commits, drop them on
    rollback (only the outermost one: no hot path defers inside a SAVEPOINT). Hooked
    on the Database's own sessionmaker, not on every SQLAlchemy session in the process."""
    event.listen(sessions, "before_commit", write_deferred)
    event.listen(sessions, "after_rollback", discard_deferred)
