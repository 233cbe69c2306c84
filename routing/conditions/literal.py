"""Matchers that compare a field **as written** (the ``as_written:`` block of a condition).

Hand-written rules compare normalised values: a country or state as its code, a postal code
with ZIP+4 shortened and ranges read, numbers inside text. Rules imported from Salesforce
must keep Salesforce's meaning instead, where a filter compares the text in the field with
the text in the rule. Inside ``as_written:`` every matcher works on the field's own value:

* a **string** in the rule compares with the field's text, ignoring case and surrounding
  whitespace: ``"616"`` does not equal ``"616.0"``, ``"94702"`` does not equal
  ``"94702-1234"``, ``"2057-2122"`` is the text ``2057-2122``, not a range, and ``"UK"`` does
  not equal ``"England"``;
* a **number** in the rule (a number field: employees, annual revenue) compares numerically
  with a field holding a number or the text of one;
* a **boolean** in the rule (a checkbox) compares with a boolean field or ``true``/``false``
  text;
* ``gt``/``gte``/``lt``/``lte``/``between`` with a number bound compare numbers; with a
  string bound they compare text (case folded), as Salesforce orders text fields;
* ``contains``, ``starts_with``, ``ends_with``, ``matches`` and ``exists`` are the ordinary
  matchers (they never normalised anything).

Missing values (absent, blank) are handled by the leaf exactly as for other matchers.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from routing.conditions.errors import ConditionError, PathItem
from routing.conditions.matchers import MATCHERS, Test, build_test, kind_of, scalar_arg
from routing.conditions.values import as_bool, fold, parse_number

__all__ = ["LiteralSet", "build_literal_test"]

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_PLAIN = ("contains", "starts_with", "ends_with", "matches", "exists")


class LiteralSet:
    """Equality targets compared as written: text folds, numbers stay numbers."""

    __slots__ = ("bools", "numbers", "texts")

    def __init__(self, items: Iterable[Any]) -> None:
        texts: set[str] = set()
        numbers: set[int | float] = set()
        bools: set[bool] = set()
        for item in items:
            if isinstance(item, bool):
                bools.add(item)
            elif isinstance(item, int | float):
                numbers.add(item)
            else:
                texts.add(fold(item))
        self.texts = frozenset(texts)
        self.numbers = frozenset(numbers)
        self.bools = frozenset(bools)

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool):
            return value in self.bools or fold(value) in self.texts
        if isinstance(value, int | float):
            return value in self.numbers or fold(value) in self.texts
        if fold(value) in self.texts:
            return True
        if self.numbers:
            n = parse_number(value)
            if n is not None and n in self.numbers:
                return True
        if self.bools:
            b = as_bool(value)
            return b is not None and b in self.bools
        return False


def _bound(arg: Any, path: tuple[PathItem, ...], name: str) -> int | float | str:
    if isinstance(arg, bool) or not isinstance(arg, str | int | float):
        raise ConditionError(path, f"'{name}' needs a number or a text, got {kind_of(arg)}")
    if isinstance(arg, str):
        if not arg.strip():
            raise ConditionError(path, f"'{name}' needs a non-empty text")
        return fold(arg)
    return arg


def _compare(op: Callable[[Any, Any], bool], bound: int | float | str) -> Test:
    if isinstance(bound, str):
        # A text bound orders text (a number field's value reads as its text).
        return lambda value: op(fold(value), bound)

    def numeric(value: Any) -> bool:
        n = parse_number(value)
        return n is not None and op(n, bound)

    return numeric


def build_literal_test(field: str, name: str, arg: Any, path: tuple[PathItem, ...]) -> Test:
    """Compile matcher ``name`` (``eq`` = plain value) comparing the field as written."""
    if name == "eq":
        return LiteralSet([scalar_arg(arg, path, "the value")]).__contains__
    if name in ("in", "not_in"):
        if not isinstance(arg, list | tuple):
            raise ConditionError(path, f"'{name}' needs a list of values, got {kind_of(arg)}")
        if not arg:
            raise ConditionError(path, f"'{name}' needs at least one value")
        values = LiteralSet(scalar_arg(v, (*path, i), "each value") for i, v in enumerate(arg))
        if name == "in":
            return values.__contains__
        return lambda value: value not in values
    if name in _ORDER:
        return _compare(_ORDER[name], _bound(arg, path, name))
    if name == "between":
        if not isinstance(arg, list | tuple) or len(arg) != 2:
            raise ConditionError(path, f"'between' needs a list [low, high], got {arg!r}")
        lo = _bound(arg[0], (*path, 0), "between")
        hi = _bound(arg[1], (*path, 1), "between")
        if isinstance(lo, str) != isinstance(hi, str):
            raise ConditionError(path, "'between' bounds must both be numbers or both texts")
        low, high = _compare(operator.ge, lo), _compare(operator.le, hi)
        return lambda value: low(value) and high(value)
    if name in _PLAIN:
        # These never normalise: the ordinary matcher already compares the text.
        return build_test(field, name, arg, path)
    known = ", ".join(MATCHERS)
    raise ConditionError(path, f"unknown matcher {name!r} (known: {known})")
