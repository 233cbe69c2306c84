from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.cli import main
from tests import shared

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "examples" / "routing.yml"
EXAMPLE_LEADS = REPO / "examples" / "leads.csv"
SALESFORCE_LEADS = shared.DATA / "salesforce" / "records" / "data-cloud-workshop" / "Lead.csv"


class Run(NamedTuple):
    code: int
    out: str
    err: str


CliRunner = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run ``leadrouter ARGS...`` in-process; returns exit code, stdout, stderr."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
