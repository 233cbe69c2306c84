"""Reference evaluator of Salesforce lead assignment rules, for the differential tests.

Written from Salesforce's documentation, sharing no code with ``routing/``: it reads the
Metadata API XML itself and evaluates lead records as Salesforce stores them (API field
names, relationship fields as ``RecordType.Name`` / ``Campaign.Name`` columns, values as
text, as in an export).

Sources and the semantics taken from them:

* Metadata API ``AssignmentRules``: entries in order, the first whose criteria hold wins; an
  entry without ``assignedTo`` stops evaluation and keeps the owner; an entry uses criteria
  items (ANDed unless ``booleanFilter`` numbers them with AND/OR/NOT and parentheses) or a
  formula; an entry without either matches every lead.
* Help, "Filter Operators": ``equals`` is an exact match and a comma-separated value means
  any of them; ``not equal to``: none of the values (a blank field is not equal);
  ``contains`` / ``starts with`` any of; ``does not contain``: none of; filtering is not case
  sensitive; ``less than`` etc. compare numbers on number fields and text in sort order on
  text fields; ``includes`` / ``excludes`` on multi-select picklists (``A;B``: both
  selected); a value left empty means blank. Values follow CSV quoting
  (``"Acme, Inc."`` is one value).
* Lookup criteria (``RecordTypeId``, ``CreatedById``, ``OwnerId``) compare the related record's
  name; a checkbox that is blank is false.
* Formulas ("Formula Operators and Functions"): ``&&``, ``||``, ``AND``, ``OR``, ``NOT``, ``=``
  / ``==``, ``<>`` / ``!=``, ``<``, ``>``, ``<=``, ``>=``; text comparison is case-sensitive and a
  blank text field equals ``""``; ``ISPICKVAL``, ``ISBLANK``, ``ISNULL``, ``CONTAINS``,
  ``BEGINS``, ``INCLUDES`` (case-sensitive), ``TEXT``, ``LOWER``, ``UPPER``. Blank number
  fields are blanks: a comparison with one is false (and ``NOT`` of it true: the documented
  two-valued reading the import also documents). ``TODAY()`` is the current date in the
  user's time zone; a date plus or minus a number is that many days later or earlier
  (Help, "TODAY"); ``ConvertedDate`` and ``LastActivityDate`` are Date fields.

* Dates (SOQL "Date Formats and Date Literals"; Help, "Relative Date Filter Reference"):
  a date field holds a day (``YYYY-MM-DD``), a date-time field an instant (stored in UTC,
  ``2026-12-05T10:00:00.000+0000``). A date literal is a range of time that starts at
  00:00:00 of its first day, in the time zone of the user (here: the org's zone), and lasts
  whole days: ``TODAY``/``YESTERDAY``/``TOMORROW`` 24 hours, ``LAST_N_DAYS:n`` today and the
  n days before it (``LAST_N_DAYS:1`` = yesterday and today; ``LAST_90_DAYS`` = n 90),
  ``N_DAYS_AGO:n`` the day n days ago, ``THIS/LAST/NEXT_MONTH`` and ``_YEAR`` all their
  days. ``=`` is within the range, ``<`` before its start, ``>`` after its end (``<=`` /
  ``>=``: not after / not before). A fixed date in assignment-rule metadata is written in
  the saving user's locale: month/day/year (US English) or ISO. On a date-time field a
  fixed date is that day's range, like ``TODAY``. A blank date satisfies nothing but
  ``not equal to`` (as for other fields). A custom field compared with dates (every value a
  date or a date literal) is a date field.

Text values are trimmed (Salesforce stores text fields trimmed).
"""

from __future__ import annotations

import calendar
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

NS = "{http://soap.sforce.com/2006/04/metadata}"
NUMBER_FIELDS = {"NumberOfEmployees", "AnnualRevenue"}
CHECKBOX_FIELDS = {"HasOptedOutOfEmail", "HasOptedOutOfFax", "DoNotCall", "IsConverted"}
DATE_FIELDS = {"CreatedDate", "LastModifiedDate", "ConvertedDate", "LastActivityDate"}
# Lookup -> the column holding the related record's name.
LOOKUP_NAMES = {
    "RecordTypeId": "RecordType.Name",
    "CreatedById": "CreatedBy.Name",
    "LastModifiedById": "LastModifiedBy.Name",
    "OwnerId": "Owner.Name",
}


@dataclass
class Item:
    field: str  # the column the record holds it under
    operation: str
    value: str | None
    # A multi-select picklist: the rule uses includes/excludes on the field (the metadata
    # gives no type). ``equals 'A;B'`` is then exactly A and B selected, in any order
    # (SOQL "Querying Multi-Select Picklists": ``= 'AAA;BBB'`` is an exact match).
    multi: bool = False


