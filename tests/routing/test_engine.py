"""routing.engine.Router.route (SPEC §6 "Rules"): first match, fall-through, targets, trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing.config import parse_config
from routing.decision import Decision
from routing.engine import Router
from routing.roster import RepLoad, Roster

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York

CONFIG = """
admins: [maria]
business_hours:
  ny: {timezone: America/New_York, hours: "09:00-18:00"}
reps:
  - {id: alice, name: Alice, skills: [healthcare]}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol, hours: ny}
  - {id: dave, name: Dave}
  - {id: maria, name: Maria}
pools:
  west: {strategy: round_robin, members: [alice, bob]}
  east: {strategy: weighted, members: [{rep: carol, weight: 2}, dave]}
queues:
  triage: {channel: "#triage", members: [west]}
rules:
  - {name: Existing customer, when: {account.matched: true}, assign: [account_owner, {pool: west}]}
  - {name: Already in CRM, when: {duplicate.matched: true}, assign: existing_owner}
  - {name: Healthcare, when: {industry: Healthcare},
     assign: {pool: west, require_skills: [healthcare]}}
  - {name: Demo, when: {lead_source: Demo Request}, assign: [{rep: maria}, {pool: east}]}
  - {name: Germany, when: {country: DE}, assign: [{pool: east}, {queue: triage}]}
  - {name: Big, when: {employees: {gte: 1000}}, assign: {pool: west}}
