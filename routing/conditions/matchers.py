"""Compilation of one field matcher (``{gte: 1000}``, ``{in: [...]}``, a plain value...).

Each matcher compiles to a ``test(value) -> bool`` applied to a present (non-missing) scalar;
the leaf in :mod:`routing.conditions.compiler` handles missing values and list-valued fields.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from routing.conditions.errors import ConditionError, PathItem
from routing.conditions.values import (
    COLLECTION_TYPES,
    PostalSet,
    as_bool,
    as_text,
    canonical_postal,
    fold,
    parse_number,
)

__all__ = ["MATCHERS", "POSTAL_FIELDS", "Test", "ValueSet", "build_test"]

Test = Callable[[Any], bool]

#: Fields whose values compare as postal codes (same-length ranges, ZIP+4).
POSTAL_FIELDS = frozenset({"postal_code"})

MATCHERS = (
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "exists",
)

_SCALARS = (str, int, float, bool)
_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class ValueSet:
    """Precompiled equality targets: strings fold, numbers compare numerically, bools loosely."""

    __slots__ = ("bools", "bools_from_text", "numbers", "texts")

    def __init__(self, items: Iterable[Any]) -> None:
        texts: set[str] = set()
        numbers: set[int | float] = set()
        bools: set[bool] = set()
        bools_from_text: set[bool] = set()
        for item in items:
            if isinstance(item, bool):
                bools.add(item)
            elif isinstance(item, int | float):
                numbers.add(item)
                texts.add(fold(item))
            else:
                texts.add(fold(item))
                n = parse_number(item)
                if n is not None:
                    numbers.add(n)
                b = as_bool(item)
                if b is not None:
                    bools_from_text.add(b)
        self.texts = frozenset(texts)
        self.numbers = frozenset(numbers)
        self.bools = frozenset(bools)
        self.bools_from_text = frozenset(bools_from_text)

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool):
            return value in self.bools or value in self.bools_from_text
        if isinstance(value, str):
            if value.strip().casefold() in self.texts:
                return True
            if self.numbers:
                n = parse_number(value)
                if n is not None and n in self.numbers:
                    return True
        elif isinstance(value, int | float):
            if value in self.numbers:
                return True
        elif fold(value) in self.texts:
            return True
        if self.bools:
            b = as_bool(value)
            return b is not None and b in self.bools
        return False


def scalar_arg(arg: Any, path: tuple[PathItem, ...], what: str) -> Any:
    if not isinstance(arg, _SCALARS):
        raise ConditionError(
            path, f"{what} must be a string, number or boolean, got {kind_of(arg)}"
        )
    return arg


def kind_of(arg: Any) -> str:
    if arg is None:
        return "nothing"
    if isinstance(arg, dict):
        return "a mapping"
    if isinstance(arg, COLLECTION_TYPES):
        return "a list"
    return type(arg).__name__


def _value_list(arg: Any, path: tuple[PathItem, ...], name: str) -> list[Any]:
    if not isinstance(arg, list | tuple):
        raise ConditionError(path, f"'{name}' needs a list of values, got {kind_of(arg)}")
    if not arg:
        raise ConditionError(path, f"'{name}' needs at least one value")
    return [scalar_arg(item, (*path, i), "each value") for i, item in enumerate(arg)]


# Equality on these fields compares normalised codes (SPEC §6): the leaf reads the
# derived code field and the expected values are normalised the same way.
CODE_FIELDS = {"country": "country_code", "state": "state_code"}


def _normalise_codes(field: str, items: list[Any]) -> list[Any]:
    from routing.normalize import country_code_for, state_code_for

    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            code = country_code_for(item) if field == "country" else state_code_for(item, None)
            out.append(code or item)
        else:
            out.append(item)
    return out


def _membership(field: str, items: list[Any], path: tuple[PathItem, ...]) -> Test:
    if field in CODE_FIELDS:
        items = _normalise_codes(field, items)
    if field in POSTAL_FIELDS:
        try:
            postal = PostalSet(items)
        except ValueError as exc:
            raise ConditionError(path, str(exc)) from None
        return postal.__contains__
    return ValueSet(items).__contains__


def _needle(arg: Any, path: tuple[PathItem, ...], name: str) -> str:
    if isinstance(arg, bool) or not isinstance(arg, str | int | float):
        raise ConditionError(path, f"'{name}' needs a string, got {kind_of(arg)}")
    needle = fold(arg)
    if not needle:
        raise ConditionError(path, f"'{name}' needs a non-empty string")
    return needle


def _bound(field: str, arg: Any, path: tuple[PathItem, ...], name: str) -> Any:
    if field in POSTAL_FIELDS:
        if isinstance(arg, bool) or not isinstance(arg, str | int):
            raise ConditionError(path, f"'{name}' needs a postal code, got {kind_of(arg)}")
        code = canonical_postal(arg)
        if not code:
            raise ConditionError(path, f"'{name}' needs a non-empty postal code")
        return code
    n = parse_number(arg)
    if n is None:
        raise ConditionError(path, f"'{name}' needs a number, got {arg!r}")
    return n


def _ordered(field: str, op: Callable[[Any, Any], bool], bound: Any) -> Test:
    if field in POSTAL_FIELDS:
        length = len(bound)

        def postal_test(value: Any) -> bool:
            code = canonical_postal(value)
            return len(code) == length and op(code, bound)

        return postal_test

    def numeric_test(value: Any) -> bool:
        n = parse_number(value)
        return n is not None and op(n, bound)

    return numeric_test


def _between(field: str, arg: Any, path: tuple[PathItem, ...]) -> Test:
    if not isinstance(arg, list | tuple) or len(arg) != 2:
        raise ConditionError(path, f"'between' needs a list [low, high], got {arg!r}")
    lo = _bound(field, arg[0], (*path, 0), "between")
    hi = _bound(field, arg[1], (*path, 1), "between")
    if field in POSTAL_FIELDS and len(lo) != len(hi):
        raise ConditionError(path, "postal-code bounds must have the same length")
    if lo > hi:
        raise ConditionError(path, f"'between' bounds are reversed: {lo!r} > {hi!r}")
    if field in POSTAL_FIELDS:
        length = len(lo)

        def postal_between(value: Any) -> bool:
            code = canonical_postal(value)
            return len(code) == length and lo <= code <= hi

        return postal_between

    def numeric_between(value: Any) -> bool:
        n = parse_number(value)
        return n is not None and lo <= n <= hi

    return numeric_between


def build_test(field: str, name: str, arg: Any, path: tuple[PathItem, ...]) -> Test:
    """Compile matcher ``name`` with argument ``arg`` on ``field`` (``eq`` = plain value).

    ``path`` is the location of the argument, used in :class:`ConditionError`.
    """
    if name == "eq":
        return _membership(field, [arg], path)
    if name in ("in", "not_in"):
        test = _membership(field, _value_list(arg, path, name), path)
        if name == "in":
            return test
        return lambda value: not test(value)
    if name in ("contains", "starts_with", "ends_with"):
        needle = _needle(arg, path, name)
        if name == "contains":
            return lambda value: needle in fold(value)
        if name == "starts_with":
            return lambda value: fold(value).startswith(needle)
        return lambda value: fold(value).endswith(needle)
    if name == "matches":
        if not isinstance(arg, str):
            raise ConditionError(path, f"'matches' needs a regular expression, got {kind_of(arg)}")
        try:
            rx = re.compile(arg)
        except re.error as exc:
            raise ConditionError(path, f"invalid regular expression: {exc}") from None
        search = rx.search
        return lambda value: search(as_text(value)) is not None
    if name in _ORDER_OPS:
        return _ordered(field, _ORDER_OPS[name], _bound(field, arg, path, name))
    if name == "between":
        return _between(field, arg, path)
    if name == "exists":
        if not isinstance(arg, bool):
            raise ConditionError(path, f"'exists' needs true or false, got {arg!r}")
        return lambda value: arg
    known = ", ".join(MATCHERS)
    raise ConditionError(path, f"unknown matcher {name!r} (known: {known})")
