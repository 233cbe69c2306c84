"""The product's shared test material (``../shared/data``): real Salesforce exports and
rule files, Slack's schemas. A public clone has none: tests that need it skip there with
a reason, and under ``CI=true`` (where it is always laid beside the clone) they fail
instead of skipping, so a missing copy can never pass for green."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REASON = "needs ../shared/data (the project's shared test material), absent in a public clone"

# Tests (or params) marked with this need DATA; tests/conftest.py enforces it.
needs_shared = pytest.mark.needs_shared


def available() -> bool:
    return DATA.is_dir()


def require() -> Path:
    """DATA, or skip (fail under CI=true) when it is absent."""
    if available():
        return DATA
    if os.environ.get("CI") == "true":
        pytest.fail(f"shared test data is required under CI=true but missing at {DATA}")
    pytest.skip(REASON)


def params(values: list[Any], width: int = 1) -> list[Any]:
    """Parameters read from DATA; when it is absent, one marked placeholder, so the test
    skips with the reason (or fails under CI) instead of vanishing as an empty set."""
    if values:
        return values
    return [pytest.param(*([None] * width), marks=needs_shared, id="shared-data-missing")]
