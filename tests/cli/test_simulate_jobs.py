"""``simulate --jobs 2`` (leads read ahead in a second process) prints what ``--jobs 1``
prints, byte for byte: tables, JSON, bad rows on stderr and the summary's row counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE_CONFIG, REPO, CliRunner

AT = "2026-03-02T15:00:00Z"
LEADS = REPO / "tests" / "data" / "simulate_golden" / "example-leads.csv"
EXAMPLES = EXAMPLE_CONFIG.parent


def _both(cli: CliRunner, *args: str | Path) -> tuple[tuple[int, str, str], ...]:
    runs = []
    for jobs in ("1", "2"):
        run = cli("simulate", "--config", EXAMPLE_CONFIG, "--at", AT, "--jobs", jobs, *args)
        runs.append((run.code, run.out, run.err))
    assert runs[0] == runs[1]
    return tuple(runs)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_same_output_with_accounts_and_contacts(cli: CliRunner, fmt: str) -> None:
    (code, out, err), _ = _both(
        cli, "--leads", LEADS, "--format", fmt,
        "--accounts", EXAMPLES / "accounts.csv", "--contacts", EXAMPLES / "contacts.csv",
    )  # fmt: skip
    assert code == 0, err
    if fmt == "json":
        assert len(json.loads(out)["decisions"]) == 700


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_bad_rows_counted_in_the_reading_process_are_reported(
    cli: CliRunner, tmp_path: Path, fmt: str
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,email,company,country,created_at\n"
        "a1,ann@acme.com,Acme,US,\n"
        "a2,not-an-email,Acme,US,\n"
        "a3,bob@globex.de,Globex,DE,yesterday\n"
        "a4,,,,\n"
        "a5,cy@initech.com,Initech,US,2026-03-02T09:00:00Z\n",
        encoding="utf-8",
    )
    (code, out, err), _ = _both(cli, "--leads", leads, "--format", fmt)
    assert code == 0, err
    assert "row 2 (line 3): email 'not-an-email' is not an email address" in err
    assert "row 3 (line 4): created_at 'yesterday' is not an ISO 8601 time" in err
    assert "row 4 (line 5)" in err
    if fmt == "json":
        summary = json.loads(out)["summary"]
        assert summary["input"]["rows"] == 5
        assert [bad["row"] for bad in summary["bad_rows"]] == [2, 3, 4]
        assert summary["totals"]["leads"] == 2


def test_same_comparison_with_against(cli: CliRunner, tmp_path: Path) -> None:
    """--against: both configs' matching is read ahead, each lead routed by both in turn."""
    other = tmp_path / "other.yml"
    text = EXAMPLE_CONFIG.read_text()
    assert "Catch-all" in text
    other.write_text(text.replace("name: Catch-all", "name: Everything else"))
    (code, out, err), _ = _both(
        cli, "--leads", LEADS, "--format", "json", "--against", other,
        "--accounts", EXAMPLES / "accounts.csv", "--contacts", EXAMPLES / "contacts.csv",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["changes"], "renaming the catch-all changes its leads' rule"
    assert {(c["before"]["rule"], c["after"]["rule"]) for c in summary["changes"]} == {
        ("Everything else", "Catch-all")
    }
