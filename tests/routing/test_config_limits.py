"""routing.yml inputs that used to crash the loader (issue #21) are line-numbered issues.

Deep nesting (RecursionError), huge durations (OverflowError), alias bombs (minutes and
hundreds of MB) and huge files are refused quickly, before any data is built.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from routing.conditions import compile_condition
from routing.conditions.compiler import MAX_DEPTH as MAX_CONDITION_DEPTH
from routing.config import ConfigError, ConfigIssue, parse_config, validate_file, validate_text
from routing.config.loader import read_config_text
from routing.config.yamlsource import MAX_ALIAS_NODES, MAX_DEPTH, MAX_DOCUMENT_CHARS, read_yaml
from routing.durations import parse_duration
from routing.engine import Router
from routing.roster import Roster

HEAD = """\
reps:
  - {id: ann, name: Ann}
  - {id: ben, name: Ben}
rules:
"""
# A rule whose `when` mapping opens on line WHEN_LINE, one nesting level a line below it.
RULE = """\
  - name: deep
    assign: {rep: ann}
    when:
"""
WHEN_LINE = 8
NOW = datetime(2024, 1, 23, 18, tzinfo=UTC)  # any instant: no business hours, nobody away
LEAF = "{industry: Healthcare}"
_OPEN = {"any": "{any: [", "all": "{all: [", "not": "{not: "}
_CLOSE = {"any": "]}", "all": "]}", "not": "}"}


def nested(levels: int, kinds: tuple[str, ...] = ("any", "all", "not"), sep: str = "\n") -> str:
    """A config whose first rule nests ``levels`` combinators (cycling through ``kinds``)."""
    names = [kinds[i % len(kinds)] for i in range(levels)]
    indent = "      " if sep == "\n" else ""
    body = sep.join(indent + _OPEN[k] for k in names) + sep + indent + LEAF
    body += "".join(_CLOSE[k] for k in reversed(names))
    if sep != "\n":
        return HEAD + RULE.replace("    when:\n", f"    when: {body}\n")
    return HEAD + RULE + body + "\n"


def one_issue(text: str) -> ConfigIssue:
    issues = validate_text(text)
    assert len(issues) == 1, issues
    with pytest.raises(ConfigError):  # every loading path sees the same issue
        parse_config(text)
    return issues[0]


@contextmanager
def fast(seconds: float = 2.0) -> Iterator[None]:
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.2f}s"


# --- nesting ----------------------------------------------------------------------------


def test_condition_a_thousand_levels_deep_on_one_line_is_an_issue() -> None:
    # The shape of the report: any inside all inside not... 1,000 times (RecursionError).
    with fast():
        issue = one_issue(nested(1000, sep=""))
    assert issue.line == WHEN_LINE - 1  # `when: {...}` all on one line
    assert issue.message == (
        f"nested too deeply: more than {MAX_DEPTH} levels of mappings and lists "
        f"(at most {MAX_DEPTH})"
    )


def test_nesting_limit_names_the_line_that_passes_it() -> None:
    # Collections: the top mapping, rules, the rule, `when` (level 4), then one `not` a line:
    # level MAX_DEPTH + 1 is the mapping of the (MAX_DEPTH - 3)th `not`.
    with fast():
        issue = one_issue(nested(1000, ("not",)))
    assert issue.line == WHEN_LINE + MAX_DEPTH - 3
    assert "nested too deeply" in issue.message


def test_condition_nesting_limit_names_path_and_line() -> None:
    issue = one_issue(nested(MAX_CONDITION_DEPTH + 5, ("any",)))
    # The mapping inside the (MAX_CONDITION_DEPTH + 1)th any, one line a level below `when`.
    assert issue.line == WHEN_LINE + MAX_CONDITION_DEPTH + 1
    assert issue.path == "rules[0].when" + ".any[0]" * (MAX_CONDITION_DEPTH + 1)
    assert issue.message == (
        f"conditions are nested too deeply: more than {MAX_CONDITION_DEPTH} levels of "
        f"any/all/not (at most {MAX_CONDITION_DEPTH})"
    )


@pytest.mark.parametrize("levels", [20, MAX_CONDITION_DEPTH])
def test_deep_but_reasonable_conditions_load_and_route(levels: int) -> None:
    config = parse_config(nested(levels))
    router = Router(config)  # compiles the traced code and the rule index too
    when = config.rules[0].when
    cond = compile_condition(when)
    # An odd number of `not`s flips the leaf.
    flipped = sum(1 for i in range(levels) if i % 3 == 2) % 2 == 1
    assert cond.evaluate({"industry": "Healthcare"}) is not flipped
    lead = {"industry": "Retail" if flipped else "Healthcare"}
    assert router.route(lead, Roster(), NOW).assignee == "ann"


def test_yaml_depth_limit_is_inclusive() -> None:
    assert read_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH).issues == []
    [issue] = read_yaml("x:\n  " + "[" * MAX_DEPTH + "]" * MAX_DEPTH).issues
    assert issue.line == 2 and "nested too deeply" in issue.message


def test_an_alias_cannot_nest_past_the_limit() -> None:
    # Each part is shallow; the alias puts one inside the other.
    inner = "[" * 60 + "]" * 60
    text = f"- &a {inner}\n- {'[' * 50}*a{']' * 50}\n"
    [issue] = read_yaml(text).issues
    assert issue.line == 2
    assert issue.message.startswith(f"alias *a nests the document more than {MAX_DEPTH} levels")


def test_a_recursive_alias_is_an_issue() -> None:
    # `when: &w {not: *w}` used to recurse forever compiling the condition.
    text = HEAD + "  - name: r\n    when: &w {not: *w}\n    assign: {rep: ann}\n"
    issue = one_issue(text)
    assert issue.line == 6
    assert issue.message.startswith("alias *w is inside the node it refers to")


# --- aliases ----------------------------------------------------------------------------

BOMB_LEVELS = "abcdefghi"


def bomb() -> str:
    """Billion laughs: nine aliases of nine aliases... 9**9 nodes in about 300 bytes."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in itertools.pairwise(BOMB_LEVELS):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n" + HEAD + "  - {name: r, assign: {rep: ann}}\n"


