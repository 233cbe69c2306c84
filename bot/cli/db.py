"""``leadrouter db upgrade``: Alembic migrations to head."""

from __future__ import annotations

import argparse

from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="database migrations")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="migrate the database (DATABASE_URL) to head")
    up.set_defaults(handler=handle_upgrade)
    cur = actions.add_parser("current", help="show the database's migration revision")
    cur.set_defaults(handler=handle_current)


def handle_upgrade(args: argparse.Namespace) -> int:
    db = Database()
    upgrade(db.engine)
    print(f"database at {current_revision(db.engine)} (head {head_revision()})")
    return 0


def handle_current(args: argparse.Namespace) -> int:
    db = Database()
    print(f"database at {current_revision(db.engine)} (head {head_revision()})")
    return 0