@dataclass
class Entry:
    index: int
    assigned: bool
    items: list[Item]
    logic: str | None
    formula: str | None


def _t(node: ET.Element, tag: str) -> str | None:
    child = node.find(NS + tag)
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def column(field: str) -> str:
    """``Lead.X`` -> ``X``; a lookup -> its name column; other paths as written."""
    name = field.strip().removeprefix("Lead.")
    return LOOKUP_NAMES.get(name, name)


def load(xml_text: str) -> dict[str, list[Entry]]:
    """Rule name (URL-decoded) -> entries."""
    root = ET.fromstring(xml_text)
    out: dict[str, list[Entry]] = {}
    for rule in root.findall(NS + "assignmentRule"):
        entries = []
        for i, entry in enumerate(rule.findall(NS + "ruleEntry"), start=1):
            items = [
                Item(column(_t(c, "field") or ""), _t(c, "operation") or "equals", _t(c, "value"))
                for c in entry.findall(NS + "criteriaItems")
            ]
            entries.append(
                Entry(
                    i,
                    _t(entry, "assignedTo") is not None,
                    items,
                    _t(entry, "booleanFilter"),
                    _t(entry, "formula"),
                )
            )
        multi = {
            i.field for e in entries for i in e.items if i.operation in ("includes", "excludes")
        }
        for e in entries:
            for i in e.items:
                i.multi = i.field in multi
        out[unquote(_t(rule, "fullName") or "")] = entries
    return out


# -- filter criteria -----------------------------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def csv_values(value: str) -> list[str]:
    """Comma-separated values with CSV quoting, each trimmed, blanks dropped."""
    import csv

    row = next(csv.reader([value], skipinitialspace=True))
    return [v.strip() for v in row if v.strip()]


def _num(text: str) -> float | None:
    s = text.strip().strip('"').strip()
    s = re.sub(r"^(?:[A-Z]{3}|[$€£¥])\s*", "", s).replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


def is_number_item(item: Item) -> bool:
    if item.field in NUMBER_FIELDS:
        return True
    # A custom field compared with an amount in a currency ("USD 30,000") is a currency field.
    if (
        item.field.endswith("__c")
        and item.value is not None
        and re.fullmatch(r'\s*"?\s*(?:[A-Z]{3}\s+|[$€£¥]\s*)[\d,]+(?:\.\d+)?\s*"?\s*', item.value)
    ):
        return True
    # A custom field ordered by a number is a number field.
    return (
        item.field.endswith("__c")
        and item.operation in ("lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual")
        and item.value is not None
        and _num(item.value) is not None
    )


_ORDER = {
    "lessThan": lambda a, b: a < b,
    "greaterThan": lambda a, b: a > b,
    "lessOrEqual": lambda a, b: a <= b,
    "greaterOrEqual": lambda a, b: a >= b,
}


_LITERAL = re.compile(
    r"(TODAY|YESTERDAY|TOMORROW|LAST_90_DAYS|(THIS|LAST|NEXT)_(MONTH|YEAR)"
    r"|LAST_N_DAYS:(\d+)|N_DAYS_AGO:(\d+))"
)


def _fixed_day(text: str) -> date | None:
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%m/%d/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def is_date_item(item: Item) -> bool:
    if item.field in DATE_FIELDS:
        return True
    if not item.field.endswith("__c") or item.value is None or not item.value.strip():
        return False
    values = csv_values(item.value)
    return bool(values) and all(
        _LITERAL.fullmatch(v.upper()) or _fixed_day(v) is not None for v in values
    )


