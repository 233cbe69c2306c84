"""``booleanFilter`` (filter logic such as ``(1 AND 2) OR NOT 3``) parsed into a tree.

NOT binds tighter than AND, AND tighter than OR, as in Salesforce; words in any case.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FilterError", "FilterNode", "parse_boolean_filter", "referenced"]


class FilterError(ValueError):
    """A ``booleanFilter`` that cannot be parsed."""


FilterNode = tuple[Any, ...]  # ("item", n) | ("and", [nodes]) | ("or", [nodes]) | ("not", node)

_TOKEN_RE = re.compile(r"\s*(?:(\d+)|(\()|(\))|([A-Za-z]+))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"unexpected {text[pos:]!r} in filter logic {text!r}")
        word = m.group(4)
        if word is not None:
            word = word.upper()
            if word not in ("AND", "OR", "NOT"):
                raise FilterError(f"unknown word {m.group(4)!r} in filter logic {text!r}")
            out.append(word)
        else:
            out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_boolean_filter(text: str, item_count: int) -> tuple[FilterNode, list[str]]:
    """Parse filter logic into a tree; returns (tree, notes). NOT > AND > OR precedence.

    Raises :class:`FilterError` for syntax errors and item numbers outside 1..item_count.
    """
    tokens = _tokens(text)
    notes: list[str] = []
    pos = 0
    mixed = False

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise FilterError(f"filter logic {text!r} ends too early")
        pos += 1
        return tokens[pos - 1]

    def parse_or() -> FilterNode:
        nonlocal mixed
        parts = [parse_and()]
        while peek() == "OR":
            take()
            parts.append(parse_and())
        if len(parts) > 1 and any(p[0] == "and" and not p[2] for p in parts):
            mixed = True
        return parts[0] if len(parts) == 1 else ("or", parts, False)

    def parse_and() -> FilterNode:
        parts = [parse_unary()]
        while peek() == "AND":
            take()
            parts.append(parse_unary())
        return parts[0] if len(parts) == 1 else ("and", parts, False)

    def parse_unary() -> FilterNode:
        token = take()
        if token == "NOT":
            return ("not", parse_unary())
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise FilterError(f"missing ')' in filter logic {text!r}")
            if inner[0] in ("and", "or"):
                return (inner[0], inner[1], True)  # parenthesised
            return inner
        if token.isdigit():
            n = int(token)
            if not 1 <= n <= item_count:
                raise FilterError(
                    f"filter logic {text!r} refers to condition {n}; "
                    f"the entry has {item_count} criteria items"
                )
            return ("item", n)
        raise FilterError(f"unexpected {token!r} in filter logic {text!r}")

    tree = parse_or()
    if pos != len(tokens):
        raise FilterError(f"unexpected {tokens[pos]!r} in filter logic {text!r}")
    if mixed:
        notes.append(f"filter logic {text!r} mixes AND and OR without parentheses; read AND first")
    used = referenced(tree)
    unused = sorted(set(range(1, item_count + 1)) - used)
    if unused:
        notes.append(
            f"criteria item(s) {', '.join(map(str, unused))} are not in the filter logic "
            f"{text!r} and are ignored"
        )
    return tree, notes


def referenced(node: FilterNode) -> set[int]:
    kind = node[0]
    if kind == "item":
        return {int(node[1])}
    if kind == "not":
        return referenced(node[1])
    out: set[int] = set()
    for child in node[1]:
        out |= referenced(child)
    return out
