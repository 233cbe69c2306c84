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


def _limit_docs() -> list[str]:
    """Files just inside and just past each limit, which libyaml composes and the node walk
    (yamlsource._within_limits) must judge as PyYAML's composer does."""
    limit = yamlsource.MAX_DEPTH
    nodes = yamlsource.MAX_ALIAS_NODES
    docs = ["[" * n + "]" * n for n in (limit - 1, limit, limit + 1)]  # plain nesting
    for height in (1, 5, limit):  # an alias of a node `height` deep, at every depth near the limit
        anchored = "[" * height + "x" + "]" * height
        for depth in (limit - height - 1, limit - height, limit - height + 1):
            if depth >= 0:
                docs.append(f"a: &a {anchored}\nb: " + "[" * depth + "*a" + "]" * depth)
    item = "[" + ", ".join(["x"] * 99) + "]"  # 100 nodes
    for count in (nodes // 100 - 1, nodes // 100, nodes // 100 + 1):
        docs.append(f"a: &a {item}\nb: [" + ", ".join(["*a"] * count) + "]")
    for count in (nodes - 1, nodes, nodes + 1):  # aliases of a scalar count one node each
        docs.append("a: &s x\nb: [" + ", ".join(["*s"] * count) + "]")
    for n in (limit - 1, limit, limit + 1):  # `&` in text, no anchor: the nesting alone
        docs.append("industry: Oil & Gas\nx: " + "[" * n + "x" + "]" * n)
    docs += [
        "a: &a [*a]",  # an alias inside what it names
        "a: &a {b: {c: *a}}",
        "a: &a [x, &b [y, *b]]",
        "a: &a {k: v}\nb: {<<: *a, k: w}\nc: [*a, *a]",  # merges: aliases walked once each
        "? &k [x]\n: *k\nz: *k",  # a collection as a key
    ]
    return docs


@pytest.mark.parametrize("text", _limit_docs(), ids=lambda text: f"{len(text)}-chars")
def test_limits_judged_alike(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same(text, monkeypatch)


PLAIN_OR_NOT = [
    "a: 1\nb: 0x1F\nc: 1_000\nd: 0o17\ne: 017\nf: 1:30\ng: -.inf\nh: .nan\ni: 1e3\nj: 2.5",
    "a: yes\nb: No\nc: ~\nd: null\ne:\nf: ''\ng: 'yes'\nh: !!str 12\ni: !!int '7'",
    "a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 2024-01-01 10:00:00.5 +02:00",
    "1: a\n1.5: b\ntrue: c\nnull: d\n2024-01-01: e\n~: f",  # scalar keys of every type
    "a: 1\na: 2\nb: 3\na: 4",  # duplicate keys: last value, first place, an issue
    "a: &x [1, 2]\nb: *x\nc: &m {k: v}\nd: [*m, *m]\ne: &s text\nf: *s",
    "base: &b {k: 1, j: 2}\nmerged: {<<: *b, k: 3}\nlist: {<<: [*b, {z: 0}], j: 9}",
    "a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!omap [x: 1]\nd: !!pairs [x: 1]",
    "? [a, b]\n: c",  # a list as a key: PyYAML's error
    "? {a: b}\n: c",
    "a: !custom x",
    "=: x",  # a value key
    "a: !!map x",
    "a: !!seq {b: c}",
    "a: !!str [b]",
    "!!set {a, b}",
    "- [1, 2]\n- {a: [], b: {}}\n- []\n- {}",
]


@pytest.mark.parametrize("text", PLAIN_OR_NOT)
def test_plain_construction_matches_pyyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same(text, monkeypatch)
    fast, slow = _both(text, monkeypatch)
    assert type(fast.data) is type(slow.data)
    assert repr(fast.data) == repr(slow.data)  # same types and order, not only ==


def test_lines_of_a_clean_file_are_found_when_first_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[object] = []
    walk = yamlsource._walk

    def counting(node: Any, path: Any, *rest: Any) -> None:
        if not path:
            walks.append(node)
        walk(node, path, *rest)

    monkeypatch.setattr(yamlsource, "_walk", counting)
    doc = read_yaml(EXAMPLE)
    assert not walks and not doc.issues  # loading the example asks for no line
    first_rep = next(i for i, line in enumerate(EXAMPLE.splitlines(), 1) if "{id: alice" in line)
    assert doc.lines.line(("reps", 0, "id")) == first_rep
    assert len(walks) == 1
    doc.lines.line(("rules",))
    assert len(walks) == 1
    duplicated = read_yaml("a: 1\nb: 2\na: 3\n")  # an issue of its own: walked at once
    assert len(walks) == 2 and len(duplicated.issues) == 1
