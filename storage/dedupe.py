"""Recognise a request seen before: Slack event retries, double submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.locking import dialect
from storage.models import ProcessedRequest


def first_time(session: Session, key: str, now: datetime) -> bool:
    """Record ``key``; True only for the first caller, in whichever transaction commits.

    An idempotent insert (``ON CONFLICT DO NOTHING``), so two concurrent deliveries of
    the same event cannot both see True: the second waits on the first's row and then
    inserts nothing. Whether a row went in is read from ``RETURNING``, not ``rowcount``,
    which SQLAlchemy 2.1 leaves at -1 for INSERTs on psycopg unless asked to keep it.
    """
    table = ProcessedRequest.__table__
    insert: Any = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(key=key, at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.key)
    )
    return session.execute(stmt).first() is not None
