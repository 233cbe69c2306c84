"""A bad environment variable stops any command with one line naming it (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE_CONFIG

SCRIPT = Path(sys.executable).parent / "leadrouter"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    base |= {"LEADROUTER_CONFIG": str(EXAMPLE_CONFIG), **env}
    return subprocess.run(
        [str(SCRIPT), *args], env=base, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"PORT": "abc"}, "PORT: expected a whole number, got 'abc'"),
        ({"PORT": "99999"}, "PORT: input should be less than or equal to 65535, got '99999'"),
        ({"LEADROUTER_DB_POOL_SIZE": "none"}, "LEADROUTER_DB_POOL_SIZE: expected a whole number"),
        (
            {"SLACK_BOT_TOKEN_FILE": "/nonexistent/token"},
            "SLACK_BOT_TOKEN_FILE: cannot read /nonexistent/token",
        ),
        (
            {"LEADROUTER_LOG_FORMAT": "xml"},
            "LEADROUTER_LOG_FORMAT: input should be 'json' or 'text'",
        ),
    ],
)
def test_run_with_a_bad_variable_prints_one_line(env: dict[str, str], line: str) -> None:
    proc = run("run", **env)
    assert proc.returncode != 0
    said = [s for s in proc.stderr.splitlines() if s and not s.startswith('{"at"')]
    assert len(said) == 1 and said[0].startswith(line), proc.stderr
    assert "Traceback" not in proc.stderr
