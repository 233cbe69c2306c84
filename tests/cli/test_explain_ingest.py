"""``leadrouter explain`` and ``leadrouter ingest`` on SQLite (DATABASE_URL in tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.runtime import Runtime, build_runtime
from bot.services.leads import ingest_lead
from bot.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Lead
from tests.cli.conftest import EXAMPLE_CONFIG, SALESFORCE_LEADS, CliRunner
from tests.shared import needs_shared

TUESDAY = datetime(2024, 1, 23, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles
SUNDAY = datetime(2024, 1, 21, 18, 0, tzinfo=UTC)


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADROUTER_CONFIG", str(EXAMPLE_CONFIG))
    return url


@pytest.fixture
def runtime(database_url: str) -> Iterator[tuple[Runtime, ManualClock]]:
    clock = ManualClock(TUESDAY)
    rt = build_runtime(Settings.from_env(), clock=clock)
    upgrade(rt.db.engine)
    yield rt, clock
    rt.db.dispose()


HEALTHCARE = {
    "first_name": "Dana",
    "last_name": "Scully",
    "email": "dana@mercy.example",
    "company": "Mercy Health",
    "industry": "Healthcare",
    "employees": "120",
    "country": "United States",
    "state": "California",
}


def test_explain_a_routed_lead_text_and_json(
    runtime: tuple[Runtime, ManualClock], cli: CliRunner
) -> None:
    rt, _ = runtime
    stored = ingest_lead(
        rt,
        raw=HEALTHCARE,
        source="webhook",
        external_id="form-1",
        salesforce_id="00Q000000000001AAA",
    )
    run = cli("explain", stored.public_id)
    assert run.code == 0, run.err
    out = run.out
    assert stored.public_id in out and "Dana Scully" in out and "Mercy Health" in out
    assert "Decision 1/1" in out and "config " + rt.config.config.version in out
    assert "rule Healthcare matched" in out
    # The checks: field, matcher, expected, actual.
    assert "industry" in out and '"Healthcare"' in out and "country_code" in out
    # Candidates with why they were skipped, and the strategy's pick.
    assert "target pool west-sdr (round_robin): picked alice" in out
    # Round robin stops at the first eligible member; the rest are named, not checked.
    assert "not checked: bob" in out
    assert "strategy: round robin" in out
    # Offers timeline and events.
    assert "Offers" in out and "pending" in out
    assert "lead.received" in out and "offer.created" in out

    run = cli("explain", stored.public_id, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["id"] == stored.public_id
    assert doc["state"] == "offered" and doc["decision"]["assignee"] == "alice"
    assert doc["decision"]["rule"] == "Healthcare"
    assert any(step.get("step") == "target" for step in doc["decision"]["trace"])
    assert [o["rep"] for o in doc["offers"]] == ["alice"]

    # The Salesforce id and the external id find the same lead.
    for ref in ("00Q000000000001AAA", "form-1"):
        again = cli("explain", ref, "--format", "json")
        assert again.code == 0 and json.loads(again.out)["id"] == stored.public_id


def test_explain_shows_fallthrough_to_the_next_rule(
    runtime: tuple[Runtime, ManualClock], cli: CliRunner
) -> None:
    rt, clock = runtime
    clock.set(SUNDAY)
    raw = {"email": "sam@shop.example", "company": "Shop", "country": "US", "state": "OR"}
    stored = ingest_lead(rt, raw=raw, source="webhook")
    run = cli("explain", stored.public_id)
    assert run.code == 0, run.err
    assert "state queued" in run.out
    assert "rule US West matched" in run.out
    assert "alice skipped: outside working hours (us-west)" in run.out
    assert "trying the next rule" in run.out
    assert "rule Catch-all matched" in run.out and "queue triage" in run.out
    assert "Offers: none" in run.out


def test_explain_unknown_lead_exits_1(runtime: tuple[Runtime, ManualClock], cli: CliRunner) -> None:
    for ref in ("L-999999", "00Q0000000000ZZZZZ", "nonsense"):
        run = cli("explain", ref)
        assert run.code == 1
        assert f"no lead {ref!r}" in run.err
        assert run.out == ""


def test_explain_without_a_database_exits_1(database_url: str, cli: CliRunner) -> None:
    run = cli("explain", "L-1001")
    assert run.code == 1
    assert "no database" in run.err
    assert not Path(database_url.removeprefix("sqlite:///")).exists()  # explain creates nothing


SMALL_CSV = (
    "id,email,first_name,last_name,company,country,state,created_at\n"
    "c-1,a@acme.example,Ann,Able,Acme,US,CA,2024-01-23T18:00:00Z\n"
    "c-2,b@beta.example,Ben,Bell,Beta,Germany,,\n"
    ",c@gamma.example,Cy,Cole,Gamma,US,NY,\n"
    "bad,not-an-email,,,,US,CA,\n"
)


def count_leads(url: str) -> int:
    db = Database(url)
    try:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Lead)) or 0)
    finally:
        db.dispose()


def test_ingest_twice_is_idempotent(database_url: str, cli: CliRunner, tmp_path: Path) -> None:
    leads = tmp_path / "small.csv"
    leads.write_text(SMALL_CSV)
    first = cli("ingest", leads, "--config", EXAMPLE_CONFIG)
    assert first.code == 0, first.err
    assert "4 row(s); stored 3, duplicates 0, bad rows 1" in first.out
    assert "row 4 (line 5)" in first.out and "not-an-email" in first.out
    assert "delivered when `leadrouter run` is up" in first.out
    assert count_leads(database_url) == 3

    second = cli("ingest", leads, "--config", EXAMPLE_CONFIG)
    assert second.code == 0, second.err
    assert "stored 0, duplicates 3, bad rows 1" in second.out
    assert "row 1 (c-1) is already L-" in second.out
    assert count_leads(database_url) == 3

    # Stored through the live pipeline: source csv, external id, created_at, a decision.
    run = cli("explain", "c-1", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert (doc["source"], doc["external_id"]) == ("csv", "c-1")
    assert doc["created_at"].startswith("2024-01-23T18:00:00")
    assert doc["decision"] is not None and doc["decisions"] == 1
    assert doc["state"] in ("offered", "queued", "unrouted")


@needs_shared
def test_ingest_salesforce_export(database_url: str, cli: CliRunner, tmp_path: Path) -> None:
    lines = SALESFORCE_LEADS.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    leads = tmp_path / "Lead.csv"
    leads.write_text("".join(lines[:6]))  # header + 5 leads
    run = cli("ingest", leads, "--config", EXAMPLE_CONFIG)
    assert run.code == 0, run.err
    assert "(salesforce layout): 5 row(s); stored 5, duplicates 0, bad rows 0" in run.out
    first_id = lines[1].split(",", 1)[0]
    found = cli("explain", first_id, "--format", "json")
    assert found.code == 0, found.err
    doc = json.loads(found.out)
    assert doc["salesforce_id"] == first_id
    assert doc["fields"]["email"] == "william.lee@example.com"
    assert "salesforce_id" not in doc["fields"]
    again = cli("ingest", leads, "--config", EXAMPLE_CONFIG)
    assert "stored 0, duplicates 5" in again.out


def test_ingest_exit_codes(database_url: str, cli: CliRunner, tmp_path: Path) -> None:
    run = cli("ingest", tmp_path / "missing.csv", "--config", EXAMPLE_CONFIG)
    assert run.code == 2 and "cannot read the leads" in run.err
    bad = tmp_path / "bad.yml"
    bad.write_text(EXAMPLE_CONFIG.read_text().replace("strategy: weighted", "strategy: lottery"))
    leads = tmp_path / "small.csv"
    leads.write_text(SMALL_CSV)
    run = cli("ingest", leads, "--config", bad)
    assert run.code == 1 and "bad.yml:" in run.err
    assert not Path(database_url.removeprefix("sqlite:///")).exists()  # nothing touched


def test_ingest_normalises_each_row_once(
    database_url: str, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV reader normalises a row as it checks it; ingest stores those fields and does
    not normalise the row again (and they are what normalising the row's raw cells gives)."""
    import bot.leads_csv
    import bot.services.leads
    from bot.leads_csv import read_leads_csv
    from routing.normalize import normalize_lead

    leads = tmp_path / "small.csv"
    leads.write_text(SMALL_CSV)
    for row in read_leads_csv(leads).leads:
        assert row.fields == normalize_lead(row.raw)

    calls = {"reader": 0, "service": 0}

    def counting(where: str) -> Any:
        def normalise(raw: Any) -> dict[str, Any]:
            calls[where] += 1
            return normalize_lead(raw)

        return normalise

    monkeypatch.setattr(bot.leads_csv, "normalize_lead", counting("reader"))
    monkeypatch.setattr(bot.services.leads, "normalize_lead", counting("service"))
    run = cli("ingest", leads, "--config", EXAMPLE_CONFIG)
    assert run.code == 0, run.err
    assert "stored 3, duplicates 0, bad rows 1" in run.out
    # 4 rows checked (+1: the header's probe for lead columns); nothing normalised twice.
    assert calls == {"reader": 5, "service": 0}
    doc = json.loads(cli("explain", "c-2", "--format", "json").out)
    assert doc["fields"]["country_code"] == "DE" and doc["fields"]["email"] == "b@beta.example"
