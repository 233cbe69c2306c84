"""Salesforce record ids: 15-character case-sensitive, 18-character with a checksum."""

from __future__ import annotations

import re

_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def is_salesforce_id(value: str) -> bool:
    return bool(_ID.match(value))


def to_18(record_id: str) -> str:
    """The 18-character form (the 15-character id plus its case checksum)."""
    if not is_salesforce_id(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r}")
    base = record_id[:15]
    suffix = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, ch in enumerate(base[start : start + 5]) if ch.isupper())
        suffix += _SUFFIX[bits]
    return base + suffix
