"""import-salesforce-rules: the translator against the shared rule files, one item at a time,
the assignees, and the command. The engine against Salesforce's semantics on generated leads
is tests/routing/test_salesforce_parity.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.config.loader import parse_config, validate_text
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import Roster
from routing.salesforce_rules import (
    CriteriaItem,
    FilterError,
    Untranslatable,
    import_rules,
    parse_assignment_rules,
    parse_boolean_filter,
    translate_item,
)
from tests import shared
from tests.routing.test_salesforce_parity import compare
from tests.shared import needs_shared

RULES_DIR = shared.DATA / "salesforce" / "assignment_rules"
FILES = sorted(RULES_DIR.iterdir()) if RULES_DIR.is_dir() else []
NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def _rule_names(path: Path) -> list[str]:
    return [r.name for r in parse_assignment_rules(path.read_text(encoding="utf-8"))]


CASES = shared.params([(path, name) for path in FILES for name in _rule_names(path)], width=2)


@needs_shared
@pytest.mark.parametrize("path", shared.params(FILES), ids=lambda p: getattr(p, "name", p))
def test_active_rule_output_validates(path: Path) -> None:
    result = import_rules(path.read_text(encoding="utf-8"), source=path.name)
    assert validate_text(result.yaml) == []
    assert result.rule.active
    assert len(result.entries) == len(result.rule.entries)
    for entry in result.entries:
        if not entry.translated:
            assert entry.warnings, entry  # every untranslated entry says why
            assert f"# Salesforce entry {entry.entry.index}" in result.yaml  # kept as a comment


@needs_shared
@pytest.mark.parametrize(("path", "rule"), CASES, ids=lambda v: getattr(v, "name", v))
def test_every_rule_validates(path: Path, rule: str) -> None:
    result = import_rules(path.read_text(encoding="utf-8"), rule_name=rule)
    assert validate_text(result.yaml) == []


ALL_OPERATIONS = """<?xml version="1.0" encoding="UTF-8"?>
<AssignmentRules xmlns="http://soap.sforce.com/2006/04/metadata">
  <assignmentRule><fullName>Ops</fullName><active>true</active>
    <ruleEntry><assignedTo>a@x.com</assignedTo><assignedToType>User</assignedToType>
      <booleanFilter>1 AND (2 or 3)</booleanFilter>
      <criteriaItems><field>Lead.Industry</field><operation>notEqual</operation>
        <value>Banking,Retail</value></criteriaItems>
      <criteriaItems><field>Lead.Title</field><operation>notContain</operation>
        <value>intern,student</value></criteriaItems>
      <criteriaItems><field>Lead.Rating</field><operation>equals</operation></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>b@x.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.NumberOfEmployees</field><operation>lessOrEqual</operation>
        <value>500</value></criteriaItems>
      <criteriaItems><field>Lead.AnnualRevenue</field><operation>greaterOrEqual</operation>
        <value>1,000,000</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>Q1</assignedTo><assignedToType>Queue</assignedToType>
      <booleanFilter>(1 OR 2) AND 3</booleanFilter>
      <criteriaItems><field>Lead.Products__c</field><operation>includes</operation>
        <value>CRM;ERP,BI</value></criteriaItems>
      <criteriaItems><field>Lead.Company</field><operation>startsWith</operation>
        <value>Acme,Glo,Ini,Umb,Sta</value></criteriaItems>
      <criteriaItems><field>Lead.Is_Partner__c</field><operation>equals</operation>
        <value>False</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>c@x.com</assignedTo><assignedToType>User</assignedToType>
      <booleanFilter>1 AND NOT 2 AND 3</booleanFilter>
      <criteriaItems><field>Lead.Products__c</field><operation>excludes</operation>
        <value>CRM</value></criteriaItems>
      <criteriaItems><field>Lead.Rating</field><operation>notEqual</operation></criteriaItems>
      <criteriaItems><field>Lead.NumberOfEmployees</field><operation>greaterThan</operation>
        <value>10</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>d@x.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.Title</field><operation>contains</operation>
        <value>VP,Head,Chief,Director</value></criteriaItems>
      <criteriaItems><field>Lead.NumberOfEmployees</field><operation>lessThan</operation>
        <value>20</value></criteriaItems>
    </ruleEntry>
  </assignmentRule>
