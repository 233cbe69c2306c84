"""Compile a condition mapping once into a tree of fast predicates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from routing.conditions.dates import DATE_MATCHERS, ROUTING_TIME, DateTest, build_date_test
from routing.conditions.errors import CheckResult, ConditionError, PathItem
from routing.conditions.literal import build_literal_test
from routing.conditions.matchers import CODE_FIELDS, build_test
from routing.conditions.values import COLLECTION_TYPES, is_missing

__all__ = ["COMBINATORS", "MAX_DEPTH", "Condition", "compile_condition", "field_names"]

COMBINATORS = frozenset({"any", "all", "not", "as_written"})
#: The block whose fields compare as written (routing.conditions.literal): no country/state
#: codes, no postal ranges or ZIP+4, no numbers read from text. Imported Salesforce rules.
AS_WRITTEN = "as_written"
#: any/all/not nested in one another. Real conditions nest a few levels; the bound keeps the
#: recursive compiler, the checks and the traced code (one parenthesis a level) far from
#: Python's recursion and nesting limits, whatever the file holds.
MAX_DEPTH = 32

Fields = Mapping[str, Any]

_SYMBOLS = {
    "eq": "=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "starts_with": "starts with",
    "ends_with": "ends with",
}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


class _Node:
    __slots__ = ()

    def check(self, fields: Fields) -> bool:
        raise NotImplementedError

    def leaves(self) -> Iterator[_Leaf]:
        raise NotImplementedError

    def describe(self, nested: bool) -> str:
        raise NotImplementedError


class _Leaf(_Node):
    """One matcher on one field; handles missing values and list-valued fields."""

    __slots__ = (
        "code_field",
        "expected",
        "field",
        "literal",
        "matcher",
        "missing_result",
        "test",
        "universal",
    )

    def __init__(
        self,
        field: str,
        matcher: str,
        expected: Any,
        test: Callable[[Any], bool],
        literal: bool = False,
    ):
        self.field = field
        # Compared as written (inside ``as_written:``): the engine's fast paths and the rule
        # index, which assume normalised comparisons, leave such a leaf to its own test.
        self.literal = literal
        self.matcher = matcher
        self.expected = expected
        self.test = test
        self.missing_result = matcher == "exists" and expected is False
        # not_in on a list-valued field holds only when no item is in the list.
        self.universal = matcher == "not_in"
        self.code_field = (
            CODE_FIELDS.get(field) if matcher in ("eq", "in", "not_in") and not literal else None
        )

    def check(self, fields: Fields) -> bool:
        value = fields.get(self.field)
        if self.code_field is not None:
            # "United States", "USA" and "us" all compare as the code US.
            value = fields.get(self.code_field, value)
        if value is None:
            return self.missing_result
        if isinstance(value, str):
            if not value or value.isspace():
                return self.missing_result
            return self.test(value)
        if isinstance(value, list | tuple | set | frozenset):
            items = [item for item in value if not is_missing(item)]
            if not items:
                return self.missing_result
            if self.universal:
                return all(self.test(item) for item in items)
            return any(self.test(item) for item in items)
        return self.test(value)

    def leaves(self) -> Iterator[_Leaf]:
        yield self

    def describe(self, nested: bool) -> str:
        text = self._describe()
        return f"{text} (as written)" if self.literal and self.matcher != "exists" else text

    def _describe(self) -> str:
        m, arg, f = self.matcher, self.expected, self.field
        if m == "exists":
            return f"{f} exists" if arg else f"{f} is missing"
        if m == "between":
            return f"{f} between {_show(arg[0])} and {_show(arg[1])}"
        if m == "matches":
            return f"{f} matches /{arg}/"
        return f"{f} {_SYMBOLS[m]} {_show(arg)}"


class _DateLeaf(_Leaf):
    """A date matcher (``on``, ``before``...): reads the field and the routing time."""

    __slots__ = ("date_test",)

    def __init__(self, field: str, matcher: str, expected: Any, test: DateTest) -> None:
        super().__init__(field, matcher, expected, lambda value: test.at(value, None), True)
        self.date_test = test

    def check(self, fields: Fields) -> bool:
        value = fields.get(self.field)
        if is_missing(value):
            return False
        now = fields.get(ROUTING_TIME)
        if isinstance(value, list | tuple | set | frozenset):
            return any(self.date_test.at(item, now) for item in value if not is_missing(item))
        return self.date_test.at(value, now)

    def _describe(self) -> str:
        return f"{self.field} {self.matcher.replace('_', ' ')} {_show(self.expected)}"


class _Always(_Node):
    __slots__ = ()

    def check(self, fields: Fields) -> bool:
        return True

    def leaves(self) -> Iterator[_Leaf]:
        return iter(())

    def describe(self, nested: bool) -> str:
        return "always"


class _All(_Node):
    __slots__ = ("checks", "children")

    def __init__(self, children: list[_Node]) -> None:
        self.children = tuple(children)
        self.checks = tuple(c.check for c in children)

    def check(self, fields: Fields) -> bool:
        for check in self.checks:  # noqa: SIM110 - a plain loop is faster than all(genexpr)
            if not check(fields):
                return False
        return True

    def leaves(self) -> Iterator[_Leaf]:
        for child in self.children:
            yield from child.leaves()

    def describe(self, nested: bool) -> str:
        text = " AND ".join(c.describe(True) for c in self.children)
        return f"({text})" if nested else text


class _Any(_All):
    __slots__ = ()

    def check(self, fields: Fields) -> bool:
        for check in self.checks:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
            if check(fields):
                return True
        return False

    def describe(self, nested: bool) -> str:
        text = " OR ".join(c.describe(True) for c in self.children)
        return f"({text})" if nested else text


class _Not(_Node):
    __slots__ = ("child", "inner")

    def __init__(self, child: _Node) -> None:
        self.child = child
        self.inner = child.check

    def check(self, fields: Fields) -> bool:
        return not self.inner(fields)

    def leaves(self) -> Iterator[_Leaf]:
        return self.child.leaves()

    def describe(self, nested: bool) -> str:
        inner = self.child.describe(False)
        single = isinstance(self.child, _Leaf)
        return f"NOT {inner}" if single else f"NOT ({inner})"


def _combine(children: list[_Node]) -> _Node:
    return children[0] if len(children) == 1 else _All(children)


def _compile_mapping(
    raw: Any, path: tuple[PathItem, ...], depth: int = 0, literal: bool = False
) -> _Node:
    if depth > MAX_DEPTH:
        raise ConditionError(
            path,
            f"conditions are nested too deeply: more than {MAX_DEPTH} levels of any/all/not "
            f"(at most {MAX_DEPTH})",
        )
    if not isinstance(raw, Mapping):
        raise ConditionError(path, f"a condition must be a mapping, got {raw!r}")
    if not raw:
        raise ConditionError(path, "empty condition")
    children: list[_Node] = []
    for key, value in raw.items():
        here = (*path, key)
        if not isinstance(key, str) or not key.strip():
            raise ConditionError(here, f"field names must be non-empty strings, got {key!r}")
        if key == "not":
            children.append(_Not(_compile_mapping(value, here, depth + 1, literal)))
        elif key == AS_WRITTEN:
            children.append(_compile_mapping(value, here, depth + 1, True))
        elif key in ("any", "all"):
            if not isinstance(value, list | tuple):
                raise ConditionError(here, f"'{key}' needs a list of conditions")
            if not value:
                raise ConditionError(here, f"'{key}' needs at least one condition")
            parts = [
                _compile_mapping(item, (*here, i), depth + 1, literal)
                for i, item in enumerate(value)
            ]
            children.append(_Any(parts) if key == "any" else _combine(parts))
        else:
            children.extend(_compile_field(key, value, here, literal))
    return _combine(children)


def _compile_field(
    field: str, spec: Any, path: tuple[PathItem, ...], literal: bool = False
) -> list[_Node]:
    build = build_literal_test if literal else build_test
    if isinstance(spec, Mapping):
        if not spec:
            raise ConditionError(path, "no matchers given")
        leaves: list[_Node] = []
        for name, arg in spec.items():
            if not isinstance(name, str):
                raise ConditionError((*path, str(name)), f"unknown matcher {name!r}")
            if name in DATE_MATCHERS:  # dates are never normalised: the same everywhere
                date_test = build_date_test(name, arg, (*path, name))
                leaves.append(_DateLeaf(field, name, arg, date_test))
                continue
            test = build(field, name, arg, (*path, name))
            leaves.append(_Leaf(field, name, arg, test, literal))
        return leaves
    if spec is None:
        raise ConditionError(path, "no value given; use {exists: false} to test for a blank field")
    if isinstance(spec, COLLECTION_TYPES):
        raise ConditionError(path, "a plain value cannot be a list; use {in: [...]}")
    return [_Leaf(field, "eq", spec, build(field, "eq", spec, path), literal)]


class Condition:
    """A compiled condition: ``evaluate(fields)``, ``explain(fields)``, ``describe()``."""

    __slots__ = ("_root", "evaluate", "fields", "raw")

    def __init__(self, root: _Node, raw: Mapping[str, Any] | None) -> None:
        self._root = root
        self.raw = raw
        #: ``evaluate(fields) -> bool``: does the lead satisfy the condition?
        self.evaluate: Callable[[Fields], bool] = root.check
        #: The field names this condition reads.
        self.fields: frozenset[str] = frozenset(leaf.field for leaf in root.leaves())

    @property
    def reads_dates(self) -> bool:
        """True when a date matcher needs the routing time (see :data:`ROUTING_TIME`)."""
        return any(isinstance(leaf, _DateLeaf) for leaf in self._root.leaves())

    @property
    def always(self) -> bool:
        """True when the condition is empty (matches every lead)."""
        return isinstance(self._root, _Always)

    def explain(self, fields: Fields) -> list[CheckResult]:
        """One :class:`CheckResult` per leaf matcher, in config order, evaluated independently
        (no short-circuit; a leaf under ``not`` reports its own, un-negated, result)."""
        return [
            CheckResult(
                leaf.field, leaf.matcher, leaf.expected, fields.get(leaf.field), leaf.check(fields)
            )
            for leaf in self._root.leaves()
        ]

    def describe(self) -> str:
        """One readable line, e.g. ``industry in [Healthcare] AND employees >= 1000``."""
        return self._root.describe(False)

    def __repr__(self) -> str:
        return f"Condition({self.describe()!r})"


def compile_condition(raw: Mapping[str, Any] | None) -> Condition:
    """Compile a condition mapping (``None`` or ``{}`` = always true).

    Raises :class:`ConditionError` with the path of the first problem found.
    """
    if raw is None or (isinstance(raw, Mapping) and not raw):
        return Condition(_Always(), raw)
    found = _COMPILED.get(id(raw))
    if found is not None and found[0].raw is raw and found[1] == raw:
        return found[0]
    condition = Condition(_compile_mapping(raw, ()), raw)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()  # one step, safe with other threads compiling
    # condition.raw keeps raw alive (its id is not reused); the snapshot catches a mapping
    # changed in place since, which is compiled again.
    _COMPILED[id(raw)] = (condition, _snapshot(raw))
    return condition


# Loading a config compiles each condition to check it, and the Router compiles the same
# mapping again (the model keeps the one the check was given): the conditions compiled
# last, by the identity of their mapping and what it held then.
_COMPILED: dict[int, tuple[Condition, Any]] = {}
_COMPILED_MAX = 8192


def _snapshot(value: Any) -> Any:
    """A copy of a condition's mappings and lists (their scalars shared), to compare with."""
    if isinstance(value, Mapping):
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_snapshot(item) for item in value]
    return value


def field_names(raw: Mapping[str, Any] | None) -> set[str]:
    """The field names a condition reads. Never raises: malformed parts are skipped (use
    :func:`compile_condition` to report them)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            if key in ("not", AS_WRITTEN):
                walk(value)
            elif key in ("any", "all"):
                if isinstance(value, list | tuple):
                    for item in value:
                        walk(item)
            elif isinstance(key, str) and key.strip():
                names.add(key)

    walk(raw)
    return names
