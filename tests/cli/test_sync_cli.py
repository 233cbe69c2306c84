"""``leadrouter sync``: against the Salesforce emulator, and loading CSV exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.crm_csv import CrmCsvError, read_crm_csv
from bot.runtime import build_runtime
from bot.services.leads import ingest_lead
from bot.settings import Settings
from storage.crm import counts
from storage.db import Database
from storage.models import CrmAccount, Decision
from tests import shared
from tests.cli.conftest import CliRunner
from tests.salesforce.test_sync import MATCH_CONFIG
from tests.salesforce_emulator import SalesforceEmulator
from tests.shared import needs_shared

DEV_EDITION = shared.DATA / "salesforce" / "records" / "developer-edition"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    config = tmp_path / "routing.yml"
    config.write_text(MATCH_CONFIG)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADROUTER_CONFIG", str(config))
    for name in ("SALESFORCE_INSTANCE_URL", "SALESFORCE_SESSION_ID", "SALESFORCE_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return url


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@needs_shared
def test_sync_against_salesforce_prints_what_it_stored(
    env: str, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SalesforceEmulator(records_dir=DEV_EDITION) as sf:
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", sf.instance_url)
        monkeypatch.setenv("SALESFORCE_SESSION_ID", sf.session_id)
        monkeypatch.setenv("SALESFORCE_CA_BUNDLE", str(sf.ca_pem_path))
        first = cli("sync")
        again = cli("sync")
        full = cli("sync", "--full")
    assert first.code == 0, first.err
    assert "Account" in first.out and "full" in first.out
    assert "incremental" in again.out
    assert full.code == 0 and "(full)" in full.out
    db = Database(env)
    with db.session() as s:
        assert counts(s)["Account"] == _rows(DEV_EDITION / "Account.csv")
    db.dispose()


def test_sync_without_salesforce_says_how_to_connect(env: str, cli: CliRunner) -> None:
    run = cli("sync")
    assert run.code == 2
    assert "Salesforce is not configured" in run.err and "--accounts" in run.err


@needs_shared
def test_accounts_csv_from_a_salesforce_export(env: str, cli: CliRunner) -> None:
    path = DEV_EDITION / "Account.csv"
    run = cli("sync", "--accounts", path, "--contacts", DEV_EDITION / "Contact.csv")
    assert run.code == 0, run.err
    again = cli("sync", "--accounts", path)
    assert again.code == 0
    db = Database(env)
    with db.session() as s:
        got = counts(s)
        sources = set(s.scalars(select(CrmAccount.source)))
    db.dispose()
    assert got["Account"] == _rows(path)  # loading twice stored nothing twice
    assert got["Contact"] == _rows(DEV_EDITION / "Contact.csv")
    assert sources == {"csv"}


@needs_shared
def test_an_export_not_in_plain_utf8_says_how_it_was_read(
    env: str, cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "Account.csv"
    text = (DEV_EDITION / "Account.csv").read_text(encoding="utf-8")
    path.write_bytes(text.encode("utf-16"))  # Excel's "Unicode text": a BOM, then UTF-16
    run = cli("sync", "--accounts", path)
    assert run.code == 0, run.err
    assert "note: " in run.err and "UTF-16" in run.err.upper().replace("UTF16", "UTF-16")


def test_friendly_csv_routes_leads_to_the_owner(env: str, cli: CliRunner, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "Account Name,Domain,Country,Owner Email\n"
        "Wayne Enterprises Inc.,wayne-enterprises.com,United States,Bob@Example.com\n"
        ",nameless.com,US,alice@example.com\n"
        "Stark Industries,stark-industries.com,US,carol\n"
    )
    run = cli("sync", "--accounts", accounts)
    assert run.code == 1  # a bad row
    assert "row 2 (line 3): Name is empty" in run.err
    rt = build_runtime(Settings.from_env())
    ingested = ingest_lead(
        rt, raw={"email": "lucius@wayne-enterprises.com", "country": "USA"}, source="webhook"
    )
    by_name = ingest_lead(
        rt, raw={"email": "tony@gmail.com", "company": "Stark Industries, Inc"}, source="webhook"
    )
    with rt.db.session() as s:
        decisions = {d.lead_id: (d.rule, d.assignee) for d in s.scalars(select(Decision))}
    rt.db.dispose()
    assert decisions[ingested.lead_id] == ("Existing customer", "bob")
    assert decisions[by_name.lead_id] == ("Existing customer", "carol")
    explained = cli("explain", ingested.public_id)
    assert explained.code == 0, explained.err
    text = " ".join(explained.out.split())  # rich wraps long cells
    assert "matching domain wayne-enterprises.com" in text
    assert "'Wayne Enterprises Inc.' by email_domain" in text


def test_replace_drops_accounts_missing_from_the_new_export(
    env: str, cli: CliRunner, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("Name,Website\nOld Co,old.com\nKept Co,kept.com\n")
    second.write_text("Name,Website\nKept Co,kept.com\n")
    assert cli("sync", "--accounts", first).code == 0
    run = cli("sync", "--accounts", second, "--replace")
    assert run.code == 0
    db = Database(env)
    with db.session() as s:
        names = sorted(s.scalars(select(CrmAccount.name)))
    db.dispose()
    assert names == ["Kept Co"]


def test_unusable_csv_files(tmp_path: Path) -> None:
    with pytest.raises(CrmCsvError, match="no such file"):
        read_crm_csv(tmp_path / "missing.csv", "Account")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Name\nCafé Müller\n".encode("latin-1"))
    with pytest.raises(CrmCsvError, match="UTF-8"):
        read_crm_csv(latin, "Account")
    headless = tmp_path / "headless.csv"
    headless.write_text("Website,Country\nacme.com,US\n")
    with pytest.raises(CrmCsvError, match="no Name column"):
        read_crm_csv(headless, "Account")
    bad_id = tmp_path / "bad_id.csv"
    bad_id.write_text("Id,Name\nnot-an-id,Acme\n001000000000001AAA,Good\n")
    loaded = read_crm_csv(bad_id, "Account")
    assert [r["Id"] for r in loaded.records] == ["001000000000001AAA"]
    assert "not a Salesforce id" in loaded.bad[0]


def test_a_bad_file_exits_2_and_stores_nothing(env: str, cli: CliRunner, tmp_path: Path) -> None:
    headless = tmp_path / "headless.csv"
    headless.write_text("Website\nacme.com\n")
    run = cli("sync", "--accounts", headless)
    assert run.code == 2 and "no Name column" in run.err


def test_simulate_matches_leads_against_an_accounts_export(
    env: str, cli: CliRunner, tmp_path: Path
) -> None:
    import json

    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "Account Name,Domain,Country,Owner Email\n"
        "Wayne Enterprises Inc.,wayne-enterprises.com,United States,bob@example.com\n"
    )
    leads = tmp_path / "leads.csv"
    leads.write_text("id,email,company\nw1,lucius@wayne-enterprises.com,Wayne\nx1,x@gmail.com,X\n")
    config = tmp_path / "routing.yml"
    matched = cli("simulate", "--config", config, "--leads", leads, "--accounts", accounts,
                  "--format", "json")  # fmt: skip
    assert matched.code == 0, matched.err
    decisions = {d["lead"]: d for d in json.loads(matched.out)["decisions"]}
    assert (decisions["w1"]["target"], decisions["w1"]["assignee"]) == ("account_owner", "bob")
    assert decisions["x1"]["rule"] == "Catch-all"
    plain = cli("simulate", "--config", config, "--leads", leads, "--format", "json")
    assert {d["rule"] for d in json.loads(plain.out)["decisions"]} == {"Catch-all"}
    missing = cli(
        "simulate", "--config", config, "--leads", leads, "--accounts", tmp_path / "no.csv"
    )
    assert missing.code == 2 and "no such file" in missing.err


def test_fifteen_character_ids_become_the_api_form(tmp_path: Path) -> None:
    from bot.salesforce.ids import to_18
    from bot.services.matching import owner_lookup
    from routing.config.loader import parse_config

    export = tmp_path / "report.csv"
    export.write_text("Account ID,Account Name,Owner ID\n001Ec00000GGw3h,Walker,005Ec000004o8yH\n")
    [record] = read_crm_csv(export, "Account").records
    assert record["Id"] == to_18("001Ec00000GGw3h") == "001Ec00000GGw3hIAD"
    assert record["OwnerId"] == to_18("005Ec000004o8yH")
    config = parse_config(
        "reps:\n  - {id: alice, name: Alice, salesforce_user: 005Ec000004o8yH}\n"
        "rules:\n  - {name: All, assign: {rep: alice}}\n"
    )
    assert owner_lookup(config, {}).get(record["OwnerId"]) == "alice"
