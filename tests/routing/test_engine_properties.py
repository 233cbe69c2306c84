"""Properties of Router.route over generated leads and roster states (hypothesis).

Trace assertions only rely on what must hold whatever the engine's optimisations (a rule
index may summarise skipped rules in one ``{"step": "index"}`` entry): the rule and target
steps that are present, their candidates, ``why`` and ``pick``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.conditions import compile_condition
from routing.config import parse_config
from routing.decision import Decision
from routing.eligibility import ineligible_reason
from routing.engine import Router
from routing.roster import RepLoad, Roster
from routing.strategies import STRATEGIES

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
REPS = ["ann", "ben", "cat", "dan", "eve", "fay"]

CONFIG = """
business_hours:
  ny: {timezone: America/New_York, hours: "09:00-18:00"}
reps:
  - {id: ann, name: Ann, skills: [healthcare]}
  - {id: ben, name: Ben, max_pending: 2}
  - {id: cat, name: Cat, hours: ny, skills: [healthcare, german]}
  - {id: dan, name: Dan}
  - {id: eve, name: Eve, caps: {hour: 1}}
  - {id: fay, name: Fay, active: false}
pools:
  rr: {strategy: round_robin, members: [ann, ben, cat, dan]}
  wt: {strategy: weighted, members: [{rep: ann, weight: 3}, {rep: dan, weight: 2}, eve]}
  ll: {strategy: least_loaded, members: [ben, cat, eve, fay]}
queues:
  triage: {channel: "#triage", members: [rr]}
rules:
  - {name: Customer, when: {account.matched: true}, assign: [account_owner, {pool: ll}]}
  - {name: Dup, when: {duplicate.matched: true}, assign: existing_owner}
  - {name: Health, when: {industry: {in: [Healthcare, Hospital]}},
     assign: {pool: rr, require_skills: [healthcare]}}
  - {name: German, when: {country: DE}, assign: [{pool: ll, require_skills: [german]}, {rep: dan}]}
  - {name: Big, when: {employees: {gte: 1000}}, assign: {pool: wt}}
  - {name: West, when: {any: [{state: CA}, {state: OR}]}, assign: [{pool: rr}, {queue: triage}]}
  - {name: Demo, when: {lead_source: Demo}, assign: {rep: fay}}