def test_alias_bomb_is_refused_quickly_without_expanding() -> None:
    text = bomb()
    assert len(text) < 1024
    tracemalloc.start()
    try:
        with fast():
            issue = one_issue(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"peak {peak:,} bytes"
    # Nodes copied: b 9*10, c 9*91, d 9*820, e 9*7,381; the first *e on line f passes 100,000.
    assert issue.line == 6 and issue.path == ""
    assert issue.message == (
        "aliases copy too much: with alias *e (66,430 nodes) they expand to "
        f"141,148 nodes (at most {MAX_ALIAS_NODES:,}); use fewer or smaller aliases"
    )


def test_normal_anchors_and_merges_still_work() -> None:
    text = """\
reps:
  - &base {id: ann, name: Ann, skills: &skills [healthcare, fintech], max_pending: 3}
  - {<<: *base, id: ben, name: Ben}
  - {id: cy, name: Cy, skills: *skills}
territories:
  west: {state: &west [CA, OR, WA]}
  west_again: {state: *west}
sla:
  - {name: hot, when: &hot {industry: Healthcare}, accept_within: 366d}
rules:
  - {name: Hot, when: *hot, assign: {rep: ann}}
  - {name: West, when: {territory: west_again}, assign: {rep: ben}}
"""
    config = parse_config(text)
    assert config.reps[1].skills == ["healthcare", "fintech"] and config.reps[1].max_pending == 3
    assert config.reps[2].skills == ["healthcare", "fintech"]
    assert config.territories["west_again"].state == ["CA", "OR", "WA"]
    assert config.rules[0].when == config.sla[0].when == {"industry": "Healthcare"}


def test_many_aliases_below_the_limit_still_work() -> None:
    # 20 territories sharing one list of 500 postal codes: 10,000 nodes copied.
    codes = ", ".join(f'"{94000 + i}"' for i in range(500))
    territories = "".join(f"  t{i}: {{postal_code: *bay}}\n" for i in range(1, 20))
    text = (
        f"territories:\n  t0: {{postal_code: &bay [{codes}]}}\n{territories}"
        + HEAD
        + "  - {name: r, when: {territory: t19}, assign: {rep: ann}}\n"
    )
    with fast():
        config = parse_config(text)
    assert len(config.territories["t19"].postal_code) == 500


# --- durations --------------------------------------------------------------------------

DURATIONS = """\
reps: [{id: ann, name: Ann}]
rules: [{name: r, assign: {rep: ann}}]
queues: {q: {channel: "#q", members: ann}}
salesforce:
  poll_interval: {poll}
sla:
  - name: s
    accept_within: {accept}
    remind: [{remind}]
    escalate:
      - {after: {after}, open_claim: q}
"""
DURATION_LINES = {"poll": 5, "accept": 8, "remind": 9, "after": 11}
DURATION_PATHS = {
    "poll": "salesforce.poll_interval",
    "accept": "sla[0].accept_within",
    "remind": "sla[0].remind[0]",
    "after": "sla[0].escalate[0].after",
}


def durations(**values: str) -> str:
    fields = {"poll": "15s", "accept": "1h", "remind": "30m", "after": "0m", **values}
    text = DURATIONS
    for key, value in fields.items():
        text = text.replace("{" + key + "}", value)
    return text


def test_durations_template_is_valid() -> None:
    assert validate_text(durations()) == []
    assert parse_config(durations(accept="366d", remind="52w1d")).sla[0].accept_within == (
        timedelta(days=366)
    )


@pytest.mark.parametrize("field", sorted(DURATION_LINES))
@pytest.mark.parametrize("value", ["99999999999999999999d", "367d", "52w2d1s", "9" * 5000 + "s"])
def test_too_long_durations_are_issues_with_their_line(field: str, value: str) -> None:
    issue = one_issue(durations(**{field: value}))
    assert issue.line == DURATION_LINES[field]
    assert issue.path == DURATION_PATHS[field]
    assert issue.message.endswith("is too long (at most 366d)")
    if len(value) < 30:
        assert issue.message == f"duration {value} is too long (at most 366d)"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("accept", "0s", "accept_within must be longer than 0s"),
        ("poll", "0s", "intervals must be longer than 0s"),
        ("remind", "0s", "must be between 0s and accept_within"),
        ("after", "-5m", "durations cannot be negative"),
        ("accept", "-1h", "durations cannot be negative"),
    ],
)
def test_zero_and_negative_durations_are_issues(field: str, value: str, message: str) -> None:
    issue = one_issue(durations(**{field: value}))
    assert issue.line == DURATION_LINES[field] and message in issue.message


