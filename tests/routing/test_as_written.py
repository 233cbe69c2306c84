"""``as_written:`` conditions (imported Salesforce rules): fields compared as written, while
the same matchers outside the block keep normalising."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from routing.conditions import ConditionError, compile_condition
from routing.config.loader import parse_config, validate_text
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import Roster


def holds(raw: dict[str, Any], lead: dict[str, Any]) -> bool:
    return compile_condition(raw).evaluate(normalize_lead(lead))


@pytest.mark.parametrize(
    ("condition", "lead", "normalised", "as_written"),
    [
        ({"country": {"in": ["United Kingdom", "UK"]}}, {"country": "England"}, True, False),
        ({"country": {"in": ["United Kingdom", "UK"]}}, {"country": " uk "}, True, True),
        ({"state": "DC"}, {"state": "District of Columbia", "country": "US"}, True, False),
        ({"postal_code": "94702"}, {"postal_code": "94702-1234"}, True, False),
        ({"postal_code": {"in": ["2057-2122"]}}, {"postal_code": "2067"}, True, False),
        ({"postal_code": {"in": ["2057-2122"]}}, {"postal_code": "2057-2122"}, False, True),
        ({"last_name": "616"}, {"last_name": "616.0"}, True, False),
        ({"last_name": "616"}, {"last_name": "616"}, True, True),
        ({"employees": 1000}, {"employees": "1,000"}, True, True),  # a number field
        # Text order exists only as written (normalised, 'lt' needs a number).
        ({"company": {"lt": "M"}}, {"company": "Acme"}, None, True),
        ({"company": {"lt": "M"}}, {"company": "Zeta"}, None, False),
        ({"score": {"gte": 10}}, {"score": "9"}, False, False),
        ({"not": {"country": "UK"}}, {}, True, True),  # blank: "not equal" holds
        ({"flag": True}, {"flag": "true"}, True, True),
    ],
)
def test_as_written_against_normalised(
    condition: dict[str, Any], lead: dict[str, Any], normalised: bool | None, as_written: bool
) -> None:
    if normalised is None:
        with pytest.raises(ConditionError):
            holds(condition, lead)
    else:
        assert holds(condition, lead) is normalised
    assert holds({"as_written": condition}, lead) is as_written


def test_as_written_nests_and_describes_itself() -> None:
    cond = compile_condition(
        {"as_written": {"any": [{"country": "UK"}, {"not": {"postal_code": "94702"}}]}}
    )
    assert cond.describe() == "country = UK (as written) OR NOT postal_code = 94702 (as written)"
    assert cond.fields == {"country", "postal_code"}
    assert cond.evaluate(normalize_lead({"country": "uk", "postal_code": "94702"}))
    assert not cond.evaluate(normalize_lead({"country": "England", "postal_code": "94702"}))


def test_as_written_errors_carry_their_path() -> None:
    with pytest.raises(ConditionError, match=r"as_written\.company\.between"):
        compile_condition({"as_written": {"company": {"between": ["a", 3]}}})
    issues = validate_text(
        "reps: [{id: a, name: A}]\n"
        "rules:\n"
        "  - {name: X, when: {as_written: {country: {in: 3}}}, assign: keep_owner}\n"
    )
    assert issues and "yml:3:" in str(issues[0]) and "as_written.country.in" in str(issues[0])


def test_engine_and_index_keep_as_written_semantics() -> None:
    """The rule index and the traced fast paths assume normalised values: an as_written
    rule must not be skipped or short-cut by them."""
    config = parse_config(
        """
reps: [{id: a, name: A}, {id: b, name: B}]
rules:
  - {name: Literal UK, when: {as_written: {country: UK}}, assign: {rep: a}}
  - {name: Text order, when: {as_written: {company: {gt: "100"}}}, assign: {rep: a}}
  - {name: Rest, assign: {rep: b}}
"""
    )
    now = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)
    for index in (True, False):
        router = Router(config, index=index)

        def route(lead: dict[str, Any], router: Router = router) -> str | None:
            return router.route(normalize_lead(lead), Roster(), now).rule

        assert route({"country": "England", "company": "1"}) == "Rest"
        assert route({"country": "uk"}) == "Literal UK"
        assert route({"company": "2"}) == "Text order"  # "2" > "100" as text
        assert route({"company": 2}) == "Text order"  # a number reads as its text
