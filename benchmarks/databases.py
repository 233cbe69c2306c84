"""Databases for benchmarks: a fresh SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_DSN = os.environ.get("LEADROUTER_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def engines() -> list[str]:
    """SQLite always; PostgreSQL too with ``--pg`` (``LEADROUTER_BENCH_PG=1``)."""
    return ["sqlite", "postgresql"] if os.environ.get("LEADROUTER_BENCH_PG") == "1" else ["sqlite"]


@contextmanager
def fresh_database(engine: str, name: str) -> Iterator[str]:
    """The URL of an empty database on ``engine``, dropped (or deleted) afterwards."""
    if engine != "postgresql":
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            yield f"sqlite:///{Path(tmp) / f'{name}.db'}"
        return
    import psycopg

    db_name = f"leadrouter_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{db_name}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
