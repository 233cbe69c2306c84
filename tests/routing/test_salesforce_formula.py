"""The formula subset: the grammar (precedence, literals, errors with their column) and what
translates, what is refused with the function, operator or field named."""

from __future__ import annotations

from typing import Any

import pytest

from routing.salesforce_rules import (
    FormulaError,
    Untranslatable,
    parse_formula,
    translate_formula,
)


def cond(text: str) -> Any:
    return translate_formula(text)[0]


def test_precedence_and_literals() -> None:
    # && binds tighter than ||; comparison tighter than both.
    tree = parse_formula("a = 1 || b = 'x' && c <> \"y\"")
    assert tree[0] == "bin" and tree[1] == "||"
    assert tree[3][1] == "&&"
    assert parse_formula("'it\\'s'") == ("str", "it's")
    assert parse_formula("/* note */ TRUE") == ("bool", True)
    assert parse_formula("NOT(x)")[:2] == ("call", "NOT")
    assert parse_formula("-5")[0] == "neg"


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 1, "empty formula"),
        ("AND(a = 1,", 11, "expected a value, found the end"),
        ("a = 'x", 5, "text never closed"),
        ("a = 1)", 6, "unexpected ')'"),
        ("a @ b", 3, "unexpected '@'"),
        ("/* never closed", 1, "comment never closed"),
        ("ISPICKVAL(a, 'x' 'y')", 18, "expected ')'"),
    ],
)
def test_syntax_errors_name_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(FormulaError) as err:
        parse_formula(text)
    assert err.value.column == column
    assert f"column {column}: {message}" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TRUE", True),
        ("FALSE", False),
        ("AND(TRUE, NOT(FALSE))", True),
        ("OR(FALSE, ISBLANK(Country))", {"country": {"exists": False}}),
        ("AND(ISBLANK(Country), FALSE)", False),
        ("ISPICKVAL(Status, 'Open')", {"status": {"matches": r"^\s*Open\s*$"}}),
        ("Status = ''", {"status": {"exists": False}}),
        ("NumberOfEmployees >= 10", {"employees": {"gte": 10}}),
        ("10 > NumberOfEmployees", {"employees": {"lt": 10}}),
        ("AnnualRevenue = -5", {"annual_revenue": -5}),
        ("DoNotCall", {"do_not_call": True}),
        ("DoNotCall = FALSE", {"not": {"do_not_call": True}}),
        ("LOWER(City) = 'paris'", {"city": "paris"}),
        ("LOWER(City) = 'Paris'", False),  # LOWER never gives a capital
        ("CONTAINS(UPPER(Title), 'VP')", {"title": {"contains": "VP"}}),
        ("BEGINS(Company, 'A.')", {"company": {"matches": r"^\s*A\."}}),
        ("$RecordType.Name = 'Partner'", {"record_type": {"matches": r"^\s*Partner\s*$"}}),
        ("Campaign_Name__c != 'X'", {"not": {"Campaign_Name__c": {"matches": r"^\s*X\s*$"}}}),
        ("Country = NULL", {"country": {"exists": False}}),
        ("Country__r.Name = 'DE'", {"Country__r.Name": {"matches": r"^\s*DE\s*$"}}),
        ("LastActivityDate = TODAY()", {"last_activity_date": {"on_date": "TODAY"}}),
        ("TODAY() - 7 <= ConvertedDate", {"converted_date": {"on_or_after": "N_DAYS_AGO:7"}}),
        ("LastActivityDate < 1 + TODAY()", {"last_activity_date": {"before": "TOMORROW"}}),
        ("ConvertedDate <> TODAY()", {"not": {"converted_date": {"on_date": "TODAY"}}}),
    ],
)
def test_translations(text: str, expected: Any) -> None:
    assert cond(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("DATEVALUE(CreatedDate) = TODAY()", "function DATEVALUE"),
        ("ISCHANGED(Status)", "function ISCHANGED"),
        ("Country = State", "compares Country with State"),
        ("$User.Department = 'Sales'", "$User.Department"),
        ("NumberOfEmployees + 1 > 5", "+"),
        ("Title < 'M'", "orders text"),
        ("CONTAINS('abc', Title)", "not a field"),
        ("Campaign.Name = 'DE'", "Campaign.Name"),
        ("ISPICKVAL(Status)", "ISPICKVAL takes 2"),
        ("CreatedDate = TODAY()", "only the date fields"),  # a date-time
        ("Due__c = TODAY()", "only the date fields"),  # a custom field: type unknown
        ("LastActivityDate = TODAY() + 5", "TODAY() + 5"),
        ("TODAY() = TODAY()", "not a date field"),
    ],
)
def test_outside_the_subset_is_refused_by_name(text: str, named: str) -> None:
    with pytest.raises(Untranslatable, match=None) as err:
        translate_formula(text)
    assert named in str(err.value)


def test_cross_object_fields_through_the_field_map() -> None:
    condition, refs = translate_formula(
        "Country__r.Name = 'DE'", field_map={"Country__r.Name": "country_name"}
    )
    assert condition == {"country_name": {"matches": r"^\s*DE\s*$"}}
    assert [r.query for r in refs] == ["Country__r.Name"]  # the poller reads it
