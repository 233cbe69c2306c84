"""Where ``--normalise`` changes what an imported criterion means.

Salesforce compares text as written; the normalised form compares countries and states as
codes, postal codes as codes (ZIP+4 shortened, ``A-B`` read as a range) and numbers inside
text as numbers. Each note names the entry, the field, the value and what now matches too.
"""

from __future__ import annotations

import re

from routing.conditions.values import parse_number, split_postal_range
from routing.normalize import _country_aliases, country_code_for, state_code_for
from routing.salesforce_rules.criteria import ORDER_OPS
from routing.salesforce_rules.fields import FieldRef
from routing.salesforce_rules.metadata import CriteriaItem
from routing.salesforce_rules.values import split_list

__all__ = ["meaning_changes"]

_ZIP5_RE = re.compile(r"\d{5}")


def _spellings(code: str, written: set[str], limit: int = 3) -> list[str]:
    """Other spellings that normalise to ``code`` (from the alias table)."""
    out: list[str] = []
    for alias, alias_code in _country_aliases().items():
        if alias_code == code and alias not in written and len(alias) > 3:
            out.append(alias.title())
        if len(out) >= limit:
            break
    return out


def meaning_changes(item: CriteriaItem, ref: FieldRef) -> list[str]:
    """What matches under ``--normalise`` that Salesforce would not match (or the reverse)."""
    if item.value is None or item.operation not in ("equals", "notEqual", *ORDER_OPS):
        return []
    notes: list[str] = []
    values = split_list(item.value)
    label = item.field
    if ref.key in ("country", "country_code") and item.operation in ("equals", "notEqual"):
        written = {v.casefold() for v in values}
        for value in values:
            code = country_code_for(value)
            if code is None:  # kept as text: its meaning does not change
                continue
            also = _spellings(code, written)
            example = f" (e.g. {', '.join(repr(s) for s in also)})" if also else ""
            notes.append(
                f"{label} {value!r} compares as the country code {code}: any spelling of "
                f"{code} now matches{example}"
            )
    elif ref.key in ("state", "state_code") and item.operation in ("equals", "notEqual"):
        for value in values:
            code = state_code_for(value, None)
            if code is not None:
                notes.append(
                    f"{label} {value!r} compares as the state code {code}: any spelling of it "
                    "now matches"
                )
    elif ref.key == "postal_code":
        for value in values:
            if split_postal_range(value) is not None:
                notes.append(
                    f"{label} {value!r} reads as a range of codes; Salesforce compares the text"
                )
            elif _ZIP5_RE.fullmatch(value.strip()):
                notes.append(
                    f"{label} {value!r} also matches its ZIP+4 forms ({value.strip()}-1234)"
                )
            elif " " in value.strip():
                notes.append(f"{label} {value!r} compares without its spaces")
        if item.operation in ORDER_OPS:
            notes.append(f"{label} {item.operation} {item.value!r} compares postal codes")
    elif ref.kind == "text" and item.operation in ("equals", "notEqual"):
        for value in values:
            n = parse_number(value)
            if n is not None:
                notes.append(
                    f"{label} {value!r} also matches other spellings of the number {n} "
                    f"(e.g. '{float(n)}')"
                )
    if ref.kind == "text" and item.operation in ORDER_OPS and ref.key != "postal_code":
        notes.append(f"{label} {item.operation} {item.value!r} compares numbers, not text order")
    return notes
