"""Fuzzing ``routing.yml`` (issue #21): mutants of valid configs through the loader and
through ``leadrouter validate``.

The promise: a file is either a usable config (it loads, a router compiles from it and
routes a lead) or a :class:`ConfigError` whose every issue has a message and says where
(a line of the file, a YAML path, or both); ``leadrouter validate`` exits 0 saying OK or
exits 1 printing those issues. Never another exception, never a traceback.

Mutants start from the example config, the e2e harness's config and two small ones, and
are changed as data (keys deleted, duplicated, renamed and retyped, values swapped, deep
nesting, huge numbers and durations, odd unicode) and then as text (truncation, inserted
junk, lines deleted or repeated, anchors and aliases, duplicate keys, raw bytes).
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import event, example, given
from hypothesis import strategies as st

from routing.config import ConfigError, ConfigIssue, parse_config
from routing.config.models import RoutingConfig
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import Roster
from tests.cli.conftest import EXAMPLE_CONFIG, CliRunner
from tests.e2e.harness import CONFIG as HARNESS_CONFIG
from tests.fuzz.conftest import fuzz_settings

SMALL = """\
reps: [{id: ann, name: Ann}]
rules: [{name: r, assign: {rep: ann}}]
"""
SMALL_SLA = """\
timezone: Europe/Berlin
reps:
  - {id: ann, name: Ann, caps: {day: 3}, hours: office}
  - {id: ben, name: Ben, manager: ann}
business_hours:
  office: {timezone: Europe/Berlin, days: [mon, tue], hours: "09:00-17:00"}
pools:
  p: {strategy: weighted, members: [{rep: ann, weight: 2}, ben], manager: ann}
queues:
  q: {channel: "#q", members: [p]}
sla:
  - {name: s, accept_within: 10m, remind: [5m], escalate: [{after: 0m, notify: manager}]}
rules:
  - {name: big, when: {employees: {gte: 100}, not: {country: FR}}, assign: [{pool: p}, {queue: q}]}
  - {name: rest, assign: {queue: q}}
