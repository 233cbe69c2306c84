"""Criteria values as Salesforce reads them: comma lists with CSV-style quoting, numbers.

Salesforce filters (assignment rules, list views, reports) split a value on commas into
"any of" alternatives, with CSV's quoting: ``"Acme, Inc.",Globex`` is two values, the
first with its comma; inside quotes ``""`` is one quote. Blanks around each value do not
count, and empty alternatives are dropped.
"""

from __future__ import annotations

import re

__all__ = ["number", "split_list"]

_NUMBER_RE = re.compile(
    r"\s*\"?\s*(?:[A-Z]{3}\s*|[$€£¥]\s*)?(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"\s*\"?\s*"
)


def split_list(value: str) -> list[str]:
    """``'a, "b, c",d'`` -> ``["a", "b, c", "d"]`` (order kept, duplicates dropped)."""
    out: list[str] = []
    current: list[str] = []
    quoted = False  # inside a quoted value
    i = 0
    at_start = True  # only a quote opening a value starts quoting, as in CSV
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == '"':
                if value[i + 1 : i + 2] == '"':
                    current.append('"')
                    i += 2
                    continue
                quoted = False
            else:
                current.append(ch)
        elif ch == ",":
            out.append("".join(current))
            current = []
            at_start = True
            i += 1
            continue
        elif ch == '"' and at_start and not "".join(current).strip():
            current = []
            quoted = True
        else:
            current.append(ch)
        if not ch.isspace():
            at_start = False
        i += 1
    out.append("".join(current))
    return list(dict.fromkeys(v.strip() for v in out if v.strip()))


def number(value: str) -> int | float | None:
    """A number as written in a criteria value (``1,000``, ``"USD 10,000"``, ``$5``)."""
    m = _NUMBER_RE.fullmatch(value)
    if m is None:
        return None
    n = float(m["num"].replace(",", ""))
    return int(n) if n.is_integer() else n
