"""import-salesforce-rules: the translator against the shared rule files, and the translated
rules in the engine against a reference evaluator of Salesforce's semantics (tests/sfref.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.config.loader import parse_config, validate_text
from routing.engine import Router
from routing.normalize import normalize_lead, salesforce_to_raw
from routing.roster import Roster
from routing.salesforce_rules import (
    CriteriaItem,
    FilterError,
    import_rules,
    parse_assignment_rules,
    parse_boolean_filter,
    translate_item,
)
from tests import sfref, shared
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


# -- lead generation ---------------------------------------------------------------------


def _near_misses(value: str) -> list[str]:
    out = [value, value.upper(), value.lower(), value + "x", "x" + value]
    if len(value) > 1:
        out.append(value[:-1])
    return out


def _pools(entries: list[sfref.Entry]) -> dict[str, list[Any]]:
    """Per field: the values in the criteria, variants and near misses, and blanks."""
    pools: dict[str, list[Any]] = {}
    for entry in entries:
        for item in entry.items:
            pool = pools.setdefault(item.field, [None, ""])
            value = item.value
            if value is None:
                continue
            if value.strip().lower() in ("true", "false"):
                pool += ["true", "false", "True", "FALSE"]
                continue
            number = sfref._num(value)
            if item.operation in ("lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual") or (
                item.field in sfref.NUMBER_FIELDS
            ):
                assert number is not None
                n = int(number)
                pool += [str(n - 1), str(n), str(n + 1), str(n * 10), "0"]
                continue
            for option in value.split(","):
                option = option.strip()
                if not option:
                    continue
                if item.field in ("CountryCode", "StateCode"):
                    # A picklist of ISO codes in Salesforce: only real codes occur.
                    pool += [option, option.lower(), "JP", "BR", "AQ", "XK"]
                elif item.operation in ("includes", "excludes"):
                    parts = [p.strip() for p in option.split(";")]
                    pool += [";".join(parts), parts[0], parts[0] + ";Other"]
                elif item.operation == "startsWith":
                    pool += [option + "12", option, "9" + option]
                elif item.operation in ("contains", "notContain"):
                    pool += [f"a{option}b", option.upper(), "zz"]
                else:
                    pool += _near_misses(option)
    return pools


def _leads(entries: list[sfref.Entry], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pools = _pools(entries)
    leads = []
    for _ in range(count):
        record: dict[str, Any] = {"LastName": "Lead", "Company": "Co"}
        for fld, pool in pools.items():
            value = rng.choice(pool)
            if value is not None:
                record[fld] = value
        leads.append(record)
    return leads


def _engine_fields(record: dict[str, Any], field_map: dict[str, str]) -> dict[str, Any]:
    return normalize_lead(salesforce_to_raw(record, field_map))


@needs_shared
@pytest.mark.parametrize(("path", "rule"), CASES, ids=lambda v: getattr(v, "name", v))
def test_engine_agrees_with_salesforce_reference(path: Path, rule: str) -> None:
    _compare(path.read_text(encoding="utf-8"), rule, seed=len(path.name) * 7919 + len(rule))


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
    _compare(ALL_OPERATIONS, "Ops", seed=11, count=4000)


def _compare(text: str, rule: str, seed: int, count: int = 1500) -> None:
    result = import_rules(text, rule_name=rule)
    reference = sfref.load(text)[rule]
    untranslated = {e.entry.index for e in result.entries if not e.translated}
    compared = [e for e in reference if e.index not in untranslated]
    if not compared:
        pytest.skip(f"{len(untranslated)} entries, none translatable")
    router = Router(parse_config(result.yaml))
    names = {e.rule_name: e.entry.index for e in result.entries if e.translated}
    hits: dict[int | None, int] = {}
    for record in _leads(compared, count, seed=seed):
        expected = sfref.first_match(reference, record, skip=untranslated)
        decision = router.route(_engine_fields(record, result.salesforce_fields), Roster(), NOW)
        got = names[decision.rule] if decision.rule is not None else None
        assert got == expected, (sorted(record.items()), expected, got, decision.reason)
        hits[expected] = hits.get(expected, 0) + 1
    with_criteria = [e.index for e in compared if e.items]
    covered = [i for i in with_criteria if hits.get(i)]
    # The generated leads reach most entries, not only the fall-through case.
    assert len(covered) >= len(with_criteria) // 2, (hits, with_criteria)


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
def test_translate_item(item: CriteriaItem, expected: dict[str, Any]) -> None:
    assert translate_item(item)[0] == expected


@pytest.mark.parametrize(
    "item",
    [
        CriteriaItem("Campaign.Name", "equals", "X"),
        CriteriaItem("Lead.Owner.Name", "equals", "X"),
        CriteriaItem("Lead.CreatedById", "equals", "Integration User"),
        CriteriaItem("Lead.CreatedDate", "equals", "TODAY"),
        CriteriaItem("Lead.Geo__c", "within", "1"),
    ],
)
def test_untranslatable_items(item: CriteriaItem) -> None:
    from routing.salesforce_rules import Untranslatable

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
    assert [r["assign"] for r in rules] == [{"rep": "amy"}, {"queue": "triage"}]
    assert "when" not in rules[1]  # catch-all
    assert {r["id"] for r in doc["reps"]} >= {"amy"}
    assert "triage" in doc["queues"]
    assert "formula" in result.yaml and "unreachable" in result.yaml
    assert any("formula" in w for w in result.warnings)
    assert validate_text(result.yaml) == []
    router = Router(parse_config(result.yaml))
    for tags, rule in [("Gold;Silver", "1: amy@example.com"), ("platinum;x", "1: amy@example.com"),
                       ("Gold", "3: Catch_All"), (None, "3: Catch_All")]:  # fmt: skip
        fields = normalize_lead({"Tags__c": tags} if tags else {})
        assert router.route(fields, Roster(), NOW).rule == rule, tags
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
    assert "warning: entry 2: formula" in proc.stderr
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