def test_parse_duration_never_overflows() -> None:
    # Other callers (stats, report, away) get a ValueError too, bounded at 100 years.
    for text in ("99999999999999999999d", "999999999w", "9" * 5000 + "s"):
        with pytest.raises(ValueError, match=r"is too long \(at most 36500d\)"):
            parse_duration(text)
    assert parse_duration("36500d") == timedelta(days=36500)
    with pytest.raises(ValueError, match=r"^duration 2h is too long \(at most 1h30m\)$"):
        parse_duration("2h", maximum=timedelta(minutes=90))


# --- document size ----------------------------------------------------------------------


def big_text() -> str:
    line = "# " + "x" * 98 + "\n"  # 101 characters
    return HEAD + "  - {name: r, assign: {rep: ann}}\n" + line * (MAX_DOCUMENT_CHARS // 101)


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    text = big_text()
    assert len(text) > MAX_DOCUMENT_CHARS
    passing_line = text.count("\n", 0, MAX_DOCUMENT_CHARS) + 1
    with fast(1.0):
        issue = one_issue(text)
    assert issue.line == passing_line
    assert issue.message == (
        f"the file is too large: it passes {MAX_DOCUMENT_CHARS:,} characters (2 MiB) on this "
        "line; routing.yml may be at most 2 MiB"
    )
    path = tmp_path / "routing.yml"
    path.write_text(text + "# more\n" * 100_000)
    assert len(read_config_text(path)) == MAX_DOCUMENT_CHARS + 1  # never read whole
    [from_file] = validate_file(path)
    assert from_file == ConfigIssue(issue.path, issue.line, issue.message, str(path))
