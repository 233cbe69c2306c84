"""A condition mapping is compiled once per load (issue #15): the Router gets the condition
the config check compiled, by the identity of the mapping the model keeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from routing.conditions import compile_condition, compiler
from routing.config import parse_config
from routing.engine import Router

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "routing.yml").read_text()


def test_the_same_mapping_gives_the_same_condition() -> None:
    raw = {"industry": {"in": ["Healthcare"]}, "employees": {"gte": 1000}}
    condition = compile_condition(raw)
    assert compile_condition(raw) is condition
    equal = {"industry": {"in": ["Healthcare"]}, "employees": {"gte": 1000}}
    again = compile_condition(equal)  # another mapping: compiled for itself
    assert again is not condition and again.raw is equal
    assert again.describe() == condition.describe()


def test_the_router_reuses_what_loading_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(EXAMPLE)
    compiled: list[object] = []
    original = compiler._compile_mapping

    def counting(raw: Any, path: Any) -> Any:
        compiled.append(raw)
        return original(raw, path)

    monkeypatch.setattr(compiler, "_compile_mapping", counting)
    Router(config)
    rules_with_conditions = [rule for rule in config.rules if rule.when]
    assert rules_with_conditions and not compiled


def test_a_full_cache_starts_again() -> None:
    for i in range(compiler._COMPILED_MAX + 5):
        compile_condition({"employees": {"gte": i}})
    assert 0 < len(compiler._COMPILED) <= compiler._COMPILED_MAX


def test_a_mapping_changed_in_place_is_compiled_again() -> None:
    raw: dict[str, Any] = {"industry": {"in": ["Healthcare"]}}
    before = compile_condition(raw)
    assert before.evaluate({"industry": "Healthcare"})
    raw["industry"]["in"].append("Retail")  # nested: the snapshot sees it
    after = compile_condition(raw)
    assert after is not before
    assert after.evaluate({"industry": "Retail"})
    raw["employees"] = {"gte": 10}
    assert not compile_condition(raw).evaluate({"industry": "Retail", "employees": 3})
