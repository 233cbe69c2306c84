"""The Metadata API ``AssignmentRules`` document: parsed into plain dataclasses.

Only reading happens here; what an entry means is for :mod:`.translate`. A document that is
not XML, or not an ``AssignmentRules`` document, is a :class:`MetadataError` naming the line
and column (never a traceback); every rule entry remembers its position (index within its
rule and line in the file) so that warnings can point at it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import unquote
from xml.parsers import expat

__all__ = [
    "NS",
    "AssignmentRule",
    "CriteriaItem",
    "MetadataError",
    "QueueInfo",
    "RuleEntry",
    "parse_assignment_rules",
    "parse_queue",
]

NS = "{http://soap.sforce.com/2006/04/metadata}"


class MetadataError(ValueError):
    """A document that cannot be read as assignment rules (or a queue)."""


@dataclass(frozen=True)
class CriteriaItem:
    field: str
    operation: str
    value: str | None


@dataclass(frozen=True)
class RuleEntry:
    index: int  # 1-based, the entry's position in the rule
    assigned_to: str | None
    assigned_to_type: str | None
    boolean_filter: str | None
    items: tuple[CriteriaItem, ...]
    formula: str | None = None
    template: str | None = None
    line: int | None = None  # where <ruleEntry> starts in the file

    @property
    def position(self) -> str:
        """``entry 3 (line 42)``: how warnings name the entry."""
        return f"entry {self.index}" + (f" (line {self.line})" if self.line else "")


@dataclass(frozen=True)
class AssignmentRule:
    name: str
    active: bool
    entries: tuple[RuleEntry, ...]


@dataclass(frozen=True)
class QueueInfo:
    """A ``.queue-meta.xml``: the queue's label and its member usernames."""

    developer_name: str
    label: str
    users: tuple[str, ...]


def _parse(xml_text: str) -> tuple[ET.Element, dict[int, int]]:
    """The document's root and the line each element starts on. Expat directly (as
    ElementTree does inside) because ElementTree keeps no line numbers; the lines are kept
    by element identity, as ElementTree's elements take no attributes of ours."""
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def tag(name: str) -> str:
        return "{" + name if "}" in name else name  # "ns}tag" -> "{ns}tag", as ElementTree

    def start(name: str, attrs: dict[str, str]) -> None:
        element = builder.start(tag(name), attrs)
        lines[id(element)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(tag(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(xml_text, True)
        root = builder.close()
    except expat.ExpatError as exc:
        raise MetadataError(
            f"not valid XML at line {exc.lineno}, column {exc.offset + 1}: "
            f"{expat.ErrorString(exc.code)}"
        ) from None
    except AssertionError:  # TreeBuilder: no element at all
        raise MetadataError("not valid XML: no root element") from None
    return root, lines


def _text(node: ET.Element, tag: str) -> str | None:
    child = node.find(NS + tag)
    if child is None:
        child = node.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _children(node: ET.Element, tag: str) -> list[ET.Element]:
    return node.findall(NS + tag) + node.findall(tag)


def parse_assignment_rules(xml_text: str) -> list[AssignmentRule]:
    """Every ``assignmentRule`` of a Metadata API ``AssignmentRules`` document.

    Raises :class:`MetadataError` for text that is not XML or not such a document."""
    root, lines = _parse(xml_text)
    if root.tag.removeprefix(NS) != "AssignmentRules":
        raise MetadataError(f"expected an AssignmentRules document, got <{root.tag}>")
    rules: list[AssignmentRule] = []
    for node in _children(root, "assignmentRule"):
        entries = []
        for index, entry in enumerate(_children(node, "ruleEntry"), start=1):
            items = tuple(
                CriteriaItem(
                    field=_text(item, "field") or "",
                    operation=_text(item, "operation") or "equals",
                    # A value is compared as Salesforce stores it: surrounding blanks dropped.
                    value=_text(item, "value"),
                )
                for item in _children(entry, "criteriaItems")
            )
            entries.append(
                RuleEntry(
                    index=index,
                    assigned_to=_text(entry, "assignedTo"),
                    assigned_to_type=_text(entry, "assignedToType"),
                    boolean_filter=_text(entry, "booleanFilter"),
                    items=items,
                    formula=_text(entry, "formula"),
                    template=_text(entry, "template"),
                    line=lines.get(id(entry)),
                )
            )
        rules.append(
            AssignmentRule(
                # Metadata file names encode special characters: "Strategic %26 Biz Dev".
                name=unquote(_text(node, "fullName") or "(unnamed)"),
                active=(_text(node, "active") or "").lower() == "true",
                entries=tuple(entries),
            )
        )
    return rules


def parse_queue(xml_text: str, developer_name: str) -> QueueInfo:
    """A ``Queue`` metadata document (``Name.queue-meta.xml``)."""
    root, _ = _parse(xml_text)
    users: list[str] = []
    for members in _children(root, "queueMembers"):
        for group in _children(members, "users"):
            users.extend(u.text.strip() for u in _children(group, "user") if u.text)
    return QueueInfo(developer_name, _text(root, "name") or developer_name, tuple(users))