def day_range(text: str, today: date) -> tuple[date, date]:
    """First and last day of a date literal or a fixed date, on ``today``."""
    literal = text.strip().upper()
    m = _LITERAL.fullmatch(literal)
    if m is None:
        fixed = _fixed_day(text.strip())
        if fixed is None:
            raise ValueError(f"not a date: {text!r}")
        return fixed, fixed
    if literal in ("TODAY", "YESTERDAY", "TOMORROW"):
        day = today + timedelta(days={"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}[literal])
        return day, day
    if literal == "LAST_90_DAYS" or m[4]:
        n = 90 if literal == "LAST_90_DAYS" else int(m[4])
        return today - timedelta(days=n), today
    if m[5]:
        day = today - timedelta(days=int(m[5]))
        return day, day
    step = {"THIS": 0, "LAST": -1, "NEXT": 1}[m[2]]
    if m[3] == "YEAR":
        return date(today.year + step, 1, 1), date(today.year + step, 12, 31)
    month = today.month + step
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _date_item_holds(item: Item, actual: Any, now: datetime | None, tz: str) -> bool:
    op, value = item.operation, item.value
    assert value is not None
    if now is None:
        raise ValueError("date criteria need the routing time")
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()

    def within(text: str, compare: str) -> bool:
        first, last = day_range(text, today)
        raw = str(actual).strip()
        if "T" in raw:  # a date-time: an instant against the range's instants
            instant = datetime.fromisoformat(raw)
            start = datetime.combine(first, time(0), tzinfo=zone)
            end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
            return {
                "=": start <= instant < end,
                "<": instant < start,
                ">": instant >= end,
                "<=": instant < end,
                ">=": instant >= start,
            }[compare]
        day = date.fromisoformat(raw)
        return {
            "=": first <= day <= last,
            "<": day < first,
            ">": day > last,
            "<=": day <= last,
            ">=": day >= first,
        }[compare]

    values = csv_values(value)
    if _blank(actual):
        return op == "notEqual"
    if op in ("equals", "notEqual"):
        hit = any(within(v, "=") for v in values)
        return hit if op == "equals" else not hit
    symbol = {"lessThan": "<", "greaterThan": ">", "lessOrEqual": "<=", "greaterOrEqual": ">="}
    assert len(values) == 1, value
    return within(values[0], symbol[op])


def item_holds(
    item: Item, record: dict[str, Any], now: datetime | None = None, tz: str = "UTC"
) -> bool:
    actual = record.get(item.field)
    op, value = item.operation, item.value
    if value is not None and is_date_item(item):
        return _date_item_holds(item, actual, now, tz)
    if value is None:
        if op == "equals":
            return _blank(actual)
        if op == "notEqual":
            return not _blank(actual)
        raise ValueError(f"{op} without a value")
    lowered = value.strip().lower()
    if op in ("equals", "notEqual") and (
        item.field in CHECKBOX_FIELDS or lowered in ("true", "false")
    ):
        checked = not _blank(actual) and str(actual).strip().lower() in ("true", "1")
        return (checked == (lowered == "true")) == (op == "equals")
    if is_number_item(item):
        if op in _ORDER:
            bound = _num(value)
            assert bound is not None, value
            n = None if _blank(actual) else _num(str(actual))
            return n is not None and _ORDER[op](n, bound)
        if op in ("equals", "notEqual"):
            bound_all = _num(value)
            bounds = [bound_all] if bound_all is not None else [_num(v) for v in csv_values(value)]
            n = None if _blank(actual) else _num(str(actual))
            hit = n is not None and n in bounds
            return hit if op == "equals" else not hit
    text = "" if _blank(actual) else str(actual).strip().lower()
    if op in _ORDER:  # a text field: sort order, case-insensitive
        return not _blank(actual) and _ORDER[op](text, value.strip().lower())
    options = [o.lower() for o in csv_values(value)]
    if item.multi and op in ("equals", "notEqual"):
        chosen = {s.strip() for s in text.split(";") if s.strip()}
        hit = not _blank(actual) and any(
            chosen == {p.strip() for p in o.split(";") if p.strip()} for o in options
        )
        return hit if op == "equals" else not hit
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
        selected = {s.strip() for s in text.split(";") if s.strip()}
        hit = any(
            all(part.strip() in selected for part in option.split(";") if part.strip())
            for option in options
        )
        return hit if op == "includes" else not hit
    raise ValueError(f"unsupported operation {op}")


def _logic(text: str, results: list[bool]) -> bool:
    """Filter logic evaluated by rewriting it into a Python boolean expression."""
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
    # Only True/False, parentheses and and/or/not reach eval: Python's precedence
    # (not > and > or) is the filter logic's.
    return bool(eval(" ".join(expr), {"__builtins__": {}}, {}))


# -- formulas ------------------------------------------------------------------------------

_FTOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.?\d*)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>&&|\|\||==|<>|!=|<=|>=|[=<>(),+\-])|(?P<name>[A-Za-z_$][\w$.:]*))"
)


