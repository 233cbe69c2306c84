"""``simulate --compare-owner``: our assignee against the owner Salesforce gave each lead.

The export is made with the independent reference evaluator (tests/sf_reference.py): each
generated lead's owner is the assignee of the entry Salesforce applies, or the integration
user when an entry keeps the owner or none matches. Imported rules must agree on all of it;
one owner changed by hand must show up as the one disagreement, with its trace."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from routing.salesforce_rules import import_rules
from tests import sf_reference
from tests.cli.conftest import CliRunner
from tests.routing.test_salesforce_parity import HAND_DIR, HAND_FIELD_MAP, _leads

RULES = HAND_DIR / "operators.assignmentRules-meta.xml"
OTHER = "Integration User"  # the owner Salesforce leaves when it routes nowhere


def _export(tmp_path: Path, count: int = 400) -> tuple[Path, Path, list[dict[str, str]]]:
    text = RULES.read_text(encoding="utf-8")
    result = import_rules(text, field_map=HAND_FIELD_MAP)
    config = tmp_path / "routing.yml"
    doc = yaml.safe_load(result.yaml)
    # Campaign.Name is no Lead relationship the poller could query: in an export it is a
    # column, which the config copies like any other.
    doc.setdefault("salesforce", {}).setdefault("fields", {}).update(HAND_FIELD_MAP)
    config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    entries = sf_reference.load(text)["Operators"]
    assignees = {e.index: e for e in entries}
    xml_assignee = {i: node for i, node in enumerate(_assignees(text), start=1)}
    rows = []
    for n, record in enumerate(_leads(entries, count, seed=5)):
        if record.get("Email", "").strip():  # the lead reader wants an address
            record["Email"] = f"{record['Email'].strip()}@example.com".replace(" ", "")
        index = sf_reference.first_match(entries, record, skip=set())
        owner = OTHER
        if index is not None and assignees[index].assigned:
            owner = xml_assignee[index]
        rows.append(
            {"Id": f"00Q{n:015d}", **{k: str(v) for k, v in record.items()}, "Owner": owner}
        )
    leads = tmp_path / "export.csv"
    _write(leads, rows)
    return config, leads, rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def _assignees(text: str) -> list[str | None]:
    import xml.etree.ElementTree as ET

    ns = sf_reference.NS
    root = ET.fromstring(text)
    out: list[str | None] = []
    for entry in root.iter(ns + "ruleEntry"):
        node = entry.find(ns + "assignedTo")
        out.append(node.text if node is not None else None)
    return out


def test_imported_rules_agree_with_salesforces_owners(cli: CliRunner, tmp_path: Path) -> None:
    config, leads, rows = _export(tmp_path)
    run = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "Owner",
              "--format", "json")  # fmt: skip
    assert run.code == 0, run.out[-3000:] + run.err
    parity = json.loads(run.out)["parity"]
    assert parity["compared"] == len(rows) and parity["agree"] == len(rows)
    assert parity["agreement"] == 1.0 and parity["disagreements"] == []


def test_a_disagreement_is_listed_with_its_trace(cli: CliRunner, tmp_path: Path) -> None:
    config, leads, rows = _export(tmp_path, count=60)
    # A lead we route to a rep: the export now says Salesforce gave it to someone else.
    changed = next(row for row in rows if row["Owner"] != OTHER)
    changed["Owner"] = "someone.else@example.com"
    # Another, to the UK rep: the other trace shows why the UK rule did not take it.
    moved = next(
        row for row in rows if row["Owner"] not in (OTHER, "uk@example.com") and row is not changed
    )
    moved["Owner"] = "uk@example.com"
    _write(leads, rows)
    run = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "owner")
    assert run.code == 3, run.err
    assert f"{len(rows) - 2} of {len(rows)} lead(s) agree" in run.out
    assert f"{changed['Id']}: Salesforce 'someone.else@example.com' (none of ours)" in run.out
    assert "rule '" in run.out  # our trace: each rule tried, with its checks
    assert f"{moved['Id']}: Salesforce 'uk@example.com' (uk)" in run.out
    assert "rules giving uk:\n    rule '2: uk@example.com': no match [country in" in run.out
    doc = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "Owner",
              "--format", "json")  # fmt: skip
    other = next(
        d for d in json.loads(doc.out)["parity"]["disagreements"] if d["lead"] == moved["Id"]
    )
    assert other["salesforce_trace"][0]["rule"] == "2: uk@example.com"
    assert other["salesforce_trace"][0]["matched"] is False


def test_a_missing_column_is_a_clear_error(cli: CliRunner, tmp_path: Path) -> None:
    config, leads, _ = _export(tmp_path, count=5)
    run = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "OwnerId")
    assert run.code == 2
    assert "has no column 'OwnerId' for --compare-owner" in run.err
    assert "Traceback" not in run.err


def test_the_salesforce_trace_reads_dates_at_the_routing_time() -> None:
    """A rule comparing CreatedDate with TODAY is checked at the time the lead was routed, in
    the org's zone (the same lead is "today" in New York at 02:30 UTC on 1 December)."""
    from datetime import UTC, datetime

    from bot.cli.parity import SalesforceSide
    from routing.config import parse_config

    config = parse_config(
        """
timezone: America/New_York
reps: [{id: a, name: A}, {id: b, name: B}]
rules:
  - {name: today, when: {as_written: {salesforce_created_at: {on_date: TODAY}}}, assign: {rep: a}}
  - {name: rest, assign: {rep: b}}
"""
    )
    side = SalesforceSide(config)
    lead = {"salesforce_created_at": "2026-11-30T12:00:00.000+0000"}
    at = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert side.trace(lead, "a", at)[0]["matched"] is True
    assert side.trace(lead, "a", datetime(2026, 12, 1, 6, 0, tzinfo=UTC))[0]["matched"] is False
    assert side.trace(lead, "a")[0]["matched"] is False  # no routing time: no "today"
