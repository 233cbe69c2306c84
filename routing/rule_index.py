"""An equality index over rule conditions: which rules can a lead possibly match?

Most routing rules require fields to equal one of a few values (``country: DE``,
``state: {in: [CA, OR]}``, ``territory: west``, ``lead_source: Demo Request``...). The index
records, per rule, every such requirement it can find, and at route time intersects, field by
field, the rules whose requirement on that field the lead meets (plus the rules that have none
on it). The result, a bitmask of rule positions, holds every rule that can match the lead; a
rule outside it cannot, so evaluating only the candidates, in order, gives exactly the first
match that evaluating every rule would.

Requirements come from leaves that compile to :class:`routing.conditions.matchers.ValueSet`
membership (a plain value or ``in`` on any field but postal codes), directly or under ANDs,
and from an ``any`` whose every branch has one (a disjunction, possibly over several fields:
at most one per rule is kept, in a layer of its own). ``not``, ``not_in``, ranges, regexes
and string matchers are never indexed: the full condition always decides.

Lookups mirror ``ValueSet.__contains__`` exactly as an over-approximation: whenever
``value in value_set`` holds, the lead's value hits one of the value set's entries (strings
fold case and surrounding whitespace, numbers compare numerically including numeric strings,
booleans loosely); a list-valued field (``territory``) hits through any of its items; a
country or state compares its code (``country_code``/``state_code``) as the leaf does.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from routing.conditions import Condition
from routing.conditions.compiler import _All, _Any, _Leaf, _Node
from routing.conditions.matchers import POSTAL_FIELDS, ValueSet
from routing.conditions.values import as_bool, fold, is_missing, parse_number

__all__ = ["RuleIndex", "positions"]

# Where a leaf reads its value: (field, code field or None); see _Leaf.check.
Lookup = tuple[str, str | None]
# One way to satisfy a requirement: a field and the values that may match it, either a
# ValueSet (eq/in) or a closed numeric interval (ranges; None = unbounded).
Interval = tuple[float | None, float | None]
Atom = tuple[Lookup, ValueSet | Interval]
# A requirement: the lead must satisfy at least one of its atoms.
Requirement = tuple[Atom, ...]


class _Table:
    """Value -> bitmask of rules, per kind of ValueSet entry."""

    __slots__ = ("bools", "bools_from_text", "numbers", "texts")

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}
        self.numbers: dict[int | float, int] = {}
        self.bools: dict[bool, int] = {}
        self.bools_from_text: dict[bool, int] = {}

    def add(self, values: ValueSet, bit: int) -> None:
        _add(self.texts, values.texts, bit)
        _add(self.numbers, values.numbers, bit)
        _add(self.bools, values.bools, bit)
        _add(self.bools_from_text, values.bools_from_text, bit)

    def hits(self, value: Any) -> int:
        """Rules with an entry ``value`` may equal (``value`` present and scalar)."""
        # Mirrors ValueSet.__contains__ branch by branch.
        if isinstance(value, bool):
            return self.bools.get(value, 0) | self.bools_from_text.get(value, 0)
        if isinstance(value, str):
            hit = self.texts.get(value.strip().casefold(), 0)
            if self.numbers:
                n = parse_number(value)
                if n is not None:
                    hit |= self.numbers.get(n, 0)
            if self.bools:
                b = as_bool(value)
                if b is not None:
                    hit |= self.bools.get(b, 0)
            return hit
        if isinstance(value, int | float):
            hit = self.numbers.get(value, 0)
            if self.bools:
                b = as_bool(value)
                if b is not None:
                    hit |= self.bools.get(b, 0)
            return hit
        return self.texts.get(fold(value), 0)


class _RangeTable:
    """Closed numeric intervals -> bitmask of rules whose interval holds a number.

    The bounds cut the number line into points and the gaps between them; each region keeps
    the mask of the intervals covering it, found with one bisection at route time.
    """

    __slots__ = ("_intervals", "masks", "points")

    def __init__(self) -> None:
        self._intervals: list[tuple[float | None, float | None, int]] = []
        self.points: list[float] = []
        self.masks: list[int] = []

    def add(self, interval: Interval, bit: int) -> None:
        self._intervals.append((*interval, bit))

    def build(self) -> None:
        points = sorted({b for lo, hi, _ in self._intervals for b in (lo, hi) if b is not None})
        where = {p: i for i, p in enumerate(points)}
        # Region 2i is the gap below point i, region 2i+1 the point itself.
        regions = 2 * len(points) + 1
        start = [0] * (regions + 1)
        stop = [0] * (regions + 1)
        for lo, hi, bit in self._intervals:
            start[0 if lo is None else 2 * where[lo] + 1] |= bit
            stop[regions if hi is None else 2 * where[hi] + 2] |= bit
        masks = []
        current = 0
        for region in range(regions):
            current = (current | start[region]) & ~stop[region]
            masks.append(current)
        self.points = points
        self.masks = masks
        self._intervals = []

    def hits(self, value: Any) -> int:
        cls = value.__class__
        n = value if cls is int or cls is float else parse_number(value)
        if n is None or n != n:  # not a number, or NaN: no range holds
            return 0
        i = bisect_left(self.points, n)
        if i < len(self.points) and self.points[i] == n:
            return self.masks[2 * i + 1]
        return self.masks[2 * i]

    def everything(self) -> int:
        out = 0
        for mask in self.masks:
            out |= mask
        return out


def _add(table: dict[Any, int], items: Iterable[Any], bit: int) -> None:
    for item in items:
        table[item] = table.get(item, 0) | bit


def _lead_hits(fields: Mapping[str, Any], lookup: Lookup, table: _Table | _RangeTable) -> int:
    """Rules in ``table`` the value an ``eq``/``in`` leaf on ``lookup`` reads may match."""
    field, code_field = lookup
    value = fields.get(field)
    if code_field is not None:
        value = fields.get(code_field, value)
    if value is None:
        return 0
    if isinstance(value, str):
        return table.hits(value) if value and not value.isspace() else 0
    if isinstance(value, list | tuple | set | frozenset):
        if isinstance(table, _RangeTable):
            # A list may pass a rule's range leaves through different items: no filtering.
            return table.everything()
        hit = 0
        for item in value:
            if not is_missing(item):
                hit |= table.hits(item)
        return hit
    return table.hits(value)


Table = _Table | _RangeTable


class _Layer:
    """Rules constrained here need a hit in one of the tables; ``free`` ones need nothing."""

    __slots__ = ("free", "tables")

    def __init__(self) -> None:
        self.free = 0
        self.tables: dict[tuple[Lookup, bool], Table] = {}  # (lookup, is range) -> table

    def add(self, atom: Atom, bit: int) -> None:
        lookup, values = atom
        if isinstance(values, ValueSet):
            table = self.tables.get((lookup, False))
            if table is None:
                table = self.tables[lookup, False] = _Table()
            assert isinstance(table, _Table)
            table.add(values, bit)
        else:
            ranges = self.tables.get((lookup, True))
            if ranges is None:
                ranges = self.tables[lookup, True] = _RangeTable()
            assert isinstance(ranges, _RangeTable)
            ranges.add(values, bit)


_RANGES = frozenset({"gt", "gte", "lt", "lte", "between"})


def _leaf_atom(leaf: _Leaf) -> Atom | None:
    if leaf.literal:  # compared as written: text order, no numbers read from text
        return None
    if leaf.matcher in _RANGES:
        if leaf.field in POSTAL_FIELDS:  # postal codes compare as codes, not numbers
            return None
        lookup = (leaf.field, None)
        if leaf.matcher == "between":
            return lookup, (parse_number(leaf.expected[0]), parse_number(leaf.expected[1]))
        bound = parse_number(leaf.expected)
        return lookup, (bound, None) if leaf.matcher in ("gt", "gte") else (None, bound)
    if leaf.matcher not in ("eq", "in"):
        return None
    values = getattr(leaf.test, "__self__", None)
    if not isinstance(values, ValueSet):  # postal codes (ranges) are not indexed
        return None
    return (leaf.field, leaf.code_field), values


def _requirements(node: _Node) -> Iterator[Requirement]:
    """Requirements that all hold whenever ``node`` holds."""
    if isinstance(node, _Leaf):
        atom = _leaf_atom(node)
        if atom is not None:
            yield (atom,)
    elif isinstance(node, _Any):  # before _All: _Any subclasses it
        branches: list[Requirement] = []
        for child in node.children:
            options = list(_requirements(child))
            if not options:
                return
            branches.append(min(options, key=_width))
        yield tuple(atom for branch in branches for atom in branch)
    elif isinstance(node, _All):
        for child in node.children:
            yield from _requirements(child)


def _width(requirement: Requirement) -> int:
    """Roughly how many values satisfy a requirement (smaller is more selective); a range
    counts as wide: it is kept only when nothing narrower is there."""
    return sum(
        len(values.texts) + len(values.numbers) + 1 if isinstance(values, ValueSet) else 1000
        for _, values in requirement
    )


def _placement(
    requirements: list[Requirement],
) -> Iterator[tuple[tuple[Lookup, bool] | None, Requirement]]:
    """Where a rule's requirements go: per (field, is range) layer, the narrowest equality
    requirement, or the intersection of its single ranges; with none of those, the narrowest
    requirement spanning several (the ``None`` layer)."""
    equal: dict[Lookup, Requirement] = {}
    ranges: dict[Lookup, list[Interval]] = {}
    unions: dict[Lookup, Requirement] = {}
    across: list[Requirement] = []
    for requirement in requirements:
        kinds = {(lookup, isinstance(values, ValueSet)) for lookup, values in requirement}
        if len(kinds) != 1:
            across.append(requirement)
            continue
        ((lookup, is_set),) = kinds
        if is_set:
            best = equal.get(lookup)
            if best is None or _width(requirement) < _width(best):
                equal[lookup] = requirement
        elif len(requirement) == 1:
            interval = requirement[0][1]
            assert not isinstance(interval, ValueSet)
            ranges.setdefault(lookup, []).append(interval)
        else:
            unions.setdefault(lookup, requirement)
    for lookup, requirement in equal.items():
        yield (lookup, False), requirement
    for lookup, intervals in ranges.items():
        lows = [lo for lo, _ in intervals if lo is not None]
        highs = [hi for _, hi in intervals if hi is not None]
        lo, hi = (max(lows) if lows else None), (min(highs) if highs else None)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = intervals[0]  # never true of one number; a list value is not filtered
        yield (lookup, True), ((lookup, (lo, hi)),)
    for lookup, requirement in unions.items():
        if lookup not in ranges:
            yield (lookup, True), requirement
    if across and not equal and not ranges and not unions:
        yield None, min(across, key=_width)


def _texts_only(table: Table, free: int) -> dict[str, int] | None:
    """For a table of texts only: text -> its rules plus the layer's free rules."""
    if isinstance(table, _Table) and not (table.numbers or table.bools):
        return {text: bits | free for text, bits in table.texts.items()}
    return None


