"""YAML parsing that remembers where every node starts.

PyYAML's data has no positions, so the document is composed into nodes first, constructed
with a SafeLoader subclass, and the node tree is walked to map each path (``("reps", 2,
"caps", "day")``) to its 1-based line. Duplicate mapping keys, which PyYAML silently
collapses, are reported as issues.

The file comes from whoever may edit it, so the loader refuses, with a line-numbered issue and
before building any data, a file over :data:`MAX_DOCUMENT_CHARS`, nesting deeper than
:data:`MAX_DEPTH` and aliases that would copy in more than :data:`MAX_ALIAS_NODES` nodes (an
"alias bomb": 1 KB of nested aliases expands to millions of nodes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from routing.config.issues import ConfigIssue, Path, PathItem, format_path
from routing.config.yamlplain import NotPlain, construct_plain

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_CHARS",
    "LineMap",
    "YamlDocument",
    "read_yaml",
]

NodeKind = Literal["map", "seq", "scalar"]
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Each limit is far above a real routing.yml (the example is 6 KB) and well below what hurts:
# validating 1 MB takes about 5 s on a slow machine, and every node the line walk, the models
# and the checks visit costs time and memory.
#: Characters a routing.yml may have (2 MiB).
MAX_DOCUMENT_CHARS = 2 * 1024 * 1024
#: Mappings and lists nested in one another, counting those aliases bring in.
MAX_DEPTH = 100
#: Nodes all aliases together may copy into the document (each use counts its whole node).
MAX_ALIAS_NODES = 100_000


class LineMap:
    """Path -> line of the node at that path (mapping entries: the line of the key).

    A file without issues of its own never needs its lines unless a check finds something:
    read_yaml may leave the map to be filled on first use (:meth:`fill_later`)."""

    def __init__(self, source: str = "routing.yml") -> None:
        self.source = source
        self._lines: dict[Path, int] = {}
        self._kinds: dict[Path, NodeKind] = {}
        self._fill: Callable[[], None] | None = None

    def fill_later(self, fill: Callable[[], None]) -> None:
        self._fill = fill

    def _filled(self) -> None:
        fill, self._fill = self._fill, None
        if fill is not None:
            fill()

    @property
    def lines(self) -> dict[Path, int]:
        self._filled()
        return self._lines

    @property
    def kinds(self) -> dict[Path, NodeKind]:
        self._filled()
        return self._kinds

    def __contains__(self, path: Path) -> bool:
        return path in self.lines

    def line(self, path: Path) -> int | None:
        """Line of ``path``, else of its nearest ancestor present in the file."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def yaml_path(self, path: Path) -> Path:
        """Drop list indexes the file does not have: `notify: manager` is stored as a
        one-item list, but the user wrote a scalar at ``...notify``."""
        out: list[PathItem] = []
        for item in path:
            here = tuple(out)
            if isinstance(item, int) and here in self.kinds and self.kinds[here] != "seq":
                continue
            out.append(item)
        return tuple(out)

    def issue(self, path: Path, message: str) -> ConfigIssue:
        where = self.yaml_path(path)
        return ConfigIssue(format_path(where), self.line(where), message, self.source)


@dataclass
class YamlDocument:
    data: Any
    lines: LineMap
    issues: list[ConfigIssue] = field(default_factory=list)


class _TooBig(yaml.YAMLError):
    """A limit of the loader was passed at ``line``."""

    def __init__(self, event: Event, message: str) -> None:
        super().__init__(message)
        self.line = event.start_mark.line + 1 if event.start_mark is not None else None
        self.message = message


class _Keys:
    """What the loaders below add to PyYAML's constructor: each mapping's pairs as written
    (before `<<` merges) and the constructed value of every key node, for the line walk."""

    constructed_objects: dict[Node, Any]

    def _init_keys(self) -> None:
        self.written_pairs: dict[MappingNode, list[tuple[Node, Node]]] = {}
        self.key_values: dict[Node, Any] = {}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.written_pairs.setdefault(node, list(node.value))
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)  # type: ignore[misc]
        for key_node, _ in node.value:
            if key_node in self.constructed_objects:
                self.key_values[key_node] = self.constructed_objects[key_node]
        return mapping


