"""routing.yml errors: every issue has the right YAML path and 1-based line."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.config import (
    ConfigError,
    ConfigIssue,
    load_config,
    parse_config,
    validate_file,
    validate_text,
)

# Line numbers below refer to this text (line 1 = "timezone: UTC").
BASE = """\
timezone: UTC
admins: [ann]
business_hours:
  office: {timezone: Europe/London, hours: "09:00-17:00", holidays: GB}
reps:
  - {id: ann, name: Ann, hours: office}
  - id: ben
    name: Ben
    manager: ann
    caps: {day: 10}
pools:
  team:
    strategy: weighted
    members:
      - ann
      - {rep: ben, weight: 2}
queues:
  triage: {channel: "#triage", members: team}
territories:
  uk: {country: GB}
scoring:
  tiers: {A: 50, B: 0}
sla:
  - name: hot
    when: {tier: A}
    accept_within: 5m
    remind: [2m]
    escalate:
      - {after: 0m, notify: manager}
      - {after: 5m, open_claim: triage}
rules:
  - {name: UK, when: {territory: uk}, assign: {pool: team}}
  - {name: Rest, assign: {queue: triage}}
"""


def variant(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def issues_of(text: str) -> list[ConfigIssue]:
    return validate_text(text)


def only(text: str, path: str) -> ConfigIssue:
    issues = issues_of(text)
    found = [issue for issue in issues if issue.path == path]
    assert len(found) == 1, issues
    return found[0]


def test_base_is_valid() -> None:
    assert issues_of(BASE) == []
    assert parse_config(BASE).pools["team"].strategy == "weighted"


# --- shapes (pydantic) ---------------------------------------------------------------------


def test_wrong_type_has_path_line_and_value() -> None:
    issue = only(variant("caps: {day: 10}", "caps: {day: lots}"), "reps[1].caps.day")
    assert issue.line == 10
    assert issue.message.startswith("Input should be a valid integer")
    assert "'lots'" in issue.message


def test_str_of_config_error_is_one_line_per_issue() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(variant("caps: {day: 10}", "caps: {day: x}"), source="routing.yml")
    assert str(caught.value).startswith(
        "routing.yml:10: reps[1].caps.day: Input should be a valid integer"
    )
    assert len(str(caught.value).splitlines()) == 1


def test_unknown_key_suggests_the_right_one() -> None:
    text = variant(
        "{id: ann, name: Ann, hours: office}", "{id: ann, name: Ann, hours: office, skils: [x]}"
    )
    issue = only(text, "reps[0].skils")
    assert issue.line == 6 and "did you mean 'skills'" in issue.message


def test_unknown_target_key_suggests_yaml_keys() -> None:
    issue = only(
        variant("assign: {pool: team}", "assign: {pool: team, require_skill: [x]}"),
        "rules[0].assign.require_skill",
    )
    assert issue.line == 32 and "require_skills" in issue.message


def test_missing_key_points_at_parent_line() -> None:
    issue = only(
        variant("{id: ann, name: Ann, hours: office}", "{id: ann, hours: office}"), "reps[0].name"
    )
    assert issue.line == 6 and issue.message == "required key is missing"


def test_missing_required_section() -> None:
    issue = only(BASE.split("rules:")[0], "rules")
    assert issue.line == 1


def test_weight_below_one() -> None:
    issue = only(
        variant("{rep: ben, weight: 2}", "{rep: ben, weight: 0}"), "pools.team.members[1].weight"
    )
    assert issue.line == 16 and "greater than or equal to 1" in issue.message


def test_strategy_typo() -> None:
    issue = only(variant("strategy: weighted", "strategy: weigthed"), "pools.team.strategy")
    assert issue.line == 13 and "'round_robin', 'weighted' or 'least_loaded'" in issue.message


def test_pool_member_of_wrong_shape() -> None:
    issue = only(variant("      - ann\n", "      - 42\n"), "pools.team.members[0]")
    assert issue.line == 15 and "rep id or {rep: id, weight: n}" in issue.message


def test_unknown_time_zone() -> None:
    issue = only(variant("Europe/London", "Europe/Londn"), "business_hours.office.timezone")
    assert issue.line == 4 and "unknown time zone 'Europe/Londn'" in issue.message
    issue = only(variant("timezone: UTC", "timezone: Mars/Base"), "timezone")
    assert issue.line == 1


@pytest.mark.parametrize(
    ("holidays", "needle"),
    [("XX", "no holiday calendar for 'XX'"), ("GB-ZZZ", "GB has no subdivision 'ZZZ'")],
)
def test_unknown_holiday_calendar(holidays: str, needle: str) -> None:
    issue = only(variant("holidays: GB", f"holidays: {holidays}"), "business_hours.office.holidays")
    assert issue.line == 4 and needle in issue.message


def test_holiday_subdivisions_accepted() -> None:
    assert issues_of(variant("holidays: GB", "holidays: DE-BY")) == []
    assert issues_of(variant("holidays: GB", "holidays: US-CA")) == []


def test_business_hours_start_after_end() -> None:
    issue = only(variant('"09:00-17:00"', '"17:00-09:00"'), "business_hours.office.hours")
    assert issue.line == 4 and "start must be before the end" in issue.message


def test_bad_duration_names_accepted_forms() -> None:
    issue = only(variant("accept_within: 5m", "accept_within: 5"), "sla[0].accept_within")
    assert issue.line == 26 and '"90s", "5m"' in issue.message


def test_regex_that_does_not_compile() -> None:
    issue = only(
        variant("when: {tier: A}", 'when: {title: {matches: "(oops"}}'), "sla[0].when.title.matches"
    )
    assert issue.line == 25 and "regular expression" in issue.message


def test_condition_error_inside_any_has_full_path() -> None:
    text = variant(
        "when: {territory: uk}",
        'when: {any: [{territory: uk}, {title: {matches: "[a-"}}]}',
    )
    issue = only(text, "rules[0].when.any[1].title.matches")
    assert issue.line == 32


def test_condition_structure_error() -> None:
    issue = only(
        variant("when: {territory: uk}", "when: {any: {territory: uk}}"), "rules[0].when.any"
    )
    assert issue.line == 32 and "list" in issue.message


def test_escalation_step_without_action() -> None:
    issue = only(variant("{after: 5m, open_claim: triage}", "{after: 5m}"), "sla[0].escalate[1]")
    assert issue.line == 30 and "notify, reassign or open_claim" in issue.message


def test_require_skills_only_on_pools() -> None:
    issue = only(
        variant("assign: {queue: triage}", "assign: {queue: triage, require_skills: [x]}"),
        "rules[1].assign",
    )
    assert issue.line == 33 and "only to pool targets" in issue.message


def test_unknown_target_string() -> None:
    issue = only(
        variant("assign: {queue: triage}", "assign: [account_owner, ann]"), "rules[1].assign[1]"
    )
    assert issue.line == 33 and "unknown target 'ann'" in issue.message


def test_postal_range_ends_of_different_length() -> None:
    issue = only(
        variant("uk: {country: GB}", 'uk: {country: GB, postal_code: ["9000-96199"]}'),
        "territories.uk.postal_code[0]",
    )
    assert issue.line == 20 and "same length" in issue.message
    issue = only(
        variant("uk: {country: GB}", "uk: {postal_code: 2134}"), "territories.uk.postal_code"
    )
    assert "quotes" in issue.message


def test_yaml_boolean_country_is_explained() -> None:
    issue = only(
        variant("uk: {country: GB}", "uk: {country: [GB, NO]}"), "territories.uk.country[1]"
    )
    assert issue.line == 20 and "quotes" in issue.message


def test_unquoted_channel_is_a_comment() -> None:
    text = "reps: [{id: a, name: A}]\nqueues:\n  q:\n    channel: #triage\n    members: a\n"
    issue = only(text + "rules: [{name: R, assign: {queue: q}}]\n", "queues.q.channel")
    assert issue.line == 4 and "quote" in issue.message


def test_version_key_is_refused() -> None:
    issue = only("version: abc\n" + BASE, "version")
    assert issue.line == 1


# --- cross references and semantics (validate.py) ------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "line", "needle"),
    [
        ("admins: [ann]", "admins: [ann, zed]", "admins[1]", 2, "unknown admin 'zed'"),
        ("manager: ann", "manager: anne", "reps[1].manager", 9, "did you mean 'ann'"),
        ("      - ann\n", "      - zed\n", "pools.team.members[0]", 15, "unknown rep 'zed'"),
        ("{rep: ben, weight", "{rep: bem, weight", "pools.team.members[1].rep", 16, "'bem'"),
        ("members: team}", "members: tem}", "queues.triage.members", 18, "not a rep or pool id"),
        ("members: team}", "members: [ann, zed]}", "queues.triage.members[1]", 18, "'zed'"),
        ("hours: office}", "hours: ofice}", "reps[0].hours", 6, "unknown business_hours 'ofice'"),
        (
            "assign: {pool: team}",
            "assign: {pool: teem}",
            "rules[0].assign.pool",
            32,
            "unknown pool",
        ),
        ("assign: {pool: team}", "assign: [{rep: zed}]", "rules[0].assign[0].rep", 32, "'zed'"),
        (
            "assign: {queue: triage}",
            "assign: {queue: tri}",
            "rules[1].assign.queue",
            33,
            "unknown queue",
        ),
        (
            "notify: manager}",
            "notify: [manager, zed]}",
            "sla[0].escalate[0].notify[1]",
            29,
            "'zed'",
        ),
        ("notify: manager}", "notify: zed}", "sla[0].escalate[0].notify", 29, "unknown notify"),
        (
            "open_claim: triage}",
            "open_claim: nowhere}",
            "sla[0].escalate[1].open_claim",
            30,
            "unknown queue",
        ),
        ("remind: [2m]", "remind: [1m, 5m]", "sla[0].remind[1]", 27, "accept_within (5m)"),
        ("remind: [2m]", "remind: 6m", "sla[0].remind", 27, "remind 6m"),
        (
            "{territory: uk}",
            "{territory: us}",
            "rules[0].when.territory",
            32,
            "unknown territory 'us'",
        ),
        (
            "{territory: uk}",
            "{territory: {in: [uk, eu]}}",
            "rules[0].when.territory.in[1]",
            32,
            "'eu'",
        ),
        ("{territory: uk}", "{not: {territory: eu}}", "rules[0].when.not.territory", 32, "'eu'"),
        ("when: {tier: A}", "when: {tier: Z}", "sla[0].when.tier", 25, "unknown tier 'Z'"),
        ("uk: {country: GB}", "uk: {country: Narnia}", "territories.uk.country", 20, "Narnia"),
        ("uk: {country: GB}", "uk: {}", "territories.uk", 20, "no country, state"),
        ("{name: Rest,", "{name: UK,", "rules[1].name", 33, "duplicate rule name 'UK'"),
        ("{after: 0m, notify", "{after: 10m, notify", "sla[0].escalate[1].after", 30, "in order"),
        (
            "assign: {pool: team}",
            "assign: {pool: team, require_skills: [x]}",
            "rules[0].assign.require_skills",
            32,
            "no member",
        ),
    ],
)
def test_semantic_issue(old: str, new: str, path: str, line: int, needle: str) -> None:
    issue = only(variant(old, new), path)
    assert issue.line == line
    assert needle in issue.message


def test_pool_without_members() -> None:
    text = variant(
        "    members:\n      - ann\n      - {rep: ben, weight: 2}\n", "    members: []\n\n\n"
    )
    issue = only(text, "pools.team.members")
    assert issue.line == 14 and "no members" in issue.message


def test_duplicate_rep_ids() -> None:
    issue = only(variant("  - id: ben\n", "  - id: ann\n"), "reps[1].id")
    assert issue.line == 7 and "duplicate rep id 'ann' (also reps[0])" in issue.message


def test_weights_in_a_round_robin_pool_are_allowed() -> None:
    assert issues_of(variant("strategy: weighted", "strategy: round_robin")) == []


def test_channels_in_notify_are_not_reps() -> None:
    assert (
        issues_of(variant("notify: manager}", 'notify: [manager, "#ops", C0123ABCD, ben]}')) == []
    )


def test_rules_after_a_catch_all_are_unreachable() -> None:
    text = BASE + "  - {name: Late, when: {territory: uk}, assign: {pool: team}}\n"
    issue = only(text, "rules[2]")
    assert issue.line == 34
    assert "'Late' is unreachable" in issue.message and "'Rest'" in issue.message


def test_sla_after_a_catch_all_never_applies() -> None:
    text = variant("  - name: hot\n    when: {tier: A}\n", "  - name: hot\n    # any lead\n")
    text = text.replace("rules:\n", "  - {name: later, accept_within: 1h}\nrules:\n")
    issue = only(text, "sla[1]")
    assert issue.line == 31 and "'later' never applies" in issue.message


def test_relative_dates_outside_rules_are_errors() -> None:
    """Scoring and SLA conditions have no routing time: TODAY there would never match."""
    text = variant("    when: {tier: A}\n", "    when: {any: [{created: {on_date: TODAY}}]}\n")
    issue = only(text, "sla[0].when.any[0].created.on_date")
    assert issue.line == 25 and "TODAY is relative to the routing time" in issue.message
    fixed = variant("    when: {tier: A}\n", "    when: {created: {before: '2026-01-01'}}\n")
    assert issues_of(fixed) == []
    in_rules = variant("{name: UK, when: {territory: uk}", "{name: UK, when: {d: {after: TODAY}}")
    assert issues_of(in_rules) == []


# --- YAML level --------------------------------------------------------------------------


def test_duplicate_keys_are_reported() -> None:
    issue = only(variant("    caps: {day: 10}\n", "    name: Bob\n"), "reps[1].name")
    assert issue.line == 10 and "duplicate key 'name' (first at line 8)" in issue.message


def test_duplicate_keys_in_flow_mappings() -> None:
    issue = only(
        variant("{id: ann, name: Ann,", "{id: ann, name: Ann, name: Anne,"), "reps[0].name"
    )
    assert issue.line == 6


def test_merge_keys_are_not_duplicates() -> None:
    text = variant(
        "    strategy: weighted\n", "    <<: {strategy: round_robin}\n    strategy: weighted\n"
    )
    assert issues_of(text) == []
    assert parse_config(text).pools["team"].strategy == "weighted"


def test_yaml_syntax_error_line() -> None:
    issues = issues_of(variant("members: team}", "members: team"))
    assert len(issues) == 1
    assert issues[0].line == 19 and issues[0].path == ""
    assert "YAML syntax error" in issues[0].message and "line 18" in issues[0].message


def test_yaml_bad_indentation_line() -> None:
    issues = issues_of(variant("    members:\n", "   members:\n"))
    assert [issue.line for issue in issues] == [14]


@pytest.mark.parametrize(("text", "needle"), [("", "empty"), ("- a\n- b\n", "mapping")])
def test_not_a_config(text: str, needle: str) -> None:
    issues = issues_of(text)
    assert len(issues) == 1 and needle in issues[0].message


# --- several at once, files ----------------------------------------------------------------


def test_all_shape_errors_are_reported_together() -> None:
    text = variant("caps: {day: 10}", "caps: {day: x}")
    text = text.replace("strategy: weighted", "strategy: fastest")
    text = text.replace("accept_within: 5m", "accept_within: soon")
    text = text.replace("Europe/London", "Nowhere/City")
    text = text.replace("    name: Ben\n", "    name: Ben\n    name: Benjamin\n")  # +1 line below
    found = {(i.path, i.line) for i in issues_of(text)}
    assert found == {
        ("business_hours.office.timezone", 4),
        ("reps[1].name", 9),
        ("reps[1].caps.day", 11),
        ("pools.team.strategy", 14),
        ("sla[0].accept_within", 27),
    }


def test_all_semantic_errors_are_reported_together() -> None:
    text = variant("admins: [ann]", "admins: [zed]").replace("manager: ann", "manager: zed")
    text = text.replace("{territory: uk}", "{territory: mars}").replace(
        "{queue: triage}", "{queue: x}"
    )
    issues = issues_of(text)
    assert [(i.path, i.line) for i in issues] == [
        ("admins[0]", 2),
        ("reps[1].manager", 9),
        ("rules[0].when.territory", 32),
        ("rules[1].assign.queue", 33),
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="conf/routing.yml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 4 and lines[0].startswith("conf/routing.yml:2: admins[0]: unknown admin")


def test_files(tmp_path: Path) -> None:
    good = tmp_path / "routing.yml"
    good.write_text(BASE, encoding="utf-8")
    assert validate_file(good) == [] and load_config(good).rules[0].name == "UK"
    bad = tmp_path / "bad.yml"
    bad.write_text(variant("caps: {day: 10}", "caps: {day: x}"), encoding="utf-8")
    [issue] = validate_file(bad)
    assert str(issue).startswith(f"{bad}:10: reps[1].caps.day: ")
    missing = tmp_path / "missing.yml"
    [issue] = validate_file(missing)
    assert issue.line is None and "cannot read" in issue.message
    with pytest.raises(ConfigError):
        load_config(missing)


def test_target_id_errors_point_at_the_kind_key() -> None:
    issue = only(variant("assign: {pool: team}", "assign: [{rep: 5}]"), "rules[0].assign[0].rep")
    assert issue.line == 32 and "valid string" in issue.message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("!!int x", "!!int value 'x' is not a valid int"),
        ("!!float nope", "!!float value 'nope' is not a valid float"),
        ("!!bool maybe", "!!bool value 'maybe' is not a valid bool"),
        ("!!timestamp 2024-13-45", "!!timestamp value '2024-13-45' is not a valid timestamp"),
        ("!!binary 'a'", "failed to decode base64 data"),  # PyYAML's own, with its line
    ],
)
def test_a_tagged_value_yaml_cannot_read_is_an_issue_with_its_line(value: str, says: str) -> None:
    """PyYAML raises a bare ValueError/KeyError for these (no line): validate crashed."""
    text = f"admins: [maria]\nreps:\n  - {{id: maria, name: {value}}}\n"
    issues = validate_text(text)
    assert len(issues) == 1
    assert issues[0].line == 3
    assert issues[0].message.startswith("YAML value error: " + says)
