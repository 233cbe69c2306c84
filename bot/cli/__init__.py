"""``leadrouter``: one subcommand per module of this package, each with
``add_parser(subparsers)`` setting ``handler``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from bot.cli import (
    db,
    demo,
    explain,
    import_rules,
    ingest,
    report,
    run,
    simulate,
    sync,
    validate,
)
from bot.logging_setup import configure_logging
from bot.settings import SettingsError, log_format_from_env
from storage.db import (
    DATABASE_UNAVAILABLE,
    DatabaseUrlError,
    database_error_message,
    default_database_url,
)

log = logging.getLogger(__name__)

COMMANDS: list[ModuleType] = [
    run,
    demo,
    validate,
    simulate,
    explain,
    ingest,
    report,
    import_rules,
    sync,
    db,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadrouter", description="Slack-first lead routing for Salesforce teams."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        fmt = log_format_from_env()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    configure_logging(logging.DEBUG if args.verbose else logging.INFO, fmt=fmt)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except SettingsError as err:
        # A bad environment variable: one line naming it, no traceback.
        print(err, file=sys.stderr)
        return 2
    except DatabaseUrlError as err:
        print(err, file=sys.stderr)
        return 2
    except DATABASE_UNAVAILABLE as err:
        # A database that is down, refuses us or lacks the schema is the operator's to
        # fix: one line that names it (password hidden), no traceback; -v logs one.
        print(database_error_message(err, default_database_url()), file=sys.stderr)
        log.debug("database_error", exc_info=True)
        return 1
