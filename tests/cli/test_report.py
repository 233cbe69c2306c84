"""``leadrouter report`` on a database with real activity."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage.db import Database
from tests.e2e.harness import running_stack
from tests.e2e.test_walking_skeleton import US_LEAD


def test_report_counts_activity_and_writes_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    db = Database(url)
    from storage.migrate import upgrade

    upgrade(db.engine)
    with running_stack(db) as stack:
        lead_id = stack.post_lead(US_LEAD).json()["id"]
        card = stack.wait_for_card("U_ALICE")
        stack.emu.click("U_ALICE", card["channel"], card["ts"], "offer_accept")
        stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
        stack.post_lead({**US_LEAD, "external_id": "q", "country": "Germany"})
        stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"))
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "report.html"
    assert main(["report", "--since", "1d", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 leads" in printed and "acceptance 100%" in printed
    html = out.read_text()
    assert "<svg" in html and "alice" in html and "sdr" in html
    assert ">US<" in html and ">Germany<" in html  # rule hits


def test_report_explains_a_missing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 1
    assert "leadrouter db upgrade" in capsys.readouterr().err
    assert main(["report", "--since", "soon"]) == 2
