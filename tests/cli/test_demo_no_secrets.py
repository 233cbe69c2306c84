"""A whole demo run, logging at debug everywhere: no token, secret or password appears in
any log record (as the code logged it, and as the JSON handler wrote it) or in the output."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.cli
import bot.demo.runner
from bot.cli import main
from bot.runtime import Runtime
from bot.settings import Settings, reveal
from tests.cli.conftest import EXAMPLE_LEADS, REPO

PASSWORD = "s3cretpw-demo"


class RawRecords(logging.Handler):
    """Every record's text as logged, before any redaction (installed ahead of the filter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = {k: v for k, v in vars(record).items() if k not in ("msg", "args")}
        self.lines.append(f"{record.getMessage()} {fields!r}")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("slack_bolt", "slack_sdk", "apscheduler", "uvicorn", "httpx", "alembic", "httpcore")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_demo_run_logs_no_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    lines = EXAMPLE_LEADS.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "leads.csv").write_text("".join(lines[:7]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # The demo is self-contained; these must neither be used nor show up anywhere.
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://user:{PASSWORD}@127.0.0.1:1/db")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env-token-secret")
    monkeypatch.setenv("LEADROUTER_WEBHOOK_TOKEN", "env-webhook-secret")

    raw = RawRecords()
    real_configure = bot.cli.configure_logging

    def configure(level: int, **kwargs: Any) -> None:
        real_configure(level, **kwargs)
        logging.getLogger().handlers.insert(0, raw)
        # Every library at debug too: the most a log could ever hold.
        for name in ("slack_bolt", "slack_sdk", "apscheduler", "uvicorn", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.DEBUG)

    seen: list[Settings] = []
    real_build = bot.demo.runner.build_runtime

    def build(settings: Settings, **kwargs: Any) -> Runtime:
        seen.append(settings)
        return real_build(settings, **kwargs)

    monkeypatch.setattr(bot.cli, "configure_logging", configure)
    monkeypatch.setattr(bot.demo.runner, "build_runtime", build)

    code = main(["-v", "demo", "--leads", "leads.csv", "--speed", "600", "--max-seconds", "12"])
    printed = capsys.readouterr()
    assert code == 0, printed.err

    (settings,) = seen
    assert settings.database_url.startswith("sqlite:")  # DATABASE_URL is not the demo's
    secrets = {
        "bot token": reveal(settings.slack_bot_token),
        "signing secret": reveal(settings.slack_signing_secret),
        "webhook token": reveal(settings.webhook_token),
        "env bot token": "xoxb-env-token-secret",
        "env webhook token": "env-webhook-secret",
        "password": PASSWORD,
    }
    assert all(secrets.values())
    assert len(raw.lines) > 50, "the demo logged next to nothing: is the capture wired?"
    assert any("/leads" in line or "lead" in line for line in raw.lines)
    for what, secret in secrets.items():
        assert secret is not None
        leaks = [line for line in raw.lines if secret in line]
        assert not leaks, f"{what} logged: {leaks[:3]}"
        assert secret not in printed.err, f"{what} in the log output"
        assert secret not in printed.out, f"{what} in the demo's output"
