"""Parsing routing.yml and building its Router pause Python's cyclic garbage collector
(issue #15: a third of a cold load) and always leave it as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing import engine
from routing.config import ConfigError, loader, parse_config, validate_text

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "routing.yml").read_text()


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_while_parsing_and_enabled_after(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.enable()
    seen: list[bool] = []
    read_yaml = loader.read_yaml

    def spy(text: str, source: str = "routing.yml") -> object:
        seen.append(gc.isenabled())
        return read_yaml(text, source)

    monkeypatch.setattr(loader, "read_yaml", spy)
    parse_config(EXAMPLE)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ConfigError):
        parse_config("reps: [")
    assert validate_text("rules: {}")
    assert seen == [False, False, False] and gc.isenabled()


def test_enabled_again_after_an_unexpected_error(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.enable()

    def boom(text: str, source: str = "routing.yml") -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "read_yaml", boom)
    with pytest.raises(RuntimeError):
        parse_config(EXAMPLE)
    assert gc.isenabled()


def test_left_disabled_when_it_was(collector: None) -> None:
    gc.disable()
    parse_config(EXAMPLE)
    assert not gc.isenabled()


def test_paused_while_building_a_router(collector: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(EXAMPLE)
    gc.enable()
    seen: list[bool] = []
    rule_index = engine.RuleIndex

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return rule_index(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "RuleIndex", spy)
    engine.Router(config)
    assert seen == [False] and gc.isenabled()
