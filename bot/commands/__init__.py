"""CLI subcommands. Each module has ``add_parser(subparsers)`` setting ``handler``."""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
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
