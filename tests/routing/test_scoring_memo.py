"""routing.scoring's remembered answers (per field value, per set of matching rules) give
what evaluating every condition afresh gives, lead after lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.scoring import compile_scoring


@dataclass
class Rule:
    when: dict[str, Any] | None
    points: int
    reason: str


RULES = [
    Rule({"employees": {"gte": 1000}}, 30, "Enterprise"),
    Rule({"title": {"matches": r"(?i)\b(vp|head|chief)\b"}}, 20, "Senior title"),
    Rule({"lead_source": "Demo Request"}, 40, "Demo"),
    Rule({"lead_source": {"in": ["Webinar", "Trade Show"]}}, 10, "Event"),
    Rule({"email_is_free": True}, -20, "Free email"),
    Rule({"email_is_free": {"exists": False}}, 3, "No email"),
    Rule({"country": "United States"}, 5, "US"),  # also reads country_code
    Rule({"industry": "Software", "employees": {"lt": 50}}, 7, "Small software"),
    Rule({"not": {"title": {"contains": "intern"}}}, 1, "Not an intern"),
    Rule({"any": [{"rating": "Hot"}, {"rating": "Warm"}]}, 15, "Rated"),
    Rule(None, 2, "Everyone"),
    Rule({"tags": {"in": ["vip"]}}, 25, "VIP"),
]
TIERS = {"A": 70, "B": 40, "C": 0, "D": -100}

_text = st.sampled_from(
    [
        "VP Sales",
        "vp sales",
        "Head of Growth",
        "Intern",
        "intern",
        "Engineer",
        "",
        "  ",
        "Demo Request",
        "demo request",
        "Webinar",
        "Hot",
        "Warm",
        "Software",
        "1",
        "True",
    ]
)
_value = st.one_of(
    st.none(),
    _text,
    st.booleans(),
    st.integers(-5, 5000),
    st.sampled_from([0, 1, 1.0, 0.0]),  # equal to False/True as dict keys: must not mix
    st.lists(_text, max_size=3),
)
_lead = st.dictionaries(
    st.sampled_from(
        [
            "employees",
            "title",
            "lead_source",
            "email_is_free",
            "country",
            "country_code",
            "industry",
            "rating",
            "tags",
        ]
    ),
    st.one_of(_value, st.sampled_from(["US", "United States", "DE", "us"])),
    max_size=9,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_lead, min_size=1, max_size=40))
def test_remembered_answers_match_fresh_evaluation(leads: list[dict[str, Any]]) -> None:
    scoring = compile_scoring(RULES, TIERS)  # one compiled scoring across the leads
    for lead in leads:
        fresh = compile_scoring(RULES, TIERS).score_reference(lead)
        assert scoring.score(lead) == fresh
        assert scoring.scored(lead) == (fresh.score, fresh.tier, tuple(fresh.reasons))
        assert scoring.score_reference(lead) == fresh


def test_bool_and_number_values_are_not_confused() -> None:
    scoring = compile_scoring([Rule({"email_is_free": True}, 5, "free")], {"A": 5})
    assert scoring.score({"email_is_free": True}).score == 5
    assert (
        scoring.score({"email_is_free": 1}).score
        == scoring.score_reference({"email_is_free": 1}).score
    )
    assert scoring.score({"email_is_free": False}).score == 0
