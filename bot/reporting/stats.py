"""Speed-to-lead, acceptance and SLA numbers, computed from stored leads, offers and
the event log (the ladder's breaches, escalation steps and reminders are events)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import quantiles

from storage.db import UnitOfWork
from storage.report_queries import (
    events_of_kinds_since,
    leads_received_since,
    offers_made_since,
)

SLA_EVENTS = ("sla.breached", "sla.escalated", "sla.reminded")


def percentile(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return quantiles(sorted(values), n=100, method="inclusive")[pct - 1]


@dataclass
class RepStats:
    offered: int = 0
    accepted: int = 0
    declined: int = 0
    timed_out: int = 0
    pending: int = 0
    breaches: int = 0  # offers of theirs that went past the deadline
    seconds_to_accept: list[float] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        answered = self.accepted + self.declined + self.timed_out
        return self.accepted / answered if answered else None


@dataclass
class Stats:
    since: datetime
    leads: int = 0
    states: Counter[str] = field(default_factory=Counter)
    speed_to_lead: list[float] = field(default_factory=list)  # received -> accepted, seconds
    first_offer: list[float] = field(default_factory=list)  # received -> first offer, seconds
    per_rep: dict[str, RepStats] = field(default_factory=dict)
    # The SLA ladder, for the leads counted: steps that ran, and leads that breached.
    breaches: int = 0
    breached_leads: int = 0
    escalation_steps: int = 0
    reminders: int = 0

    @property
    def time_to_accept(self) -> list[float]:
        """Offer -> accept, seconds, every rep's."""
        return [s for rep in self.per_rep.values() for s in rep.seconds_to_accept]

    @property
    def acceptance_rate(self) -> float | None:
        accepted = sum(r.accepted for r in self.per_rep.values())
        answered = sum(r.accepted + r.declined + r.timed_out for r in self.per_rep.values())
        return accepted / answered if answered else None


def collect_stats(
    session: UnitOfWork, *, now: datetime, period: timedelta, reps: set[str] | None = None
) -> Stats:
    """Leads received in the period; offers made in it. ``reps`` limits to a team."""
    since = now - period
    stats = Stats(since=since)
    counted: set[int] = set()
    for lead in leads_received_since(session, since):
        if (
            reps is not None
            and lead.assignee not in reps
            and not any(o.rep_id in reps for o in lead.offers)
        ):
            continue
        stats.leads += 1
        counted.add(lead.id)
        stats.states[lead.state] += 1
        if lead.accepted_at is not None:
            stats.speed_to_lead.append((lead.accepted_at - lead.received_at).total_seconds())
        first = min((o.offered_at for o in lead.offers), default=None)
        if first is not None:
            stats.first_offer.append((first - lead.received_at).total_seconds())
    for offer in offers_made_since(session, since):
        if reps is not None and offer.rep_id not in reps:
            continue
        rep = stats.per_rep.setdefault(offer.rep_id, RepStats())
        rep.offered += 1
        if offer.outcome == "accepted":
            rep.accepted += 1
            if offer.responded_at is not None:
                rep.seconds_to_accept.append(
                    (offer.responded_at - offer.offered_at).total_seconds()
                )
        elif offer.outcome == "declined":
            rep.declined += 1
        elif offer.outcome == "timed_out":
            rep.timed_out += 1
        elif offer.outcome == "pending":
            rep.pending += 1
    _sla_steps(session, stats, since, counted, reps)
    return stats


def _sla_steps(
    session: UnitOfWork, stats: Stats, since: datetime, leads: set[int], reps: set[str] | None
) -> None:
    """The ladder's steps for the counted leads, from the event log."""
    breached: set[int] = set()
    for row in events_of_kinds_since(session, SLA_EVENTS, since):
        lead_id, kind, data = row.lead_id, row.kind, row.data
        if lead_id not in leads:
            continue
        if kind == "sla.breached":
            stats.breaches += 1
            breached.add(lead_id)
            rep_id = (data or {}).get("rep")
            if rep_id is not None and (reps is None or rep_id in reps):
                stats.per_rep.setdefault(rep_id, RepStats()).breaches += 1
        elif kind == "sla.escalated":
            stats.escalation_steps += 1
        else:
            stats.reminders += 1
    stats.breached_leads = len(breached)
