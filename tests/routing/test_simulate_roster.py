"""The simulated roster kept up to date lead by lead (issue #15) is, for every lead, the
roster rebuilt from the whole offer history: same decisions and same traces.

The reference below is the pre-#15 ``routing.simulate`` loop: it rebuilds every rep's
load for every lead. Lead times here jump forward and back by days and weeks, so offers
fall out of the week a capped rep's history keeps, and come back into reach when time
goes back.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config.loader import parse_config
from routing.decision import Decision
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import RepLoad, Roster
from routing.simulate import SimLead, simulate

T0 = datetime(2024, 1, 23, 15, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
CONFIG = """\
timezone: UTC
admins: [boss]
business_hours:
  ny: {timezone: America/New_York, days: [mon, tue, wed, thu, fri], hours: "09:00-17:00"}
reps:
  - {id: a, name: A, hours: ny, caps: {hour: 2, day: 3}}
  - {id: b, name: B, caps: {week: 4}}
  - {id: c, name: C, caps: {day: 2, week: 5}}
  - {id: d, name: D}
  - {id: e, name: E, caps: {hour: 1}}
  - {id: f, name: F, caps: {day: 1}}
  - {id: boss, name: Boss, caps: {day: 3}}
pools:
  rr: {strategy: round_robin, members: [a, b, c, d]}
  wt: {strategy: weighted, members: [{rep: b, weight: 2}, c, e]}
  ll: {strategy: least_loaded, members: [e, f, d]}
queues:
  triage: {channel: "#triage", members: rr}
rules:
  - {name: Direct, when: {lead_source: Direct}, assign: [{rep: boss}, {queue: triage}]}
  - {name: Weighted, when: {lead_source: Weighted}, assign: [{pool: wt}, {queue: triage}]}
  - {name: Least, when: {lead_source: Least}, assign: {pool: ll}}
  - {name: Rotation, assign: [{pool: rr}, {queue: triage}]}
"""
SOURCES = ("Direct", "Weighted", "Least", "Web")


def reference(config: Any, leads: Sequence[SimLead], default: datetime) -> list[Decision]:
    """The roster rebuilt for every lead from the offer history (the pre-#15 code)."""
    router = Router(config)
    capped = {rep.id for rep in config.reps if rep.caps is not None}
    pools: dict[str, Any] = {}
    offers: dict[str, deque[datetime]] = {}
    last_offered: dict[str, datetime] = {}
    latest: datetime | None = None
    out = []
    for lead in leads:
        now = lead.created_at or default
        horizon = now - WEEK
        reps = {}
        for rep, last in last_offered.items():
            times = offers.get(rep)
            while times and times[0] <= horizon:
                times.popleft()
            reps[rep] = RepLoad(recent_offers=tuple(times or ()), last_offered_at=last)
        roster = Roster(reps=reps, pools=dict(pools))
        decision = router.route(router.enrich(normalize_lead(lead.fields)), roster, now)
        if decision.pool is not None and decision.pool_state is not None:
            pools[decision.pool] = decision.pool_state
        rep = decision.assignee
        if decision.outcome == "rep" and rep is not None:
            stamp = now if latest is None or now > latest else latest + timedelta(microseconds=1)
            latest = last_offered[rep] = stamp
            if rep in capped:
                offers.setdefault(rep, deque()).append(now)
        out.append(decision)
    return out


def _leads(seed: int, n: int) -> list[SimLead]:
    rng = random.Random(seed)
    t = T0
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.5:
            t += timedelta(minutes=rng.choice([0, 0, 1, 20, 45]))
        elif r < 0.7:
            t += timedelta(hours=rng.randint(1, 30))
        elif r < 0.8:
            t += timedelta(days=rng.randint(2, 9))
        elif r < 0.92:
            t -= timedelta(hours=rng.randint(1, 24 * 10))  # back in time, up to 10 days
        at = None if rng.random() < 0.05 else t
        source = rng.choice(SOURCES)
        out.append(SimLead(f"l{i}", {"email": f"l{i}@acme.example", "lead_source": source}, at))
    return out


def _check(seed: int, n: int) -> None:
    config = parse_config(CONFIG)
    leads = _leads(seed, n)
    expected = reference(config, leads, T0)
    got = simulate(config, leads, T0).decisions
    assert len(got) == len(expected)
    for i, (sim, want) in enumerate(zip(got, expected, strict=True)):
        assert sim.decision == want, f"lead {i} at {sim.at}"


def test_incremental_roster_matches_rebuilt_roster() -> None:
    _check(15, 1500)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 200))
def test_incremental_roster_matches_rebuilt_roster_any_order(seed: int, n: int) -> None:
    _check(seed, n)


def test_the_leads_here_hit_caps_and_prune_history() -> None:
    """The check above means something: caps bind, and offers leave the kept week."""
    config = parse_config(CONFIG)
    result = simulate(config, _leads(15, 1500), T0)
    reasons = {why for f in result.fairness.values() for r in f.skipped.values() for why in r}
    assert {"at hour cap", "at day cap", "at week cap"} <= reasons
    times = [d.at for d in result.decisions]
    assert any(b > a + WEEK for a, b in pairwise(times))
    assert any(b < a - WEEK for a, b in pairwise(times))


def _skipped_from_traces(result: Any) -> dict[str, dict[str, dict[str, int]]]:
    """The summary's ``skipped``, counted afresh from every kept trace (the pre-batching
    way: one count per ineligible candidate of a pool step, folded at the end)."""
    import re

    fold = re.compile(r" \(.*\)$| until .*$")
    out: dict[str, dict[str, dict[str, int]]] = {}
    for sim in result.decisions:
        for step in sim.decision.trace:
            target = str(step.get("target"))
            if step.get("step") != "target" or not target.startswith("pool "):
                continue
            for cand in step.get("candidates") or ():
                if not cand.get("eligible"):
                    reasons = out.setdefault(target[5:], {}).setdefault(str(cand["rep"]), {})
                    why = fold.sub("", str(cand["why"]))
                    reasons[why] = reasons.get(why, 0) + 1
    return out


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([1, 3, 8192]))
def test_skip_counts_batched_equal_counts_from_traces(seed: int, batch: int) -> None:
    """Skips are listed and counted in batches (routing.simulate._SKIP_BATCH): any batch
    size gives the counts the traces give, in the order first seen."""
    import routing.simulate as sim_module

    config = parse_config(CONFIG)
    old = sim_module._SKIP_BATCH
    sim_module._SKIP_BATCH = batch
    try:
        result = simulate(config, _leads(seed, 400), T0)
    finally:
        sim_module._SKIP_BATCH = old
    want = _skipped_from_traces(result)
    got = {
        pool: {rep: reasons for rep, reasons in f.skipped.items()}
        for pool, f in result.fairness.items()
        if f.skipped
    }
    assert got == want
    for pool, reps in got.items():  # the order first seen, within each rep by count
        assert list(reps) == list(want[pool])
