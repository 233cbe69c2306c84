"""The demo's closing summary, read back from the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import quantiles

from rich.console import Console
from rich.table import Table

from storage.db import Database
from storage.demo_queries import all_event_kinds, all_lead_times, all_offer_times


@dataclass
class Summary:
    leads: int = 0
    states: Counter[str] = field(default_factory=Counter)
    accept_minutes: list[float] = field(default_factory=list)
    speed_to_lead_minutes: list[float] = field(default_factory=list)
    per_rep: dict[str, Counter[str]] = field(default_factory=dict)
    events: Counter[str] = field(default_factory=Counter)

    def percentile(self, values: list[float], pct: int) -> float | None:
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return quantiles(values, n=100, method="inclusive")[pct - 1]


def collect(db: Database) -> Summary:
    summary = Summary()
    with db.session() as session:
        leads = all_lead_times(session)
        kinds = all_event_kinds(session)
        offers = all_offer_times(session)
    for lead in leads:
        summary.leads += 1
        summary.states[lead.state] += 1
        if lead.accepted_at is not None:
            summary.speed_to_lead_minutes.append(
                (lead.accepted_at - lead.received_at).total_seconds() / 60
            )
    for kind in kinds:
        summary.events[kind] += 1
    for offer in offers:
        counts = summary.per_rep.setdefault(offer.rep_id, Counter())
        counts["offered"] += 1
        counts[offer.outcome] += 1
        if offer.outcome == "accepted" and offer.responded_at is not None:
            summary.accept_minutes.append(
                (offer.responded_at - offer.offered_at).total_seconds() / 60
            )
    return summary


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} min"


def render(summary: Summary, console: Console) -> list[str]:
    """Print the summary; returns its key lines (also used by tests and the README)."""
    lines = [
        f"Leads: {summary.leads} ("
        + ", ".join(f"{count} {state}" for state, count in sorted(summary.states.items()))
        + ")",
        "Time to accept: p50 "
        + _fmt(summary.percentile(summary.accept_minutes, 50))
        + ", p90 "
        + _fmt(summary.percentile(summary.accept_minutes, 90)),
        "Speed to lead (received -> accepted): p50 "
        + _fmt(summary.percentile(summary.speed_to_lead_minutes, 50))
        + ", p90 "
        + _fmt(summary.percentile(summary.speed_to_lead_minutes, 90)),
        f"Escalations: {summary.events['sla.breached']} SLA breaches, "
        f"{summary.events['sla.reminded']} reminders, "
        f"{summary.events['sla.escalated']} escalation steps, "
        f"{summary.events['queue.claimed']} claimed from queues",
    ]
    console.rule("[bold]Summary")
    for line in lines:
        console.print(line, highlight=False)
    table = Table(title="Per rep", show_lines=False)
    for column in ("rep", "offered", "accepted", "declined", "timed out", "pending"):
        table.add_column(column, justify="right" if column != "rep" else "left")
    for rep, counts in sorted(summary.per_rep.items()):
        table.add_row(
            rep,
            str(counts["offered"]),
            str(counts["accepted"]),
            str(counts["declined"]),
            str(counts["timed_out"]),
            str(counts["pending"]),
        )
    console.print(table)
    return lines