"""


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(parse_config(CONFIG))


def route(router: Router, roster: Roster | None = None, **fields: Any) -> Decision:
    return router.route(fields, roster or Roster(), NOW)


def rule_steps(d: Decision) -> list[dict[str, Any]]:
    return [s for s in d.trace if s.get("step") == "rule"]


def target_steps(d: Decision) -> list[dict[str, Any]]:
    return [s for s in d.trace if s.get("step") == "target"]


def away(*reps: str) -> Roster:
    return Roster(reps={r: RepLoad(away_until=NOW + timedelta(hours=1)) for r in reps})


def test_first_matching_rule_wins(router: Router) -> None:
    d = route(router, industry="Healthcare", employees=5000)
    assert d.outcome == "rep"
    assert d.rule == "Healthcare"
    assert d.assignee == "alice"
    matched = [s["rule"] for s in rule_steps(d) if s["matched"]]
    assert matched == ["Healthcare"]
    # Rules after the winner are never evaluated.
    assert "Big" not in [s["rule"] for s in rule_steps(d)]


def test_matched_rule_without_eligible_target_falls_through(router: Router) -> None:
    # Healthcare needs alice (the only one with the skill); she is away -> next rule.
    d = route(router, away("alice"), industry="Healthcare", employees=5000)
    assert d.outcome == "rep"
    assert d.rule == "Big"
    assert d.assignee == "bob"
    steps = [s for s in d.trace if s.get("step") in ("rule", "fallthrough", "target")]
    health = [s for s in steps if s.get("rule") == "Healthcare"]
    assert [s["step"] for s in health] == ["rule", "target", "fallthrough"]
    assert health[0]["matched"] is True
    assert health[1]["pick"] is None
    why = {c["rep"]: c["why"] for c in health[1]["candidates"]}
    assert why["alice"].startswith("away until")
    assert why["bob"] == "lacks skill healthcare"


def test_targets_tried_in_order(router: Router) -> None:
    d = route(router, lead_source="Demo Request")
    assert (d.outcome, d.assignee, d.target, d.pool) == ("rep", "maria", "rep", None)
    d = route(router, away("maria"), lead_source="Demo Request")
    assert (d.outcome, d.target, d.pool, d.strategy) == ("rep", "pool", "east", "weighted")
    assert d.assignee in ("carol", "dave")
    labels = [s["target"] for s in target_steps(d)]
    assert labels == ["rep maria", "pool east"]


def test_queue_target(router: Router) -> None:
    # Nobody in east is available: the second target, the queue, takes the lead.
    d = route(router, away("carol", "dave"), country="DE")
    assert d.outcome == "queue"
    assert (d.queue, d.target, d.rule, d.assignee, d.pool) == (
        "triage",
        "queue",
        "Germany",
        None,
        None,
    )
    assert d.pool_state is None
    assert target_steps(d)[-1]["target"] == "queue triage"


def test_account_owner_read_from_fields(router: Router) -> None:
    d = route(router, **{"account.matched": True, "account.owner": "dave"})
    assert (d.outcome, d.assignee, d.target, d.rule) == (
        "rep",
        "dave",
        "account_owner",
        "Existing customer",
    )
    assert d.pool_state is None


def test_account_owner_missing_or_unavailable_goes_to_next_target(router: Router) -> None:
    d = route(router, **{"account.matched": True})
    assert (d.target, d.pool) == ("pool", "west")
    first = target_steps(d)[0]
    assert (first["target"], first["why"]) == ("account_owner", "no owner")

    d = route(router, away("dave"), **{"account.matched": True, "account.owner": "dave"})
    assert (d.target, d.pool) == ("pool", "west")
    assert target_steps(d)[0]["candidates"][0]["rep"] == "dave"

    d = route(router, **{"account.matched": True, "account.owner": "nobody"})
    assert target_steps(d)[0]["candidates"][0]["why"] == "not a known rep"
    assert d.pool == "west"


def test_existing_owner_read_from_duplicate_owner(router: Router) -> None:
    d = route(router, **{"duplicate.matched": True, "duplicate.owner": "carol"})
    assert (d.outcome, d.assignee, d.target, d.rule) == (
        "rep",
        "carol",
        "existing_owner",
        "Already in CRM",
    )
    # account.owner is not the duplicate's owner.
    d = route(router, **{"duplicate.matched": True, "account.owner": "carol"})
    assert d.outcome == "unrouted"


def test_existing_owner_ignores_hours(router: Router) -> None:
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    d = router.route({"duplicate.matched": True, "duplicate.owner": "carol"}, Roster(), saturday)
    assert d.assignee == "carol"


def test_unrouted_when_nothing_matches(router: Router) -> None:
    d = route(router, country="FR", employees=10)
    assert d.outcome == "unrouted"
    assert (d.rule, d.assignee, d.queue, d.pool, d.target) == (None, None, None, None, None)
    assert d.reason
    assert d.config_version == router.version != ""
    assert not any(s.get("matched") for s in rule_steps(d))


def test_unrouted_when_every_matched_rule_falls_through(router: Router) -> None:
    d = route(router, away("alice", "bob"), industry="Healthcare", employees=5000)
    assert d.outcome == "unrouted"
    falls = [s["rule"] for s in d.trace if s.get("step") == "fallthrough"]
    assert falls == ["Healthcare", "Big"]


def test_trace_candidates_say_why(router: Router) -> None:
    roster = Roster(
        reps={"alice": RepLoad(away_until=NOW + timedelta(minutes=30))},
        excluded=frozenset({"bob"}),
    )
    d = route(router, roster, employees=2000)
    assert d.outcome == "unrouted"
    (step,) = target_steps(d)
    assert step["target"] == "pool west"
    assert step["strategy"] == "round_robin"
    cands = {c["rep"]: c for c in step["candidates"]}
    assert list(cands) == ["alice", "bob"]
    assert cands["alice"]["eligible"] is False
    assert cands["alice"]["why"].startswith("away until")
    assert cands["bob"]["why"] == "already declined or timed out on this lead"
    assert step["pick"] is None


def test_trace_rule_checks(router: Router) -> None:
    d = route(router, employees=2000, country="US")
    (big,) = [s for s in rule_steps(d) if s["rule"] == "Big"]
    assert big["matched"] is True
    (check,) = big["checks"]
    assert (check["field"], check["actual"], check["passed"]) == ("employees", 2000, True)
    for step in rule_steps(d):
        if step["rule"] != "Big":
            assert step["matched"] is False
            assert not all(c["passed"] for c in step["checks"])


def test_pool_state_set_for_pools(router: Router) -> None:
    d = route(router, employees=2000)
    assert (d.pool, d.assignee, d.pool_state) == ("west", "alice", {"last": "alice"})
    step = target_steps(d)[-1]
    assert step["pick"] == "alice"
    assert "round robin" in step["why"]
    # Feeding the state back continues the rotation.
    assert d.pool_state is not None
    d2 = route(router, Roster(pools={"west": d.pool_state}), employees=2000)
    assert d2.assignee == "bob"
    assert d2.pool_state == {"last": "bob"}


def test_weighted_pool_state(router: Router) -> None:
    d = route(router, away("maria"), lead_source="Demo Request")
    assert d.assignee == "carol"
    assert d.pool_state == {"credit": {"carol": -1, "dave": 1}}


def test_pool_respects_hours_direct_does_not(router: Router) -> None:
    night = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
    d = router.route({"country": "DE"}, Roster(), night)
    assert d.assignee == "dave"  # carol is outside ny hours
    why = {c["rep"]: c["why"] for c in target_steps(d)[0]["candidates"]}
    assert why["carol"] == "outside working hours (ny)"


def test_no_catch_all_config_is_valid_and_unroutes() -> None:
    config = parse_config(
        """