</AssignmentRules>"""


def test_engine_agrees_on_every_operation() -> None:
    compare(ALL_OPERATIONS, "Ops", seed=11, count=4000)


@needs_shared
def test_untranslatable_entries_are_counted() -> None:
    counts = {}
    for path in FILES:
        result = import_rules(path.read_text(encoding="utf-8"))
        counts[path.name] = (result.translated, result.skipped)
    assert sum(t for t, _ in counts.values()) > 0
    assert sum(s for _, s in counts.values()) > 0  # Campaign.Name, CreatedById, RecordTypeId...


# -- unit cases ----------------------------------------------------------------------------


def test_boolean_filter_parser() -> None:
    tree, notes = parse_boolean_filter("(1 AND 2) OR (3 AND 4)", 4)
    assert tree[0] == "or" and [c[0] for c in tree[1]] == ["and", "and"]
    assert notes == []
    tree, _ = parse_boolean_filter("1 or 2 or 3", 3)
    assert tree[0] == "or" and len(tree[1]) == 3
    tree, _ = parse_boolean_filter("1 AND NOT (2 OR 3)", 3)
    assert tree[0] == "and" and tree[1][1][0] == "not"
    _, notes = parse_boolean_filter("1 AND 2 OR 3", 3)
    assert any("parentheses" in n for n in notes)
    _, notes = parse_boolean_filter("1 OR 2", 3)
    assert any("3" in n for n in notes)
    for bad in ("1 AND", "(1 OR 2", "1 XOR 2", "1 AND 5", "1 2"):
        with pytest.raises(FilterError):
            parse_boolean_filter(bad, 3)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (CriteriaItem("Lead.Country", "equals", "Germany,Austria"),
         {"country": {"in": ["Germany", "Austria"]}}),
        (CriteriaItem("Lead.State", "equals", "CA"), {"state": "CA"}),
        (CriteriaItem("Lead.LeadSource", "notEqual", "Web,Phone"),
         {"not": {"lead_source": {"in": ["Web", "Phone"]}}}),
        (CriteriaItem("Lead.Industry", "equals", None), {"industry": {"exists": False}}),
        (CriteriaItem("Lead.Industry", "notEqual", None), {"industry": {"exists": True}}),
        (CriteriaItem("Lead.NumberOfEmployees", "greaterOrEqual", "1,000"),
         {"employees": {"gte": 1000}}),
        (CriteriaItem("Lead.AnnualRevenue", "lessThan", '"USD 10,000"'),
         {"annual_revenue": {"lt": 10000}}),
        (CriteriaItem("Lead.Title", "contains", "VP"), {"title": {"contains": "VP"}}),
        (CriteriaItem("Lead.Email", "notContain", ".edu"),
         {"not": {"email": {"contains": ".edu"}}}),
        (CriteriaItem("Lead.Company", "startsWith", "Acme,Globex"),
         {"any": [{"company": {"starts_with": "Acme"}}, {"company": {"starts_with": "Globex"}}]}),
        (CriteriaItem("Lead.Rating", "equals", "Hot"), {"rating": "Hot"}),
        (CriteriaItem("Lead.City", "equals", "Paris"), {"city": "Paris"}),
        (CriteriaItem("Lead.PostalCode", "equals", "10115"), {"postal_code": "10115"}),
        (CriteriaItem("Lead.Is_Partner__c", "equals", "True"), {"Is_Partner__c": True}),
        (CriteriaItem("Lead.Is_Partner__c", "equals", "False"), {"not": {"Is_Partner__c": True}}),
    ],
)  # fmt: skip
def test_translate_item_normalised(item: CriteriaItem, expected: dict[str, Any]) -> None:
    """--normalise: the rule language's ordinary (normalising) matchers."""
    assert translate_item(item, normalise=True)[0] == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (CriteriaItem("Lead.Country", "equals", "United Kingdom,UK"),
         {"country": {"in": ["United Kingdom", "UK"]}}),
        (CriteriaItem("Lead.CountryCode", "equals", "GB"), {"sf.CountryCode": "GB"}),
        (CriteriaItem("Lead.PostalCode", "equals", "2057-2122,2250-2490"),
         {"postal_code": {"in": ["2057-2122", "2250-2490"]}}),
        (CriteriaItem("Lead.LastName", "equals", '616,"Smith, Jr.","Say ""Hi"""'),
         {"last_name": {"in": ["616", "Smith, Jr.", 'Say "Hi"']}}),
        (CriteriaItem("Lead.NumberOfEmployees", "equals", "1,000"), {"employees": 1000}),
        # A number field reads "50,100" as one number with a thousands separator.
        (CriteriaItem("Lead.NumberOfEmployees", "equals", "50,100"), {"employees": 50100}),
        (CriteriaItem("Lead.NumberOfEmployees", "equals", "50, 7"), {"employees": {"in": [50, 7]}}),
        (CriteriaItem("Lead.Company", "lessThan", "M"), {"company": {"lt": "M"}}),
        (CriteriaItem("Lead.Score__c", "greaterThan", "10"), {"Score__c": {"gt": 10}}),
        (CriteriaItem("Lead.RecordTypeId", "equals", "Partner"), {"record_type": "Partner"}),
        (CriteriaItem("Lead.CreatedById", "notEqual", "Integration User"),
         {"not": {"created_by": "Integration User"}}),
        (CriteriaItem("Lead.DoNotCall", "equals", "False"), {"not": {"do_not_call": True}}),
        (CriteriaItem("Lead.Owner.UserRole.Name", "equals", "EMEA Sales"),
         {"Owner.UserRole.Name": "EMEA Sales"}),
    ],
)  # fmt: skip
def test_translate_item_as_written(item: CriteriaItem, expected: dict[str, Any]) -> None:
    """The default: Salesforce's meaning, for an as_written block."""
    assert translate_item(item)[0] == expected


