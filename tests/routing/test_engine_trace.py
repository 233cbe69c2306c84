"""Decision traces: the rules evaluated with their checks, the index summary, candidates and
the pick all agree with the decision; eligibility reasons match the reference rules."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import holidays as holidays_lib
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.conditions import compile_condition
from routing.config.models import RoutingConfig
from routing.eligibility import CAP_WINDOWS, Eligibility, ineligible_reason
from routing.engine import Router
from routing.roster import RepLoad, Roster

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # Tuesday 10:30 in New York


def config(rules: list[dict[str, Any]]) -> RoutingConfig:
    return RoutingConfig.model_validate(
        {
            "business_hours": {
                "ny": {"timezone": "America/New_York", "hours": "09:00-18:00", "holidays": "US"},
                "tokyo": {"timezone": "Asia/Tokyo", "hours": "09:00-18:00"},
            },
            "reps": [
                {"id": "ann", "name": "Ann", "hours": "ny", "skills": ["healthcare"]},
                {"id": "ben", "name": "Ben", "hours": "tokyo"},
                {"id": "cat", "name": "Cat", "max_pending": 2},
                {"id": "dan", "name": "Dan", "caps": {"day": 1}},
            ],
            "pools": {
                "west": {"members": ["ann", "ben", "cat"]},
                "east": {"strategy": "least_loaded", "members": ["ben", "dan"]},
            },
            "queues": {"triage": {"channel": "#triage", "members": ["west"]}},
            "rules": rules,
        }
    )


RULES: list[dict[str, Any]] = [
    {"name": "NY retail", "when": {"state": "NY", "industry": "Retail"},
     "assign": {"pool": "west"}},
    {"name": "Texas", "when": {"state": "TX"}, "assign": {"pool": "east"}},
    {"name": "CA CTO", "when": {"state": "CA", "title": {"matches": "(?i)cto"}},
     "assign": {"pool": "east"}},
    {"name": "Big", "when": {"employees": {"gte": 1000}}, "assign": {"pool": "east"}},
    {"name": "Healthcare CA", "when": {"state": "CA", "industry": {"in": ["Healthcare"]}},
     "assign": {"pool": "west", "require_skills": ["healthcare"]}},
    {"name": "Titles", "when": {"title": {"matches": "(?i)vp"}}, "assign": {"rep": "cat"}},
    {"name": "Catch-all", "assign": {"queue": "triage"}},
]  # fmt: skip

ROSTER = Roster(
    reps={
        "cat": RepLoad(pending=2),
        "dan": RepLoad(recent_offers=(NOW - timedelta(hours=2),)),
    }
)


def rule_entries(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in trace if e["step"] == "rule"]


def test_trace_lists_evaluated_rules_with_checks_and_an_index_summary() -> None:
    router = Router(config(RULES))
    lead = {"state": "CA", "state_code": "CA", "industry": "healthcare", "employees": "120"}
    decision = router.route(lead, ROSTER, NOW)
    assert (decision.outcome, decision.rule, decision.assignee) == ("rep", "Healthcare CA", "ann")
    trace = decision.trace
    # Rules 1-2 cannot match (state), 3 is evaluated and fails, 4 cannot (size), 5 matches.
    assert trace[0] == {
        "step": "index",
        "skipped": 3,
        "evaluated": 2,
        "why": trace[0]["why"],
    }
    assert "state" in trace[0]["why"]
    assert [(e["rule"], e["matched"]) for e in rule_entries(trace)] == [
        ("CA CTO", False),
        ("Healthcare CA", True),
    ]
    for entry in rule_entries(trace):
        when = next(r.get("when") for r in RULES if r["name"] == entry["rule"])
        explained = [asdict(c) for c in compile_condition(when).explain(lead)]
        assert entry["checks"] == explained
    target = trace[-1]
    assert target["step"] == "target" and target["pick"] == decision.assignee
    # Round robin stops at the first eligible member in rotation order; the rest are named.
    assert target["candidates"] == [{"rep": "ann", "eligible": True, "why": None}]
    assert target["not_considered"] == {
        "reps": ["ben", "cat"],
        "why": "after the pick in rotation order: not checked",
    }
    json.dumps(decision.to_dict())
    # After ann, rotation tries ben and cat (both skipped, with reasons) before ann again.
    roster = Roster(reps=ROSTER.reps, pools={"west": {"last": "ann"}})
    again = Router(config(RULES)).route(lead, roster, NOW)
    assert again.assignee == "ann"
    assert again.trace[-1]["candidates"] == [
        {"rep": "ben", "eligible": False, "why": "outside working hours (tokyo)"},
        {"rep": "cat", "eligible": False, "why": "lacks skill healthcare"},
        {"rep": "ann", "eligible": True, "why": None},
    ]
    assert "not_considered" not in again.trace[-1]


def test_fallthrough_continues_and_counts_skipped_rules_up_to_the_decision() -> None:
    router = Router(config(RULES))
    # Texas matches but pool east has nobody eligible (ben outside hours, dan at his cap).
    decision = router.route({"state": "tx", "state_code": "TX"}, ROSTER, NOW)
    assert (decision.outcome, decision.queue) == ("queue", "triage")
    steps = [(e["step"], e.get("rule")) for e in decision.trace]
    assert steps == [
        ("index", None),
        ("rule", "Texas"),
        ("target", "Texas"),
        ("fallthrough", "Texas"),
        ("rule", "Titles"),
        ("rule", "Catch-all"),
        ("target", "Catch-all"),
    ]
    assert decision.trace[0]["skipped"] == 4 and decision.trace[0]["evaluated"] == 3
    east = decision.trace[2]
    assert east["pick"] is None
    assert [c["why"] for c in east["candidates"]] == [
        "outside working hours (tokyo)",
        "at day cap (1/1)",
    ]


def test_unrouted_and_no_summary_when_nothing_is_skipped() -> None:
    rules = [r for r in RULES if r["name"] != "Catch-all"]
    router = Router(config(rules))
    decision = router.route({"state": "WA"}, ROSTER, NOW)
    assert decision.outcome == "unrouted"
    assert decision.trace[0] == {
        "step": "index",
        "skipped": 5,
        "evaluated": 1,
        "why": decision.trace[0]["why"],
    }
    naive = Router(config(rules), index=False).route({"state": "WA"}, ROSTER, NOW)
    assert naive.outcome == "unrouted"
    assert [e["step"] for e in naive.trace] == ["rule"] * 6
    assert [e["rule"] for e in rule_entries(naive.trace)] == [r["name"] for r in rules]


def test_combined_conditions_report_every_leaf_and_the_right_result() -> None:
    rules = [
        {"name": "Mixed", "assign": {"rep": "ann"},
         "when": {"any": [{"industry": "A"}, {"not": {"employees": {"lt": 10}}}],
                  "title": {"contains": "vp"}}},
        {"name": "Catch-all", "assign": {"queue": "triage"}},
    ]  # fmt: skip
    router = Router(config(rules), index=False)
    for lead, expected in [
        ({"industry": "a", "title": "VP"}, True),
        ({"industry": "b", "employees": 5, "title": "VP"}, False),
        ({"employees": 50, "title": "svp"}, True),
        ({"industry": "a"}, False),
    ]:
        entry = rule_entries(router.route(lead, Roster(), NOW).trace)[0]
        assert entry["matched"] is expected
        assert [c["passed"] for c in entry["checks"]] == [
            c.passed for c in compile_condition(rules[0]["when"]).explain(lead)
        ]


# -- eligibility: the compiled checks give the reference answers ------------------------------
def reference_reason(
    rep_id: str,
    cfg: RoutingConfig,
    roster: Roster,
    now: datetime,
    respect_hours: bool,
    require_skills: list[str],
) -> str | None:
    """The rules as first written (SPEC §6), checked in the same order."""
    rep = cfg.reps_by_id.get(rep_id)
    if rep is None:
        return "not a known rep"
    if not rep.active:
        return "inactive"
    if rep_id in roster.excluded:
        return "already declined or timed out on this lead"
    load = roster.load(rep_id)
    if load.away_until is not None and load.away_until > now:
        return f"away until {load.away_until.isoformat(timespec='minutes')}"
    if respect_hours and rep.hours:
        hours = cfg.business_hours[rep.hours]
        local = now.astimezone(__import__("zoneinfo").ZoneInfo(hours.timezone))
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        holiday = bool(hours.holidays) and local.date() in holidays_lib.country_holidays(
            str(hours.holidays)
        )
        if weekday not in hours.days or holiday or not (hours.start <= local.time() < hours.end):
            return f"outside working hours ({rep.hours})"
    missing = [s for s in require_skills if s not in rep.skills]
    if missing:
        return f"lacks skill {', '.join(missing)}"
    if rep.max_pending is not None and load.pending >= rep.max_pending:
        return f"at max_pending ({load.pending}/{rep.max_pending})"
    if rep.caps is not None:
        for window, span in CAP_WINDOWS.items():
            cap = getattr(rep.caps, window)
            if cap is not None:
                used = load.offers_since(now - span)
                if used >= cap:
                    return f"at {window} cap ({used}/{cap})"
    return None


ELIGIBILITY_CONFIG = RoutingConfig.model_validate(
    {
        "business_hours": {
            "ny": {"timezone": "America/New_York", "hours": "09:00-18:00", "holidays": "US"},
            "de": {"timezone": "Europe/Berlin", "days": ["mon", "sat"], "hours": "08:30-12:15"},
        },
        "reps": [
            {"id": "a", "name": "A", "hours": "ny", "skills": ["x", "y"], "max_pending": 2},
            {"id": "b", "name": "B", "hours": "de", "caps": {"hour": 1, "day": 2, "week": 3}},
            {"id": "c", "name": "C", "active": False},
            {"id": "d", "name": "D", "caps": {"week": 2}, "skills": ["y"]},
        ],
        "rules": [{"name": "all", "assign": {"queue": "q"}}],
        "queues": {"q": {"channel": "#q", "members": ["a"]}},
    }
)
REP_IDS = ["a", "b", "c", "d", "zed"]

instants = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2026, 1, 10), timezones=st.just(UTC)
)


@st.composite
def rosters(draw: st.DrawFn, now: datetime) -> Roster:
    loads = {}
    for rep in draw(st.lists(st.sampled_from(REP_IDS), unique=True)):
        offsets = draw(st.lists(st.integers(0, 60 * 24 * 8), max_size=4))
        away = draw(st.none() | st.integers(-120, 120))
        loads[rep] = RepLoad(
            pending=draw(st.integers(0, 3)),
            recent_offers=tuple(now - timedelta(minutes=m) for m in offsets),
            away_until=None if away is None else now + timedelta(minutes=away),
        )
    excluded = frozenset(draw(st.lists(st.sampled_from(REP_IDS), max_size=2)))
    return Roster(reps=loads, excluded=excluded)


@settings(max_examples=300, deadline=None)
@given(st.data(), instants, st.booleans(), st.lists(st.sampled_from(["x", "y", "z"]), max_size=2))
def test_eligibility_matches_the_reference(
    data: st.DataObject, now: datetime, respect_hours: bool, skills: list[str]
) -> None:
    roster = data.draw(rosters(now))
    checker = Eligibility(ELIGIBILITY_CONFIG)
    memo: dict[str, bool] = {}
    got = checker.reasons(REP_IDS, roster, now, respect_hours, skills, memo)
    want = [
        reference_reason(rep, ELIGIBILITY_CONFIG, roster, now, respect_hours, skills)
        for rep in REP_IDS
    ]
    assert got == want
    # Again with the memo filled in, and one rep at a time through the public function.
    assert checker.reasons(REP_IDS, roster, now, respect_hours, skills, memo) == want
    for rep, expected in zip(REP_IDS, want, strict=True):
        assert (
            ineligible_reason(
                rep,
                config=ELIGIBILITY_CONFIG,
                roster=roster,
                now=now,
                respect_hours=respect_hours,
                require_skills=skills,
            )
            == expected
        )
