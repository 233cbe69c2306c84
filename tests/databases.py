"""Test databases: a fresh SQLite file, or a PostgreSQL database per test session.

Under CI=true PostgreSQL must be reachable: its tests fail instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base

PG_ADMIN_DSN = os.environ.get("LEADROUTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@cache
def postgres_available() -> str | None:
    """None when reachable, else why not."""
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


def require_postgres() -> None:
    problem = postgres_available()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {problem}")
    pytest.skip(f"PostgreSQL not reachable: {problem}")


class PgDatabaseFactory:
    """One migrated database per test session; tables truncated between tests."""

    def __init__(self) -> None:
        self.name = f"leadrouter_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.created = False

    @property
    def url(self) -> str:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        return f"{base}/{self.name}".replace("postgresql://", "postgresql+psycopg://", 1)

    def ensure(self) -> None:
        if self.created:
            return
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        db = Database(self.url)
        upgrade(db.engine)
        db.dispose()

    def truncate(self, db: Database) -> None:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextmanager
def open_database(kind: str, tmp_path: Path, pg: PgDatabaseFactory) -> Iterator[Database]:
    if kind == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'leadrouter.db'}")
        upgrade(db.engine)
    else:
        require_postgres()
        pg.ensure()
        db = Database(pg.url)
        pg.truncate(db)
    try:
        yield db
    finally:
        db.dispose()