def test_cross_object_fields_need_the_field_map() -> None:
    # A lead relationship's field needs no map: the poller can select it.
    item = CriteriaItem("Lead.Country__r.Name", "equals", "Germany")
    assert translate_item(item)[0] == {"Country__r.Name": "Germany"}
    # Another object's field does.
    with pytest.raises(Untranslatable, match="--field-map"):
        translate_item(CriteriaItem("Campaign.Name", "equals", "X"))
    mapped = {"Country__r.Name": "country_name"}
    assert translate_item(item, field_map=mapped)[0] == {"country_name": "Germany"}
    result = import_rules(XML.replace("Lead.Tags__c", "Lead.Country__r.Name"), field_map=mapped)
    assert result.salesforce_fields["Country__r.Name"] == "country_name"  # the poller reads it


@pytest.mark.parametrize(
    "item",
    [
        CriteriaItem("Campaign.Name", "equals", "X"),
        CriteriaItem("Lead.Owner:User.Name", "equals", "X"),  # polymorphic syntax
        CriteriaItem("Lead.Title", "like", "VP"),
        CriteriaItem("User.ProfileId", "equals", "System Administrator"),  # the running user
        CriteriaItem("", "equals", "X"),
        CriteriaItem("Lead.CreatedDate", "equals", "THIS_WEEK"),  # the week's start: locale
        CriteriaItem("Lead.CreatedDate", "equals", "NEXT_N_DAYS:3"),
        CriteriaItem("Lead.CreatedDate", "equals", "31/1/2024"),  # day first: not month/day
        CriteriaItem("Lead.CreatedDate", "equals", "2024-01-31T10:00:00Z"),  # an instant
        CriteriaItem("Lead.CreatedDate", "contains", "2024"),
        CriteriaItem("Lead.CreatedDate", "lessThan", "TODAY,YESTERDAY"),
        CriteriaItem("Lead.Due__c", "equals", "LAST_N_WEEKS:2"),
        CriteriaItem("Lead.Geo__c", "within", "1"),
    ],
)
def test_untranslatable_items(item: CriteriaItem) -> None:
    with pytest.raises(Untranslatable):
        translate_item(item)


