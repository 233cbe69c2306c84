"""JSON as RFC 8259 defines it, for every body the HTTP server reads.

Python's ``json`` is lenient where that hurts later: it accepts ``NaN`` and ``Infinity``
(which nothing serialises back: the stored lead then answers 500 on read), turns ``1e999``
into infinity, decodes ``"\\ud800"`` into a lone surrogate (which UTF-8 cannot encode, so
storing or sending it raises), raises a bare ValueError on a 5,000-digit integer, and
recurses once per ``[``, so a body of 100,000 of them raises RecursionError.
``loads_strict`` refuses each with a message naming what is wrong, before anything is
stored, and never recurses on the input.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

# Objects and arrays inside one another. A lead is 2 levels; Slack's deepest payloads (a
# rich_text block inside a view inside a block_actions payload) about 12. 64 leaves room
# for whatever Slack adds and stays far below the parser's recursion limit (~1,000).
MAX_DEPTH = 64
# JSON's interoperable integers are a double's; past ~309 digits float() of one raises
# OverflowError wherever a field is read as a number. 64 bits covers every id and amount
# the bot reads; larger values travel as strings. 20 characters: the longest such integer.
MAX_INT = 2**63 - 1
_MAX_INT_CHARS = 20

# One JSON string from its opening quote; an unterminated one runs to the end of the text.
# Possessive quantifiers: a scan that cannot backtrack stays linear on hostile input.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A "\uD800".."\uDFFF" escape is the only way a decoded str gets a surrogate (strict
# decoding refuses them as bytes); "\u0000" is refused by PostgreSQL in text and jsonb.
# Looking for the escapes is cheap; the decoded values are walked only when one is found.
_ESCAPE_OF_CONCERN = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")
_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJSONError(ValueError):
    """The JSON is not what the bot accepts; the message says why and is safe to send."""


class _Refused(Exception):
    """Raised inside the parser's hooks; ``loads_strict`` names the body around it."""


def nesting_depth(text: str) -> int:
    """How deeply objects and arrays nest in ``text``, without parsing or recursing:
    strings are cut out and the brackets left are counted (in C, linear in the text)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _constant(name: str) -> Any:
    raise _Refused(
        f"is not valid JSON: {name} is not a JSON number (send a finite number, or null)"
    )


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"has the number {_cut(text)}, too large for JSON: send it as a string")
    return value


def _int(text: str) -> int:
    if len(text) <= _MAX_INT_CHARS:
        value = int(text)
        if -MAX_INT - 1 <= value <= MAX_INT:
            return value
    raise _Refused(
        f"has the integer {_cut(text)}, which does not fit in 64 bits: send it as a string"
    )


def _cut(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


def _shown(text: str) -> str:
    # A key may itself hold the bad character: escaped, so the message encodes as UTF-8.
    return _cut(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _where(path: tuple[str | int, ...]) -> str:
    if not path:
        return "the top-level value"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _text_problem(text: str) -> str | None:
    if _SURROGATE.search(text):
        return "a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)"
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    return None


def _check_text(value: Any) -> None:
    # A stack, not recursion: the depth is bounded already, this keeps it obviously so.
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                raise _Refused(f"has {problem} in {_shown(_where(path))}: remove it")
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _text_problem(key)
                if problem:
                    raise _Refused(f'has {problem} in the key "{_shown(key)}": remove it')
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(item))


def loads_strict(data: str | bytes, what: str = "body") -> Any:
    """``data`` parsed as JSON, refusing what RFC 8259 or the bot's storage cannot take.

    Bytes are decoded as ``json.loads`` decodes them (UTF-8, or UTF-16/32 told apart by
    their first bytes). Raises StrictJSONError, its message starting with ``what``.
    """
    if isinstance(data, bytes):
        encoding = json.detect_encoding(data)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise StrictJSONError(
                f"{what} is not valid JSON: not {encoding} ({exc.reason})"
            ) from None
    else:
        text = data
    if nesting_depth(text) > MAX_DEPTH:
        raise StrictJSONError(
            f"{what} nests objects and arrays more than {MAX_DEPTH} levels deep: flatten it"
        )
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
        if _ESCAPE_OF_CONCERN.search(text):
            _check_text(value)
    except json.JSONDecodeError as exc:
        raise StrictJSONError(f"{what} is not valid JSON: {exc}") from None
    except _Refused as refused:
        raise StrictJSONError(f"{what} {refused}") from None
    return value


__all__ = ["MAX_DEPTH", "MAX_INT", "StrictJSONError", "loads_strict", "nesting_depth"]