"""
SEEDS = {
    "example": EXAMPLE_CONFIG.read_text(),
    "harness": HARNESS_CONFIG,
    "small": SMALL,
    "small_sla": SMALL_SLA,
}
SEED_DATA = {name: yaml.safe_load(text) for name, text in SEEDS.items()}
NOW = datetime(2024, 5, 14, 16, tzinfo=UTC)
LEADS = [
    {"email": "dana@fbi.example.org", "company": "FBI", "country": "US", "state": "CA"},
    {"email": "x@gmail.com", "employees": 5000, "industry": "Healthcare", "country": "DE"},
    {"last_name": "Ng", "company": "Acme", "title": "VP Sales", "country": "France"},
]

# -- values a careless or hostile edit puts in a config --------------------------------

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth letters
        "alice\u200b",  # zero-width space
        "\u202ealice",  # right-to-left override
        "Ali\u0301ce",  # combining accent
        "\U0001f600",
        "\x85",  # NEL: a line break to YAML 1.1
        "\u2028",
        "\t",
        "null",
        "~",
        "yes",
        "NO",
        "0x1F",
        "0o17",
        "1_000",
        "1e400",
        ".nan",
        "-.inf",
        "2024-01-01",
        "12:30:00",
        "#sales",
        "<@U123>",
        "{{x}}",
        "*x",
        "&x",
        "!!python/object:os.system",
        "(?i)\\b(vp",  # a broken regex
        "US",  # time zone names that are directories of the tz database
        "Europe",
        "America/",
        "../../etc/passwd",
        "9" * 300,  # too long for a file name
        "a" * 5000,
    ]
)
DURATIONS = st.sampled_from(
    [
        "0m",
        "1s",
        "59s",
        "366d",
        "367d",
        "99999999999999999999d",
        "9" * 400 + "m",
        "-5m",
        "1.5h",
        "5 m",
        "5M",
        "m",
        "1h30m",
        "P1D",
        "5m5m",
        "0.000001s",
        "1e3m",
    ]
)
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**400, True, False]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(
    st.none(),
    NUMBERS,
    ODD_TEXT,
    DURATIONS,
    st.text(max_size=30),
    st.sampled_from(["alice", "bob", "west-sdr", "triage", "manager", "next", "US", "mon"]),
)


def _json_like(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=10), SCALARS), children, max_size=4),
        ),
        max_leaves=12,
    )


VALUES = _json_like(SCALARS)
KEYS = st.one_of(
    st.sampled_from(
        [
            "id",
            "name",
            "reps",
            "rules",
            "pools",
            "queues",
            "sla",
            "when",
            "assign",
            "members",
            "strategy",
            "weight",
            "caps",
            "version",
            "<<",
            "accept_within",
            "escalate",
            "require_skills",
            "any",
            "all",
            "not",
        ]
    ),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
)


# -- structured mutations ----------------------------------------------------------------


class Drawer:
    """``draw`` of a composite strategy, with the ``label`` keyword spelled out."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def draw(self, strategy: st.SearchStrategy[Any], label: str | None = None) -> Any:
        return self._draw(strategy, label=label)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out.extend(_paths(child, (*path, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.extend(_paths(child, (*path, index)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for item in path:
        node = node[item]
    return node


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _nest(value: Any, levels: int, kinds: list[str]) -> Any:
    for i in range(levels):
        kind = kinds[i % len(kinds)]
        value = [value] if kind == "list" else {kind: value}
    return value


def mutate_data(data: Drawer, root: Any) -> Any:
    """One structural change at a random place of the parsed config."""
    paths = _paths(root)
    path = data.draw(st.sampled_from(paths), label="path")
    op = data.draw(
        st.sampled_from(["delete", "duplicate", "retype", "rename", "swap", "nest"]), label="op"
    )
    here = _get(root, path)
    if op == "delete" and path:
        del _get(root, path[:-1])[path[-1]]
    elif op == "duplicate" and isinstance(here, list) and here:
        here.insert(0, copy.deepcopy(data.draw(st.sampled_from(here))))
    elif op == "duplicate" and path:
        # The same value under a second, similar key of its mapping (or list item).
        parent = _get(root, path[:-1])
        if isinstance(parent, dict):
            parent[f"{path[-1]}_"] = copy.deepcopy(here)
        else:
            parent.append(copy.deepcopy(here))
    elif op == "retype":
        root = _set(root, path, data.draw(VALUES, label="value"))
    elif op == "rename" and path and isinstance(_get(root, path[:-1]), dict):
        parent = _get(root, path[:-1])
        key = data.draw(KEYS, label="key")
        if _hashable(key):
            parent[key] = parent.pop(path[-1])
    elif op == "swap":
        other = data.draw(st.sampled_from(paths), label="other")
        root = _set(root, path, copy.deepcopy(_get(root, other)))
    elif op == "nest":
        levels = data.draw(st.sampled_from([1, 2, 5, 31, 32, 33, 64, 99, 100, 101, 150]))
        kinds = data.draw(
            st.lists(st.sampled_from(["list", "any", "all", "not", "x"]), min_size=1, max_size=3)
        )
        root = _set(root, path, _nest(copy.deepcopy(here), levels, kinds))
    return root


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return not (isinstance(key, float) and math.isnan(key))


def dump(root: Any, flow: bool) -> str:
    return yaml.safe_dump(
        root, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=100
    )


# -- text mutations ------------------------------------------------------------------------

JUNK = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            ":",
            "- ",
            "{",
            "}]",
            '"',
            "'",
            "\t",
            "\n  ",
            "\r",
            "\x00",
            "\ufeff",
            "\x1b[31m",
            "%YAML 1.1\n",
            "---\n",
            "...\n",
            "? ",
            "!!binary ",
            "!!set ",
            "!!omap ",
            "!foo ",
            "&a ",
            "*a",
            "*undefined",
            "<<: *a\n",
            "[" * 200,
            "{a: " * 120,
        ]
    ),
)


def anchor_and_alias(data: Drawer, text: str) -> str:
    """Name one value with an anchor and use it elsewhere (or inside itself, or as a bomb)."""
    lines = text.split("\n")
    with_value = [i for i, line in enumerate(lines) if ": " in line]
    if not with_value:
        return text + "\nx: &a [1]\ny: *a\n"
    first = data.draw(st.sampled_from(with_value), label="anchor line")
    key, _, value = lines[first].partition(": ")
    lines[first] = f"{key}: &a {value}"
    use = data.draw(st.sampled_from(with_value), label="alias line")
    if use != first:
        key, _, value = lines[use].partition(": ")
        lines[use] = f"{key}: *a" if data.draw(st.booleans()) else f"{key}: [*a, *a, *a]"
    bomb = data.draw(st.sampled_from(["", "merge", "bomb", "self"]), label="extra")
    if bomb == "merge":
        lines.append("extra: {<<: *a, more: 1}")
    elif bomb == "bomb":
        lines.append("b0: &b0 [x, x, x, x, x, x, x, x, x, x]")
        for level in range(1, 7):
            refs = ", ".join([f"*b{level - 1}"] * 10)
            lines.append(f"b{level}: &b{level} [{refs}]")
    elif bomb == "self":
        lines.append("loop: &loop {again: *loop}")
    return "\n".join(lines)


def mutate_text(data: Drawer, text: str) -> str:
    op = data.draw(
        st.sampled_from(["truncate", "insert", "delete_line", "repeat_line", "alias", "none"]),
        label="text op",
    )
    if op == "truncate":
        return text[: data.draw(st.integers(0, len(text)), label="cut")]
    if op == "insert":
        at = data.draw(st.integers(0, len(text)), label="at")
        return text[:at] + data.draw(JUNK, label="junk") + text[at:]
    lines = text.split("\n")
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    if op == "delete_line":
        del lines[index]
    elif op == "repeat_line":  # also how a duplicate key comes about
        lines.insert(index, lines[index])
    elif op == "alias":
        return anchor_and_alias(data, text)
    return "\n".join(lines)


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    data = Drawer(draw)
    name = data.draw(st.sampled_from(sorted(SEEDS)), label="seed")
    if data.draw(st.booleans(), label="as data"):
        root = copy.deepcopy(SEED_DATA[name])
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            root = mutate_data(data, root)
        try:
            text = dump(root, flow=data.draw(st.booleans(), label="flow"))
        except (yaml.YAMLError, RecursionError, ValueError):  # not representable as YAML
            text = SEEDS[name]
    else:
        text = SEEDS[name]
    for _ in range(data.draw(st.integers(0, 2), label="text mutations")):
        text = mutate_text(data, text)
    return text


# -- the promise -----------------------------------------------------------------------


NO_LINE = ("the file is empty; it needs at least reps and rules", "cannot read the file")


def check_issues(issues: list[ConfigIssue], text: str, source: str) -> None:
    assert issues, "a config error without any issue"
    last_line = text.count("\n") + 2  # a line past the end: where a truncated file stops
    for issue in issues:
        assert isinstance(issue, ConfigIssue), issue
        assert issue.source == source, issue
        assert isinstance(issue.message, str) and issue.message.strip(), issue
        assert "Traceback" not in issue.message, issue
        if issue.line is None:
            # Only a file with nothing in it (blank, comments, a bare `---`) or one that
            # cannot be read has no line to point at.
            assert issue.message.startswith(NO_LINE), issue
        else:
            assert 1 <= issue.line <= last_line, (issue, last_line)
        str(issue).encode("utf-8", "backslashreplace")


def check_usable(config: RoutingConfig) -> None:
    router = Router(config)
    for lead in LEADS:
        decision = router.route(normalize_lead(lead), Roster(), NOW)
        assert decision.reason, decision


@given(config_texts())
@fuzz_settings(examples=80)
# Crashes the fuzzer found (issue #21): a control character at the very start (PyYAML's
# reader raised before parsing began), a time zone that is a directory of the tz database
# or too long to be a file name (OSError).
@example("\x08" + SMALL)
@example("timezone: US\n" + SMALL)
@example(f"timezone: '{'9' * 300}'\n" + SMALL)
@example("business_hours:\n  office: {timezone: Europe, days: [mon], hours: 09:00-17:00}\n" + SMALL)
def test_a_mutant_loads_or_is_a_config_error_with_a_line(text: str) -> None:
    try:
        config = parse_config(text, "fuzz.yml")
    except ConfigError as err:
        event("config error")
        check_issues(err.issues, text, "fuzz.yml")
        return
    event("valid config")
    assert isinstance(config, RoutingConfig)
    check_usable(config)


@given(
    st.one_of(
        config_texts().map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
        # A valid config with random bytes in it (often not UTF-8 any more).
        st.tuples(st.sampled_from(sorted(SEEDS)), st.integers(0, 2000), st.binary(max_size=8)).map(
            lambda t: SEEDS[t[0]].encode()[: t[1]] + t[2] + SEEDS[t[0]].encode()[t[1] :]
        ),
    )
)
@fuzz_settings(examples=40)
def test_leadrouter_validate_exits_0_or_1_with_located_errors(
    cli: CliRunner, tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / "routing.yml"
    path.write_bytes(raw)
    run = cli("validate", path)
    assert "Traceback" not in run.out + run.err
    event(f"exit {run.code}")
    if run.code == 0:
        assert run.out == f"{path}: OK\n" and run.err == "", run
        return
    assert run.code == 1, run
    assert run.out == "", run
    *problems, summary = run.err.splitlines()
    assert problems, run.err
    for problem in problems:
        # Every issue names the file, and the line when there is one to name.
        assert problem.startswith(f"{path}:"), problem
    assert summary.endswith(f"error(s) in {path}"), summary
