"""``leadrouter explain`` of a lead a keep_owner rule stopped: state kept, the rule named,
its current owner as the destination, no offers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.runtime import build_runtime
from bot.services.leads import ingest_lead
from bot.settings import Settings
from storage.migrate import upgrade
from tests.cli.conftest import CliRunner
from tests.cli.test_explain_ingest import TUESDAY

CONFIG = """
admins: [boss]
reps: [{id: ann, name: Ann}, {id: boss, name: Boss}]
rules:
  - {name: Partner leads, when: {as_written: {lead_source: Partner Referral}}, assign: keep_owner}
  - {name: Rest, assign: {rep: ann}}
"""


def test_explain_a_kept_lead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    monkeypatch.setenv("LEADROUTER_CONFIG", str(config))
    rt = build_runtime(Settings.from_env(), clock=ManualClock(TUESDAY))
    upgrade(rt.db.engine)
    try:
        raw = {"email": "pat@partner.example", "company": "P", "lead_source": "partner referral"}
        stored = ingest_lead(rt, raw=raw, source="webhook")
    finally:
        rt.db.dispose()
    run = cli("explain", stored.public_id)
    assert run.code == 0, run.err
    assert "state kept" in run.out
    assert "rule Partner leads" in run.out and "target keep_owner" in run.out
    assert "its current owner" in run.out
    assert "Offers: none" in run.out
