"""Every command, run as the console script with a password in DATABASE_URL and the
database down, prints no password or token, and fails with one clear line, no traceback.

The database is 127.0.0.1:1: nothing listens there, so every connection is refused at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from slack_emulator import SlackEmulator
from tests.cli.conftest import EXAMPLE_CONFIG, EXAMPLE_LEADS, REPO

SCRIPT = Path(sys.executable).parent / "leadrouter"
PASSWORD = "s3cretpw"
DOWN_URL = f"postgresql+psycopg://user:{PASSWORD}@127.0.0.1:1/db"
SHOWN_URL = "postgresql+psycopg://user:***@127.0.0.1:1/db"
BOT_TOKEN = "xoxb-test-token-secret"
SIGNING_SECRET = "signsecret123"
APP_TOKEN = "xapp-1-test-app-token-secret"
WEBHOOK_TOKEN = "webhook-token-secret"
SF_PASSWORD = "sfpassword-secret"
SECRETS = (PASSWORD, BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, WEBHOOK_TOKEN, SF_PASSWORD)
RULES_XML = """<?xml version="1.0" encoding="UTF-8"?>
<AssignmentRules xmlns="http://soap.sforce.com/2006/04/metadata">
    <assignmentRule>
        <fullName>Web to Lead</fullName>
        <active>true</active>
        <ruleEntry>
            <assignedTo>alice@example.com</assignedTo>
            <assignedToType>User</assignedToType>
            <criteriaItems>
                <field>Lead.Country</field>
                <operation>equals</operation>
                <value>US</value>
            </criteriaItems>
        </ruleEntry>
    </assignmentRule>
