"""routing.yml read with libyaml's parser (issue #15) gives what PyYAML's own gives:
the same data, the same line of every path, the same issues. A file libyaml finds wrong is
read again by PyYAML, so its messages do not change either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config import yamlsource
from routing.config.yamlsource import read_yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples" / "routing.yml").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(yamlsource._CParser is None, reason="PyYAML without libyaml")


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = read_yaml(text)
    with monkeypatch.context() as m:
        m.setattr(yamlsource, "_fast_path", lambda text: False)
        slow = read_yaml(text)
    return fast, slow


def _same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(text, monkeypatch)
    assert fast.data == slow.data
    assert fast.lines.lines == slow.lines.lines
    assert fast.lines.kinds == slow.lines.kinds
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]


def test_example_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert yamlsource._fast_path(EXAMPLE)
    _same(EXAMPLE, monkeypatch)


def test_generated_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    yaml = pytest.importorskip("yaml")
    routing = pytest.importorskip("benchmarks.routing")
    for size in (50, 400):
        raw, _ = routing.build_raw_config(size)
        _same(yaml.safe_dump(raw, sort_keys=False), monkeypatch)


EDITS = st.sampled_from(
    ["\n", ": ", "- ", "  ", "\t", "&a ", "*a", "<<: *a\n", "{", "}", "[", "]", "'", '"',
     "#", "? ", "!!str ", "|\n", ">-\n", "%YAML 1.1\n", "---\n", "...\n", "é", "\x85",
     "\u2028", "key: value\n", "rules:\n", "1e3", "0x1F", "~", "yes", "\\", "\x07",
     ":", ",", "-", "!", "%", "@", "`", "|", ">", "&", "*", ":x", ", ", " #", "- - ",
     "!!binary ", "!foo ", "'a''b'", '"a\\tb"', "? x\n", "0o17", "1_000", "2024-01-01",
     "=", "<<", "null", ".inf", "+1", "\r\n", "\r", "x:\n  y", " ", "\n\n"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE)), EDITS, st.integers(0, 3)), max_size=4))
def test_edited_example(edits: list[tuple[int, str, int]]) -> None:
    text = EXAMPLE
    for at, insert, cut in edits:
        text = text[:at] + insert + text[at + cut :]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same(text, monkeypatch)
