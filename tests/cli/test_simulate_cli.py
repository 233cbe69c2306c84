"""``leadrouter simulate``: formats, --against, --at, created_at, bad rows, exit codes."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.cli.conftest import (
    EXAMPLE_CONFIG,
    EXAMPLE_LEADS,
    REPO,
    SALESFORCE_LEADS,
    CliRunner,
)
from tests.shared import needs_shared

# Tuesday 2024-01-23 18:00 UTC: 10:00 in Los Angeles, 13:00 in New York (both teams open),
# 19:00 in Berlin (EMEA closed). Sunday: nobody works.
TUESDAY = "2024-01-23T18:00:00Z"
SUNDAY = "2024-01-21T18:00:00Z"
DECISION_KEYS = {"lead", "rule", "target", "assignee", "queue", "reason"}
TARGETS = {"rep", "pool", "queue", "account_owner", "existing_owner", None}


def simulate_json(cli: CliRunner, *args: str | Path) -> dict[str, Any]:
    run = cli("simulate", "--format", "json", *args)
    assert run.code == 0, run.err
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def salesforce_ids() -> list[str]:
    with SALESFORCE_LEADS.open(encoding="utf-8-sig", newline="") as f:
        return [row["Id"] for row in csv.DictReader(f)]


def check_consistent(doc: dict[str, Any]) -> None:
    """Every lead has one well-formed decision and every count adds up."""
    assert set(doc) == {"decisions", "summary"}
    decisions = doc["decisions"]
    summary = doc["summary"]
    for d in decisions:
        assert set(d) == DECISION_KEYS
        assert d["target"] in TARGETS
        assert isinstance(d["reason"], str) and d["reason"] and "\n" not in d["reason"]
        if d["target"] in ("rep", "pool", "account_owner", "existing_owner"):
            assert d["assignee"] and d["queue"] is None and d["rule"]
        elif d["target"] == "queue":
            assert d["queue"] and d["assignee"] is None and d["rule"]
        else:
            assert d["assignee"] is None and d["queue"] is None and d["rule"] is None
    totals = summary["totals"]
    assert totals["leads"] == len(decisions)
    assert totals["to_rep"] == sum(1 for d in decisions if d["assignee"])
    assert totals["to_queue"] == sum(1 for d in decisions if d["queue"])
    assert totals["unrouted"] == len(summary["unrouted"])
    assert totals["to_rep"] + totals["to_queue"] + totals["unrouted"] == len(decisions)
    assert summary["unrouted"] == [d["lead"] for d in decisions if d["target"] is None]
    assert {k: v for k, v in summary["per_rep"].items() if v} == dict(
        Counter(d["assignee"] for d in decisions if d["assignee"])
    )
    assert {k: v for k, v in summary["per_queue"].items() if v} == dict(
        Counter(d["queue"] for d in decisions if d["queue"])
    )
    assert {k: v for k, v in summary["rule_hits"].items() if v} == dict(
        Counter(d["rule"] for d in decisions if d["rule"])
    )
    for pool, fair in summary["fairness"].items():
        via_pool = Counter(
            d["assignee"] for d in decisions if d["reason"].split(", ")[0].endswith(f"pool {pool}")
        )
        assert {k: v for k, v in fair["counts"].items() if v} == dict(via_pool)
        counts = list(fair["counts"].values())
        assert fair["leads"] == sum(counts)
        assert (fair["min"], fair["max"]) == (min(counts), max(counts))
        assert fair["spread"] == fair["max"] - fair["min"]
        assert 0 <= fair["gini"] <= 1


@needs_shared
def test_salesforce_export_json(cli: CliRunner) -> None:
    doc = simulate_json(
        cli, "--config", EXAMPLE_CONFIG, "--leads", SALESFORCE_LEADS, "--at", TUESDAY
    )
    check_consistent(doc)
    # File order, one decision per row, identified by the Salesforce Id.
    assert [d["lead"] for d in doc["decisions"]] == salesforce_ids()
    summary = doc["summary"]
    assert summary["input"]["layout"] == "salesforce"
    assert summary["bad_rows"] == []
    # Every row has CreatedDate 2024-01-22T20:36:47Z (a Monday, 12:36 in Los Angeles).
    west = summary["fairness"]["west-sdr"]
    assert west["leads"] > 3
    assert west["skipped"] == {}  # every member eligible for every lead...
    assert west["spread"] <= 1  # ...so strict rotation keeps counts within one
    # All leads arrive in the same hour: dan's hourly cap of 4 carries from lead to lead.
    east = summary["fairness"]["east-ae"]
    assert east["counts"]["dan"] == 4
    assert set(east["skipped"]["dan"]) == {"at hour cap"}
    assert summary["rule_hits"]["Catch-all"] > 0


@needs_shared
def test_salesforce_export_at_tuesday_ignoring_created_date(cli: CliRunner) -> None:
    doc = simulate_json(
        cli,
        "--config",
        EXAMPLE_CONFIG,
        "--leads",
        SALESFORCE_LEADS,
        "--at",
        TUESDAY,
        "--ignore-created-at",
    )
    check_consistent(doc)
    assert doc["summary"]["input"]["default_time"] == "2024-01-23T18:00:00+00:00"
    west = doc["summary"]["fairness"]["west-sdr"]
    assert west["skipped"] == {} and west["spread"] <= 1


@needs_shared
def test_table_format(cli: CliRunner) -> None:
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", SALESFORCE_LEADS)
    assert run.code == 0, run.err
    for heading in ("Decisions", "Rule hits", "Distribution per rep", "Fairness per pool"):
        assert heading in run.out
    assert "Simulated 60 lead(s)" in run.out
    assert salesforce_ids()[0] in run.out
    assert "west-sdr" in run.out and "round_robin" in run.out
    assert "Unrouted: none" in run.out
    assert "Nothing was stored or sent" in run.out


@needs_shared
def test_against_shows_changes_and_distribution_shift(cli: CliRunner, tmp_path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text()
    assert text.count("caps: {hour: 4, day: 15}") == 1
    candidate = tmp_path / "candidate.yml"
    candidate.write_text(text.replace("caps: {hour: 4, day: 15}", "caps: {day: 15}"))
    common = ("--leads", SALESFORCE_LEADS, "--at", TUESDAY)
    doc = simulate_json(cli, "--config", candidate, "--against", EXAMPLE_CONFIG, *common)
    check_consistent(doc)
    before = simulate_json(cli, "--config", EXAMPLE_CONFIG, *common)
    summary = doc["summary"]
    changes = summary["changes"]
    assert changes, "lifting dan's hourly cap must move leads"
    old = {d["lead"]: d for d in before["decisions"]}
    new = {d["lead"]: d for d in doc["decisions"]}
    changed = {c["lead"] for c in changes}
    for change in changes:
        assert change["before"] == {k: v for k, v in old[change["lead"]].items() if k != "lead"}
        assert change["after"] == {k: v for k, v in new[change["lead"]].items() if k != "lead"}
        assert "owner" in change["changed"]
    for lead, d in new.items():  # and nothing else changed
        if lead not in changed:
            assert (d["rule"], d["assignee"], d["queue"]) == (
                old[lead]["rule"],
                old[lead]["assignee"],
                old[lead]["queue"],
            )
    shift = summary["distribution_shift"]
    assert shift["dan"]["delta"] > 0 and shift["erin"]["delta"] < 0
    assert sum(s["delta"] for s in shift.values()) == 0
    for rep, s in shift.items():
        assert s["delta"] == s["after"] - s["before"]
        if rep in summary["per_rep"]:
            assert s["after"] == summary["per_rep"][rep]
            assert s["before"] == before["summary"]["per_rep"][rep]
    assert summary["against"]["config_version"] == before["summary"]["config_version"]

    table = cli("simulate", "--config", candidate, "--against", EXAMPLE_CONFIG, *common)
    assert table.code == 0
    assert "Changes" in table.out and "Distribution shift" in table.out
    assert f"{len(changes)} lead(s) change owner or rule" in table.out


def test_at_sets_the_time_of_leads_without_created_at(cli: CliRunner) -> None:
    tuesday = simulate_json(
        cli, "--config", EXAMPLE_CONFIG, "--leads", EXAMPLE_LEADS, "--at", TUESDAY
    )
    sunday = simulate_json(
        cli, "--config", EXAMPLE_CONFIG, "--leads", EXAMPLE_LEADS, "--at", SUNDAY
    )
    check_consistent(tuesday)
    check_consistent(sunday)
    assert any(d["target"] == "pool" for d in tuesday["decisions"])
    # Sunday: every pool member is outside working hours, pool rules fall through.
    assert all(d["target"] in ("queue", "rep", None) for d in sunday["decisions"])
    assert not any(d["target"] == "pool" for d in sunday["decisions"])
    assert sunday["summary"]["totals"]["to_queue"] == sunday["summary"]["totals"]["leads"]
    # Default: now (whatever the wall clock says), still well-formed.
    check_consistent(simulate_json(cli, "--config", EXAMPLE_CONFIG, "--leads", EXAMPLE_LEADS))


def test_created_at_column_wins_over_at(cli: CliRunner, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,email,country,state,created_at\n"
        f"weekday,a@acme.example,US,CA,{TUESDAY}\n"
        f"weekend,b@acme.example,US,CA,{SUNDAY}\n"
        "no-time,c@acme.example,US,CA,\n"
        "offset,d@acme.example,US,CA,2024-01-23T10:00:00.000-0800\n"
    )
    doc = simulate_json(cli, "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", SUNDAY)
    check_consistent(doc)
    by_lead = {d["lead"]: d for d in doc["decisions"]}
    assert by_lead["weekday"]["target"] == "pool" and by_lead["weekday"]["rule"] == "US West"
    assert by_lead["offset"]["target"] == "pool"
    assert by_lead["weekend"]["queue"] == "triage"
    assert by_lead["no-time"]["queue"] == "triage"  # no created_at: --at (Sunday)
    doc = simulate_json(cli, "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", TUESDAY)
    assert {d["lead"]: d["target"] for d in doc["decisions"]}["no-time"] == "pool"


def test_bad_rows_are_reported_with_row_numbers_and_skipped(cli: CliRunner, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,email,country,state,created_at\n"  # line 1
        f"ok-1,a@acme.example,US,CA,{TUESDAY}\n"  # row 1, line 2
        "bad-time,b@acme.example,US,CA,next tuesday\n"  # row 2, line 3
        "bad-email,not-an-email,US,CA,\n"  # row 3, line 4
        '"two\nlines",c@acme.example,US,CA,\n'  # row 4, lines 5-6
        "extra,d@acme.example,US,CA,,surplus\n"  # row 5, line 7
        ",,,,\n"  # row 6, line 8
        "nobody,,US,CA,\n"  # row 7, line 9
        "\n"  # a blank line is not a row
        "ok-2,e@acme.example,US,OR,\n"  # row 8, line 11
    )
    run = cli(
        "simulate",
        "--config",
        EXAMPLE_CONFIG,
        "--leads",
        leads,
        "--at",
        TUESDAY,
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    check_consistent(doc)
    assert [d["lead"] for d in doc["decisions"]] == ["ok-1", "two\nlines", "ok-2"]
    bad = [(b["row"], b["line"]) for b in doc["summary"]["bad_rows"]]
    assert bad == [(2, 3), (3, 4), (5, 7), (6, 8), (7, 9)]
    messages = {b["row"]: b["message"] for b in doc["summary"]["bad_rows"]}
    assert "next tuesday" in messages[2] and "ISO 8601" in messages[2]
    assert "not-an-email" in messages[3]
    assert "6 cells" in messages[5]
    assert "row 2 (line 3)" in run.err

    table = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", TUESDAY)
    assert table.code == 0
    assert "Skipped rows" in table.out and "next tuesday" in table.out


def test_lead_ids_fall_back_to_email_then_row_number(cli: CliRunner, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "email,last_name,company,country\na@acme.example,A,Acme,US\n,Bee,Bee Corp,US\n"
    )
    doc = simulate_json(cli, "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", TUESDAY)
    assert [d["lead"] for d in doc["decisions"]] == ["a@acme.example", "row 2"]


def test_config_errors_exit_1_with_lines(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(EXAMPLE_CONFIG.read_text().replace("strategy: round_robin", "strategy: random"))
    run = cli("simulate", "--config", bad, "--leads", EXAMPLE_LEADS)
    assert run.code == 1
    assert re.search(r"bad\.yml:\d+: pools\.west-sdr\.strategy", run.err), run.err
    assert run.out == ""
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--against", bad, "--leads", EXAMPLE_LEADS)
    assert run.code == 1
    assert "bad.yml" in run.err
    run = cli("simulate", "--config", tmp_path / "missing.yml", "--leads", EXAMPLE_LEADS)
    assert run.code == 1 and "cannot read" in run.err


def test_unreadable_csv_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    cases = {
        "missing.csv": None,
        "empty.csv": b"",
        "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "nocolumns.csv": b"foo,bar\n1,2\n",
        "duplicate.csv": b"email,email\na@b.example,c@d.example\n",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", path)
        assert run.code == 2, (name, run)
        assert "cannot read the leads" in run.err and name in run.err


def test_bad_at_is_a_usage_error(cli: CliRunner) -> None:
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", EXAMPLE_LEADS, "--at", "soon")
    assert run.code == 2
    assert "not an ISO 8601 time" in run.err


def test_semicolon_and_windows_1252_exports(cli: CliRunner, tmp_path: Path) -> None:
    leads = tmp_path / "excel.csv"
    leads.write_bytes(
        "id;email;company;country;state\nx-1;jos\xe9@acme.example;Caf\xe9;US;CA\n".encode("cp1252")
    )
    doc = simulate_json(cli, "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", TUESDAY)
    assert [d["lead"] for d in doc["decisions"]] == ["x-1"]
    assert doc["decisions"][0]["rule"] == "US West"


@needs_shared
def test_console_script_subprocess(cli: CliRunner) -> None:
    script = Path(sys.executable).parent / "leadrouter"
    assert script.exists(), "pip install -e . provides the leadrouter console script"
    args = ["simulate", "--config", str(EXAMPLE_CONFIG), "--leads", str(SALESFORCE_LEADS)]
    args += ["--at", TUESDAY, "--format", "json"]
    proc = subprocess.run(
        [str(script), *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    check_consistent(doc)
    assert doc == simulate_json(cli, *args[1:-2])
