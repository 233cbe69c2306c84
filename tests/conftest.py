from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.databases import PgDatabaseFactory, open_database

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    assert path.is_dir(), f"shared test data missing at {path}"
    return path


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[PgDatabaseFactory]:
    factory = PgDatabaseFactory()
    yield factory
    factory.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, pg_factory: PgDatabaseFactory
) -> Iterator[Database]:
    """Every storage test runs on both engines."""
    if request.param == "postgresql":
        request.node.add_marker(pytest.mark.postgres)
    with open_database(request.param, tmp_path, pg_factory) as database:
        yield database
