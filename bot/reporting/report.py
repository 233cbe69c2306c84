"""The numbers behind ``leadrouter report``, read from the database."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.reporting.stats import Stats, collect_stats
from storage.db import UnitOfWork
from storage.report_queries import decisions_since, event_kinds_since

# Histogram buckets for time to accept, in minutes (the last is open-ended).
ACCEPT_BUCKETS = (1, 2, 5, 10, 30, 60, 240)


@dataclass
class Report:
    since: datetime
    until: datetime
    stats: Stats
    events: Counter[str] = field(default_factory=Counter)
    pools: dict[str, Counter[str]] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)

    def accept_histogram(self) -> list[tuple[str, int]]:
        minutes = [s / 60 for r in self.stats.per_rep.values() for s in r.seconds_to_accept]
        labels, counts, lower = [], [], 0
        for upper in ACCEPT_BUCKETS:
            labels.append(f"{lower}-{upper}m")
            counts.append(sum(1 for m in minutes if lower <= m < upper))
            lower = upper
        labels.append(f"{lower}m+")
        counts.append(sum(1 for m in minutes if m >= lower))
        return list(zip(labels, counts, strict=True))


def build_report(session: UnitOfWork, *, now: datetime, period: timedelta) -> Report:
    since = now - period
    report = Report(since=since, until=now, stats=collect_stats(session, now=now, period=period))
    for kind in event_kinds_since(session, since):
        report.events[kind] += 1
    pools: dict[str, Counter[str]] = defaultdict(Counter)
    for decision in decisions_since(session, since):
        report.rules[decision.rule or f"({decision.target or 'unrouted'})"] += 1
        if decision.pool_id and decision.assignee:
            pools[decision.pool_id][decision.assignee] += 1
    report.pools = dict(pools)
    return report