class _Lines(_Keys):
    """:class:`_Keys`, and the limits enforced while composing, when an alias is still one
    shared node rather than a copy."""

    anchors: dict[Any, Node]

    def _init_lines(self) -> None:
        self._init_keys()
        # [size, height] of each node being composed, innermost last: size counts the nodes
        # it expands to, height the collections nested in it (itself included).
        self._open: list[list[int]] = []
        self._anchored: dict[Node, tuple[int, int]] = {}  # finished anchored nodes' shape
        self._alias_nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is PyYAML's own error
                self._add_alias(event, target)
            return super().compose_node(parent, index)  # type: ignore[misc]
        collection = isinstance(event, CollectionStartEvent)
        if collection and len(self._open) >= MAX_DEPTH:
            raise _TooBig(
                event,
                f"nested too deeply: more than {MAX_DEPTH} levels of mappings and lists "
                f"(at most {MAX_DEPTH})",
            )
        self._open.append([1, 0])
        node: Node | None = super().compose_node(parent, index)  # type: ignore[misc]
        size, height = self._open.pop()
        shape = (size, height + collection)
        if event.anchor is not None and node is not None:
            self._anchored[node] = shape
        self._add(shape)
        return node

    def _add(self, shape: tuple[int, int]) -> None:
        if self._open:
            parent = self._open[-1]
            parent[0] += shape[0]
            parent[1] = max(parent[1], shape[1])

    def _add_alias(self, event: AliasEvent, target: Node) -> None:
        name = f"*{event.anchor}"
        shape = self._anchored.get(target)
        if shape is None:  # its node is still open: the alias sits inside what it names
            raise _TooBig(
                event,
                f"alias {name} is inside the node it refers to; "
                "routing.yml cannot hold a structure that contains itself",
            )
        size, height = shape
        if len(self._open) + height > MAX_DEPTH:
            raise _TooBig(
                event,
                f"alias {name} nests the document more than {MAX_DEPTH} levels of mappings "
                f"and lists deep (at most {MAX_DEPTH})",
            )
        self._alias_nodes += size
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise _TooBig(
                event,
                f"aliases copy too much: with alias {name} ({size:,} nodes) they expand to "
                f"{self._alias_nodes:,} nodes (at most {MAX_ALIAS_NODES:,}); use fewer or "
                "smaller aliases",
            )
        self._add(shape)


