"""One criteria item (``field``, ``operation``, ``value``) -> a condition mapping.

Two translations:

* :func:`literal_condition` (the default) keeps Salesforce's meaning. It is meant to sit in
  an ``as_written:`` block (:mod:`routing.conditions.literal`): text compares as written
  (case-insensitive, trimmed), numbers only on number fields, no country/state codes, no
  postal ranges or ZIP+4. Operators as Salesforce documents them: ``equals`` with a comma
  list is any of, ``notEqual`` none of (so it holds for a blank field), ``contains`` /
  ``startsWith`` any of, ``notContain`` none of (holds for blank), an empty value tests for
  blank, a checkbox that is blank is false, ``includes``/``excludes`` on a multi-select
  picklist (``A;B`` = both selected), ``lessThan``... numeric on number fields and in text
  order on text fields.
* :func:`normalised_condition` (``--normalise``) writes ordinary matchers: countries and
  states compare as codes, postal codes as codes and ranges, numbers inside text as numbers.
  :mod:`.meaning` reports where that differs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from routing.salesforce_rules.dates import date_condition, is_date_item
from routing.salesforce_rules.fields import FieldRef, Untranslatable, resolve_field
from routing.salesforce_rules.metadata import CriteriaItem
from routing.salesforce_rules.values import number, split_list

__all__ = [
    "OPERATIONS",
    "ORDER_OPS",
    "any_of",
    "literal_condition",
    "msp_pattern",
    "normalised_condition",
]

ORDER_OPS = {"lessThan": "lt", "greaterThan": "gt", "lessOrEqual": "lte", "greaterOrEqual": "gte"}
OPERATIONS = frozenset(
    {"equals", "notEqual", "contains", "notContain", "startsWith", "includes", "excludes", "within"}
    | set(ORDER_OPS)
)
# An amount with its currency ("USD 30,000", "$5,000"): only currency fields hold those.
_CURRENCY_RE = re.compile(r'\s*"?\s*(?:[A-Z]{3}\s+|[$€£¥]\s*)[\d,]+(?:\.\d+)?\s*"?\s*')
#: Above this many values, "any of" starts_with/contains is written as one regex.
_REGEX_OVER = 3


def any_of(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return nodes[0] if len(nodes) == 1 else {"any": nodes}


def _text_any(key: str, matcher: str, needles: list[str]) -> dict[str, Any]:
    """Any of the needles: a few ``starts_with``/``contains`` under ``any``, or one regex
    with the same meaning (case-insensitive, surrounding whitespace ignored)."""
    if len(needles) <= _REGEX_OVER:
        return any_of([{key: {matcher: v}} for v in needles])
    alternatives = "|".join(re.escape(v) for v in needles)
    anchor = r"^\s*" if matcher == "starts_with" else ""
    return {key: {"matches": f"(?i){anchor}(?:{alternatives})"}}


def msp_pattern(item: str, ignore_case: bool = True) -> str:
    """A regex for "``item`` is among the ``;``-separated selections"."""
    flags = "(?i)" if ignore_case else ""
    return flags + r"(?:^|;)\s*" + re.escape(item) + r"\s*(?:;|$)"


def _multi_select(key: str, op: str, raw: str) -> dict[str, Any]:
    groups = []
    for option in split_list(raw):
        selected = [s.strip() for s in option.split(";") if s.strip()]
        parts = [{key: {"matches": msp_pattern(s)}} for s in selected]
        groups.append(parts[0] if len(parts) == 1 else {"all": parts})
    node = any_of(groups)
    return node if op == "includes" else {"not": node}


def _exactly_selected(key: str, option: str) -> dict[str, Any]:
    """``equals A;B`` on a multi-select picklist: exactly A and B selected, in any order
    (SOQL "Querying Multi-Select Picklists": ``= 'AAA;BBB'`` is an exact match)."""
    parts = list(dict.fromkeys(s.strip() for s in option.split(";") if s.strip()))
    if not parts:
        raise Untranslatable(f"{option!r}: no picklist value")
    alternatives = "|".join(re.escape(p) for p in parts)
    only = rf"(?i)^\s*(?:{alternatives})\s*(?:;\s*(?:{alternatives})\s*)*$"
    each = [{key: {"matches": msp_pattern(p)}} for p in parts]
    return {"all": [*each, {key: {"matches": only}}]}


def _one_of(key: str, values: list[Any]) -> dict[str, Any]:
    return {key: values[0]} if len(values) == 1 else {key: {"in": values}}


def _common(
    item: CriteriaItem, ref: FieldRef, multi_select: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """What both translations share: refusals, blanks, checkboxes, string operators.
    ``multi_select``: the fields the rule itself shows are multi-select picklists (it uses
    ``includes``/``excludes`` on them), where ``equals`` compares the set of selections."""
    op, raw = item.operation, item.value
    if op not in OPERATIONS:
        raise Untranslatable(f"unknown operation {op!r} on {item.field}")
    if op == "within":
        raise Untranslatable(f"{item.field} within (a geolocation distance) has no equivalent")
    key = ref.key
    if raw is None or not raw.strip():  # blank means the same for every kind of field
        if op == "equals":
            return {key: {"exists": False}}
        if op == "notEqual":
            return {key: {"exists": True}}
        raise Untranslatable(f"{item.field} {op} <blank> has no defined meaning")
    if is_date_item(item, ref):
        return date_condition(item, ref)
    lowered = raw.strip().lower()
    if op in ("equals", "notEqual") and (ref.kind == "checkbox" or lowered in ("true", "false")):
        truth = (lowered == "true") == (op == "equals")  # a blank checkbox is false
        node: dict[str, Any] = {key: True}
        return node if truth else {"not": node}
    if op in ("contains", "notContain", "startsWith"):
        node = _text_any(key, "starts_with" if op == "startsWith" else "contains", split_list(raw))
        return {"not": node} if op == "notContain" else node
    if op in ("includes", "excludes"):
        return _multi_select(key, op, raw)
    if op in ("equals", "notEqual") and item.field in multi_select:
        node = any_of([_exactly_selected(key, option) for option in split_list(raw)])
        return node if op == "equals" else {"not": node}
    return None


def literal_condition(
    item: CriteriaItem,
    field_map: Mapping[str, str] | None = None,
    multi_select: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], FieldRef]:
    """The item with Salesforce's meaning, for an ``as_written:`` block."""
    ref = resolve_field(item.field, field_map)
    done = _common(item, ref, multi_select)
    if done is not None:
        return done, ref
    op, raw = item.operation, item.value or ""
    key = ref.key
    custom = ref.key == ref.label.removeprefix("Lead.") and ref.key.endswith("__c")
    # Metadata gives no custom field's type: a currency amount in the rule says "currency".
    numeric_field = ref.kind == "number" or (custom and _CURRENCY_RE.fullmatch(raw) is not None)
    if op in ORDER_OPS:
        n = number(raw)
        if numeric_field or (custom and n is not None):
            if n is None:
                raise Untranslatable(f"{item.field} {op} {raw!r}: not a number")
            return {key: {ORDER_OPS[op]: n}}, ref
        # A text field orders text.
        return {key: {ORDER_OPS[op]: raw.strip()}}, ref
    values: list[Any]
    if numeric_field:
        numbers = [number(v) for v in split_list(raw)] if number(raw) is None else [number(raw)]
        if any(v is None for v in numbers):
            raise Untranslatable(f"{item.field} {op} {raw!r}: not a number")
        values = list(dict.fromkeys(numbers))
    else:
        values = split_list(raw)
    inner = _one_of(key, values)
    return (inner if op == "equals" else {"not": inner}), ref


