"""``leadrouter ingest leads.csv``: backfill leads through the live pipeline.

Every row is stored and routed exactly like a lead from the webhook (source ``csv``):
offers, queue cards and admin alerts land in the outbox and are delivered to Slack by
``leadrouter run``. Re-running the same file stores nothing twice: rows are keyed by their
id column (external id), their Salesforce Id, or else a hash of their content.
Exit 0 when every good row went in, 1 for config errors or rows that failed to store,
2 when the CSV cannot be read. Bad rows are reported with their row number and skipped.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.leads_csv import CsvError, CsvLead, read_leads_csv
from routing.config.loader import ConfigError, load_config
from storage.db import Database
from storage.ingest_queries import lead_outcomes

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest",
        help="backfill a CSV of leads through the live pipeline (stored and routed)",
        description="Store and route every row like a live lead: routed now, with the "
        "live roster (created_at is kept on the lead). Offer and queue cards wait in the "
        "outbox until `leadrouter run` delivers them. Re-running the file is a no-op.",
    )
    parser.add_argument("path", type=Path, help="CSV: canonical columns or a Salesforce export")
    parser.add_argument("--config", type=Path, help="routing.yml (default LEADROUTER_CONFIG)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.services.leads import ingest_lead
    from bot.settings import Settings
    from storage.migrate import upgrade

    settings = Settings.from_env()
    if args.config:
        settings = Settings.from_env(config_path=args.config)
    try:
        config = load_config(settings.config_path)
    except ConfigError as err:
        for issue in err.issues:
            print(str(issue), file=sys.stderr)
        print(f"{len(err.issues)} error(s) in {settings.config_path}", file=sys.stderr)
        return 1
    try:
        leads_file = read_leads_csv(args.path, field_map=config.salesforce.fields)
    except CsvError as err:
        print(f"cannot read the leads: {err}", file=sys.stderr)
        return 2

    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 140)
    rt = build_runtime(settings)
    try:
        upgrade(rt.db.engine)
        created: list[int] = []
        duplicates: list[tuple[CsvLead, str]] = []
        failed: list[tuple[CsvLead, str]] = []
        progress = Progress(
            TextColumn("[bold]ingesting[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("ingest", total=len(leads_file.leads))
            for lead in leads_file.leads:
                try:
                    result = ingest_lead(
                        rt,
                        raw=lead.raw,
                        source="csv",
                        external_id=lead.external_id,
                        salesforce_id=lead.salesforce_id,
                        idempotency_key=lead.idempotency_key(),
                        created_at=lead.created_at,
                        normalized=lead.fields,  # normalised once, when the row was read
                    )
                except Exception as exc:  # one bad row never stops the backfill
                    log.exception("csv_ingest_failed", extra={"row": lead.row})
                    failed.append((lead, f"{type(exc).__name__}: {exc}"))
                else:
                    if result.created:
                        created.append(result.lead_id)
                    else:
                        duplicates.append((lead, result.public_id))
                progress.advance(task)
        states, waiting = _outcomes(rt.db, created)
    finally:
        rt.db.dispose()

    out.print(
        f"[bold]{escape(str(args.path))}[/bold] ({leads_file.layout} layout): "
        f"{leads_file.rows} row(s); "
        f"stored {len(created)}, duplicates {len(duplicates)}, "
        f"bad rows {len(leads_file.bad_rows)}"
        + (f", [red]failed {len(failed)}[/red]" if failed else "")
    )
    if leads_file.note:  # not plain UTF-8: say how it was read, so odd characters make sense
        out.print(f"  {leads_file.note}", markup=False)
    if states:
        out.print(
            "  new leads now: " + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
        )
    for lead, public_id in duplicates[:20]:
        out.print(f"  duplicate: row {lead.row} ({escape(lead.lead_id)}) is already {public_id}")
    if len(duplicates) > 20:
        out.print(f"  ... and {len(duplicates) - 20} more duplicates")
    for bad in leads_file.bad_rows:
        out.print(f"  [yellow]bad[/yellow] {escape(str(bad))}")  # CSV text, not markup
    for lead, why in failed:
        out.print(f"  [red]failed[/red] row {lead.row} (line {lead.line}): {escape(why)}")
    if waiting:
        out.print(
            f"{waiting} Slack message(s) (offer cards, queue cards, alerts) are waiting in the "
            "outbox; they are delivered when `leadrouter run` is up."
        )
    return 1 if failed else 0


def _outcomes(db: Database, ids: Sequence[int]) -> tuple[Counter[str], int]:
    """States of the leads just stored, and their outbox items not yet delivered."""
    with db.session() as session:
        outcomes = lead_outcomes(session, ids)
    return outcomes.states, outcomes.waiting
