"""Date criteria: a date field (or a custom field compared with a date) against a date.

Assignment-rule metadata writes a fixed date in the locale of the user who saved the rule:
``1/31/2024`` (US English, month first) or ISO ``2024-01-31``; both are read (a value such as
``31/1/2024``, day first, is refused: the metadata does not say its locale). Relative date
literals (``TODAY``, ``LAST_N_DAYS:30``...) are those :mod:`routing.conditions.dates`
evaluates against the routing time; the others (weeks, quarters, fiscal periods,
``NEXT_N_DAYS``, whose range differs between Salesforce's filters) stay warnings naming the
literal.

Operators, with a literal's range of days: ``equals`` = within it (a comma list: any of),
``notEqual`` = none of them (so it holds for a blank field, as for other fields),
``lessThan`` = before its first day, ``greaterThan`` = after its last day, ``lessOrEqual`` /
``greaterOrEqual`` = not after its last / not before its first day; a blank field fails all
of them but ``notEqual``. A date-time field compares by its day in the org's time zone.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from routing.conditions.dates import RELATIVE_DATE_RE
from routing.salesforce_rules.fields import DATE_FIELDS, FieldRef, Untranslatable
from routing.salesforce_rules.metadata import CriteriaItem
from routing.salesforce_rules.values import split_list

__all__ = ["date_condition", "is_date_item"]

# Anything Salesforce writes as a date literal or a date, supported or not.
_DATE_LIKE = re.compile(
    r"(?i)\s*(TODAY|YESTERDAY|TOMORROW|(LAST|THIS|NEXT)_(WEEK|MONTH|QUARTER|YEAR|FISCAL_\w+|90_DAYS)"
    r"|(LAST|NEXT)_N_\w+:\d+|N_\w+_AGO:\d+|\d{4}-\d{2}-\d{2}.*|\d{1,2}/\d{1,2}/\d{2,4}.*)\s*"
)
_US_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")
_OPS = {
    "equals": "on_date",
    "lessThan": "before",
    "greaterThan": "after",
    "lessOrEqual": "on_or_before",
    "greaterOrEqual": "on_or_after",
}


def is_date_item(item: CriteriaItem, ref: FieldRef) -> bool:
    """A date field, or a custom field whose value is a date or a date literal."""
    column = item.field.strip().removeprefix("Lead.")
    if column in DATE_FIELDS:
        return True
    raw = item.value
    if not (ref.key.endswith("__c") and raw and raw.strip()):
        return False
    values = split_list(raw)
    return bool(values) and all(_DATE_LIKE.fullmatch(v) for v in values)


def _bound(item: CriteriaItem, text: str) -> str:
    if RELATIVE_DATE_RE.fullmatch(text):
        return text.strip().upper()
    m = _ISO_DATE.fullmatch(text)
    parts = (m[1], m[2], m[3]) if m else None
    m = _US_DATE.fullmatch(text)
    if m is not None:
        parts = (m[3], m[1], m[2])
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
        except ValueError:
            raise Untranslatable(
                f"{item.field} {item.operation} {text}: not a date (dates are read as "
                "month/day/year or YYYY-MM-DD)"
            ) from None
    if _DATE_LIKE.fullmatch(text) and not re.match(r"\s*\d", text):
        raise Untranslatable(
            f"{item.field} {item.operation} {text}: the date literal {text.strip()} is not "
            "translated (TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, LAST_90_DAYS, N_DAYS_AGO:n, "
            "THIS/LAST/NEXT_MONTH and THIS/LAST/NEXT_YEAR are)"
        )
    raise Untranslatable(
        f"{item.field} {item.operation} {text}: not a date (a date is month/day/year or "
        "YYYY-MM-DD; a date and time is not translated)"
    )


def date_condition(item: CriteriaItem, ref: FieldRef) -> dict[str, Any]:
    op, raw, key = item.operation, item.value, ref.key
    assert raw is not None and raw.strip(), "blank values are translated by the caller"
    if op != "notEqual" and op not in _OPS:
        raise Untranslatable(f"{item.field} {op} {raw}: {op} does not apply to a date")
    bounds = [_bound(item, v) for v in split_list(raw)]
    if op in ("equals", "notEqual"):
        nodes = [{key: {"on_date": b}} for b in dict.fromkeys(bounds)]
        node = nodes[0] if len(nodes) == 1 else {"any": nodes}
        return node if op == "equals" else {"not": node}
    if len(bounds) != 1:
        raise Untranslatable(f"{item.field} {op} {raw}: {op} takes one date")
    return {key: {_OPS[op]: bounds[0]}}
