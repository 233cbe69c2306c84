"""``leadrouter sync``: sync Salesforce Users, Accounts, Contacts and open Leads once.

Incremental from the last sync unless ``--full`` (or nothing was synced yet). With
``--accounts FILE`` / ``--contacts FILE`` it loads a CSV export instead, for teams
without API access (no Salesforce credentials needed). Exit 0 on success; 1 when
Salesforce refused or could not be reached, or rows were bad; 2 for unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bot.crm_csv import CrmCsv, CrmCsvError, read_crm_csv

if TYPE_CHECKING:
    from bot.runtime import Runtime


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sync",
        help="sync Salesforce users, accounts, contacts and open leads (or load a CSV)",
        description="Sync what matching and rep mapping read: Salesforce Users, Accounts, "
        "Contacts and open Leads, incrementally by SystemModstamp (--full: everything, "
        "and drop what Salesforce no longer has). --accounts/--contacts load a CSV "
        "export instead.",
    )
    parser.add_argument("--full", action="store_true", help="full resync")
    parser.add_argument("--accounts", type=Path, help="load accounts from a CSV export")
    parser.add_argument("--contacts", type=Path, help="load contacts from a CSV export")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="with --accounts/--contacts: drop rows loaded from an earlier CSV and not in this one",
    )
    parser.add_argument("--config", type=Path, help="routing.yml (default LEADROUTER_CONFIG)")
    parser.set_defaults(handler=handle)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<8}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def handle(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from storage.migrate import upgrade

    settings = Settings.from_env(config_path=args.config) if args.config else Settings.from_env()
    out = Console(highlight=False)
    files = [("Account", args.accounts), ("Contact", args.contacts)]
    loads = []
    for sobject, path in files:
        if path is None:
            continue
        try:
            loaded = read_crm_csv(path, sobject)
        except CrmCsvError as err:
            print(f"cannot read the {sobject.lower()}s: {err}", file=sys.stderr)
            return 2
        if loaded.note:
            print(f"note: {loaded.note}", file=sys.stderr)
        loads.append(loaded)
    rt = build_runtime(settings)
    upgrade(rt.db.engine)
    if loads:
        return _load_csv(rt, loads, replace=args.replace, out=out)
    if rt.salesforce is None:
        print(
            "Salesforce is not configured: set SALESFORCE_INSTANCE_URL and "
            "SALESFORCE_SESSION_ID, SALESFORCE_USERNAME/PASSWORD/SECURITY_TOKEN, or the JWT "
            "variables (see README, Connecting Salesforce), or load a CSV with --accounts.",
            file=sys.stderr,
        )
        return 2
    return _sync(rt, full=args.full, out=out)


def _sync(rt: Runtime, *, full: bool, out: Console) -> int:
    from bot.salesforce.errors import SalesforceProblem
    from bot.salesforce.sync import sync_all

    tasks: dict[str, TaskID] = {}
    with _progress() as progress:

        def tick(sobject: str, done: int, total: int | None) -> None:
            if sobject not in tasks:
                tasks[sobject] = progress.add_task(sobject, total=total)
            progress.update(tasks[sobject], completed=done, total=total or done)

        try:
            assert rt.salesforce is not None
            report = sync_all(rt, rt.salesforce, full=full, progress=tick)
        except SalesforceProblem as problem:
            print(f"Salesforce sync failed: {problem.message}", file=sys.stderr)
            return 1
    if not report.ran:
        print(f"not synced: {report.reason}; try again in a moment", file=sys.stderr)
        return 1
    table = Table(title="Salesforce sync" + (" (full)" if full else ""))
    for column in ("object", "mode", "read", "stored", "removed"):
        table.add_column(column, justify="left" if column in ("object", "mode") else "right")
    table.add_row(
        "User", "full" if full else "incremental", str(report.users), str(report.users), "0"
    )
    for o in report.objects:
        mode = "full" if o.full else "incremental"
        table.add_row(o.sobject, mode, str(o.seen), str(o.upserted), str(o.removed))
    out.print(table)
    return 0


def _load_csv(rt: Runtime, loads: list[CrmCsv], *, replace: bool, out: Console) -> int:
    from storage.crm import apply_records, remove_unseen

    table = Table(title="CSV load")
    for column in ("object", "rows", "stored", "removed", "bad rows"):
        table.add_column(column, justify="left" if column == "object" else "right")
    bad = 0
    with _progress() as progress:
        for load in loads:
            task = progress.add_task(load.sobject, total=len(load.records))
            stored = removed = 0
            for start in range(0, len(load.records), 500):
                chunk = load.records[start : start + 500]
                with rt.db.session() as session:
                    now = rt.clock.now()
                    stored += apply_records(
                        session, load.sobject, chunk, now=now, source="csv"
                    ).upserted
                progress.advance(task, len(chunk))
            if replace:
                with rt.db.session() as session:
                    seen = {r["Id"] for r in load.records}
                    removed = remove_unseen(
                        session, load.sobject, seen, source="csv", now=rt.clock.now()
                    )
            bad += len(load.bad)
            table.add_row(
                load.sobject,
                str(len(load.records) + len(load.bad)),
                str(stored),
                str(removed),
                str(len(load.bad)),
            )
    out.print(table)
    for message in (m for load in loads for m in load.bad):
        print(message, file=sys.stderr)
    return 1 if bad else 0
