"""A condition compiled for the engine's trace: one generated function per rule.

``compile_traced(condition, rule_name)`` returns ``run(fields) -> (matched, entry)`` where
``entry`` is the rule's trace entry ``{"step": "rule", "rule", "matched", "checks"}`` and each
check is ``{"field", "matcher", "expected", "actual", "passed"}``, in
:meth:`Condition.explain` order. Every leaf is evaluated exactly once (no short-circuit; a
leaf under ``not`` reports its own result) and the combination mirrors the condition tree,
so ``matched == condition.evaluate(fields)``.

The common leaves are inlined: equality/``in`` over text-only value sets (a string value
folds and looks up the set, exactly what ``ValueSet.__contains__`` does for a string) and
numeric ranges on a number; every other value falls back to the leaf's own ``check``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from routing.conditions.compiler import Condition, _All, _Always, _Any, _Leaf, _Node, _Not
from routing.conditions.matchers import POSTAL_FIELDS, ValueSet
from routing.conditions.values import parse_number
from routing.deferred_code import compiled_when_called

__all__ = ["Traced", "compile_traced"]

Traced = Callable[[Mapping[str, Any]], tuple[bool, dict[str, Any]]]

_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _expression(node: _Node, index: dict[int, int]) -> str:
    if isinstance(node, _Leaf):
        return f"p{index[id(node)]}"
    if isinstance(node, _Always):
        return "True"
    if isinstance(node, _Not):
        return f"(not {_expression(node.child, index)})"
    if isinstance(node, _All):
        joiner = " or " if isinstance(node, _Any) else " and "
        return "(" + joiner.join(_expression(c, index) for c in node.children) + ")"
    raise TypeError(f"unknown condition node {node!r}")


def _leaf_code(i: int, leaf: _Leaf, env: dict[str, Any]) -> list[str]:
    env[f"C{i}"] = leaf.check
    lines = [f"    a{i} = get({leaf.field!r})"]
    if leaf.literal:  # compared as written: the inlined paths below normalise
        lines.append(f"    p{i} = C{i}(fields)")
        return lines
    values = getattr(leaf.test, "__self__", None)
    if (
        leaf.matcher in ("eq", "in")
        and isinstance(values, ValueSet)
        and not (values.numbers or values.bools or values.bools_from_text)
    ):
        env[f"T{i}"] = values.texts
        value = f"get({leaf.code_field!r}, a{i})" if leaf.code_field is not None else f"a{i}"
        lines += [
            f"    v = {value}",
            "    if v.__class__ is str:",
            f"        p{i} = v.strip().casefold() in T{i} if v and not v.isspace() else "
            f"{leaf.missing_result!r}",
            "    elif v is None:",
            f"        p{i} = {leaf.missing_result!r}",
            "    else:",
            f"        p{i} = C{i}(fields)",
        ]
        return lines
    if leaf.field not in POSTAL_FIELDS and leaf.matcher in (*_OPS, "between"):
        if leaf.matcher == "between":
            lo, hi = parse_number(leaf.expected[0]), parse_number(leaf.expected[1])
            env[f"L{i}"], env[f"H{i}"] = lo, hi
            test = f"L{i} <= v <= H{i}"
            ok = lo is not None and hi is not None
        else:
            bound = parse_number(leaf.expected)
            env[f"B{i}"] = bound
            test = f"v {_OPS[leaf.matcher]} B{i}"
            ok = bound is not None
        if ok:
            lines += [
                f"    v = a{i}",
                "    if v.__class__ is int or v.__class__ is float:",
                f"        p{i} = {test}",
                "    else:",
                f"        p{i} = C{i}(fields)",
            ]
            return lines
    lines.append(f"    p{i} = C{i}(fields)")
    return lines


def compile_traced(condition: Condition, rule_name: str) -> Traced:
    root = condition._root
    leaves = list(root.leaves())
    env: dict[str, Any] = {"NAME": rule_name}
    index = {id(leaf): i for i, leaf in enumerate(leaves)}
    body = ["def run(fields):", "    get = fields.get"]
    checks = []
    for i, leaf in enumerate(leaves):
        body += _leaf_code(i, leaf, env)
        env[f"E{i}"] = leaf.expected
        checks.append(
            f'{{"field": {leaf.field!r}, "matcher": {leaf.matcher!r}, "expected": E{i}, '
            f'"actual": a{i}, "passed": p{i}}}'
        )
    body.append(f"    m = {_expression(root, index)}")
    body.append(
        '    return m, {"step": "rule", "rule": NAME, "matched": m, "checks": ['
        + ", ".join(checks)
        + "]}"
    )
    source = "\n".join(body)
    run: Traced = compiled_when_called(source, f"<rule {rule_name!r}>", env, "run", "fields")
    return run