reps: [{id: a, name: A}]
rules: [{name: Only DE, when: {country: DE}, assign: {rep: a}}]
"""
    )
    r = Router(config)
    assert r.route({"country": "US"}, Roster(), NOW).outcome == "unrouted"
    assert r.route({"country": "DE"}, Roster(), NOW).assignee == "a"


def test_decision_to_dict_is_json_ready(router: Router) -> None:
    import json

    d = route(router, employees=2000)
    data = d.to_dict()
    assert json.loads(json.dumps(data))["assignee"] == "alice"


# -- in two halves: matching (the lead and the time) then route_matching (the roster) -------
HALVES_LEADS = [
    {"account.matched": True, "account.owner": "carol"},
    {"account.matched": True, "account.owner": "nobody-known"},
    {"account.matched": True},
    {"duplicate.matched": True, "duplicate.owner": "dave"},
    {"industry": "Healthcare"},
    {"lead_source": "Demo Request", "country": "DE"},
    {"country": "DE"},
    {"country": "DE", "employees": 5000},
    {"employees": 10},
    {},
]
HALVES_ROSTERS = [
    Roster(),
    away("maria", "carol", "dave"),
    away("alice", "bob", "carol", "dave", "maria"),
    Roster(pools={"west": {"last": "alice"}, "east": {"credit": {"carol": 1, "dave": -1}}}),
]


@pytest.mark.parametrize("roster", HALVES_ROSTERS)
def test_matching_then_route_matching_decides_as_route(roster: Roster) -> None:
    untraced = Router(parse_config(CONFIG), rule_traces=False)
    for fields in HALVES_LEADS:
        whole = untraced.route(fields, roster, NOW)
        owners = {k: v for k, v in fields.items() if k in ("account.owner", "duplicate.owner")}
        halves = untraced.route_matching(untraced.matching(fields, NOW), owners, roster, NOW)
        for name in ("outcome", "rule", "target", "assignee", "queue", "pool", "reason"):
            assert getattr(halves, name) == getattr(whole, name), (fields, name)
        assert halves.pool_state == whole.pool_state
        # The same targets and fallthroughs; no index entry, no rule checks.
        assert halves.trace == [s for s in whole.trace if s["step"] != "index"]


def test_matching_lists_every_matching_rule_in_order(router: Router) -> None:
    rules = [r.name for r in router.config.rules]
    got = router.matching({"lead_source": "Demo Request", "country": "DE", "employees": 5000}, NOW)
    assert [rules[i] for i in got] == ["Demo", "Germany", "Big"]
    assert router.matching({"employees": 3}, NOW) == ()


def test_warm_loads_business_hours_and_changes_no_decision() -> None:
    cold, warmed = Router(parse_config(CONFIG)), Router(parse_config(CONFIG))
    warmed.warm(NOW)
    assert set(warmed._eligibility._hours) == {"ny"}  # read ahead of the first lead
    assert cold._eligibility._hours == {}
    for fields in HALVES_LEADS:
        a, b = cold.route(fields, Roster(), NOW), warmed.route(fields, Roster(), NOW)
        assert a.outcome == b.outcome and a.assignee == b.assignee and a.reason == b.reason