</AssignmentRules>
"""


class Result(NamedTuple):
    code: int
    out: str
    err: str

    @property
    def printed(self) -> str:
        return self.out + self.err

    def messages(self) -> list[str]:
        """stderr lines that are not JSON log lines: what the command itself said."""
        return [line for line in self.err.splitlines() if line and not line.startswith('{"at"')]


def leadrouter(cwd: Path, *args: str | Path, **env: str) -> Result:
    """The console script in a controlled environment (nothing inherited but PATH/HOME)."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(cwd)),
        "DATABASE_URL": DOWN_URL,
        "LEADROUTER_CONFIG": str(EXAMPLE_CONFIG),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        # Nowhere: if a command reached Slack first it would fail fast, not hang on DNS.
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
        "LEADROUTER_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "SALESFORCE_USERNAME": "ops@example.com",
        "SALESFORCE_PASSWORD": SF_PASSWORD,
        "SALESFORCE_SECURITY_TOKEN": "sf-token-secret",
        # Salesforce login would go nowhere too; DATABASE_URL is what these tests are about.
        "SALESFORCE_DOMAIN": "https://127.0.0.1:1",
        "COLUMNS": "200",
    }
    base.update(env)
    proc = subprocess.run(
        [str(SCRIPT), *map(str, args)],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_no_secret(result: Result) -> None:
    for secret in SECRETS:
        assert secret not in result.printed, f"{secret!r} printed:\n{result.printed}"
    assert "Traceback" not in result.err, result.err


def assert_one_line_db_error(result: Result) -> None:
    assert result.code != 0, result.printed
    said = result.messages()
    assert len(said) == 1, result.err
    assert said[0].startswith(f"database unreachable at {SHOWN_URL}: "), said[0]
    assert "Connection refused" in said[0] and "is DATABASE_URL right?" in said[0]


DB_COMMANDS: list[tuple[str, ...]] = [
    ("run",),
    ("run", "--config", str(EXAMPLE_CONFIG)),
    ("explain", "L-1001"),
    ("explain", "L-1001", "--format", "json"),
    ("ingest", str(EXAMPLE_LEADS)),
    ("report",),
    ("report", "--since", "24h"),
    ("db", "upgrade"),
    ("db", "current"),
    ("sync",),
    ("sync", "--full"),
    ("sync", "--accounts", str(REPO / "examples" / "accounts.csv")),
]


@pytest.mark.parametrize("args", DB_COMMANDS, ids=" ".join)
def test_database_down_one_line_no_password(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = leadrouter(tmp_path, *args)
    assert_no_secret(result)
    assert_one_line_db_error(result)


def test_verbose_logs_the_traceback_without_the_password(tmp_path: Path) -> None:
    result = leadrouter(tmp_path, "-v", "db", "upgrade")
    assert result.code == 1
    assert '"event": "database_error"' in result.err and "Traceback" in result.err
    for secret in SECRETS:
        assert secret not in result.printed


@pytest.mark.parametrize(
    "args",
    [
        ("validate", str(EXAMPLE_CONFIG)),
        ("simulate", "--config", str(EXAMPLE_CONFIG), "--leads", str(EXAMPLE_LEADS)),
        ("import-salesforce-rules", "Lead.assignmentRules-meta.xml"),
    ],
    ids=lambda a: a[0],
)
def test_commands_without_a_database_just_work(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "Lead.assignmentRules-meta.xml").write_text(RULES_XML, encoding="utf-8")
    result = leadrouter(tmp_path, *args)
    assert result.code == 0, result.err
    assert_no_secret(result)


@pytest.mark.parametrize(
    ("url", "args"),
    [
        (f"not a url {PASSWORD}", ("report",)),
        (PASSWORD, ("db", "upgrade")),
        (f"postgresql+psycopg://user:{PASSWORD}@127.0.0.1:notaport/db", ("run",)),
        (f"postgresql+psycopg://user:{PASSWORD}@127.0.0.1:notaport/db", ("explain", "L-1")),
    ],
)
def test_unparseable_url_is_not_echoed(tmp_path: Path, url: str, args: tuple[str, ...]) -> None:
    result = leadrouter(tmp_path, *args, DATABASE_URL=url)
    assert_no_secret(result)
    assert result.code != 0
    assert result.messages() == ["DATABASE_URL is not a valid SQLAlchemy URL"]


def test_unknown_driver_names_the_driver_not_the_password(tmp_path: Path) -> None:
    url = f"postgresql+nodriver://user:{PASSWORD}@127.0.0.1:1/db"
    result = leadrouter(tmp_path, "report", DATABASE_URL=url)
    assert_no_secret(result)
    assert result.code != 0
    assert result.messages() == [
        "DATABASE_URL names a database driver that is not installed: postgresql+nodriver"
    ]


def test_password_in_the_query_string_is_hidden_too(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://user@127.0.0.1:1/db?password={PASSWORD}"
    result = leadrouter(tmp_path, "report", DATABASE_URL=url)
    assert_no_secret(result)
    assert result.code == 1
    assert result.messages()[0].startswith(
        "database unreachable at postgresql+psycopg://user@127.0.0.1:1/db?password=***: "
    )


def test_missing_schema_says_run_db_upgrade(tmp_path: Path) -> None:
    result = leadrouter(tmp_path, "report", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.code == 1
    said = result.messages()
    assert len(said) == 1 and "is not ready" in said[0] and "leadrouter db upgrade" in said[0]


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(signing_secret="other-secret", bot_token="xoxb-another-workspace")
    emulator.start()
    yield emulator
    emulator.stop()


def test_run_slack_refusing_the_token_prints_no_token(tmp_path: Path, slack: SlackEmulator) -> None:
    result = leadrouter(
        tmp_path,
        "run",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_API_URL=slack.api_url,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    assert_no_secret(result)
    assert result.code == 1
    assert result.messages()[-1].startswith("Slack refused SLACK_BOT_TOKEN"), result.err


def test_run_slack_unreachable_prints_no_token(tmp_path: Path) -> None:
    result = leadrouter(tmp_path, "run", DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}")
    assert_no_secret(result)
    assert result.code == 1
    assert result.messages()[-1].startswith("Slack API unreachable at http://127.0.0.1:1/api/")