_MISSING = object()
# Entries a layer remembers of the text values it has looked up (then it starts over).
_TEXT_CACHE_MAX = 4096


def _text_hits(value: str, texts: dict[str, int], free: int, cache: dict[str, int]) -> int:
    """A string against a texts-only layer (``free`` when blank), remembered in ``cache``:
    the compiled lookup reads a value it has seen with one dict lookup, no folding."""
    stripped = value.strip()
    hit = texts.get(stripped.casefold(), free) if stripped else free
    if len(cache) >= _TEXT_CACHE_MAX:
        cache.clear()
    cache[value] = hit
    return hit


def _list_hits(value: list[Any], texts: dict[str, int], table: _Table, free: int) -> int:
    """A list value (territory) against a texts-only layer: hits through any item."""
    hit = free
    for item in value:
        if item.__class__ is str:
            if item and not item.isspace():
                hit |= texts.get(item.strip().casefold(), 0)
        elif not is_missing(item):
            hit |= table.hits(item)
    return hit


def positions(mask: int) -> Iterator[int]:
    """Set bit positions of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class RuleIndex:
    """``candidates(fields)``: bitmask of the rule positions that may match ``fields``."""

    __slots__ = ("_all", "_layers", "_single", "fields", "indexed", "lookup", "size")

    def __init__(self, conditions: Sequence[Condition], *, enabled: bool = True) -> None:
        """``enabled=False`` indexes nothing: every rule is a candidate (the naive order)."""
        self.size = len(conditions)
        self._all = (1 << self.size) - 1
        # One layer per (field, equality or range); one more for disjunctions across them.
        single: dict[tuple[Lookup, bool], _Layer] = {}
        mixed = _Layer()
        constrained = 0
        for position, condition in enumerate(conditions if enabled else ()):
            bit = 1 << position
            placed = False
            for key, atoms in _placement(list(_requirements(condition._root))):
                layer = mixed if key is None else single.setdefault(key, _Layer())
                for atom in atoms:
                    layer.add(atom, bit)
                layer.free |= bit  # marks membership until the layers are finished
                placed = True
            if placed:
                constrained |= bit
        layers = list(single.values())
        if mixed.tables:
            layers.append(mixed)
        for layer in layers:
            layer.free = self._all & ~layer.free  # free: rules without a requirement here
            for table in layer.tables.values():
                if isinstance(table, _RangeTable):
                    table.build()
        # Single-table layers, flattened for the hot loop: (field, code field, free, table).
        self._single = tuple(
            (field, code, layer.free, table, _texts_only(table, layer.free))
            for layer in layers
            if len(layer.tables) == 1
            for ((field, code), _), table in layer.tables.items()
        )
        # Layers over several tables: (free, ((field, code field, table, its texts when
        # it holds texts only, else None), ...)).
        self._layers = tuple(
            (
                layer.free,
                tuple(
                    (field, code, table, _texts_only(table, 0))
                    for ((field, code), _), table in layer.tables.items()
                ),
            )
            for layer in layers
            if len(layer.tables) > 1
        )
        #: ``lookup(fields)``: :meth:`candidates`, compiled to straight-line code.
        self.lookup: Callable[[Mapping[str, Any]], int] = self._compile()
        #: How many rules have at least one indexed requirement.
        self.indexed = constrained.bit_count()
        #: The fields the index reads, in first-use order.
        self.fields = tuple(
            dict.fromkeys(lookup[0] for layer in layers for lookup, _ in layer.tables)
        )

    def candidates(self, fields: Mapping[str, Any]) -> int:
        """Bit ``i`` set: rule ``i`` may match (every other rule certainly does not)."""
        return self.lookup(fields)

    def _compile(self) -> Callable[[Mapping[str, Any]], int]:
        """:meth:`scan` as one generated function: each layer's field, tables and masks are
        constants, and only the branches its tables need are written."""
        env: dict[str, Any] = {
            "ALL": self._all,
            "MISSING": _MISSING,
            "bisect_left": bisect_left,
            "lead_hits": _lead_hits,
            "list_hits": _list_hits,
            "text_hits": _text_hits,
            "RangeTable": _RangeTable,
        }
        lines = ["def lookup(fields):", "    get = fields.get", "    mask = ALL"]

        def read(k: int, field: str, code: str | None) -> list[str]:
            env[f"K{k}"] = (field, code)
            if code is None:
                return [f"    v = get({field!r})"]
            return [
                f"    v = get({code!r}, MISSING)",
                "    if v is MISSING:",
                f"        v = get({field!r})",
            ]

        for k, (field, code, free, table, texts) in enumerate(self._single):
            env[f"F{k}"], env[f"T{k}"] = free, table
            lines += read(k, field, code)
            lines += [
                "    if v is None:",
                f"        mask &= F{k}",
                "    else:",
                "        c = v.__class__",
            ]
            if texts is not None:
                env[f"S{k}"] = texts
                cache: dict[str, int] = {}
                env[f"C{k}"], env[f"Q{k}"] = cache, cache.get
                lines += [
                    "        if c is str:",
                    f"            m = Q{k}(v)",
                    f"            mask &= text_hits(v, S{k}, F{k}, C{k}) if m is None else m",
                    "        elif c is list:",
                    f"            mask &= list_hits(v, S{k}, T{k}, F{k})",
                    "        else:",
                    f"            mask &= F{k} | lead_hits(fields, K{k}, T{k})",
                ]
            elif isinstance(table, _RangeTable):
                env[f"P{k}"], env[f"M{k}"], env[f"N{k}"] = (
                    table.points,
                    table.masks,
                    len(table.points),
                )
                lines += [
                    "        if c is int or c is float:",
                    "            if v != v:",
                    f"                mask &= F{k}",
                    "            else:",
                    f"                i = bisect_left(P{k}, v)",
                    f"                if i < N{k} and P{k}[i] == v:",
                    f"                    mask &= F{k} | M{k}[2 * i + 1]",
                    "                else:",
                    f"                    mask &= F{k} | M{k}[2 * i]",
                    "        elif c is str:",
                    f"            mask &= F{k} | T{k}.hits(v) if v and not v.isspace() else F{k}",
                    "        else:",
                    f"            mask &= F{k} | lead_hits(fields, K{k}, T{k})",
                ]
            else:
                lines += [
                    "        if c is str:",
                    f"            mask &= F{k} | T{k}.hits(v) if v and not v.isspace() else F{k}",
                    "        else:",
                    f"            mask &= F{k} | lead_hits(fields, K{k}, T{k})",
                ]
        k = len(self._single)
        for free, tables in self._layers:
            env[f"F{k}"] = free
            layer = f"F{k}"
            lines.append(f"    hit = {layer}")
            for field, code, table, texts in tables:
                env[f"T{k}"] = table
                lines += read(k, field, code)
                lines += ["    if v is not None:", "        c = v.__class__"]
                if texts is not None:
                    env[f"S{k}"] = texts
                    cache = {}
                    env[f"C{k}"], env[f"Q{k}"] = cache, cache.get
                    lines += [
                        "        if c is str:",
                        f"            m = Q{k}(v)",
                        f"            hit |= text_hits(v, S{k}, 0, C{k}) if m is None else m",
                        "        else:",
                        f"            hit |= lead_hits(fields, K{k}, T{k})",
                    ]
                elif isinstance(table, _RangeTable):
                    lines += [
                        "        if c is int or c is float:",
                        f"            hit |= T{k}.hits(v)",
                        "        else:",
                        f"            hit |= lead_hits(fields, K{k}, T{k})",
                    ]
                else:
                    lines.append(f"        hit |= lead_hits(fields, K{k}, T{k})")
                k += 1
            lines.append("    mask &= hit")
        lines.append("    return mask")
        namespace: dict[str, Any] = {}
        exec(compile("\n".join(lines), "<rule index>", "exec"), env, namespace)
        compiled: Callable[[Mapping[str, Any]], int] = namespace["lookup"]
        return compiled

    def scan(self, fields: Mapping[str, Any]) -> int:
        """:meth:`candidates` as a loop over the layers (the reference for :meth:`lookup`)."""
        mask = self._all
        get = fields.get
        for field, code, free, table, texts in self._single:
            value = get(field) if code is None else get(code, get(field))
            if value is None:
                mask &= free
                continue
            cls = value.__class__
            if cls is str:
                if not value or value.isspace():
                    mask &= free
                elif texts is not None:  # _Table.hits of a string, no numbers or booleans
                    mask &= texts.get(value.strip().casefold(), free)
                else:
                    mask &= free | table.hits(value)
            elif (cls is int or cls is float) and table.__class__ is _RangeTable:
                # _RangeTable.hits of a number (not a bool: exact classes only).
                if value != value:  # NaN: no range holds
                    mask &= free
                    continue
                points = table.points
                i = bisect_left(points, value)
                if i < len(points) and points[i] == value:
                    mask &= free | table.masks[2 * i + 1]
                else:
                    mask &= free | table.masks[2 * i]
            elif cls is list and texts is not None:
                # A list (territory) hits through any of its items; texts hold free too.
                hit = free
                for item in value:
                    if item.__class__ is str:
                        if item and not item.isspace():
                            hit |= texts.get(item.strip().casefold(), 0)
                    elif not is_missing(item):
                        hit |= table.hits(item)
                mask &= hit
            else:
                mask &= free | _lead_hits(fields, (field, code), table)
        for free, tables in self._layers:
            hit = free
            for field, code, table, texts in tables:
                value = get(field) if code is None else get(code, get(field))
                if value is None:
                    continue
                cls = value.__class__
                if cls is str and texts is not None:
                    if value and not value.isspace():
                        hit |= texts.get(value.strip().casefold(), 0)
                elif (cls is int or cls is float) and table.__class__ is _RangeTable:
                    hit |= table.hits(value)
                else:
                    hit |= _lead_hits(fields, (field, code), table)
            mask &= hit
        return mask
