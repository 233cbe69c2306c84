from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import Database
from tests.e2e.harness import Stack, running_stack


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db) as s:
        yield s