XML = """<?xml version="1.0" encoding="UTF-8"?>
<AssignmentRules xmlns="http://soap.sforce.com/2006/04/metadata">
  <assignmentRule><fullName>Old</fullName><active>false</active>
    <ruleEntry><assignedTo>Old_Queue</assignedTo><assignedToType>Queue</assignedToType></ruleEntry>
  </assignmentRule>
  <assignmentRule><fullName>Main</fullName><active>true</active>
    <ruleEntry><assignedTo>amy@example.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.Tags__c</field><operation>includes</operation>
        <value>Gold;Silver,Platinum</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>Triage</assignedTo><assignedToType>Queue</assignedToType>
      <formula>ISPICKVAL(Status, 'Open')</formula>
    </ruleEntry>
    <ruleEntry><assignedTo>Catch_All</assignedTo><assignedToType>Queue</assignedToType>
      <template>x/y</template></ruleEntry>
    <ruleEntry><assignedTo>Never</assignedTo><assignedToType>Queue</assignedToType></ruleEntry>
  </assignmentRule>
</AssignmentRules>"""


def test_active_rule_mapping_formula_and_catch_all() -> None:
    result = import_rules(XML, mapping={"amy@example.com": "amy", "Catch_All": "triage"})
    assert result.rule.name == "Main"
    doc = yaml.safe_load(result.yaml)
    rules = doc["rules"]
    assert [r["assign"] for r in rules] == [
        {"rep": "amy"},
        {"queue": "triage"},  # the formula entry
        {"queue": "triage"},
    ]
    assert "when" not in rules[2]  # catch-all
    assert {r["id"] for r in doc["reps"]} >= {"amy"}
    assert "triage" in doc["queues"]
    assert "formula: ISPICKVAL" in result.yaml and "unreachable" in result.yaml
    assert any("entry 4 (line 16): unreachable" in w for w in result.warnings)
    assert validate_text(result.yaml) == []
    router = Router(parse_config(result.yaml))
    for lead, rule in [({"Tags__c": "Gold;Silver"}, "1: amy@example.com"),
                       ({"Tags__c": "platinum;x"}, "1: amy@example.com"),
                       ({"Tags__c": "Gold", "status": "Open"}, "2: Triage"),
                       ({"status": "open"}, "3: Catch_All"),  # ISPICKVAL is case-sensitive
                       ({}, "3: Catch_All")]:  # fmt: skip
        fields = normalize_lead(lead)
        assert router.route(fields, Roster(), NOW).rule == rule, lead
    old = import_rules(XML, rule_name="Old")
    assert yaml.safe_load(old.yaml)["rules"][0]["assign"] == {"queue": "old-queue"}
    with pytest.raises(ValueError, match="no rule named"):
        import_rules(XML, rule_name="Missing")


