"""routing.conditions: every matcher and combinator, missing-field rules, errors, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.conditions import CheckResult, ConditionError, compile_condition, field_names


def ev(cond: dict[str, Any] | None, **fields: Any) -> bool:
    return compile_condition(cond).evaluate(fields)


MISSING_VALUES: list[dict[str, Any]] = [{}, {"f": None}, {"f": ""}, {"f": "   "}, {"f": []}]

# (matcher mapping, a value that passes, a value that fails)
MATCHER_CASES: list[tuple[dict[str, Any], Any, Any]] = [
    ({"in": ["a", "b"]}, " A ", "c"),
    ({"not_in": ["a", "b"]}, "c", "b"),
    ({"contains": "Health"}, "Digital HEALTHCARE", "Finance"),
    ({"starts_with": " vp "}, "VP Sales", "SVP Sales"),
    ({"ends_with": "inc"}, "Acme INC ", "Inc Acme"),
    ({"matches": r"^\d{3}$"}, "123", "1234"),
    ({"gt": 10}, 11, 10),
    ({"gte": 10}, 10, 9),
    ({"lt": 10}, 9, 10),
    ({"lte": 10}, 10, 11),
    ({"between": [1, 5]}, 5, 6),
    ({"exists": True}, "x", None),
]


# --- plain values -----------------------------------------------------------------------------


def test_empty_condition_is_always_true() -> None:
    assert ev(None)
    assert ev({})
    assert compile_condition({}).describe() == "always"
    assert compile_condition(None).explain({"a": 1}) == []


def test_plain_string_equality_ignores_case_and_whitespace() -> None:
    assert ev({"lead_source": "Demo Request"}, lead_source="  demo request ")
    assert not ev({"lead_source": "Demo Request"}, lead_source="Demo")
    assert ev({"lead_source": " Demo Request "}, lead_source="DEMO REQUEST")


def test_plain_number_equality_with_numeric_strings() -> None:
    cond = {"employees": 1000}
    for value in (1000, 1000.0, "1000", " 1000 ", "1,000", "1000.0"):
        assert ev(cond, employees=value), value
    for value in (999, "1000.5", "ten", True):
        assert not ev(cond, employees=value), value
    assert ev({"employees": "1000"}, employees=1000)
    assert ev({"revenue": 1000.5}, revenue="1000.5")


def test_plain_bool_equality() -> None:
    for value in (True, "true", "TRUE", " yes ", "Yes", "1", 1):
        assert ev({"account.matched": True}, **{"account.matched": value}), value
    for value in (False, "false", "no", "0", 0, "maybe"):
        assert not ev({"account.matched": True}, **{"account.matched": value}), value
    for value in (False, "false", "No", "0"):
        assert ev({"account.matched": False}, **{"account.matched": value}), value
    assert not ev({"account.matched": False}, **{"account.matched": True})
    # a string plain value against a real boolean
    assert ev({"flag": "yes"}, flag=True)
    assert not ev({"flag": "yes"}, flag=False)


def test_dotted_and_custom_field_names() -> None:
    assert ev({"duplicate.owner": "alice"}, **{"duplicate.owner": "Alice"})
    assert ev({"Product_Interest__c": "Widgets"}, Product_Interest__c="widgets")
    assert not ev({"Product_Interest__c": "Widgets"}, product_interest__c="widgets")


def test_plain_value_on_missing_field_fails() -> None:
    for fields in MISSING_VALUES:
        assert not compile_condition({"f": "x"}).evaluate(fields)
        assert compile_condition({"not": {"f": "x"}}).evaluate(fields)


# --- every matcher ----------------------------------------------------------------------------


@pytest.mark.parametrize(("matcher", "good", "bad"), MATCHER_CASES)
def test_matcher_positive_and_negative(matcher: dict[str, Any], good: Any, bad: Any) -> None:
    cond = compile_condition({"f": matcher})
    if bad is None:
        assert cond.evaluate({"f": good}) and not cond.evaluate({})
        return
    assert cond.evaluate({"f": good})
    assert not cond.evaluate({"f": bad})


@pytest.mark.parametrize(("matcher", "good", "bad"), MATCHER_CASES)
@pytest.mark.parametrize("fields", MISSING_VALUES)
def test_missing_field_fails_every_matcher(
    matcher: dict[str, Any], good: Any, bad: Any, fields: dict[str, Any]
) -> None:
    assert not compile_condition({"f": matcher}).evaluate(fields)
    # ... and `not` of the failing matcher holds
    assert compile_condition({"not": {"f": matcher}}).evaluate(fields)


@pytest.mark.parametrize("fields", MISSING_VALUES)
def test_exists_false_passes_on_missing(fields: dict[str, Any]) -> None:
    assert compile_condition({"f": {"exists": False}}).evaluate(fields)
    assert not compile_condition({"f": {"exists": True}}).evaluate(fields)
    assert not compile_condition({"not": {"f": {"exists": False}}}).evaluate(fields)


@pytest.mark.parametrize("value", ["x", 0, False, 0.0, ["a"], "0"])
def test_exists_on_present_values(value: Any) -> None:
    assert ev({"f": {"exists": True}}, f=value)
    assert not ev({"f": {"exists": False}}, f=value)


def test_in_and_not_in() -> None:
    cond = {"industry": {"in": ["Healthcare", "Hospital & Health Care"]}}
    assert ev(cond, industry="hospital & health care")
    assert not ev(cond, industry="Health")
    assert ev({"n": {"in": [1, 2, "3"]}}, n="3")
    assert ev({"n": {"in": [1, 2, "3"]}}, n=3)
    assert ev({"n": {"in": [1, 2]}}, n="2.0")
    assert ev({"n": {"in": ["1,000"]}}, n=1000)
    assert ev({"b": {"in": [True]}}, b="yes")
    assert ev({"x": {"not_in": ["a"]}}, x="b")
    assert not ev({"x": {"not_in": ["a"]}}, x=" A")


def test_string_matchers_fold_case_and_whitespace() -> None:
    assert ev({"t": {"contains": " VP "}}, t="svp of sales")
    assert ev({"t": {"starts_with": "Head"}}, t="  head of growth")
    assert ev({"t": {"ends_with": " Officer"}}, t="Chief Revenue OFFICER   ")
    assert not ev({"t": {"ends_with": "officer"}}, t="officers")
    assert ev({"zip": {"starts_with": 941}}, zip=94105)


def test_matches_is_regex_as_written() -> None:
    assert ev({"title": {"matches": r"(?i)\b(vp|head)\b"}}, title="Head of Sales")
    assert not ev({"title": {"matches": r"\b(vp|head)\b"}}, title="Head of Sales")  # case kept
    assert ev({"title": {"matches": "of"}}, title="Head of Sales")  # search, not fullmatch
    assert ev({"n": {"matches": r"^\d+$"}}, n=1000)


def test_numeric_matchers_with_numeric_strings() -> None:
    assert ev({"employees": {"gte": 1000}}, employees="1000")
    assert ev({"employees": {"gte": 1000}}, employees=" 1,000 ")
    assert ev({"employees": {"gt": 1000}}, employees="1000.5")
    assert not ev({"employees": {"gt": 1000}}, employees="1000")
    assert ev({"employees": {"lt": "1000"}}, employees=999)  # quoted bound
    assert ev({"x": {"between": [-1.5, 0]}}, x="-1.5")
    for junk in ("lots", "1e3", "$5", "50-100", "nan", True):
        assert not ev({"employees": {"gte": 0}}, employees=junk), junk
        assert ev({"not": {"employees": {"gte": 0}}}, employees=junk), junk


def test_between_inclusive() -> None:
    cond = compile_condition({"n": {"between": [10, 20]}})
    assert [cond.evaluate({"n": v}) for v in (9, 10, 15, 20, 21)] == [F, T, T, T, F]


T, F = True, False


def test_several_matchers_in_one_mapping_and_together() -> None:
    cond = compile_condition({"n": {"gte": 10, "lt": 20, "not_in": [15]}})
    assert [cond.evaluate({"n": v}) for v in (9, 10, 15, 19, 20)] == [F, T, F, T, F]


# --- postal codes -----------------------------------------------------------------------------


def test_postal_between_compares_same_length_codes() -> None:
    cond = compile_condition({"postal_code": {"between": ["90000", "96199"]}})
    assert cond.evaluate({"postal_code": "94105"})
    assert cond.evaluate({"postal_code": "94105-1234"})  # ZIP+4 uses the ZIP
    assert cond.evaluate({"postal_code": " 96199 "})
    assert not cond.evaluate({"postal_code": "96200"})
    assert not cond.evaluate({"postal_code": "9410"})  # shorter: never in a 5-char range
    assert not cond.evaluate({"postal_code": "941050"})
    assert not cond.evaluate({"postal_code": "10001"})


def test_postal_in_with_ranges_and_codes() -> None:
    cond = compile_condition({"postal_code": {"in": ["90000-96199", "10001", "02134-1234"]}})
    for code in ("90000", "95000-0001", "10001", "10001-9999", "02134", 10001):
        assert cond.evaluate({"postal_code": code}), code
    for code in ("10002", "9000", "02135", "A1B 2C3"):
        assert not cond.evaluate({"postal_code": code}), code
    not_in = compile_condition({"postal_code": {"not_in": ["90000-96199"]}})
    assert not_in.evaluate({"postal_code": "10001"})
    assert not not_in.evaluate({"postal_code": "94105-1234"})


def test_postal_alphanumeric_and_other_lengths() -> None:
    cond = compile_condition({"postal_code": {"in": ["K1A-K9Z", "SW1A 1AA", "0100-0999"]}})
    assert cond.evaluate({"postal_code": "k2b"})
    assert not cond.evaluate({"postal_code": "K2B 1A1"})  # 6 chars vs a 3-char range
    assert cond.evaluate({"postal_code": "sw1a1aa"})
    assert cond.evaluate({"postal_code": "0500"})
    assert not cond.evaluate({"postal_code": "00500"})
    assert ev({"postal_code": "94105"}, postal_code="94105-1234")
    assert ev({"postal_code": {"gte": "90000"}}, postal_code="90001")
    assert not ev({"postal_code": {"gte": "90000"}}, postal_code="900011")


# --- list-valued fields -----------------------------------------------------------------------


def test_list_valued_fields() -> None:
    lead = {"territory": ["west", "us"]}
    assert compile_condition({"territory": "west"}).evaluate(lead)
    assert compile_condition({"territory": "US"}).evaluate(lead)
    assert not compile_condition({"territory": "east"}).evaluate(lead)
    assert compile_condition({"territory": {"in": ["east", "us"]}}).evaluate(lead)
    assert compile_condition({"territory": {"not_in": ["east"]}}).evaluate(lead)
    assert not compile_condition({"territory": {"not_in": ["east", "west"]}}).evaluate(lead)
    assert compile_condition({"territory": {"contains": "es"}}).evaluate(lead)
    assert compile_condition({"scores": {"gt": 5}}).evaluate({"scores": [1, "7"]})
    assert not compile_condition({"territory": "west"}).evaluate({"territory": ["", None]})
    assert compile_condition({"territory": {"exists": False}}).evaluate({"territory": []})


# --- combinators ------------------------------------------------------------------------------


def test_mapping_is_and() -> None:
    cond = {"industry": "Healthcare", "employees": {"gte": 1000}}
    assert ev(cond, industry="healthcare", employees=5000)
    assert not ev(cond, industry="healthcare", employees=50)
    assert not ev(cond, industry="retail", employees=5000)


def test_any_all_not_nested() -> None:
    cond = {
        "any": [{"title": {"contains": "vp"}}, {"all": [{"a": 1}, {"b": 2}]}],
        "not": {"country_code": "US"},
    }
    assert ev(cond, title="VP", country_code="DE")
    assert ev(cond, a=1, b="2")
    assert not ev(cond, a=1, b=3)
    assert not ev(cond, title="VP", country_code="us")
    assert ev({"any": [{"a": 1}]}, a=1) and not ev({"any": [{"a": 1}]}, a=2)
    assert ev({"all": [{"a": 1}, {"not": {"b": 1}}]}, a=1)
    assert ev({"not": {"not": {"a": 1}}}, a=1)
    assert not ev({"not": {"a": 1, "b": 1}}, a=1, b=1)
    assert ev({"not": {"a": 1, "b": 1}}, a=1, b=2)


def test_describe() -> None:
    cond = compile_condition(
        {"industry": {"in": ["Healthcare", "Hospital & Health Care"]}, "employees": {"gte": 1000}}
    )
    assert (
        cond.describe() == "industry in [Healthcare, Hospital & Health Care] AND employees >= 1000"
    )
    other = compile_condition(
        {
            "any": [{"title": {"matches": "vp"}}, {"x": {"exists": False}}],
            "not": {"y": True, "z": {"between": [1, 2]}},
            "w": {"starts_with": "a"},
        }
    )
    assert other.describe() == (
        "(title matches /vp/ OR x is missing) AND NOT (y = true AND z between 1 and 2)"
        " AND w starts with a"
    )


def test_explain_one_result_per_leaf() -> None:
    cond = compile_condition(
        {"industry": {"in": ["Healthcare"]}, "employees": {"gte": 1000, "lt": 5000}}
    )
    results = cond.explain({"industry": "healthcare", "employees": "6000"})
    assert results == [
        CheckResult("industry", "in", ["Healthcare"], "healthcare", True),
        CheckResult("employees", "gte", 1000, "6000", True),
        CheckResult("employees", "lt", 5000, "6000", False),
    ]
    assert compile_condition({"a": 1}).explain({}) == [CheckResult("a", "eq", 1, None, False)]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"any": [{"a": 1}, {"title": {"matches": "("}}]}, ("any", 1, "title", "matches")),
        ({"a": {"like": "x"}}, ("a", "like")),
        ({"a": {"between": [1]}}, ("a", "between")),
        ({"a": {"between": "1-2"}}, ("a", "between")),
        ({"a": {"between": [2, 1]}}, ("a", "between")),
        ({"a": {"between": [1, "x"]}}, ("a", "between", 1)),
        ({"a": {"in": "x"}}, ("a", "in")),
        ({"a": {"in": []}}, ("a", "in")),
        ({"a": {"in": [{"b": 1}]}}, ("a", "in", 0)),
        ({"a": {"not_in": 5}}, ("a", "not_in")),
        ({"a": {"exists": "yes"}}, ("a", "exists")),
        ({"a": {"gte": "many"}}, ("a", "gte")),
        ({"a": {"lt": None}}, ("a", "lt")),
        ({"a": {"contains": ["x"]}}, ("a", "contains")),
        ({"a": {"starts_with": "  "}}, ("a", "starts_with")),
        ({"a": {"matches": 5}}, ("a", "matches")),
        ({"a": {}}, ("a",)),
        ({"a": None}, ("a",)),
        ({"a": [1, 2]}, ("a",)),
        ({"any": {"a": 1}}, ("any",)),
        ({"all": []}, ("all",)),
        ({"any": [1]}, ("any", 0)),
        ({"not": [{"a": 1}]}, ("not",)),
        ({"not": {}}, ("not",)),
        ({"all": [{"not": {"b": {"gt": []}}}]}, ("all", 0, "not", "b", "gt")),
        ({"postal_code": {"between": ["9000", "96199"]}}, ("postal_code", "between")),
        ({"postal_code": {"in": ["96199-90000"]}}, ("postal_code", "in")),
        ({5: "x"}, (5,)),
    ],
)
def test_bad_conditions_raise_with_path(raw: dict[Any, Any], path: tuple[Any, ...]) -> None:
    with pytest.raises(ConditionError) as info:
        compile_condition(raw)
    assert info.value.path == path
    assert info.value.message
    assert isinstance(info.value, ValueError)


def test_non_mapping_condition() -> None:
    with pytest.raises(ConditionError) as info:
        compile_condition(["a"])  # type: ignore[arg-type]
    assert info.value.path == ()


def test_error_str_has_readable_path() -> None:
    with pytest.raises(ConditionError, match=r"^any\[1\]\.title\.matches: invalid regular"):
        compile_condition({"any": [{"a": 1}, {"title": {"matches": "("}}]})


def test_field_names() -> None:
    raw = {
        "industry": "x",
        "any": [{"account.matched": True}, {"not": {"Product_Interest__c": {"in": ["a"]}}}],
        "all": [{"employees": {"gte": 1}}],
    }
    assert field_names(raw) == {"industry", "account.matched", "Product_Interest__c", "employees"}
    assert compile_condition(raw).fields == field_names(raw)
    assert field_names(None) == set() and field_names({}) == set()
    assert field_names({"any": "junk", "a": {"bogus": 1}}) == {"a"}  # never raises


# --- properties -------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.floats(-5, 2000, allow_nan=False),
    st.sampled_from(["", " ", "x", "X ", "1000", " 1,000 ", "true", "no", "vp sales", "94105"]),
    st.text(max_size=6),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3))
FIELDS = ["a", "b", "postal_code"]
leads = st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)

leaf_matchers = st.sampled_from(
    [
        "x",
        1000,
        True,
        {"in": ["x", 1000, "true"]},
        {"not_in": ["x", "vp sales"]},
        {"contains": "x"},
        {"starts_with": "1"},
        {"ends_with": "s"},
        {"matches": "^[0-9]"},
        {"gt": 0},
        {"gte": 1000},
        {"lt": 10},
        {"lte": -1},
        {"between": [0, 1000]},
        {"exists": True},
        {"exists": False},
        {"gte": 0, "lt": 100},
    ]
)
leaf_conditions = st.builds(lambda f, m: {f: m}, st.sampled_from(["a", "b"]), leaf_matchers)
postal_conditions = st.sampled_from(
    [{"postal_code": {"in": ["90000-96199", "1000"]}}, {"postal_code": {"between": ["0", "5"]}}]
)
conditions = st.recursive(
    st.one_of(leaf_conditions, postal_conditions),
    lambda inner: st.one_of(
        st.builds(lambda c: {"not": c}, inner),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(conditions, leads)
def test_not_is_the_complement(cond: dict[str, Any], lead: dict[str, Any]) -> None:
    assert compile_condition({"not": cond}).evaluate(lead) is not compile_condition(cond).evaluate(
        lead
    )


@settings(max_examples=300, deadline=None)
@given(conditions, leads)
def test_any_of_one_equals_it(cond: dict[str, Any], lead: dict[str, Any]) -> None:
    base = compile_condition(cond).evaluate(lead)
    assert compile_condition({"any": [cond]}).evaluate(lead) == base
    assert compile_condition({"all": [cond]}).evaluate(lead) == base


@settings(max_examples=300, deadline=None)
@given(st.lists(leaf_conditions, min_size=1, max_size=4), leads)
def test_explain_agrees_with_evaluate(parts: list[dict[str, Any]], lead: dict[str, Any]) -> None:
    conjunction = compile_condition({"all": parts})
    checks = conjunction.explain(lead)
    assert conjunction.evaluate(lead) == all(c.passed for c in checks)
    disjunction = compile_condition({"any": parts})
    per_part = [all(c.passed for c in compile_condition(p).explain(lead)) for p in parts]
    assert disjunction.evaluate(lead) == any(per_part)
    assert disjunction.explain(lead) == checks
    for check in checks:
        single = compile_condition({check.field: {check.matcher: check.expected}})
        if check.matcher == "eq":
            single = compile_condition({check.field: check.expected})
        assert single.evaluate(lead) == check.passed
        assert check.actual == lead.get(check.field)


@settings(max_examples=400, deadline=None)
@given(conditions, leads)
def test_traced_agrees_with_explain(cond: dict[str, Any], lead: dict[str, Any]) -> None:
    from routing.conditions.traced import compile_traced

    condition = compile_condition(cond)
    matched, entry = compile_traced(condition, "R")(lead)
    assert matched is condition.evaluate(lead)
    assert entry["step"] == "rule" and entry["rule"] == "R" and entry["matched"] is matched
    assert entry["checks"] == [
        {"field": c.field, "matcher": c.matcher, "expected": c.expected, "actual": c.actual,
         "passed": c.passed}
        for c in condition.explain(lead)
    ]  # fmt: skip
    assert all(type(c["passed"]) is bool for c in entry["checks"])
