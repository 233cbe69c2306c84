"""``simulate`` on a Salesforce export with imported date criteria: each lead is routed at its
``CreatedDate``, which its fields also carry, so ``CreatedDate equals TODAY`` holds as it did
when Salesforce ran the rule on the new lead."""

from __future__ import annotations

import json
from pathlib import Path

from routing.salesforce_rules import import_rules
from tests.cli.conftest import CliRunner
from tests.cli.test_parity import _write

XML = """<?xml version="1.0" encoding="UTF-8"?>
<AssignmentRules xmlns="http://soap.sforce.com/2006/04/metadata">
  <assignmentRule><fullName>Web</fullName><active>true</active>
    <ruleEntry><assignedTo>today@example.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.CreatedDate</field><operation>equals</operation><value>TODAY</value></criteriaItems>
      <criteriaItems><field>Lead.LeadSource</field><operation>equals</operation><value>Web</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>other@example.com</assignedTo><assignedToType>User</assignedToType>
    </ruleEntry>
  </assignmentRule>
</AssignmentRules>
"""


def test_created_date_today_holds_at_each_leads_creation(cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "routing.yml"
    config.write_text(import_rules(XML).yaml, encoding="utf-8")
    leads = tmp_path / "export.csv"
    rows = [
        {"Id": "00Q000000000000001", "LastName": "A", "Company": "Co", "LeadSource": "Web",
         "CreatedDate": "2026-12-05T23:30:00.000+0000", "Owner": "today@example.com"},
        {"Id": "00Q000000000000002", "LastName": "B", "Company": "Co", "LeadSource": "Phone",
         "CreatedDate": "2026-12-05T10:00:00.000+0000", "Owner": "other@example.com"},
    ]  # fmt: skip
    _write(leads, rows)
    run = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "Owner",
              "--format", "json")  # fmt: skip
    assert run.code == 0, run.out[-3000:] + run.err
    parity = json.loads(run.out)["parity"]
    assert parity["agree"] == 2 and parity["disagreements"] == []
    # Routed four days later instead, the first lead was not created "today".
    late = cli("simulate", "--config", config, "--leads", leads, "--compare-owner", "Owner",
               "--ignore-created-at", "--at", "2026-12-09T12:00:00Z")  # fmt: skip
    assert late.code == 3, late.out + late.err
    assert "1 of 2 lead(s) agree" in late.out
