"""Engine and session factory.

SQLite is the embedded default; every write transaction there starts with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of failing
half-way with ``database is locked`` on a lock upgrade.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage import deferred

DEFAULT_SQLITE_PATH = Path("var") / "leadrouter.db"
# session.info key set by storage.outbox when a transaction queues a side effect.
OUTBOX_QUEUED = "leadrouter.outbox_queued"


INVALID_URL = "DATABASE_URL is not a valid SQLAlchemy URL"
# Query parameters that carry a credential (libpq takes ``?password=`` as well as user:pw@).
_SECRET_QUERY_KEY = re.compile(r"password|secret|token", re.IGNORECASE)
# ``scheme://user:password@`` anywhere in a text, and libpq's ``password=...`` keyword.
_URL_PASSWORD = re.compile(r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
_KEYWORD_PASSWORD = re.compile(r"(?P<keep>password\s*=\s*)(?:'[^']*'|[^\s'\",;&]+)", re.IGNORECASE)


# What a database that is down, refuses us or lacks the schema raises: the operator's to
# fix (one line, no traceback), not a bug. Adapters catch these, not SQLAlchemy's names.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.ProgrammingError,
)
# The transaction type adapters pass along (a SQLAlchemy session from Database.session).
UnitOfWork = Session


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot be used. The message never holds any part of the value."""


def default_database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def safe_database_url(url: str | URL) -> str:
    """``url`` fit to print or log: the password, and any password-like query value, as ***.

    A value that does not parse is not echoed at all: it may be a password pasted whole.
    """
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (exc.ArgumentError, ValueError):
        return f"({INVALID_URL})"
    secret = {key: "***" for key in parsed.query if _SECRET_QUERY_KEY.search(key)}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def mask_passwords(text: str) -> str:
    """``text`` with URL passwords (``scheme://user:pw@``) and ``password=...`` masked."""
    text = _URL_PASSWORD.sub(r"\g<keep>***@", text)
    return _KEYWORD_PASSWORD.sub(r"\g<keep>***", text)


def describe_db_error(error: BaseException) -> str:
    """One line on why a database call failed: the driver's own first line, passwords
    masked (drivers may quote their connection string back)."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    reason = lines[0].strip() if lines else type(orig).__name__
    return mask_passwords(reason.removeprefix("connection failed: "))


def database_error_message(error: BaseException, url: str | URL) -> str:
    """The one line a command prints when the database fails it (never the password)."""
    where = safe_database_url(url)
    reason = describe_db_error(error)
    if isinstance(error, exc.ProgrammingError) or "no such table" in reason:
        return f"database at {where} is not ready: {reason}; run `leadrouter db upgrade` first"
    return f"database unreachable at {where}: {reason}; is DATABASE_URL right?"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or default_database_url()
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):
        # from None: the parser's own error may quote the value.
        raise DatabaseUrlError(INVALID_URL) from None
    try:
        return _create_engine(url, **kwargs)
    except exc.NoSuchModuleError:
        raise DatabaseUrlError(
            f"DATABASE_URL names a database driver that is not installed: {parsed.drivername}"
        ) from None


def _create_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str | None = None, **engine_kwargs: Any) -> None:
        self.url = url or default_database_url()
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        deferred.install(self.sessionmaker)
        # Called after a transaction that queued outbox rows commits (the worker's wake-up):
        # never before the rows are visible, never after a rollback.
        self.after_outbox_commit: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"Database({self.safe_url})"

    @property
    def safe_url(self) -> str:
        return safe_database_url(self.url)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessionmaker() as session:
            with session.begin():
                yield session
            if session.info.pop(OUTBOX_QUEUED, False):
                for wake in self.after_outbox_commit:
                    wake()

    def dispose(self) -> None:
        self.engine.dispose()
