"""The data of a plain YAML document, built from its nodes in one pass.

PyYAML's SafeConstructor handles every node through generic machinery (recursion guards,
deferred generators for collections, a per-node memo): a third of reading a long
routing.yml. A routing.yml is plain: mappings with scalar keys, lists, and the standard
scalar tags. For such nodes :func:`construct_plain` builds the same data, calling PyYAML's
own constructor of each scalar tag; anything else (a `<<` merge, a `!!set`, a collection
as a key, a tag of its own...) raises :class:`NotPlain` and is left to PyYAML.
"""

from __future__ import annotations

from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["NotPlain", "construct_plain"]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
#: Scalar tags built by SafeConstructor's own function for the tag (not a merge `<<`, not
#: a `=` value key, not binary: bytes would not do as a key either way).
_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


class NotPlain(Exception):
    """The document has a node :func:`construct_plain` leaves to PyYAML's constructor."""


def construct_plain(
    constructor: SafeConstructor, root: Node, key_values: dict[Node, Any]
) -> tuple[Any, bool]:
    """``constructor.construct_document(root)`` for a plain document, recording the value
    of every mapping key node in ``key_values``; and whether no mapping repeats a key (as
    the constructed keys compare: ``1`` and ``1.0`` are the same key). ``root`` must hold
    no node inside itself (read_yaml's limits refuse those first)."""
    scalars = constructor.yaml_constructors
    built: dict[Node, Any] = {}  # each collection built once: aliases share it, as in PyYAML
    repeats: list[Node] = []

    def build(node: Node) -> Any:
        tag = node.tag
        if isinstance(node, ScalarNode):
            if tag == _STR:
                return node.value
            if tag in _SCALARS:
                return scalars[tag](constructor, node)
            raise NotPlain(tag)
        found = built.get(node)
        if found is not None:
            return found
        if tag == _SEQ and isinstance(node, SequenceNode):
            items: list[Any] = []
            built[node] = items
            items.extend(build(item) for item in node.value)
            return items
        if tag == _MAP and isinstance(node, MappingNode):
            mapping: dict[Any, Any] = {}
            built[node] = mapping
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALARS:
                    raise NotPlain(key_node.tag)
                key = key_values[key_node] = build(key_node)
                mapping[key] = build(value_node)  # a repeated key: the last value, first place
            if len(mapping) != len(node.value):
                repeats.append(node)
            return mapping
        raise NotPlain(tag)

    data = build(root)
    return data, not repeats
