"""``leadrouter`` start-up (issue #15): a command imports only what it uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bot.cli
from bot.settings import Settings

REPO = Path(__file__).resolve().parents[2]
# Heavy packages that validate and simulate never need (the example leads have plain
# e-mail hosts and websites, and no phone numbers).
NOT_LOADED = (
    "sqlalchemy",
    "alembic",
    "slack_bolt",
    "slack_sdk",
    "simple_salesforce",
    "rich",
    "requests",
    "tldextract",
    "phonenumbers",
)


def _loaded_after(*argv: str) -> set[str]:
    code = (
        "import sys, contextlib, io\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({list(argv)!r})\n"
        "assert code == 0, code\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return set(proc.stdout.split())


def test_default_log_format_is_the_settings_default() -> None:
    assert Settings.model_fields["log_format"].default == bot.cli.DEFAULT_LOG_FORMAT


def test_validate_and_simulate_import_no_database_slack_or_rich() -> None:
    examples = REPO / "examples"
    for argv in (
        ("validate", str(examples / "routing.yml")),
        ("simulate", "--config", str(examples / "routing.yml"), "--leads",
         str(examples / "leads.csv"), "--format", "json", "--at", "2026-03-02T15:00:00Z"),
    ):  # fmt: skip
        loaded = _loaded_after(*argv)
        heavy = sorted(m for m in loaded if m.split(".")[0] in NOT_LOADED)
        assert not heavy, f"leadrouter {argv[0]} imported {heavy[:5]}"
        other_commands = {m for _, m in bot.cli.COMMANDS} - {f"bot.cli.{argv[0]}"}
        assert not loaded & other_commands


def test_help_still_lists_every_command() -> None:
    text = bot.cli.build_parser(["--help"]).format_help()
    for name, _ in bot.cli.COMMANDS:
        assert name in text


def test_validate_and_simulate_freeze_what_they_leave_at_exit() -> None:
    # The handler registered before main runs after main's: it sees the objects frozen, so the
    # teardown collections skip them. `run` (connections to finalize) keeps them unfrozen, and
    # a caller that goes on after main gets them back unfrozen.
    code = (
        "import atexit, contextlib, gc, io, sys\n"
        "from bot.cli import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(sys.argv[1:])\n"
        "assert code == 0 and gc.get_freeze_count() == 0 and gc.isenabled()\n"
    )
    example = str(REPO / "examples" / "routing.yml")
    for argv, frozen in ((("validate", example), True), (("--help",), False)):
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True, text=True
        )
        assert proc.stdout.strip().endswith(f"frozen {frozen}"), proc.stdout + proc.stderr
