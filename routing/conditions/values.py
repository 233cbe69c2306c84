"""Value coercion shared by conditions, territories and scoring.

Rules (documented in docs and relied on by tests):

* **Missing**: ``None``, an empty or whitespace-only string, and an empty collection (or one whose
  items are all missing) are missing.
* **Numbers in strings**: ``"1000"``, ``"-3"``, ``"1000.5"``, ``".5"`` and comma-grouped thousands
  such as ``" 1,000 "`` or ``"1,234,567.89"`` parse as numbers (surrounding whitespace ignored).
  Anything else (``"1e3"``, ``"$5"``, ``"nan"``, ``"10k"``) is not a number.
* **Booleans in strings**: ``"true"/"yes"/"1"`` are true and ``"false"/"no"/"0"`` are false,
  case-insensitively; the numbers ``1``/``0`` also count as booleans.
* **Postal codes** are compared as codes: upper-cased, spaces removed, and a US ZIP+4
  (``"94105-1234"``) reduced to its five-digit ZIP. A range ``"A-B"`` (both sides the same
  length) holds for codes of exactly that length with ``A <= code <= B`` lexicographically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "COLLECTION_TYPES",
    "PostalSet",
    "as_bool",
    "as_text",
    "canonical_postal",
    "fold",
    "is_missing",
    "parse_number",
]

COLLECTION_TYPES: tuple[type, ...] = (list, tuple, set, frozenset)

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_ZIP4_RE = re.compile(r"\d{5}-\d{4}")

TRUE_STRINGS = frozenset({"true", "yes", "1"})
FALSE_STRINGS = frozenset({"false", "no", "0"})


def is_missing(value: Any) -> bool:
    """True for None, blank strings and empty (or all-missing) collections."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value or value.isspace()
    if isinstance(value, list | tuple | set | frozenset):
        return all(is_missing(item) for item in value)
    return False


def parse_number(value: Any) -> int | float | None:
    """The numeric value of ``value``, or None if it is not a number (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    if _NUMBER_RE.fullmatch(s) is None:
        if _GROUPED_RE.fullmatch(s) is None:
            return None
        s = s.replace(",", "")
    if "." in s:
        return float(s)
    return int(s)


def as_bool(value: Any) -> bool | None:
    """The boolean meaning of ``value`` (bool, 0/1, or true/yes/1/false/no/0), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        s = value.strip().casefold()
        if s in TRUE_STRINGS:
            return True
        if s in FALSE_STRINGS:
            return False
        return None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def as_text(value: Any) -> str:
    """A string view of a scalar value for string matchers (``1000.0`` -> ``"1000"``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fold(value: Any) -> str:
    """Case- and whitespace-insensitive form used by the string matchers."""
    return as_text(value).strip().casefold()


def canonical_postal(value: Any) -> str:
    """Upper-cased code without spaces; ZIP+4 reduced to the ZIP."""
    s = as_text(value).strip().upper()
    if " " in s:
        s = s.replace(" ", "")
    if len(s) == 10 and _ZIP4_RE.fullmatch(s):
        return s[:5]
    return s


def split_postal_range(item: str) -> tuple[str, str] | None:
    """``"90000-96199"`` -> ("90000", "96199"); None when ``item`` is a single code."""
    s = item.strip().upper().replace(" ", "")
    if s.count("-") != 1 or _ZIP4_RE.fullmatch(s):
        return None
    lo, hi = s.split("-")
    if not lo or len(lo) != len(hi):
        return None
    return lo, hi


class PostalSet:
    """A precompiled set of postal codes and same-length ranges."""

    __slots__ = ("codes", "ranges")

    def __init__(self, items: Iterable[Any]) -> None:
        codes: set[str] = set()
        ranges: list[tuple[int, str, str]] = []
        for item in items:
            text = as_text(item)
            bounds = split_postal_range(text)
            if bounds is None:
                codes.add(canonical_postal(text))
            else:
                lo, hi = bounds
                if lo > hi:
                    raise ValueError(f"postal-code range {text!r} has its bounds reversed")
                ranges.append((len(lo), lo, hi))
        self.codes = frozenset(codes)
        self.ranges = tuple(ranges)

    def __contains__(self, value: object) -> bool:
        code = canonical_postal(value)
        if code in self.codes:
            return True
        n = len(code)
        return any(n == length and lo <= code <= hi for length, lo, hi in self.ranges)
