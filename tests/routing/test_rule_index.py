"""The rule index never drops a rule that matches: indexed and naive first match agree."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from routing import rule_index
from routing.conditions import ConditionError, compile_condition
from routing.config.models import RoutingConfig
from routing.engine import Router
from routing.roster import Roster
from routing.rule_index import RuleIndex, positions

FIELDS = [
    "country",
    "state",
    "territory",
    "industry",
    "lead_source",
    "employees",
    "Custom__c",
    "flag",
    "postal_code",
]
SCALARS: list[Any] = [
    "US", "us", " United States ", "USA", "CA", "California", "ca", "DE", "Germany",
    "Healthcare", " healthcare ", "HEALTHCARE", "Retail", "west", "East", "WEST ",
    "1000", "1,000", " 1000.0 ", 1000, 1000.0, 5, "5", 0, 1, 1.5, "0", "1", "-3",
    True, False, "yes", "no", "true", "False", "94105", "94105-1234", "90000-96199",
]  # fmt: skip
NUMBERS = [-3, 0, 1, 1.5, 5, 10, 999, 1000, 1000.5, 5000]
LEAD_EXTRAS: list[Any] = [None, "", "   ", math.nan, math.inf, -math.inf, 999.99, 10**6]

scalars = st.sampled_from(SCALARS)
numbers = st.sampled_from(NUMBERS)
range_fields = st.sampled_from([f for f in FIELDS if f != "postal_code"])


@st.composite
def leaves(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["eq", "eq", "in", "in", "not_in", "range", "string", "exists"]))
    if kind == "range":
        field = draw(range_fields)
        op = draw(st.sampled_from(["gt", "gte", "lt", "lte", "between"]))
        if op == "between":
            lo, hi = sorted([draw(numbers), draw(numbers)])
            return field, {"between": [lo, hi]}
        return field, {op: draw(numbers)}
    field = draw(st.sampled_from(FIELDS))
    if kind == "eq":
        return field, draw(scalars)
    if kind in ("in", "not_in"):
        return field, {kind: draw(st.lists(scalars, min_size=1, max_size=3))}
    if kind == "string":
        op = draw(st.sampled_from(["matches", "contains", "starts_with"]))
        arg = "(?i)^(us|ca)" if op == "matches" else draw(st.sampled_from(["ea", "US", "1"]))
        return field, {op: arg}
    return field, {"exists": draw(st.booleans())}


def conditions(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _ in range(draw(st.integers(1, 3))):
            choice = draw(st.sampled_from(["leaf"] * 4 + (["any", "all", "not"] if depth else [])))
            if choice == "leaf":
                field, spec = draw(leaves())
                out[field] = spec
            elif choice == "not":
                out["not"] = draw(conditions(depth - 1))
            else:
                out[choice] = draw(st.lists(conditions(depth - 1), min_size=1, max_size=3))
        return out

    return build()


lead_values = st.one_of(
    st.sampled_from(SCALARS + LEAD_EXTRAS),
    st.lists(st.sampled_from([*SCALARS, None, ""]), max_size=3),
)


@st.composite
def leads(draw: st.DrawFn) -> dict[str, Any]:
    lead = draw(st.dictionaries(st.sampled_from(FIELDS), lead_values, max_size=len(FIELDS)))
    # Derived codes as normalize_lead sets them, sometimes inconsistent on purpose.
    for code in ("country_code", "state_code"):
        if draw(st.booleans()):
            lead[code] = draw(st.sampled_from(["US", "CA", "DE", "us", None, ""]))
    if draw(st.booleans()):
        lead["territory"] = draw(st.lists(st.sampled_from(["west", "East", "WEST ", ""])))
    return lead


def compiled(raws: list[dict[str, Any]]) -> list[Any]:
    try:
        return [compile_condition(raw) for raw in raws]
    except ConditionError:
        assume(False)
        raise


def naive_first(conds: list[Any], lead: dict[str, Any]) -> int | None:
    return next((i for i, c in enumerate(conds) if c.evaluate(lead)), None)


def indexed_first(index: RuleIndex, conds: list[Any], lead: dict[str, Any]) -> int | None:
    return next((i for i in positions(index.candidates(lead)) if conds[i].evaluate(lead)), None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conditions(), min_size=1, max_size=12), st.lists(leads(), min_size=1, max_size=8))
def test_candidates_hold_every_matching_rule(raws: list[dict[str, Any]], lead_list: list) -> None:
    conds = compiled(raws)
    index = RuleIndex(conds)
    for lead in lead_list:
        mask = index.candidates(lead)
        for i, cond in enumerate(conds):
            if cond.evaluate(lead):
                assert mask >> i & 1, (raws[i], lead)
        assert indexed_first(index, conds, lead) == naive_first(conds, lead)
        assert mask == index.scan(lead)  # the generated lookup is the loop, exactly


# Mostly indexable rules, so that the index actually skips rules.
@st.composite
def indexable(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([f for f in FIELDS if f != "postal_code"]))
        if draw(st.booleans()):
            out[field] = draw(scalars)
        else:
            out[field] = {"in": draw(st.lists(scalars, min_size=1, max_size=3))}
    if draw(st.integers(0, 3)) == 0:
        lo, hi = sorted([draw(numbers), draw(numbers)])
        out["employees"] = {"between": [lo, hi]}
    if draw(st.integers(0, 4)) == 0:
        out["any"] = [{"industry": draw(scalars)}, {"lead_source": {"in": [draw(scalars)]}}]
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(indexable(), min_size=1, max_size=30), st.lists(leads(), min_size=1, max_size=8))
def test_indexed_first_match_agrees_on_indexable_rules(raws: list, lead_list: list) -> None:
    conds = compiled(raws)
    index = RuleIndex(conds)
    assert index.indexed == len(conds)
    for lead in lead_list:
        assert indexed_first(index, conds, lead) == naive_first(conds, lead)
        assert index.candidates(lead) == index.scan(lead)


def _index(*whens: dict[str, Any] | None) -> tuple[RuleIndex, list[Any]]:
    conds = [compile_condition(w) for w in whens]
    return RuleIndex(conds), conds


def _candidates(index: RuleIndex, lead: dict[str, Any]) -> list[int]:
    return list(positions(index.candidates(lead)))


@pytest.mark.parametrize(
    ("when", "lead", "hit"),
    [
        ({"industry": "Healthcare"}, {"industry": "  HEALTHCARE "}, True),
        ({"industry": "Healthcare"}, {"industry": "Retail"}, False),
        ({"industry": "Healthcare"}, {}, False),
        ({"industry": "Healthcare"}, {"industry": "   "}, False),
        ({"employees": 1000}, {"employees": "1,000"}, True),
        ({"employees": "1000"}, {"employees": 1000.0}, True),
        ({"employees": {"in": [5, "1000"]}}, {"employees": " 1000.0 "}, True),
        ({"flag": True}, {"flag": "yes"}, True),
        ({"flag": "yes"}, {"flag": True}, True),
        ({"flag": "yes"}, {"flag": "true"}, False),
        ({"flag": True}, {"flag": 1}, True),
        ({"territory": "west"}, {"territory": ["east", " WEST"]}, True),
        ({"territory": "west"}, {"territory": ["east", ""]}, False),
        ({"territory": {"in": ["north", "west"]}}, {"territory": ["West"]}, True),
        ({"country": "United States"}, {"country": "USA", "country_code": "US"}, True),
        ({"country": "us"}, {"country": "United States", "country_code": "US"}, True),
        ({"country": "US"}, {"country": "US", "country_code": None}, False),
        ({"country": "DE"}, {"country": "Germany", "country_code": "US"}, False),
        ({"state": "California"}, {"state": "Calif.", "state_code": "CA"}, True),
        ({"employees": {"gte": 100, "lt": 200}}, {"employees": "150"}, True),
        ({"employees": {"gte": 100, "lt": 200}}, {"employees": 200}, False),
        ({"employees": {"gt": 100}}, {"employees": 100}, False),
        ({"employees": {"between": [1, 10]}}, {"employees": "10"}, True),
        ({"employees": {"between": [1, 10]}}, {"employees": math.nan}, False),
        # A list passes gte and lt through different items.
        ({"employees": {"gte": 100, "lt": 200}}, {"employees": [50, 500]}, True),
        ({"any": [{"industry": "A"}, {"lead_source": "B"}]}, {"lead_source": "b"}, True),
        ({"any": [{"industry": "A"}, {"lead_source": "B"}]}, {"industry": "b"}, False),
        ({"not": {"industry": "A"}}, {}, True),
        ({"postal_code": "90000-96199"}, {"postal_code": "94105-1234"}, True),
    ],
)
def test_edge_cases(when: dict[str, Any], lead: dict[str, Any], hit: bool) -> None:
    index, conds = _index(when, None)
    assert conds[0].evaluate(lead) is hit
    candidates = _candidates(index, lead)
    assert index.candidates(lead) == index.scan(lead)
    if hit:
        assert 0 in candidates
    assert candidates[-1] == 1  # the catch-all is never skipped


def test_skips_rules_whose_values_the_lead_lacks() -> None:
    index, _ = _index(
        {"state": "CA", "industry": "Retail"},
        {"state": "NY"},
        {"territory": "west", "employees": {"gte": 100}},
        {"employees": {"lt": 50}},
        {"title": {"matches": "VP"}},  # not indexable: always a candidate
        None,
    )
    assert index.indexed == 4
    lead = {"state": "ca", "state_code": "CA", "industry": "retail", "employees": 120}
    assert _candidates(index, lead) == [0, 4, 5]
    assert _candidates(index, {"territory": ["west"], "employees": "10"}) == [3, 4, 5]


def test_disabled_index_lists_every_rule() -> None:
    conds = [compile_condition({"state": "CA"}), compile_condition(None)]
    index = RuleIndex(conds, enabled=False)
    assert index.indexed == 0
    assert _candidates(index, {}) == [0, 1]


# -- whole decisions: index on and off ---------------------------------------------------------
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def _config(whens: list[dict[str, Any]]) -> RoutingConfig:
    targets: list[Any] = [
        {"pool": "p"},
        {"pool": "q", "require_skills": ["x"]},
        {"rep": "c"},
        {"queue": "triage"},
        ["account_owner", {"pool": "p"}],
    ]
    return RoutingConfig.model_validate(
        {
            "reps": [
                {"id": "a", "name": "A"},
                {"id": "b", "name": "B", "skills": ["x"], "max_pending": 1},
                {"id": "c", "name": "C", "caps": {"day": 1}},
            ],
            "pools": {
                "p": {"members": ["a", "b"]},
                "q": {"strategy": "least_loaded", "members": ["a", "b", "c"]},
            },
            "queues": {"triage": {"channel": "#triage", "members": ["a"]}},
            "rules": [
                {"name": f"r{i}", "when": w, "assign": targets[i % len(targets)]}
                for i, w in enumerate(whens)
            ],
        }
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(indexable(), conditions(1)), min_size=1, max_size=10),
    st.lists(leads(), min_size=1, max_size=5),
    st.sampled_from([0, 1, 2]),
)
def test_router_decisions_agree_with_index_off(whens: list, lead_list: list, pending: int) -> None:
    compiled(whens)
    config = _config(whens)
    fast, slow = Router(config), Router(config, index=False)
    from routing.roster import RepLoad

    roster = Roster(reps={"b": RepLoad(pending=pending), "c": RepLoad(recent_offers=(NOW,))})
    for lead in lead_list:
        lead = {**lead, "account.owner": "c"}
        a, b = fast.route(lead, roster, NOW), slow.route(lead, roster, NOW)
        assert (a.outcome, a.rule, a.assignee, a.queue, a.pool, a.pool_state, a.reason) == (
            b.outcome,
            b.rule,
            b.assignee,
            b.queue,
            b.pool,
            b.pool_state,
            b.reason,
        )
        # The index only drops rule entries for rules that did not match.
        slow_rules = [e for e in b.trace if e["step"] == "rule"]
        fast_rules = [e for e in a.trace if e["step"] == "rule"]
        assert [e for e in slow_rules if e["matched"]] == [e for e in fast_rules if e["matched"]]
        assert all(e in slow_rules for e in fast_rules)
        assert [e for e in a.trace if e["step"] != "rule" and e["step"] != "index"] == [
            e for e in b.trace if e["step"] != "rule"
        ]
        # With the index off every rule up to the decision is evaluated, and each entry's
        # result is the condition's.
        for entry in slow_rules:
            cond = slow.config.rules[int(entry["rule"][1:])].when
            assert entry["matched"] is compile_condition(cond).evaluate(lead)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(indexable(), min_size=1, max_size=20),
    st.lists(leads(), min_size=1, max_size=12),
    st.sampled_from([1, 2, 4096]),
)
def test_remembered_text_values_give_the_same_candidates(
    raws: list, lead_list: list, cache_max: int
) -> None:
    """Text values the lookup has seen come from its cache (cleared when full): the same
    candidates as the loop, the first time and every time after."""
    index = RuleIndex(compiled(raws))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rule_index, "_TEXT_CACHE_MAX", cache_max)
        for _ in range(2):
            for lead in lead_list:
                assert index.candidates(lead) == index.scan(lead)
