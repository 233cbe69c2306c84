"""``leadrouter explain LEAD``: the full decision trace of a stored lead.

``LEAD`` is the short id (``L-1042``), the Salesforce id, or the external id the lead
arrived with (a CSV ``id`` column, a web form's ``external_id``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from bot.http.serialize import lead_json
from storage.db import DATABASE_UNAVAILABLE, Database, database_error_message, default_database_url
from storage.explain_queries import lead_by_external_id, lead_events
from storage.leads import find_lead
from storage.models import Decision, Event, Lead

_PASS = "[green]✓[/green]"
_FAIL = "[red]✗[/red]"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "explain", help="why a stored lead went where it went: decisions, trace, offers"
    )
    parser.add_argument("lead", metavar="LEAD", help="L-1042, a Salesforce id or an external id")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    url = default_database_url()
    missing = _missing_sqlite_file(url)
    if missing is not None:
        print(f"no database at {missing} (DATABASE_URL); nothing has been stored", file=sys.stderr)
        return 1
    db = Database(url)
    try:
        with db.session() as session:
            lead = find_lead(session, args.lead)
            if lead is None:
                lead = lead_by_external_id(session, args.lead.strip())
            if lead is None:
                print(
                    f"no lead {args.lead!r} in {_where(db)}; "
                    "use the short id (L-1042), the Salesforce id or the external id",
                    file=sys.stderr,
                )
                return 1
            if args.format == "json":
                print(json.dumps(lead_json(lead), indent=2, default=str))
                return 0
            _render(lead, lead_events(session, lead.id))
    except DATABASE_UNAVAILABLE as exc:
        print(database_error_message(exc, db.url), file=sys.stderr)
        return 1
    finally:
        db.engine.dispose()
    return 0


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file named by ``url`` when it does not exist (explain never creates one)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or "mode=memory" in path:
        return None
    file = Path(path.split("?", 1)[0])
    return None if file.exists() else file


def _where(db: Database) -> str:
    return db.safe_url


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _val(value: Any) -> str:
    if value is None:
        return "[dim](missing)[/dim]"
    return escape(json.dumps(value, default=str, ensure_ascii=False))


def _render(lead: Lead, events: list[Event]) -> None:
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = max(out.width, 140)
    f = lead.fields or {}
    name = " ".join(str(f[k]) for k in ("first_name", "last_name") if f.get(k)) or "(no name)"
    out.print(f"[bold]{lead.public_id}[/bold] {escape(name)}  state [bold]{lead.state}[/bold]")

    summary = Table(show_header=False, box=None, pad_edge=False)
    summary.add_column(style="dim")
    summary.add_column()
    rows: list[tuple[str, Any]] = [
        ("title", f.get("title")),
        ("company", f.get("company")),
        ("email", f.get("email")),
        (
            "location",
            ", ".join(str(f[k]) for k in ("city", "state", "country") if f.get(k)) or None,
        ),
        ("industry", f.get("industry")),
        ("employees", f.get("employees")),
        ("territory", ", ".join(f.get("territory") or []) or None),
        ("matching", "; ".join(f.get("match_trace") or []) or None),
        (
            "score",
            None
            if lead.score is None
            else f"{lead.score} (tier {lead.tier or '-'})"
            + "".join(f"; {r[0]} {r[1]:+}" for r in lead.score_reasons or [] if len(r) == 2),
        ),
        ("source", lead.source),
        ("external id", lead.external_id),
        ("salesforce id", lead.salesforce_id),
        ("assignee", lead.assignee),
        ("offered to", ", ".join(o.rep_id for o in lead.offers if o.outcome == "pending") or None),
        ("queue", lead.queue_id),
        ("received", _when(lead.received_at)),
        ("created", _when(lead.created_at) if lead.created_at else None),
        ("routed", _when(lead.routed_at) if lead.routed_at else None),
        ("accepted", _when(lead.accepted_at) if lead.accepted_at else None),
    ]
    for label, value in rows:
        if value is not None and value != "":
            summary.add_row(label, escape(str(value)))
    out.print(summary)

    if not lead.decisions:
        out.print("\n[yellow]No routing decision yet[/yellow] (the lead is waiting to be routed).")
    for n, decision in enumerate(lead.decisions, 1):
        out.print()
        out.print(_decision_tree(n, len(lead.decisions), decision))

    out.print()
    if lead.offers:
        table = Table(title="Offers", title_justify="left")
        # "card": when Slack took the card; the SLA clock counts from the later of the two.
        columns = ("#", "rep", "offered", "card", "deadline", "responded", "outcome", "reason")
        for col in columns:
            table.add_column(col, overflow="fold")
        for i, offer in enumerate(lead.offers, 1):
            table.add_row(
                str(i),
                offer.rep_id,
                _when(offer.offered_at),
                _when(offer.delivered_at),
                _when(offer.deadline),
                _when(offer.responded_at),
                offer.outcome,
                escape(offer.reason or "-"),
            )
        out.print(table)
    else:
        out.print("Offers: none")
    if events:
        table = Table(title="Timeline", title_justify="left")
        for col in ("at", "event", "by", "details"):
            table.add_column(col, overflow="fold")
        for event in events:
            details = ", ".join(f"{k}={v}" for k, v in (event.data or {}).items() if v is not None)
            table.add_row(_when(event.at), event.kind, event.actor or "-", escape(details))
        out.print(table)


def _decision_tree(n: int, total: int, decision: Decision) -> Tree:
    if decision.assignee:
        to = f"rep [bold]{decision.assignee}[/bold]"
    elif decision.queue_id:
        to = f"queue [bold]{decision.queue_id}[/bold]"
    elif decision.target == "keep_owner":
        to = "its current owner (keep_owner: no card, no alert)"
    else:
        to = "[red]nobody (unrouted)[/red]"
    tree = Tree(
        f"[bold]Decision {n}/{total}[/bold] at {_when(decision.decided_at)}, "
        f"config {decision.config_version}: rule [bold]{escape(decision.rule or '-')}[/bold], "
        f"target {decision.target or '-'}"
        + (f" (pool {decision.pool_id})" if decision.pool_id else "")
        + f" -> {to}\n[italic]{escape(decision.reason)}[/italic]"
    )
    for step in decision.trace or []:
        _step(tree, step)
    return tree


def _step(tree: Tree, step: dict[str, Any]) -> None:
    kind = step.get("step")
    if kind == "rule":
        matched = bool(step.get("matched"))
        node = tree.add(
            f"{_PASS if matched else _FAIL} rule [bold]{escape(str(step.get('rule')))}[/bold] "
            + ("matched" if matched else "did not match")
        )
        checks = step.get("checks") or []
        if not checks:
            node.add("[dim]no conditions (catch-all)[/dim]")
            return
        table = Table(box=None, pad_edge=False, show_edge=False)
        for col in ("", "field", "matcher", "expected", "actual"):
            table.add_column(col, overflow="fold")
        for check in checks:
            table.add_row(
                _PASS if check.get("passed") else _FAIL,
                escape(str(check.get("field"))),
                escape(str(check.get("matcher"))),
                _val(check.get("expected")),
                _val(check.get("actual")),
            )
        node.add(table)
    elif kind == "target":
        label = f"target {escape(str(step.get('target')))}"
        if step.get("strategy"):
            label += f" ({step['strategy']})"
        candidates = step.get("candidates")
        pick = step.get("pick")
        if "candidates" in step and "pick" in step:
            label += f": picked [bold]{pick}[/bold]" if pick else ": [red]nobody eligible[/red]"
        elif candidates is None and step.get("why"):
            label += f": [red]{escape(str(step['why']))}[/red]"
        node = tree.add(label)
        for cand in candidates or []:
            if cand.get("eligible"):
                mark = "[bold green]✓ picked[/bold green]" if cand.get("rep") == pick else _PASS
                node.add(f"{mark} {cand.get('rep')} eligible")
            else:
                node.add(f"{_FAIL} {cand.get('rep')} skipped: {escape(str(cand.get('why')))}")
        skipped = step.get("not_considered") or {}
        if skipped.get("reps"):
            node.add(
                f"[dim]not checked: {escape(', '.join(map(str, skipped['reps'])))}"
                + (f" ({escape(str(skipped['why']))})" if skipped.get("why") else "")
                + "[/dim]"
            )
        if "pick" in step and step.get("why"):
            node.add(f"[italic]strategy: {escape(str(step['why']))}[/italic]")
    elif kind == "fallthrough":
        why = str(step.get("why") or "no eligible target")
        tree.add(
            f"[yellow]↓ rule {escape(str(step.get('rule')))}: "
            f"{escape(why)}; trying the next rule[/yellow]"
        )
    elif kind == "index":
        tree.add(
            f"[dim]rule index: {step.get('skipped', '?')} rule(s) ruled out without evaluation, "
            f"{step.get('evaluated', '?')} evaluated"
            + (f" ({escape(str(step['why']))})" if step.get("why") else "")
            + "[/dim]"
        )
    else:  # a step kind this renderer does not know yet: show it as it is
        tree.add(escape(json.dumps(step, default=str)))