# Normalised translation: the rule language's ordinary matchers.
# Normalised: the rule language's keys, whose values ingest normalises.
_NORMALISED_KEYS = {
    "sf.CountryCode": "country",
    "sf.StateCode": "state",
    "sf.Phone": "phone",
}
_NUMBER_KEYS = frozenset({"employees", "annual_revenue"})


def normalised_condition(
    item: CriteriaItem,
    field_map: Mapping[str, str] | None = None,
    multi_select: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], FieldRef]:
    """The item with the rule language's normalisation (``--normalise``)."""
    ref = resolve_field(item.field, field_map)
    # Country and state codes compare as the normalised code of what the lead wrote.
    key = _NORMALISED_KEYS.get(ref.key, ref.key)
    if key != ref.key:
        ref = FieldRef(key, ref.label, ref.kind, None)
    done = _common(item, ref, multi_select)
    if done is not None:
        return done, ref
    op, raw = item.operation, item.value or ""
    if op in ORDER_OPS:
        n = number(raw)
        if n is None:
            raise Untranslatable(
                f"{item.field} {op} {raw!r}: not a number (text order translates without "
                "--normalise)"
            )
        return {key: {ORDER_OPS[op]: n}}, ref
    whole = number(raw) if (key in _NUMBER_KEYS or "," in raw) else None
    values: list[Any]
    if key in _NUMBER_KEYS or (whole is not None and re.search(r"\d,\d{3}", raw)):
        if whole is None:
            numbers = [number(v) for v in split_list(raw)]
            if any(v is None for v in numbers):
                raise Untranslatable(f"{item.field} {op} {raw!r}: not a number")
            values = list(dict.fromkeys(numbers))
        else:
            values = [whole]
    else:
        values = split_list(raw)
    inner = _one_of(key, values)
    return (inner if op == "equals" else {"not": inner}), ref