"""

CONFIG_CATCH_ALL = CONFIG + "  - {name: Rest, assign: {queue: triage}}\n"

ROUTERS = [Router(parse_config(CONFIG)), Router(parse_config(CONFIG_CATCH_ALL))]

maybe_rep = st.sampled_from([*REPS, "ghost"])

leads = st.fixed_dictionaries(
    {},
    optional={
        "account.matched": st.booleans(),
        "account.owner": maybe_rep,
        "duplicate.matched": st.booleans(),
        "duplicate.owner": maybe_rep,
        "industry": st.sampled_from(["Healthcare", "Hospital", "Retail", ""]),
        "country": st.sampled_from(["DE", "US", "FR"]),
        "state": st.sampled_from(["CA", "OR", "NY"]),
        "employees": st.integers(0, 5000),
        "lead_source": st.sampled_from(["Demo", "Web"]),
    },
)

times = st.sampled_from(
    [
        NOW,
        datetime(2026, 3, 4, 3, 0, tzinfo=UTC),  # night in New York
        datetime(2026, 3, 7, 15, 0, tzinfo=UTC),  # Saturday
    ]
)


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    loads = {}
    for rep in REPS:
        if draw(st.booleans()):
            loads[rep] = RepLoad(
                pending=draw(st.integers(0, 3)),
                recent_offers=tuple(
                    NOW - timedelta(minutes=m)
                    for m in draw(st.lists(st.integers(1, 200), max_size=3))
                ),
                last_offered_at=draw(
                    st.one_of(
                        st.none(), st.integers(1, 500).map(lambda m: NOW - timedelta(minutes=m))
                    )
                ),
                away_until=draw(
                    st.one_of(
                        st.none(), st.integers(-60, 60).map(lambda m: NOW + timedelta(minutes=m))
                    )
                ),
            )
    pools: dict[str, Any] = {}
    if draw(st.booleans()):
        pools["rr"] = {"last": draw(st.sampled_from([*REPS, "gone"]))}
    if draw(st.booleans()):
        pools["wt"] = {"credit": {r: draw(st.integers(-5, 5)) for r in ("ann", "dan", "eve")}}
    excluded = frozenset(draw(st.sets(st.sampled_from(REPS), max_size=3)))
    return Roster(reps=loads, pools=pools, excluded=excluded)


def check_outcome_fields(d: Decision) -> None:
    if d.outcome == "rep":
        assert d.assignee is not None and d.queue is None and d.rule is not None
        assert d.target in ("rep", "pool", "account_owner", "existing_owner")
        assert (d.pool is not None) == (d.target == "pool")
        assert (d.strategy is not None) == (d.target == "pool")
    elif d.outcome == "queue":
        assert d.queue is not None and d.assignee is None and d.rule is not None
        assert (d.target, d.pool, d.pool_state) == ("queue", None, None)
    else:
        assert d.outcome == "unrouted"
        assert (d.assignee, d.queue, d.rule, d.target, d.pool, d.pool_state) == (
            None,
            None,
            None,
            None,
            None,
            None,
        )
    if d.pool is None:
        assert d.pool_state is None


def reference(router: Router, fields: dict[str, Any], roster: Roster, now: datetime) -> Any:
    """First rule that matches and has a target with somebody eligible (or a queue)."""
    config = router.config
    for rule in config.rules:
        if not compile_condition(rule.when).evaluate(fields):
            continue
        for target in rule.assign:
            if target.kind == "queue":
                return rule.name, ("queue", target.id)
            if target.kind == "pool":
                assert target.id is not None
                pool = config.pools[target.id]
                ok = [
                    m.rep
                    for m in pool.members
                    if ineligible_reason(
                        m.rep,
                        config=config,
                        roster=roster,
                        now=now,
                        respect_hours=pool.respect_hours,
                        require_skills=target.require_skills,
                    )
                    is None
                ]
                if ok:
                    # The eager strategy, over every eligible member: the engine may check
                    # eligibility lazily but must pick the same rep and rotation state.
                    pick = STRATEGIES[pool.strategy](
                        pool.members, ok, roster.pools.get(target.id, {}), roster
                    )
                    return rule.name, ("pool", target.id, frozenset(ok), pick)
                continue
            if target.kind == "rep":
                rep = target.id
            else:
                key = "account.owner" if target.kind == "account_owner" else "duplicate.owner"
                rep = fields.get(key)
            if rep and (
                ineligible_reason(
                    str(rep), config=config, roster=roster, now=now, respect_hours=False
                )
                is None
            ):
                return rule.name, ("rep", rep)
    return None, None


@settings(max_examples=300, deadline=None)
@given(fields=leads, roster=rosters(), now=times, which=st.sampled_from([0, 1]))
def test_every_lead_gets_exactly_one_outcome_consistent_with_its_trace(
    fields: dict[str, Any], roster: Roster, now: datetime, which: int
) -> None:
    router = ROUTERS[which]
    d = router.route(fields, roster, now)
    check_outcome_fields(d)

    # Same decision as a direct reading of SPEC §6.
    rule, target = reference(router, fields, roster, now)
    assert d.rule == rule
    if target is None:
        assert d.outcome == "unrouted"
    elif target[0] == "queue":
        assert (d.outcome, d.queue) == ("queue", target[1])
    elif target[0] == "pool":
        assert (d.outcome, d.pool) == ("rep", target[1])
        assert d.assignee in target[2]
        assert (d.assignee, d.pool_state) == (target[3].rep, target[3].state)
        assert d.reason.endswith(target[3].why)
    else:
        assert (d.outcome, d.assignee) == ("rep", target[1])
    if which == 1:
        assert d.outcome != "unrouted"  # the catch-all queue always takes it

    steps = d.trace
    assert all(isinstance(s, dict) and "step" in s for s in steps)
    rules = [s for s in steps if s["step"] == "rule"]
    # Rules appear in config order, each at most once.
    order = [r.name for r in router.config.rules]
    names = [s["rule"] for s in rules]
    assert names == sorted(set(names), key=order.index)
    # Every matched rule before the decision's fell through; nothing after it was tried.
    for i, s in enumerate(steps):
        if s["step"] == "rule" and s["matched"] and s["rule"] != d.rule:
            rest = steps[i + 1 :]
            assert any(x["step"] == "fallthrough" and x["rule"] == s["rule"] for x in rest), s[
                "rule"
            ]
    if d.rule is not None:
        last_rule = rules[-1]
        assert (last_rule["rule"], last_rule["matched"]) == (d.rule, True)
        last = steps[-1]
        assert last["step"] == "target"
        assert last["rule"] == d.rule
        if d.outcome == "queue":
            assert last["target"] == f"queue {d.queue}"
        elif d.target == "pool":
            assert last["target"] == f"pool {d.pool}"
            assert last["pick"] == d.assignee
            eligible = [c["rep"] for c in last["candidates"] if c["eligible"]]
            assert d.assignee in eligible
        else:
            assert [c["rep"] for c in last["candidates"]] == [d.assignee]
            assert last["candidates"][0]["eligible"] is True
    else:
        assert not any(s["step"] == "target" and s.get("pick") for s in steps)
    # Candidate reasons agree with eligibility: why is None exactly when eligible.
    for s in steps:
        for c in s.get("candidates", ()):
            assert (c["why"] is None) == c["eligible"]
        if s["step"] == "target" and s.get("strategy") is not None:
            # Every member is either a candidate (with the reference reason) or named as
            # not considered after the pick; only the pick, last, is an eligible candidate
            # when the strategy stops early.
            pool_id = s["target"].removeprefix("pool ")
            pool = router.config.pools[pool_id]
            rule_ = next(r for r in router.config.rules if r.name == s["rule"])
            skills = next(t.require_skills for t in rule_.assign if t.id == pool_id)
            tried = [c["rep"] for c in s["candidates"]]
            rest = s.get("not_considered", {}).get("reps", [])
            assert sorted(tried + rest) == sorted({m.rep for m in pool.members})
            for c in s["candidates"]:
                assert c["why"] == ineligible_reason(
                    c["rep"],
                    config=router.config,
                    roster=roster,
                    now=now,
                    respect_hours=pool.respect_hours,
                    require_skills=skills,
                )
            if rest:
                assert s["pick"] == tried[-1]
                assert [c["rep"] for c in s["candidates"] if c["eligible"]] == [s["pick"]]
        if s["step"] == "target" and "pick" in s and s["pick"] is None:
            assert not any(c["eligible"] for c in s["candidates"])


ROTATION = """
reps: [{id: a, name: A}, {id: b, name: B}, {id: c, name: C}, {id: d, name: D}, {id: e, name: E}]
pools:
  p: {strategy: STRATEGY, members: [MEMBERS]}