def test_cli(tmp_path: Path) -> None:
    src = tmp_path / "Lead.assignmentRules"
    src.write_text(XML, encoding="utf-8")
    mapping = tmp_path / "users.csv"
    mapping.write_text("salesforce,id\namy@example.com,amy\n", encoding="utf-8")
    out = tmp_path / "rules.yml"
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import-salesforce-rules", str(src),
         "--map", str(mapping), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "warning: entry 4 (line 16): unreachable: entry 3 matches every lead" in proc.stderr
    assert "{rep: amy}" in out.read_text()
    check = subprocess.run(
        [sys.executable, "-m", "bot.cli", "validate", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr


def test_a_yaml_map_is_read_with_the_config_readers_limits(tmp_path: Path) -> None:
    src = tmp_path / "Lead.assignmentRules"
    src.write_text(XML, encoding="utf-8")
    bomb = tmp_path / "users.yml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import-salesforce-rules", str(src),
         "--map", str(bomb), "--out", str(tmp_path / "out.yml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "aliases copy too much" in proc.stderr and "Traceback" not in proc.stderr


# -- bad input and --normalise ------------------------------------------------------------

BAD_ENTRIES = """<?xml version="1.0" encoding="UTF-8"?>
<AssignmentRules xmlns="http://soap.sforce.com/2006/04/metadata">
  <assignmentRule><fullName>Bad</fullName><active>true</active>
    <ruleEntry><assignedTo>a@x.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.Title</field><operation>sounds_like</operation>
        <value>VP</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>b@x.com</assignedTo><assignedToType>User</assignedToType>
      <formula>AND(ISPICKVAL(Status, "Open"),</formula>
    </ruleEntry>
    <ruleEntry><assignedTo>c@x.com</assignedTo><assignedToType>User</assignedToType>
      <formula>DATEVALUE(CreatedDate) = TODAY()</formula>
    </ruleEntry>
    <ruleEntry><assignedTo>d@x.com</assignedTo><assignedToType>User</assignedToType>
      <booleanFilter>1 XOR 2</booleanFilter>
      <criteriaItems><field>Lead.Title</field><operation>equals</operation><value>VP</value></criteriaItems>
      <criteriaItems><field>Lead.City</field><operation>equals</operation><value>X</value></criteriaItems>
    </ruleEntry>
    <ruleEntry><assignedTo>e@x.com</assignedTo><assignedToType>User</assignedToType>
      <criteriaItems><field>Lead.Title</field><operation>equals</operation><value>CEO</value></criteriaItems>
    </ruleEntry>
  </assignmentRule>
</AssignmentRules>"""


def _cli(tmp_path: Path, xml: str, *args: str) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "Lead.assignmentRules"
    src.write_text(xml, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "import-salesforce-rules", str(src), *args],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<AssignmentRules><assignmentRule></AssignmentRules>",
         "not valid XML at line 1, column 36: mismatched tag"),
        ("", "not valid XML at line 1, column 1"),
        ('<?xml version="1.0"?>\n<Workflow/>', "expected an AssignmentRules document"),
        ("<AssignmentRules/>", "the document has no assignmentRule"),
    ],
)  # fmt: skip
def test_a_document_that_cannot_be_read_is_one_clear_error(
    tmp_path: Path, xml: str, message: str
) -> None:
    proc = _cli(tmp_path, xml)
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_bad_entries_are_warnings_with_their_position(tmp_path: Path) -> None:
    proc = _cli(tmp_path, BAD_ENTRIES)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr  # the rest imports and validates
    err = proc.stderr
    assert "warning: entry 1 (line 4): criteria item 1: unknown operation 'sounds_like'" in err
    assert "warning: entry 2 (line 8): formula does not parse at column 31" in err
    assert "warning: entry 3 (line 11): formula function DATEVALUE is not in the supported" in err
    assert "warning: entry 4 (line 14): unknown word 'XOR'" in err
    assert "{rep: e}" in proc.stdout  # the good entry is there
    assert "Bad: 5 entries, 1 translated, 4 kept as comments" in err


