"""``leadrouter``: one subcommand per module of this package, each with
``add_parser(subparsers)`` setting ``handler``.

Start-up matters (``simulate`` on a whole file is a few seconds): only the module of the
command being run is imported, and each imports what it uses when it uses it. ``--help``
and a mistyped command import them all, to list them.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from bot.logging_setup import configure_logging
from routing.gc_paused import collector_paused

log = logging.getLogger(__name__)

#: The subcommands in ``--help`` order: (name, module).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "bot.cli.run"),
    ("demo", "bot.cli.demo"),
    ("validate", "bot.cli.validate"),
    ("simulate", "bot.cli.simulate"),
    ("explain", "bot.cli.explain"),
    ("ingest", "bot.cli.ingest"),
    ("report", "bot.cli.report"),
    ("import-salesforce-rules", "bot.cli.import_rules"),
    ("sync", "bot.cli.sync"),
    ("db", "bot.cli.db"),
)
# Commands that read files and print. Once their modules are imported, those objects live
# as long as the process: frozen, the garbage collector no longer walks them each time it
# runs, nor in the collections Python runs while tearing down (about 30 ms after a
# simulate). Not for commands holding connections, whose objects may want finalizing.
_FREEZE = frozenset({"validate", "simulate"})
# bot.settings.Settings.log_format's default (tests/unit/test_cli_startup.py checks it):
# with LEADROUTER_LOG_FORMAT unset, the settings model need not be imported at all.
DEFAULT_LOG_FORMAT = "json"
_LOG_FORMAT_VARS = ("LEADROUTER_LOG_FORMAT", "LEADROUTER_LOG_FORMAT_FILE")


def _command_modules(argv: Sequence[str]) -> list[ModuleType]:
    """The module of the command named in ``argv``, or every module when none is."""
    named = dict(COMMANDS)
    for token in argv:
        if token.startswith("-"):
            if token in ("-h", "--help"):
                break
            continue
        if token in named:
            return [importlib.import_module(named[token])]
        break
    return [importlib.import_module(module) for _, module in COMMANDS]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="leadrouter", description="Slack-first lead routing for Salesforce teams."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _command_modules(() if argv is None else argv):
        command.add_parser(sub)
    return parser


def _log_format() -> str:
    if not any(os.environ.get(var) for var in _LOG_FORMAT_VARS):
        return DEFAULT_LOG_FORMAT
    from bot.settings import log_format_from_env

    return log_format_from_env()


def _known_error(err: Exception) -> int | None:
    """The exit code of an error a command may end with, after one line naming it; None
    for anything else. Only modules already imported can have raised their errors."""
    settings = sys.modules.get("bot.settings")
    if settings is not None and isinstance(err, settings.SettingsError):
        # A bad environment variable: one line naming it, no traceback.
        print(err, file=sys.stderr)
        return 2
    if "storage.db" not in sys.modules and "sqlalchemy" not in sys.modules:
        return None
    from storage.db import (
        DATABASE_UNAVAILABLE,
        DatabaseUrlError,
        database_error_message,
        default_database_url,
    )

    if isinstance(err, DatabaseUrlError):
        print(err, file=sys.stderr)
        return 2
    if isinstance(err, DATABASE_UNAVAILABLE):
        # A database that is down, refuses us or lacks the schema is the operator's to
        # fix: one line that names it (password hidden), no traceback; -v logs one.
        print(database_error_message(err, default_database_url()), file=sys.stderr)
        log.debug("database_error", exc_info=True)
        return 1
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Parsing imports the command's modules (and parses --at with bot.leads_csv): objects
    # that live on and next to no garbage, so collecting meanwhile would only walk them.
    with collector_paused():
        args = build_parser(args_list).parse_args(args_list)
    if args.command not in _FREEZE:
        return _run(args)
    gc.freeze()
    atexit.unregister(gc.freeze)  # once, however often main runs in one process
    atexit.register(gc.freeze)
    try:
        return _run(args)
    finally:
        gc.unfreeze()  # for a caller that goes on (tests); exit freezes all again


def _run(args: argparse.Namespace) -> int:
    try:
        fmt = _log_format()
    except Exception as err:
        code = _known_error(err)
        if code is None:
            raise
        return code
    configure_logging(logging.DEBUG if args.verbose else logging.INFO, fmt=fmt)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        code = _known_error(err)
        if code is None:
            raise
        return code