queues:
  q: {channel: "#q", members: [a]}
rules:
  - {name: Pool, when: {lead_source: pool}, assign: {pool: p}}
  - {name: Direct, when: {lead_source: direct}, assign: {rep: c}}
  - {name: Rest, assign: {queue: q}}
"""


def drive(router: Router, sources: list[str]) -> list[str]:
    """Route a stream of leads, storing pool_state back like storage does."""
    pools: dict[str, Any] = {}
    picks = []
    for source in sources:
        d = router.route({"lead_source": source}, Roster(pools=dict(pools)), NOW)
        if d.pool is not None:
            assert d.pool_state is not None and d.assignee is not None
            pools[d.pool] = d.pool_state
            picks.append(d.assignee)
    return picks


sources = st.lists(st.sampled_from(["pool", "pool", "direct", "other"]), max_size=80)


@settings(deadline=None)
@given(n_members=st.integers(1, 5), stream=sources)
def test_round_robin_counts_differ_by_at_most_one(n_members: int, stream: list[str]) -> None:
    members = ", ".join("abcde"[:n_members])
    text = ROTATION.replace("STRATEGY", "round_robin").replace("MEMBERS", members)
    picks = drive(Router(parse_config(text)), stream)
    assert len(picks) == stream.count("pool")
    for start in range(len(picks)):
        counts = Counter(picks[start:])
        values = [counts.get(m, 0) for m in "abcde"[:n_members]]
        assert max(values) - min(values) <= 1


@settings(deadline=None)
@given(weights=st.lists(st.integers(1, 6), min_size=1, max_size=5), stream=sources)
def test_weighted_counts_within_one_of_share(weights: list[int], stream: list[str]) -> None:
    reps = "abcde"[: len(weights)]
    members = ", ".join(f"{{rep: {r}, weight: {w}}}" for r, w in zip(reps, weights, strict=False))
    text = ROTATION.replace("STRATEGY", "weighted").replace("MEMBERS", members)
    picks = drive(Router(parse_config(text)), stream)
    total = sum(weights)
    counts: Counter[str] = Counter()
    for n, rep in enumerate(picks, start=1):
        counts[rep] += 1
        for r, w in zip(reps, weights, strict=False):
            assert abs(counts[r] * total - n * w) <= total  # within 1, inclusive