class _Formula:
    """A Pratt parser evaluating directly against a record (no separate syntax tree)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _FTOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"cannot read formula at {pos}: {text[pos:]!r}")
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1

    def evaluate(self, record: dict[str, Any], today: date | None = None) -> bool:
        self.pos = 0
        self.record = record
        self.today = today
        value = self.expr(0)
        assert self.pos == len(self.tokens), self.tokens[self.pos :]
        return value is True

    _BINDING = {
        "||": 1,
        "&&": 2,
        "=": 3,
        "==": 3,
        "<>": 3,
        "!=": 3,
        "<": 3,
        ">": 3,
        "<=": 3,
        ">=": 3,
        "+": 4,
        "-": 4,
    }

    def expr(self, min_binding: int) -> Any:
        left = self.atom()
        while self.pos < len(self.tokens):
            kind, tok = self.tokens[self.pos]
            power = self._BINDING.get(tok) if kind == "op" else None
            if power is None or power <= min_binding:
                break
            self.pos += 1
            right = self.expr(power)
            left = self.binary(tok, left, right)
        return left

    def atom(self) -> Any:
        kind, tok = self.tokens[self.pos]
        self.pos += 1
        if kind == "num":
            return float(tok)
        if kind == "str":
            return tok[1:-1]
        if kind == "op" and tok == "(":
            value = self.expr(0)
            self.pos += 1  # ")"
            return value
        upper = tok.upper()
        if self.pos < len(self.tokens) and self.tokens[self.pos] == ("op", "("):
            self.pos += 1
            args = []
            while self.tokens[self.pos] != ("op", ")"):
                args.append(self.expr(0))
                if self.tokens[self.pos] == ("op", ","):
                    self.pos += 1
            self.pos += 1
            return self.call(upper, args)
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        if upper == "NULL":
            return None
        return self.field(tok)

    def field(self, name: str) -> Any:
        name = name.removeprefix("$")
        raw = self.record.get(name)
        if name in ("ConvertedDate", "LastActivityDate"):  # Date fields: a day, or blank
            return None if _blank(raw) else date.fromisoformat(str(raw).strip())
        if name in NUMBER_FIELDS:
            return None if _blank(raw) else _num(str(raw))
        if name in CHECKBOX_FIELDS or name.startswith("Is_"):
            return not _blank(raw) and str(raw).strip().lower() in ("true", "1")
        return "" if _blank(raw) else str(raw).strip()

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "AND":
            return all(a is True for a in args)
        if name == "OR":
            return any(a is True for a in args)
        if name == "NOT":
            return args[0] is not True
        if name in ("ISBLANK", "ISNULL"):
            return args[0] is None or args[0] == ""
        if name in ("ISPICKVAL",):
            return args[0] == args[1]
        if name == "CONTAINS":
            return args[1] in args[0]
        if name == "BEGINS":
            return str(args[0]).startswith(args[1])
        if name == "INCLUDES":
            return args[1] in [s.strip() for s in str(args[0]).split(";")]
        if name == "TEXT":
            return args[0]
        if name == "LOWER":
            return str(args[0]).lower()
        if name == "UPPER":
            return str(args[0]).upper()
        if name == "TODAY":  # the current date in the user's (here: the org's) time zone
            if self.today is None:
                raise ValueError("TODAY() needs the time the rule runs")
            return self.today
        raise ValueError(f"function {name} is not modelled")

    @staticmethod
    def binary(op: str, a: Any, b: Any) -> Any:
        if op == "&&":
            return a is True and b is True
        if op == "||":
            return a is True or b is True
        if op in ("+", "-"):  # a date plus or minus a number of days
            if isinstance(b, date):
                a, b = b, a
            days = timedelta(days=int(b))
            return a + days if op == "+" else a - days
        if op in ("=", "=="):
            return a == b if not (a is None or b is None) else a is b
        if op in ("<>", "!="):
            return not (a == b if not (a is None or b is None) else a is b)
        if a is None or b is None:
            return False  # a blank number compared: false
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def formula_holds(
    formula: str, record: dict[str, Any], now: datetime | None = None, tz: str = "UTC"
) -> bool:
    today = now.astimezone(ZoneInfo(tz)).date() if now is not None else None
    return _Formula(formula).evaluate(record, today)


# -- entries -------------------------------------------------------------------------------


def entry_holds(
    entry: Entry, record: dict[str, Any], now: datetime | None = None, tz: str = "UTC"
) -> bool:
    if entry.formula:
        return formula_holds(entry.formula, record, now, tz)
    if not entry.items:
        return True
    results = [item_holds(item, record, now, tz) for item in entry.items]
    if entry.logic:
        return _logic(entry.logic, results)
    return all(results)


def first_match(
    entries: list[Entry],
    record: dict[str, Any],
    skip: set[int],
    now: datetime | None = None,
    tz: str = "UTC",
) -> int | None:
    """The index of the entry Salesforce applies (a keep-owner entry included), skipping
    the entries in ``skip``; None when none holds. ``now`` (the time the rule runs) and
    ``tz`` (the org's time zone) place date literals."""
    for entry in entries:
        if entry.index in skip:
            continue
        if entry_holds(entry, record, now, tz):
            return entry.index
    return None
