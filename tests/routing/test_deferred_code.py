"""Generated functions are compiled by their first call and run their own code after."""

from __future__ import annotations

from typing import Any

from routing.conditions import compile_condition
from routing.conditions.traced import compile_traced
from routing.deferred_code import compiled_when_called


def test_compiled_by_the_first_call_only() -> None:
    env: dict[str, Any] = {"K": 10}
    compiled: list[str] = []
    source = "def add(a, b):\n    return a + b + K\n"
    add = compiled_when_called(source, "<add>", env, "add", "a, b")
    assert add.__code__.co_filename == "<add, compiled by its first call>"
    real_compile = env["COMPILE_NOW"]

    def counting() -> Any:
        compiled.append("add")
        return real_compile()

    env["COMPILE_NOW"] = counting
    assert add(1, 2) == 13
    assert add.__code__.co_filename == "<add>"
    assert add(3, 4) == 17 and compiled == ["add"]


def test_a_traced_rule_gives_the_same_before_and_after_compiling() -> None:
    condition = compile_condition({"industry": {"in": ["Healthcare"]}, "employees": {"gte": 10}})
    run = compile_traced(condition, "R")
    lead = {"industry": " healthcare ", "employees": 12}
    first = run(lead)
    assert run.__code__.co_filename == "<rule 'R'>"
    assert run(lead) == first and first[0] is True
    assert [check["passed"] for check in first[1]["checks"]] == [True, True]


def test_equal_sources_share_code_not_globals() -> None:
    source = "def get():\n    return VALUE\n"
    one = compiled_when_called(source, "<shared>", {"VALUE": 1}, "get", "")
    two = compiled_when_called(source, "<shared>", {"VALUE": 2}, "get", "")
    assert (one(), two()) == (1, 2)
    assert one.__code__ is two.__code__
