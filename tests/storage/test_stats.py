"""bot.reporting.stats: time to first offer and to accept, and the SLA ladder's steps
per lead, read back from what routing and the ladder stored."""

from __future__ import annotations

from datetime import timedelta

from bot.reporting.stats import collect_stats
from lifecycle.assign import route_lead
from lifecycle.escalation import fire_batch
from lifecycle.offers import accept_offer
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.timers import claim_due
from tests.storage.helpers import NOW, cards_delivered, new_lead
from tests.storage.test_timers import ALL_DUE, CONFIG


def test_stats_read_first_offer_accept_and_ladder_steps(db: Database) -> None:
    router = Router(parse_config(CONFIG))
    quick, slow = new_lead(db), new_lead(db)  # both received at NOW
    with db.session() as session:
        late = route_lead(session, router, slow, NOW + timedelta(seconds=30))
        first = route_lead(session, router, quick, NOW + timedelta(seconds=90))
    assert first.offer_id and late.offer_id and first.decision and late.decision
    cards_delivered(db)
    with db.session() as session:
        at = NOW + timedelta(minutes=3, seconds=30)
        accept_offer(session, first.offer_id, first.decision.assignee or "", at)
    # the other one climbs the whole ladder: remind, breach + notify, reassign
    with db.session() as session:
        timers = claim_due(session, ALL_DUE, limit=100)
        fire_batch(session, router, timers, lambda: ALL_DUE)
    with db.session() as session:
        stats = collect_stats(session, now=ALL_DUE, period=timedelta(days=1))
    assert stats.leads == 2
    assert sorted(stats.first_offer) == [30.0, 90.0]
    assert stats.time_to_accept == [120.0]
    assert (stats.breaches, stats.breached_leads) == (1, 1)
    assert (stats.reminders, stats.escalation_steps) == (1, 2)
    late_rep = late.decision.assignee
    assert late_rep is not None
    assert stats.per_rep[late_rep].breaches == 1 and stats.per_rep[late_rep].timed_out == 1
    # a team sees its own reps' breaches only
    other = "bob" if late_rep == "alice" else "alice"
    with db.session() as session:
        mine = collect_stats(session, now=ALL_DUE, period=timedelta(days=1), reps={late_rep})
        theirs = collect_stats(session, now=ALL_DUE, period=timedelta(days=1), reps={other})
    assert mine.per_rep[late_rep].breaches == 1
    assert all(r.breaches == 0 for r in theirs.per_rep.values())
