"""routing.config models: the SPEC §6 example, the sample file, and the model helpers."""

from __future__ import annotations

import hashlib
from datetime import time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from routing.config import RoutingConfig, load_config, parse_config
from routing.config.models import (
    DEFAULT_DECLINE_REASONS,
    BusinessHours,
    EscalationStep,
    PoolMember,
    SalesforceSettings,
    Scoring,
    Target,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "routing.yml"

# Verbatim from SPEC §6.
SPEC_EXAMPLE = r"""
timezone: America/New_York
admins: [maria]
business_hours:
  us-east: {timezone: America/New_York, days: [mon, tue, wed, thu, fri], hours: "09:00-18:00", holidays: US}
reps:
  - {id: alice, name: Alice Chen, email: alice@example.com, timezone: America/Los_Angeles,
     hours: us-east, skills: [healthcare, spanish], max_pending: 5, caps: {day: 20, week: 80}, manager: maria}
  - {id: bob, name: Bob Diaz, email: bob@example.com, hours: us-east, manager: maria}
  - {id: carol, name: Carol Wu, email: carol@example.com, hours: us-east, manager: maria}
  - {id: maria, name: Maria Gomez, email: maria@example.com}
pools:
  west-sdr: {strategy: round_robin, members: [alice, {rep: bob, weight: 2}, carol],
             channel: "#sdr-west", manager: maria}
queues:
  triage: {channel: "#inbound-triage", members: west-sdr}
territories:
  west: {country: [US], state: [CA, OR, WA], postal_code: ["90000-96199"]}
scoring:
  rules:
    - {when: {employees: {gte: 1000}}, points: 30, reason: "Enterprise size"}
    - {when: {title: {matches: "(?i)\\b(vp|head|chief|director)\\b"}}, points: 20, reason: "Senior title"}
    - {when: {lead_source: Demo Request}, points: 40, reason: "Asked for a demo"}
  tiers: {A: 70, B: 40, C: 0}
sla:
  - name: hot
    when: {tier: A}
    accept_within: 5m
    clock: always            # or business_hours
    remind: [3m]
    escalate:
      - {after: 0m, notify: manager}
      - {after: 5m, reassign: next}
      - {after: 15m, open_claim: triage, notify: [manager, maria]}
  - {name: default, accept_within: 30m, clock: business_hours, escalate: [{after: 0m, notify: manager}]}
salesforce:                   # used only when Salesforce credentials are set
  poll_interval: 15s
  where: "IsConverted = false AND Owner.Type = 'Queue'"
  owner_update: on_accept     # on_offer | on_accept | never
  create_task: true
  fields: {Product_Interest__c: product_interest}
rules:                        # top to bottom, first match wins
  - {name: Existing customer, when: {account.matched: true}, assign: [account_owner, {pool: west-sdr}]}
  - {name: Already in CRM, when: {duplicate.matched: true}, assign: existing_owner}
  - {name: Healthcare, when: {industry: {in: [Healthcare, Hospital & Health Care]}}, assign: {pool: west-sdr, require_skills: [healthcare]}}
  - {name: West, when: {territory: west}, assign: {pool: west-sdr}}
  - {name: Catch-all, assign: {queue: triage}}
"""  # noqa: E501


@pytest.fixture(scope="module")
def spec() -> RoutingConfig:
    return parse_config(SPEC_EXAMPLE)


def test_spec_example_parses(spec: RoutingConfig) -> None:
    assert spec.timezone == "America/New_York"
    assert spec.admins == ["maria"]
    assert [r.id for r in spec.reps] == ["alice", "bob", "carol", "maria"]
    alice = spec.rep("alice")
    assert alice.skills == ["healthcare", "spanish"]
    assert alice.caps is not None and (alice.caps.day, alice.caps.week, alice.caps.hour) == (
        20,
        80,
        None,
    )
    assert alice.max_pending == 5 and alice.hours == "us-east" and alice.active
    pool = spec.pools["west-sdr"]
    assert [(m.rep, m.weight) for m in pool.members] == [("alice", 1), ("bob", 2), ("carol", 1)]
    assert pool.strategy == "round_robin" and pool.channel == "#sdr-west"
    assert pool.respect_hours and pool.delivery == "dm"
    assert spec.queues["triage"].members == ["west-sdr"]
    west = spec.territories["west"]
    assert (west.country, west.state, west.postal_code) == (
        ["US"],
        ["CA", "OR", "WA"],
        ["90000-96199"],
    )
    assert west.city == []


def test_spec_example_business_hours(spec: RoutingConfig) -> None:
    hours = spec.business_hours["us-east"]
    assert (hours.start, hours.end) == (time(9), time(18))
    assert hours.days == ["mon", "tue", "wed", "thu", "fri"]
    assert hours.holidays == "US"


def test_spec_example_scoring_and_sla(spec: RoutingConfig) -> None:
    assert [r.points for r in spec.scoring.rules] == [30, 20, 40]
    assert spec.scoring.rules[1].when == {"title": {"matches": r"(?i)\b(vp|head|chief|director)\b"}}
    hot, default = spec.sla
    assert hot.when == {"tier": "A"} and hot.accept_within == timedelta(minutes=5)
    assert hot.remind == [timedelta(minutes=3)]
    steps = hot.escalate
    assert steps[0].after == timedelta(0) and steps[0].notify == ["manager"]
    assert steps[1].reassign == "next" and steps[1].notify == []
    assert steps[2].open_claim == "triage" and steps[2].notify == ["manager", "maria"]
    assert default.when is None and default.clock == "business_hours"
    assert spec.max_reassignments_for(hot) == 3


def test_spec_example_salesforce(spec: RoutingConfig) -> None:
    sf = spec.salesforce
    assert sf.poll_interval == timedelta(seconds=15) and sf.owner_update == "on_accept"
    assert sf.create_task is True and sf.fields == {"Product_Interest__c": "product_interest"}
    assert sf.sync_interval == timedelta(minutes=5)
    assert sf.full_resync_interval == timedelta(days=1) and sf.write_score is False


def test_spec_example_rules(spec: RoutingConfig) -> None:
    rules = spec.rules
    assert [r.name for r in rules][-1] == "Catch-all" and rules[-1].when is None
    assert rules[0].assign == [Target(kind="account_owner"), Target(kind="pool", id="west-sdr")]
    assert rules[1].assign == [Target(kind="existing_owner")]
    assert rules[2].assign == [Target(kind="pool", id="west-sdr", require_skills=["healthcare"])]
    assert rules[4].assign == [Target(kind="queue", id="triage")]
    assert rules[0].when == {"account.matched": True}


def test_version_is_sha256_prefix(spec: RoutingConfig) -> None:
    assert spec.version == hashlib.sha256(SPEC_EXAMPLE.encode()).hexdigest()[:12]
    assert parse_config(SPEC_EXAMPLE + "\n# edited\n").version != spec.version


def test_helpers(spec: RoutingConfig) -> None:
    assert spec.rep("bob").name == "Bob Diaz"
    with pytest.raises(KeyError):
        spec.rep("nobody")
    assert set(spec.reps_by_id) == {"alice", "bob", "carol", "maria"}
    assert spec.reps_by_id is spec.reps_by_id  # cached
    assert spec.queue_member_ids("triage") == ["alice", "bob", "carol"]
    assert spec.managers_of("alice") == {"maria"}
    assert spec.managers_of("maria") == set()
    assert spec.is_admin("maria") and not spec.is_admin("alice")
    assert spec.pools_of("bob") == ("west-sdr",)


def test_queue_members_mix_reps_and_pools_in_order_without_duplicates() -> None:
    text = SPEC_EXAMPLE.replace("members: west-sdr}", "members: [maria, west-sdr, bob, alice]}")
    config = parse_config(text)
    assert config.queues["triage"].members == ["maria", "west-sdr", "bob", "alice"]
    assert config.queue_member_ids("triage") == ["maria", "alice", "bob", "carol"]


def test_managers_of_includes_pool_managers() -> None:
    text = SPEC_EXAMPLE.replace("manager: maria}\nqueues", "manager: carol}\nqueues")
    config = parse_config(text)
    assert config.managers_of("alice") == {"maria", "carol"}


def test_sample_file_loads() -> None:
    config = load_config(EXAMPLE)
    strategies = sorted(p.strategy for p in config.pools.values())
    assert strategies == ["least_loaded", "round_robin", "weighted"]
    assert len(config.queues) == 2 and len(config.reps) >= 8
    assert {"us-west", "us-east", "emea"} <= set(config.territories)
    assert all(rep.email == f"{rep.id}@example.com" for rep in config.reps)
    assert config.rules[-1].when is None
    assert {p.name for p in config.sla} >= {"hot", "default"}
    managers = {rep.manager for rep in config.reps if rep.manager}
    assert len(managers) == 2 and config.admins


def test_defaults() -> None:
    config = parse_config("reps: [{id: a, name: A}]\nrules: [{name: All, assign: {rep: a}}]\n")
    assert config.timezone == "UTC" and config.admins == [] and config.pools == {}
    assert config.decline_reasons == list(DEFAULT_DECLINE_REASONS)
    assert config.max_reassignments == 3 and config.sla == []
    assert config.salesforce == SalesforceSettings()
    assert config.salesforce.where == "IsConverted = false AND Owner.Type = 'Queue'"
    assert config.scoring == Scoring() and config.scoring.tier_for(100) is None


def test_tier_for_uses_thresholds_descending() -> None:
    scoring = Scoring(tiers={"C": 0, "A": 70, "B": 40})
    assert [scoring.tier_for(s) for s in (100, 70, 69, 40, 0, -5)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        None,
    ]


def test_models_are_frozen(spec: RoutingConfig) -> None:
    with pytest.raises(ValidationError):
        spec.rep("alice").name = "x"  # type: ignore[misc]


def test_pool_member_forms() -> None:
    assert PoolMember.model_validate("bob") == PoolMember(rep="bob", weight=1)
    assert PoolMember.model_validate({"rep": "bob", "weight": 3}).weight == 3
    with pytest.raises(ValidationError):
        PoolMember.model_validate({"rep": "bob", "weight": 0})


def test_target_forms() -> None:
    assert Target.model_validate({"rep": "alice"}) == Target(kind="rep", id="alice")
    assert Target.model_validate("account_owner").id is None
    for bad in ("alice", {"rep": "a", "pool": "b"}, {"rep": "a", "require_skills": ["x"]}, {}):
        with pytest.raises(ValidationError):
            Target.model_validate(bad)


def test_scalars_become_lists() -> None:
    step = EscalationStep.model_validate({"after": "1m", "notify": "manager"})
    assert step.notify == ["manager"] and step.after == timedelta(minutes=1)
    hours = BusinessHours.model_validate({"timezone": "UTC", "hours": "8:30-17:00", "days": "sat"})
    assert hours.days == ["sat"] and hours.start == time(8, 30)


def test_business_hours_default_days_and_subdivisions() -> None:
    hours = BusinessHours.model_validate(
        {"timezone": "Europe/Berlin", "hours": "09:00-17:00", "holidays": "de-by"}
    )
    assert hours.days == ["mon", "tue", "wed", "thu", "fri"] and hours.holidays == "DE-BY"
    assert BusinessHours(timezone="UTC", hours="09:00-17:00", holidays="US-CA").holidays == "US-CA"


def test_escalation_step_needs_an_action() -> None:
    with pytest.raises(ValidationError, match="notify, reassign or open_claim"):
        EscalationStep.model_validate({"after": "5m"})


def test_json_dump_writes_durations_as_strings(spec: RoutingConfig) -> None:
    dumped = spec.model_dump(mode="json")
    assert dumped["sla"][0]["accept_within"] == "5m"
    assert RoutingConfig.model_validate(dumped) == spec
