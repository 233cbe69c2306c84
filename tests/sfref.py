"""Reference evaluator of Salesforce lead assignment rules, for tests.

Written from Salesforce's documentation (Metadata API ``AssignmentRules`` / ``RuleEntry`` /
``FilterItem``; "Filter Operators" in Salesforce Help), independently of
``routing.salesforce_rules``: it reads the XML itself and evaluates Salesforce-style lead
records (API field names, string values as in an export) directly.

Semantics:
* Entries are evaluated in order; the first whose criteria hold wins.
* Criteria items are ANDed; ``booleanFilter`` combines them by number (AND, OR, NOT,
  parentheses, any case).
* Text comparisons ignore case. ``equals`` with comma-separated values: any of them;
  ``notEqual``: none of them (so a blank field is "not equal"); an item without a value
  compares with blank.
* ``contains`` / ``startsWith`` with a comma list: any of; ``notContain``: none of (a blank
  field does not contain anything).
* Number comparisons (lessThan...) are numeric; the value may carry a currency ("USD 10,000");
  a blank field fails them.
* Checkboxes (``True``/``False``): a blank checkbox is false.
* Multi-select picklists: the field holds ``A;B``; ``includes`` ``A,B`` = A or B selected,
  ``A;B`` = both; ``excludes`` = none of the options.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

NS = "{http://soap.sforce.com/2006/04/metadata}"
NUMBER_FIELDS = {"AnnualRevenue", "NumberOfEmployees"}


@dataclass
class Item:
    field: str  # API name without "Lead."
    operation: str
    value: str | None


@dataclass
class Entry:
    index: int
    items: list[Item]
    logic: str | None


def _t(node: ET.Element, tag: str) -> str | None:
    child = node.find(NS + tag)
    return child.text if child is not None and child.text and child.text.strip() else None


def load(xml_text: str) -> dict[str, list[Entry]]:
    """Rule name (as in the file, URL-decoded) -> entries."""
    from urllib.parse import unquote

    root = ET.fromstring(xml_text)
    out: dict[str, list[Entry]] = {}
    for rule in root.findall(NS + "assignmentRule"):
        entries = []
        for i, entry in enumerate(rule.findall(NS + "ruleEntry"), start=1):
            items = [
                Item(
                    (_t(c, "field") or "").removeprefix("Lead."),
                    _t(c, "operation") or "equals",
                    _t(c, "value"),
                )
                for c in entry.findall(NS + "criteriaItems")
            ]
            entries.append(Entry(i, items, _t(entry, "booleanFilter")))
        out[unquote(_t(rule, "fullName") or "")] = entries
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _num(text: str) -> float | None:
    s = re.sub(r"[\"\s]|^[A-Z]{3}|[$€£]", "", text.strip().strip('"').strip())
    s = re.sub(r"^[A-Z]{3}", "", s).replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


def _options(value: str) -> list[str]:
    return [v.strip().lower() for v in value.split(",") if v.strip()]


def item_holds(item: Item, record: dict[str, Any]) -> bool:
    actual = record.get(item.field)
    op, value = item.operation, item.value
    if value is None:
        if op == "equals":
            return _blank(actual)
        if op == "notEqual":
            return not _blank(actual)
        raise ValueError(f"{op} without a value")
    if value.strip().lower() in ("true", "false") and op in ("equals", "notEqual"):
        checked = not _blank(actual) and str(actual).strip().lower() in ("true", "1")
        wanted = value.strip().lower() == "true"
        return (checked == wanted) == (op == "equals")
    if op in ("lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual") or (
        item.field in NUMBER_FIELDS and op in ("equals", "notEqual")
    ):
        bound = _num(value)
        assert bound is not None, value
        if _blank(actual):
            return op == "notEqual"
        n = _num(str(actual))
        if n is None:
            return op == "notEqual"
        return {
            "lessThan": n < bound,
            "greaterThan": n > bound,
            "lessOrEqual": n <= bound,
            "greaterOrEqual": n >= bound,
            "equals": n == bound,
            "notEqual": n != bound,
        }[op]
    text = "" if _blank(actual) else str(actual).lower()
    options = _options(value)
    if op == "equals":
        return not _blank(actual) and text in options
    if op == "notEqual":
        return _blank(actual) or text not in options
    if op == "contains":
        return not _blank(actual) and any(o in text for o in options)
    if op == "notContain":
        return _blank(actual) or not any(o in text for o in options)
    if op == "startsWith":
        return not _blank(actual) and any(text.startswith(o) for o in options)
    if op in ("includes", "excludes"):
        selected = {s.strip().lower() for s in text.split(";") if s.strip()}
        hit = any(
            all(part.strip().lower() in selected for part in option.split(";") if part.strip())
            for option in value.split(",")
            if option.strip()
        )
        return hit if op == "includes" else not hit
    raise ValueError(f"unsupported operation {op}")


def _logic(text: str, results: list[bool]) -> bool:
    """Evaluate filter logic by rewriting it into a Python boolean expression."""
    tokens = re.findall(r"\d+|\(|\)|[A-Za-z]+", text)
    expr = []
    for tok in tokens:
        if tok.isdigit():
            expr.append(str(results[int(tok) - 1]))
        elif tok in "()":
            expr.append(tok)
        elif tok.lower() in ("and", "or", "not"):
            expr.append(tok.lower())
        else:
            raise ValueError(f"bad filter logic {text!r}")
    # Only True/False, parentheses and and/or/not reach eval: Python's own precedence
    # (not > and > or) is the filter logic's.
    return bool(eval(" ".join(expr), {"__builtins__": {}}, {}))


def entry_holds(entry: Entry, record: dict[str, Any]) -> bool:
    results = [item_holds(item, record) for item in entry.items]
    if not entry.items:
        return True
    if entry.logic:
        return _logic(entry.logic, results)
    return all(results)


def first_match(entries: list[Entry], record: dict[str, Any], skip: set[int]) -> int | None:
    for entry in entries:
        if entry.index in skip:
            continue
        if entry_holds(entry, record):
            return entry.index
    return None
