"""YAML parsing that remembers where every node starts.

PyYAML's data has no positions, so the document is composed into nodes first, constructed
with a SafeLoader subclass, and the node tree is walked to map each path (``("reps", 2,
"caps", "day")``) to its 1-based line. Duplicate mapping keys, which PyYAML silently
collapses, are reported as issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from routing.config.issues import ConfigIssue, Path, PathItem, format_path

__all__ = ["LineMap", "YamlDocument", "read_yaml"]

NodeKind = Literal["map", "seq", "scalar"]
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineMap:
    """Path -> line of the node at that path (mapping entries: the line of the key)."""

    def __init__(self, source: str = "routing.yml") -> None:
        self.source = source
        self.lines: dict[Path, int] = {}
        self.kinds: dict[Path, NodeKind] = {}

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


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps each mapping's pairs as written (before `<<` merges) and the
    constructed value of every key node."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.written_pairs: dict[MappingNode, list[tuple[Node, Node]]] = {}
        self.key_values: dict[Node, Any] = {}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.written_pairs.setdefault(node, list(node.value))
        mapping = super().construct_mapping(node, deep=deep)
        for key_node, _ in node.value:
            if key_node in self.constructed_objects:
                self.key_values[key_node] = self.constructed_objects[key_node]
        return mapping


def _syntax_issue(exc: yaml.YAMLError, text: str, source: str) -> ConfigIssue:
    line: int | None = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = exc.problem or exc.context or str(exc)
        if exc.problem and exc.context:
            started = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
            message = f"{exc.problem} ({exc.context}{started})"
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        message = f"unreadable character {exc.character!r}: {exc.reason}"
    else:
        message = str(exc)
    return ConfigIssue("", line, f"YAML syntax error: {message}", source)


def read_yaml(text: str, source: str = "routing.yml") -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys become issues."""
    lines = LineMap(source)
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        return YamlDocument(None, lines, [_syntax_issue(exc, text, source)])
    finally:
        loader.dispose()
    issues: list[ConfigIssue] = []
    if root is not None:
        _walk(root, (), loader, lines, issues, set())
    return YamlDocument(data, lines, issues)


def _walk(
    node: Node,
    path: Path,
    loader: _LineLoader,
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
    node: MappingNode, path: Path, loader: _LineLoader, issues: list[ConfigIssue], source: str
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
