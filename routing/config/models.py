"""Pydantic models of every ``routing.yml`` section (SPEC §6, §8, §9).

The models check shapes and single values; cross references (unknown rep ids, pools,
queues...) are checked by :mod:`routing.config.validate`, which has YAML line numbers.
Every model forbids unknown keys so that a typo is an error instead of a silent default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time, timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from routing.config.types import (
    Channel,
    Condition,
    Duration,
    Email,
    Ident,
    PostalCode,
    SlackUserId,
    Text,
    TimeZoneName,
    as_list,
)

__all__ = [
    "DEFAULT_DECLINE_REASONS",
    "WEEKDAYS",
    "BusinessHours",
    "Caps",
    "Delivery",
    "EscalationStep",
    "Pool",
    "PoolMember",
    "Queue",
    "Rep",
    "RoutingConfig",
    "Rule",
    "SalesforceSettings",
    "Scoring",
    "ScoringRule",
    "SlaPolicy",
    "Target",
    "Territory",
]

Delivery = Literal["dm", "channel"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# keep_owner: stop routing and leave the lead with its current owner (no card, no alert).
TargetKind = Literal["rep", "pool", "queue", "account_owner", "existing_owner", "keep_owner"]

DEFAULT_DECLINE_REASONS: tuple[str, ...] = (
    "Not my territory",
    "Already working this account",
    "Out of office",
    "Not a fit",
    "Other",
)

_HOURS_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")

# `skills: healthcare` and `notify: manager` are accepted for one-item lists.
StrList = Annotated[list[Text], BeforeValidator(as_list)]
IdList = Annotated[list[Ident], BeforeValidator(as_list)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Caps(_Model):
    """Offers allowed in rolling windows (not calendar buckets)."""

    hour: int | None = Field(default=None, ge=0)
    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)


class Rep(_Model):
    id: Ident
    name: str = Field(min_length=1)
    email: Email | None = None
    timezone: TimeZoneName | None = None
    hours: Ident | None = None  # a business_hours name; None = always inside hours
    skills: StrList = []
    max_pending: int | None = Field(default=None, ge=1)
    caps: Caps | None = None
    manager: Ident | None = None
    active: bool = True
    slack_user: SlackUserId | None = None  # overrides the lookup by email
    salesforce_user: str | None = None
    delivery: Delivery | None = None
    channel: Channel | None = None  # the rep's own channel, used with delivery: channel


class PoolMember(_Model):
    rep: Ident
    weight: int = Field(default=1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _bare_rep_id(cls, data: Any) -> Any:
        return {"rep": data} if isinstance(data, str) else data


class Pool(_Model):
    strategy: Literal["round_robin", "weighted", "least_loaded"] = "round_robin"
    members: list[PoolMember]
    channel: Channel | None = None
    manager: Ident | None = None
    respect_hours: bool = True
    delivery: Delivery = "dm"  # "channel": post in the pool channel with a mention


class Queue(_Model):
    channel: Channel
    # Rep ids and pool ids as written (`members: west-sdr` becomes ["west-sdr"]);
    # RoutingConfig.queue_member_ids resolves pools to reps.
    members: IdList


class Territory(_Model):
    country: StrList = []
    state: StrList = []
    city: StrList = []
    postal_code: Annotated[list[PostalCode], BeforeValidator(as_list)] = []


def _holiday_subdivisions(country: str) -> list[str] | None:
    """``holidays.list_supported_countries().get(country)``, from the table generated from
    it (``routing.holiday_data``): no ``holidays`` country module is imported to validate."""
    from routing.holiday_data import supported

    known = supported().get(country)
    return None if known is None else list(known)


class BusinessHours(_Model):
    timezone: TimeZoneName
    days: Annotated[list[Weekday], BeforeValidator(as_list)] = list(WEEKDAYS[:5])
    hours: str
    holidays: Text | None = None  # "US", "US-CA", "DE-BY"

    _start: time = PrivateAttr()
    _end: time = PrivateAttr()

    @field_validator("hours")
    @classmethod
    def _check_hours(cls, value: str) -> str:
        _parse_hours(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _check_holidays(cls, value: str | None) -> str | None:
        if value is None:
            return None
        country, _, subdivision = value.strip().partition("-")
        known = _holiday_subdivisions(country.upper())
        if known is None:
            raise ValueError(
                f"no holiday calendar for {country!r}: use an ISO country code like US, GB, DE"
            )
        if not subdivision:
            return country.upper()
        by_upper = {sub.upper(): sub for sub in known}
        if subdivision.upper() not in by_upper:
            sample = ", ".join(known[:8])
            raise ValueError(
                f"{country.upper()} has no subdivision {subdivision!r} (known: {sample}, ...)"
            )
        return f"{country.upper()}-{by_upper[subdivision.upper()]}"

    def model_post_init(self, context: Any) -> None:
        self._start, self._end = _parse_hours(self.hours)

    @property
    def start(self) -> time:
        return self._start

    @property
    def end(self) -> time:
        return self._end


def _parse_hours(value: str) -> tuple[time, time]:
    match = _HOURS_RE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f'hours must look like "09:00-18:00", got {value!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"hours {value!r} contain an impossible time of day")
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise ValueError(f"hours {value!r}: the start must be before the end")
    return start, end


class ScoringRule(_Model):
    when: Condition
    points: int
    reason: str = Field(min_length=1)


class Scoring(_Model):
    rules: list[ScoringRule] = []
    tiers: dict[str, int] = {}  # tier name -> minimum score

    @field_validator("tiers")
    @classmethod
    def _distinct_thresholds(cls, tiers: dict[str, int]) -> dict[str, int]:
        seen: dict[int, str] = {}
        for name, threshold in tiers.items():
            if threshold in seen:
                raise ValueError(
                    f"tiers {seen[threshold]!r} and {name!r} share threshold {threshold}"
                )
            seen[threshold] = name
        return tiers

    def tier_for(self, score: int | float) -> str | None:
        """The tier with the highest threshold that ``score`` reaches, or None."""
        for name, threshold in sorted(self.tiers.items(), key=lambda item: -item[1]):
            if score >= threshold:
                return name
        return None


class EscalationStep(_Model):
    after: Duration  # past the deadline
    notify: StrList = []  # "manager", rep ids, "#channel" or a channel id
    reassign: Literal["next"] | None = None
    open_claim: Ident | None = None  # a queue id

    @model_validator(mode="after")
    def _has_action(self) -> EscalationStep:
        if not (self.notify or self.reassign or self.open_claim):
            raise ValueError("an escalation step needs notify, reassign or open_claim")
        return self


class SlaPolicy(_Model):
    name: str = Field(min_length=1)
    when: Condition | None = None  # None = applies to every lead
    accept_within: Duration
    clock: Literal["always", "business_hours"] = "always"
    remind: Annotated[list[Duration], BeforeValidator(as_list)] = []
    escalate: list[EscalationStep] = []
    # None = RoutingConfig.max_reassignments (see RoutingConfig.max_reassignments_for).
    max_reassignments: int | None = Field(default=None, ge=0)

    @field_validator("accept_within")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("accept_within must be longer than 0s")
        return value


class SalesforceSettings(_Model):
    poll_interval: Duration = timedelta(seconds=15)
    where: str = "IsConverted = false AND Owner.Type = 'Queue'"
    owner_update: Literal["on_offer", "on_accept", "never"] = "on_accept"
    create_task: bool = False
    fields: dict[str, str] = {}  # Salesforce field -> lead field name
    write_score: bool = False
    sync_interval: Duration = timedelta(minutes=5)
    full_resync_interval: Duration = timedelta(days=1)
    # Fuzzy company-name score (rapidfuzz ratio, 0-100) an account match needs.
    match_threshold: float = Field(default=92.0, ge=50, le=100)

    @field_validator("poll_interval", "sync_interval", "full_resync_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("intervals must be longer than 0s")
        return value


_TARGET_KEYS = ("rep", "pool", "queue")
_OWNER_TARGETS = ("account_owner", "existing_owner", "keep_owner")


class Target(_Model):
    kind: TargetKind
    id: str | None = None
    require_skills: StrList = []

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        """`account_owner` | `existing_owner` | `keep_owner` | {rep: id} |
        {pool: id, require_skills: [...]} | {queue: id}."""
        if isinstance(data, str):
            if data in _OWNER_TARGETS:
                return {"kind": data}
            if data in _TARGET_KEYS:
                raise ValueError(f"write {data} targets as {{{data}: <id>}}")
            raise ValueError(
                f"unknown target {data!r}: expected account_owner, existing_owner, "
                "keep_owner, {rep: id}, {pool: id} or {queue: id}"
            )
        if not isinstance(data, Mapping) or "kind" in data:
            return data
        kinds = [key for key in _TARGET_KEYS if key in data]
        if len(kinds) != 1:
            raise ValueError("a target names exactly one of rep, pool or queue, e.g. {pool: west}")
        out = {key: value for key, value in data.items() if key != kinds[0]}
        out.update(kind=kinds[0], id=data[kinds[0]])
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.kind in _OWNER_TARGETS:
            if self.id is not None:
                raise ValueError(f"{self.kind} takes no id")
        elif not self.id:
            raise ValueError(f"a {self.kind} target needs an id")
        if self.require_skills and self.kind != "pool":
            raise ValueError("require_skills applies only to pool targets")
        return self


class Rule(_Model):
    name: str = Field(min_length=1)
    when: Condition | None = None  # None = catch-all
    assign: Annotated[list[Target], BeforeValidator(as_list), Field(min_length=1)]


class RoutingConfig(_Model):
    timezone: TimeZoneName = "UTC"
    admins: IdList = []
    business_hours: dict[str, BusinessHours] = {}
    reps: list[Rep]
    pools: dict[str, Pool] = {}
    queues: dict[str, Queue] = {}
    territories: dict[str, Territory] = {}
    scoring: Scoring = Scoring()
    sla: list[SlaPolicy] = []
    salesforce: SalesforceSettings = SalesforceSettings()
    rules: list[Rule]
    decline_reasons: list[str] = Field(default=list(DEFAULT_DECLINE_REASONS), min_length=1)
    max_reassignments: int = Field(default=3, ge=0)
    version: str = ""  # set by the loader: first 12 hex digits of sha256(source text)

    _reps_by_id: Mapping[str, Rep] = PrivateAttr()
    _pools_of: Mapping[str, tuple[str, ...]] = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        # First occurrence wins; duplicate ids are reported by validate.check_config.
        by_id: dict[str, Rep] = {}
        for rep in self.reps:
            by_id.setdefault(rep.id, rep)
        self._reps_by_id = MappingProxyType(by_id)
        pools_of: dict[str, list[str]] = {}
        for pool_id, pool in self.pools.items():
            for member in pool.members:
                pools_of.setdefault(member.rep, []).append(pool_id)
        self._pools_of = MappingProxyType({k: tuple(v) for k, v in pools_of.items()})

    @property
    def reps_by_id(self) -> Mapping[str, Rep]:
        return self._reps_by_id

    def rep(self, rep_id: str) -> Rep:
        """The rep with this id; KeyError if there is none."""
        return self._reps_by_id[rep_id]

    def pools_of(self, rep_id: str) -> tuple[str, ...]:
        """Ids of the pools that list ``rep_id`` as a member, in file order."""
        return self._pools_of.get(rep_id, ())

    def queue_member_ids(self, queue_id: str) -> list[str]:
        """Rep ids of a queue, pools expanded in place, order kept, duplicates dropped."""
        out: dict[str, None] = {}
        for member in self.queues[queue_id].members:
            pool = self.pools.get(member)
            if pool is None:
                out[member] = None
            else:
                out.update((m.rep, None) for m in pool.members)
        return list(out)

    def managers_of(self, rep_id: str) -> set[str]:
        """The rep's own manager plus the manager of every pool the rep belongs to."""
        managers: set[str] = set()
        rep = self._reps_by_id.get(rep_id)
        if rep is not None and rep.manager:
            managers.add(rep.manager)
        for pool_id in self.pools_of(rep_id):
            manager = self.pools[pool_id].manager
            if manager:
                managers.add(manager)
        return managers

    def is_admin(self, rep_id: str) -> bool:
        return rep_id in self.admins

    def max_reassignments_for(self, policy: SlaPolicy) -> int:
        """The policy's own bound, else the config-wide ``max_reassignments``."""
        if policy.max_reassignments is not None:
            return policy.max_reassignments
        return self.max_reassignments
