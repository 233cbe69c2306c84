"""keep_owner in routing.yml: a target that stops routing and keeps the current owner."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from routing.config.loader import parse_config, validate_text
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import Roster
from routing.simulate import SimLead, simulate

CONFIG = """
reps: [{id: ann, name: Ann}]
rules:
  - {name: Partner, when: {lead_source: partner}, assign: keep_owner}
  - {name: Rest, assign: {rep: ann}}
"""
NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def test_keep_owner_stops_routing_and_names_the_rule() -> None:
    router = Router(parse_config(CONFIG))
    decision = router.route(normalize_lead({"lead_source": "Partner"}), Roster(), NOW)
    assert (decision.outcome, decision.rule, decision.target) == ("kept", "Partner", "keep_owner")
    assert decision.assignee is None and decision.queue is None
    assert "keeps its current owner" in decision.reason
    assert {"step": "target", "rule": "Partner", "target": "keep_owner"} in decision.trace


def test_simulate_json_names_the_target() -> None:
    result = simulate(
        parse_config(CONFIG),
        [SimLead("p1", {"lead_source": "partner"}), SimLead("w1", {"lead_source": "web"})],
        NOW,
    )
    rows = [d.to_json() for d in result.decisions]
    assert rows[0]["target"] == "keep_owner" and rows[0]["assignee"] is None
    assert rows[1]["target"] == "rep" and rows[1]["assignee"] == "ann"
    assert result.unrouted == []  # kept is not unrouted
    assert result.decisions[0].owner == "keep_owner"


def test_targets_after_keep_owner_are_an_error() -> None:
    issues = validate_text(
        "reps: [{id: ann, name: Ann}]\nrules:\n  - name: X\n    assign: [keep_owner, {rep: ann}]\n"
    )
    assert any("never tried" in str(issue) for issue in issues), issues
    assert validate_text("reps: [{id: a, name: A}]\nrules: [{name: X, assign: keep_owner}]\n") == []
    # It is written as a plain word; a mapping form is refused.
    assert validate_text("rules: [{name: X, assign: {keep_owner: x}}]\n")


def test_simulate_table_shows_the_current_owner(tmp_path: Path) -> None:
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text("email,lead_source\np@x.io,partner\nw@x.io,web\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", "--config", str(config),
         "--leads", str(leads)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "keep_owner" in proc.stdout and "current owner" in proc.stdout
