"""Issue #15: the fast ``simulate`` decides exactly as the code before it did.

``tests/data/simulate_golden/*.expected.json`` are the decisions and the summary that
``leadrouter simulate --format json`` printed before the speed-up (made by
``make_golden.py`` in that folder with commit 9d1786c), for generated leads on the example
config (with the example account and contact exports) and on the routing benchmark's
seeded 3,000-rule config. Any change of a decision, a reason, a rule hit count, a per-rep
count or a fairness figure fails here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLE_CONFIG, REPO, CliRunner

GOLDEN = REPO / "tests" / "data" / "simulate_golden"
AT = "2026-03-02T15:00:00Z"
# sha256 of the generated 3,000-rule routing.yml the golden file was made with: if the
# benchmark's generator changes, this says so instead of blaming simulate.
GENERATED_CONFIG_SHA256 = "1712879537ae30b8552aee0b7190f0fe52c07bfb0353a8bb750e0de91446d069"


# One process, and with the leads read ahead in a second one (bot/cli/read_ahead.py).
JOBS = pytest.mark.parametrize("jobs", ["1", "2"])


def _simulate(cli: CliRunner, jobs: str, *args: str | Path) -> dict[str, Any]:
    run = cli("simulate", "--format", "json", "--at", AT, "--jobs", jobs, *args)
    assert run.code == 0, run.err
    doc: dict[str, Any] = json.loads(run.out)
    del doc["summary"]["input"]
    return doc


def _expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((GOLDEN / f"{name}.expected.json").read_text())
    return doc


def _same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert len(got["decisions"]) == len(expected["decisions"])
    for i, (g, e) in enumerate(zip(got["decisions"], expected["decisions"], strict=True)):
        assert g == e, f"decision {i} ({e['lead']}) changed"
    assert got["summary"] == expected["summary"]


@JOBS
def test_example_config_decides_as_before(cli: CliRunner, jobs: str) -> None:
    examples = EXAMPLE_CONFIG.parent
    got = _simulate(
        cli,
        jobs,
        "--config", EXAMPLE_CONFIG, "--leads", GOLDEN / "example-leads.csv",
        "--accounts", examples / "accounts.csv", "--contacts", examples / "contacts.csv",
    )  # fmt: skip
    _same(got, _expected("example"))


@JOBS
def test_generated_3000_rule_config_decides_as_before(
    cli: CliRunner, tmp_path: Path, jobs: str
) -> None:
    pytest.importorskip("benchmarks.routing")
    from tests.data.simulate_golden.make_golden import generated_config

    config = tmp_path / "routing.yml"
    generated_config(config)
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    assert digest == GENERATED_CONFIG_SHA256, (
        "the routing benchmark's generator no longer makes the config the golden file was "
        "made with: restore it, or remake the golden file from the pre-#15 code"
    )
    got = _simulate(cli, jobs, "--config", config, "--leads", GOLDEN / "generated-leads.csv")
    _same(got, _expected("generated"))
