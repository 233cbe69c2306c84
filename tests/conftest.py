from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logging_setup import JsonFormatter, TextFormatter
from storage.db import Database
from tests import shared
from tests.databases import PgDatabaseFactory, open_database


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_shared: reads ../shared/data (skips without it)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_shared") is not None:
        shared.require()


@pytest.fixture(autouse=True)
def _no_leftover_log_handlers() -> Iterator[None]:
    """A test that runs a command in-process configures logging onto the stderr pytest
    captured for that test; once the capture closes, later tests' log lines would fail
    to write ("I/O operation on closed file") unless that handler goes with its test."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if isinstance(handler.formatter, JsonFormatter | TextFormatter):
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skips (fails under CI=true) when absent."""
    return shared.require()


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
