"""routing.scoring: points, tiers, reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from routing.conditions import ConditionError
from routing.scoring import ScoreResult, compile_scoring, score_lead


@dataclass
class Rule:
    when: dict[str, Any] | None
    points: int
    reason: str


@dataclass
class Scoring:
    rules: list[Rule]
    tiers: dict[str, int]


RULES = [
    Rule({"employees": {"gte": 1000}}, 30, "Enterprise size"),
    Rule({"title": {"matches": r"(?i)\b(vp|head|chief|director)\b"}}, 20, "Senior title"),
    Rule({"lead_source": "Demo Request"}, 40, "Asked for a demo"),
    Rule({"email_is_free": True}, -15, "Free email"),
]
TIERS = {"A": 70, "B": 40, "C": 0}


def test_spec_example() -> None:
    scoring = compile_scoring(RULES, TIERS)
    result = scoring.score(
        {"employees": "5,000", "title": "VP Marketing", "lead_source": "demo request"}
    )
    assert result == ScoreResult(
        90, "A", [("Asked for a demo", 40), ("Enterprise size", 30), ("Senior title", 20)]
    )


def test_tiers_use_highest_threshold_not_above_score() -> None:
    scoring = compile_scoring(RULES, TIERS)
    assert scoring.score({"lead_source": "Demo Request"}).tier == "B"  # 40: exactly B
    assert scoring.score({"title": "Director"}).tier == "C"  # 20
    assert scoring.score({}).score == 0 and scoring.score({}).tier == "C"
    negative = scoring.score({"email_is_free": True})
    assert negative == ScoreResult(-15, None, [("Free email", -15)])


def test_reasons_sorted_by_points_desc_then_config_order() -> None:
    rules = [Rule({"a": 1}, 10, "first"), Rule({"b": 1}, 50, "big"), Rule({"c": 1}, 10, "second")]
    result = compile_scoring(rules, {}).score({"a": 1, "b": 1, "c": 1})
    assert result.reasons == [("big", 50), ("first", 10), ("second", 10)]
    assert result.tier is None  # no tiers configured


def test_empty_when_always_scores() -> None:
    result = compile_scoring([Rule(None, 5, "Everyone"), Rule({}, 1, "Also")], {"X": 6})
    assert result.score({}) == ScoreResult(6, "X", [("Everyone", 5), ("Also", 1)])


def test_bad_rule_condition_reports_rule_path() -> None:
    with pytest.raises(ConditionError) as info:
        compile_scoring([RULES[0], Rule({"title": {"matches": "("}}, 1, "bad")], TIERS)
    assert info.value.path == ("rules", 1, "when", "title", "matches")


def test_score_lead_convenience() -> None:
    result = score_lead({"employees": 1000}, Scoring(RULES, TIERS))
    assert (result.score, result.tier) == (30, "C")