class _LineLoader(_Lines, yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader with :class:`_Lines`: the reference, and the one
    whose messages a file with an error gets."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._init_lines()


_CParser: Any
try:
    from yaml._yaml import CParser as _CParser
    from yaml._yaml import get_version as _libyaml_version
except ImportError:  # PyYAML built without libyaml
    _CParser = None
else:
    # libyaml's composer recurses in C: only a libyaml that refuses nesting past 1,000
    # levels itself (0.2.6 on) may be handed a file before its depth is known.
    if _libyaml_version() < (0, 2, 6):
        _CParser = None


if _CParser is not None:

    class _CLineLoader(_Keys, _CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml scans, parses and composes (C), into the same nodes as PyYAML's composer
        (an alias is the shared node it names, never a copy), several times faster; the
        limits are checked on those nodes by :func:`_within_limits`."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._init_keys()


# A tagged scalar PyYAML cannot read (`!!int x`, `!!bool maybe`, `!!timestamp 2024-13-45`)
# makes its constructor raise a bare ValueError or KeyError, with no line: each loader's
# constructor of those tags raises a ConstructorError at the node instead, which becomes a
# line-numbered issue like any other YAML error.
_CHECKED_TAGS = ("int", "float", "bool", "timestamp", "binary")


def _marked(tag: str, construct: Any) -> Any:
    def construct_or_say_where(loader: Any, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"!!{tag} value {node.value!r} is not a valid {tag} ({exc})",
                node.start_mark,
            ) from None

    return construct_or_say_where


for _loader in (_LineLoader, *([_CLineLoader] if _CParser is not None else [])):
    for _tag in _CHECKED_TAGS:
        _full = f"tag:yaml.org,2002:{_tag}"
        _loader.add_constructor(_full, _marked(_tag, yaml.SafeLoader.yaml_constructors[_full]))


def _fast_path(text: str) -> bool:
    """Whether libyaml may read ``text``: a document PyYAML's reader would take as it is
    (no character it refuses, no byte order mark to skip). Anything libyaml then finds
    wrong is read again by PyYAML, for its messages."""
    return (
        _CParser is not None
        and _NOT_FAST.search(text) is None
        and yaml.reader.Reader.NON_PRINTABLE.search(text) is None
    )


# Where the two differ: libyaml takes tabs and `? ` in flow plain scalars that PyYAML
# refuses; line breaks beyond \r and \n and byte order marks are left to PyYAML too.
_NOT_FAST = re.compile("[\\t\x85\u2028\u2029\ufeff]|\\?(?:\\s|$)")


def _compose_c(text: str) -> tuple[Any, Any, Any, bool] | None:
    """(loader, root node, data, whether the document is plain with no duplicate key) read
    by libyaml; None where PyYAML must read the file: an error, or a limit passed (its
    composer says which, and where)."""
    loader = _CLineLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return loader, None, None, True
        if not _passes_limits(root, text):
            return None
        data, clean = _construct(loader, root)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return loader, root, data, clean


def _construct(loader: Any, root: Node) -> tuple[Any, bool]:
    """The document's data, built in one pass when it is plain, else by PyYAML; and whether
    it is plain with no duplicate key."""
    try:
        return construct_plain(loader, root, loader.key_values)
    except NotPlain:
        loader.key_values.clear()
        return loader.construct_document(root), False


# An anchor is `&` and at least one character of its name. A text without one has no
# anchor, so no alias (an alias names an anchor): only the nesting needs checking.
_MAYBE_ANCHOR = re.compile(r"&[^\s\[\]{},]")


def _passes_limits(root: Node, text: str) -> bool:
    if _MAYBE_ANCHOR.search(text) is None:
        return _within_depth(root, 0)
    return _within_limits(root)


def _within_depth(node: Node, depth: int) -> bool:
    """Whether collections nest at most MAX_DEPTH deep under ``node`` (``depth`` above it),
    in a document without aliases."""
    if isinstance(node, ScalarNode):
        return True
    if depth >= MAX_DEPTH:
        return False
    items = node.value if isinstance(node, SequenceNode) else chain.from_iterable(node.value)
    for child in items:
        if not isinstance(child, ScalarNode) and not _within_depth(child, depth + 1):
            return False
    return True


def _within_limits(root: Node) -> bool:
    """Whether composed nodes pass the limits :class:`_Lines` enforces while composing.

    Walked in document order (before `<<` merges flatten mappings), a node met again is an
    alias, and one met again while still open is an alias inside what it names. Each node is
    walked once; an alias adds the size and height kept for its node, as in :class:`_Lines`.
    """
    shapes: dict[Node, tuple[int, int]] = {}  # finished nodes: (size expanded, height)
    opened: set[Node] = set()
    aliased = 0

    def shape(node: Node, depth: int) -> tuple[int, int] | None:
        # depth: the collections above `node`, itself a collection
        nonlocal aliased
        if depth >= MAX_DEPTH:
            return None
        opened.add(node)
        size, height = 1, 0
        items = node.value if isinstance(node, SequenceNode) else chain.from_iterable(node.value)
        for child in items:
            known = shapes.get(child)
            if known is not None:  # an alias
                aliased += known[0]
                if aliased > MAX_ALIAS_NODES or depth + 1 + known[1] > MAX_DEPTH:
                    return None
            elif isinstance(child, ScalarNode):
                known = shapes[child] = (1, 0)
            elif child in opened:
                return None
            else:
                known = shape(child, depth + 1)
                if known is None:
                    return None
            size += known[0]
            height = max(height, known[1])
        opened.discard(node)
        shapes[node] = (size, height + 1)
        return shapes[node]

    return isinstance(root, ScalarNode) or shape(root, 0) is not None


def _compose(loader_type: Any, text: str) -> tuple[Any, Any, Any, bool]:
    """(loader, root node, data, False); raises yaml.YAMLError."""
    loader = loader_type(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return loader, root, data, False


def _syntax_issue(exc: yaml.YAMLError, text: str, source: str) -> ConfigIssue:
    line: int | None = None
    if isinstance(exc, _TooBig):
        return ConfigIssue("", exc.line, exc.message, source)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = exc.problem or exc.context or str(exc)
        if exc.problem and exc.context:
            started = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
            message = f"{exc.problem} ({exc.context}{started})"
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        # PyYAML gives the character's code point, not the character.
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
        message = f"unreadable character {chr(code)!r} (U+{code:04X}): {exc.reason}"
    else:
        message = str(exc)
    kind = "value" if isinstance(exc, yaml.constructor.ConstructorError) else "syntax"
    return ConfigIssue("", line, f"YAML {kind} error: {message}", source)


def read_yaml(text: str, source: str = "routing.yml") -> YamlDocument:
    """Parse one YAML document; syntax errors, duplicate keys and passed limits become
    issues."""
    lines = LineMap(source)
    if len(text) > MAX_DOCUMENT_CHARS:
        return YamlDocument(None, lines, [_too_large(text, source)])
    composed = None
    if _fast_path(text):
        composed = _compose_c(text)  # None: PyYAML says what is wrong, and where
    if composed is None:
        try:
            # The reader checks the first characters as it is built: a control character
            # near the start of the file raises here already.
            composed = _compose(_LineLoader, text)
        except yaml.YAMLError as exc:
            return YamlDocument(None, lines, [_syntax_issue(exc, text, source)])
    loader, root, data, clean = composed
    issues: list[ConfigIssue] = []
    if clean and root is not None:
        # No issue can come of the walk (no duplicate key): it waits until a line is needed.
        lines.fill_later(lambda: _walk(root, (), loader, lines, [], set()))
    elif root is not None:
        _walk(root, (), loader, lines, issues, set())
    return YamlDocument(data, lines, issues)


def _too_large(text: str, source: str) -> ConfigIssue:
    line = text.count("\n", 0, MAX_DOCUMENT_CHARS) + 1
    mib = MAX_DOCUMENT_CHARS // (1024 * 1024)
    return ConfigIssue(
        "",
        line,
        f"the file is too large: it passes {MAX_DOCUMENT_CHARS:,} characters ({mib} MiB) on "
        f"this line; routing.yml may be at most {mib} MiB",
        source,
    )


def _walk(
    node: Node,
    path: Path,
    loader: _Keys,
    lines: LineMap,
    issues: list[ConfigIssue],
    active: set[int],
) -> None:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, ScalarNode) or id(node) in active:  # `active` guards recursive aliases
        lines.kinds.setdefault(path, "scalar")
        return
    active.add(id(node))
    if isinstance(node, SequenceNode):
        lines.kinds.setdefault(path, "seq")
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), loader, lines, issues, active)
    elif isinstance(node, MappingNode):
        lines.kinds.setdefault(path, "map")
        _check_duplicates(node, path, loader, issues, lines.source)
        # node.value is flattened: merged (`<<`) pairs first, so explicit keys win below.
        for key_node, value_node in node.value:
            key = loader.key_values.get(key_node, getattr(key_node, "value", None))
            if isinstance(key, float):
                key = str(key)
            if not isinstance(key, str | int):
                continue
            child = (*path, key)
            lines.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, loader, lines, issues, active)
    active.discard(id(node))


def _check_duplicates(
    node: MappingNode, path: Path, loader: _Keys, issues: list[ConfigIssue], source: str
) -> None:
    first: dict[Any, Node] = {}
    for key_node, _ in loader.written_pairs.get(node) or node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.key_values.get(key_node, getattr(key_node, "value", None))
        try:
            earlier = first.setdefault(key, key_node)
        except TypeError:  # unhashable key; PyYAML already refused to construct it
            continue
        if earlier is not key_node:
            issues.append(
                ConfigIssue(
                    format_path((*path, key if isinstance(key, str | int) else str(key))),
                    key_node.start_mark.line + 1,
                    f"duplicate key {key!r} (first at line {earlier.start_mark.line + 1}); "
                    "YAML would silently keep only the last one",
                    source,
                )
            )