def test_normalise_routes_england_to_the_uk_entry_and_reports_it(tmp_path: Path) -> None:
    xml = (
        Path(__file__).resolve().parents[1] / "data" / "salesforce_rules"
        / "operators.assignmentRules-meta.xml"
    ).read_text(encoding="utf-8")  # fmt: skip
    as_written = import_rules(xml)
    normalised = import_rules(xml, normalise=True)
    england = normalize_lead({"country": "England"})
    assert Router(parse_config(as_written.yaml)).route(england, Roster(), NOW).rule != (
        "2: uk@example.com"
    )
    assert Router(parse_config(normalised.yaml)).route(england, Roster(), NOW).rule == (
        "2: uk@example.com"
    )
    changes = "\n".join(normalised.changes)
    assert "entry 2 (line 12): Lead.Country 'UK' compares as the country code GB" in changes
    assert "'England'" in changes
    assert "entry 4 (line 20): Lead.PostalCode '94702' also matches its ZIP+4" in changes
    assert "'2057-2122' reads as a range" in changes
    assert "Lead.LastName '616' also matches other spellings of the number 616" in changes
    assert "entry 3 (line 16): Lead.State 'DC' compares as the state code DC" in changes
    assert as_written.changes == []
    proc = _cli(tmp_path, xml, "--normalise", "--field-map", str(_field_map(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert "--normalise changes the meaning of" in proc.stderr
    assert "changed: entry 2 (line 12): Lead.Country 'UK' compares as the country code GB" in (
        proc.stderr
    )
    assert "as_written" not in proc.stdout and "!~ Lead.Country" in proc.stdout


def _field_map(tmp_path: Path) -> Path:
    path = tmp_path / "fields.yml"
    path.write_text("Country__r.Name: country_name\nCampaign.Name: campaign\n", encoding="utf-8")
    return path


def test_a_bad_field_map_is_a_clear_error(tmp_path: Path) -> None:
    missing = _cli(tmp_path, XML, "--field-map", str(tmp_path / "nope.yml"))
    assert missing.returncode == 1 and "error: --field-map:" in missing.stderr
    listed = tmp_path / "fields.yml"
    listed.write_text("- Country__r.Name\n", encoding="utf-8")
    bad = _cli(tmp_path, XML, "--field-map", str(listed))
    assert bad.returncode == 1 and "error: --field-map:" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr


@pytest.mark.parametrize(
    ("item", "condition"),
    [
        (
            CriteriaItem("Lead.CreatedDate", "equals", "TODAY"),
            {"salesforce_created_at": {"on_date": "TODAY"}},
        ),
        (
            CriteriaItem("Lead.CreatedDate", "equals", "1/31/2024, 2024-02-29"),
            {
                "any": [
                    {"salesforce_created_at": {"on_date": "2024-01-31"}},
                    {"salesforce_created_at": {"on_date": "2024-02-29"}},
                ]
            },
        ),
        (
            CriteriaItem("Lead.LastActivityDate", "notEqual", "last_n_days:30"),
            {"not": {"last_activity_date": {"on_date": "LAST_N_DAYS:30"}}},
        ),
        (
            CriteriaItem("Lead.ConvertedDate", "greaterOrEqual", "THIS_MONTH"),
            {"converted_date": {"on_or_after": "THIS_MONTH"}},
        ),
        (CriteriaItem("Lead.ConvertedDate", "equals", None), {"converted_date": {"exists": False}}),
        (
            CriteriaItem("Lead.Due__c", "lessThan", "12/1/2026"),
            {"Due__c": {"before": "2026-12-01"}},
        ),
        # A standard text field compared with a date-like text compares the text.
        (CriteriaItem("Lead.Description", "equals", "TODAY"), {"description": "TODAY"}),
    ],
)
def test_date_items_translate(item: CriteriaItem, condition: dict[str, object]) -> None:
    assert translate_item(item)[0] == condition


def test_an_untranslated_date_literal_is_named() -> None:
    with pytest.raises(Untranslatable, match="THIS_WEEK"):
        translate_item(CriteriaItem("Lead.CreatedDate", "equals", "THIS_WEEK"))
