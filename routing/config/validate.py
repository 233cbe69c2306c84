"""Semantic checks of a parsed config: cross references and rules that can never apply.

Each issue carries the YAML path and line (from the loader's :class:`LineMap`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from routing.conditions.dates import DATE_MATCHERS, RELATIVE_DATE_RE
from routing.config.issues import ConfigIssue, Path
from routing.config.models import RoutingConfig, Target
from routing.config.types import CHANNEL_ID_RE, CHANNEL_NAME_RE
from routing.config.yamlsource import LineMap
from routing.durations import format_duration
from routing.normalize import country_code_for

__all__ = ["check_config"]


def check_config(config: RoutingConfig, lines: LineMap | None = None) -> list[ConfigIssue]:
    """Cross-reference checks; ``lines`` maps paths to lines (none: issues have no line)."""
    checker = _Checker(config, lines or LineMap())
    checker.run()
    return checker.issues


def _known(names: Iterable[str], value: Any = None) -> str:
    """A hint for an unknown name: the closest known one, else the known ones."""
    listed = sorted(names)
    if not listed:
        return " (none are defined)"
    close = difflib.get_close_matches(str(value), listed, n=1) if value is not None else []
    if close:
        return f" (did you mean {close[0]!r}?)"
    more = f", ... {len(listed) - 12} more" if len(listed) > 12 else ""
    return f" (known: {', '.join(listed[:12])}{more})"


def _fold(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _condition_values(cond: Mapping[str, Any], path: Path) -> Iterator[tuple[str, Any, Path]]:
    """(field, compared value, path) for plain values and in/not_in items of a condition."""
    for key, value in cond.items():
        here = (*path, key)
        if key in ("not", "as_written") and isinstance(value, Mapping):
            yield from _condition_values(value, here)
        elif key in ("any", "all") and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _condition_values(item, (*here, index))
        elif isinstance(value, Mapping):
            for matcher, arg in value.items():
                if matcher in ("in", "not_in") and isinstance(arg, list):
                    for index, item in enumerate(arg):
                        yield key, item, (*here, matcher, index)
                elif matcher in ("in", "not_in", "eq"):
                    yield key, arg, (*here, matcher)
        else:
            yield key, value, here


def _relative_dates(cond: Any, path: Path) -> Iterator[tuple[Any, Path]]:
    """(bound, path) of each date matcher comparing with a relative date (``TODAY``...)."""
    if not isinstance(cond, Mapping):
        return
    for key, value in cond.items():
        here = (*path, key)
        if key in ("not", "as_written"):
            yield from _relative_dates(value, here)
        elif key in ("any", "all") and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _relative_dates(item, (*here, index))
        elif isinstance(value, Mapping):
            for matcher, arg in value.items():
                relative = isinstance(arg, str) and RELATIVE_DATE_RE.fullmatch(arg)
                if matcher in DATE_MATCHERS and relative:
                    yield arg, (*here, matcher)


class _Checker:
    def __init__(self, config: RoutingConfig, lines: LineMap) -> None:
        self.config = config
        self.lines = lines
        self.issues: list[ConfigIssue] = []
        self.rep_ids = {rep.id for rep in config.reps}
        # Folded once, not for each condition (3,000 rules x every territory).
        self.territory_names = {_fold(name) for name in config.territories}
        self.tier_names = {_fold(name) for name in config.scoring.tiers}

    def add(self, path: Path, message: str) -> None:
        self.issues.append(self.lines.issue(path, message))

    def check_rep(self, path: Path, rep_id: str, what: str = "rep") -> None:
        if rep_id not in self.rep_ids:
            self.add(path, f"unknown {what} {rep_id!r}: not a rep id{_known(self.rep_ids, rep_id)}")

    def run(self) -> None:
        self.reps()
        for index, admin in enumerate(self.config.admins):
            self.check_rep(("admins", index), admin, "admin")
        self.pools()
        self.queues()
        self.territories()
        for index, rule in enumerate(self.config.scoring.rules):
            self.condition(("scoring", "rules", index, "when"), rule.when)
            self.without_routing_time(("scoring", "rules", index, "when"), rule.when)
        self.sla()
        self.rules()

    def reps(self) -> None:
        first: dict[str, int] = {}
        for index, rep in enumerate(self.config.reps):
            path: Path = ("reps", index)
            earlier = first.setdefault(rep.id, index)
            if earlier != index:
                self.add((*path, "id"), f"duplicate rep id {rep.id!r} (also reps[{earlier}])")
            if rep.manager is not None:
                if rep.manager == rep.id:
                    self.add((*path, "manager"), "a rep cannot be their own manager")
                self.check_rep((*path, "manager"), rep.manager, "manager")
            if rep.hours is not None and rep.hours not in self.config.business_hours:
                self.add(
                    (*path, "hours"),
                    f"unknown business_hours {rep.hours!r}"
                    + _known(self.config.business_hours, rep.hours),
                )
            if rep.delivery == "channel" and rep.channel is None:
                self.add((*path, "delivery"), "delivery: channel needs the rep's channel")

    def pools(self) -> None:
        for pool_id, pool in self.config.pools.items():
            path: Path = ("pools", pool_id)
            if pool_id in self.rep_ids:
                self.add(path, f"{pool_id!r} is both a pool id and a rep id; rename one")
            if not pool.members:
                self.add((*path, "members"), "the pool has no members")
            seen: set[str] = set()
            for index, member in enumerate(pool.members):
                # The path only when there is an issue: it asks the file for lines.
                if member.rep in seen or member.rep not in self.rep_ids:
                    where: Path = (*path, "members", index)
                    if (*where, "rep") in self.lines:
                        where = (*where, "rep")
                    if member.rep in seen:
                        self.add(where, f"{member.rep!r} is listed twice")
                    self.check_rep(where, member.rep)
                seen.add(member.rep)
            if pool.manager is not None:
                self.check_rep((*path, "manager"), pool.manager, "manager")
            if pool.delivery == "channel" and pool.channel is None:
                self.add((*path, "delivery"), "delivery: channel needs the pool's channel")

    def queues(self) -> None:
        for queue_id, queue in self.config.queues.items():
            path: Path = ("queues", queue_id, "members")
            if not queue.members:
                self.add(path, "the queue has no members")
            for index, member in enumerate(queue.members):
                if member not in self.rep_ids and member not in self.config.pools:
                    known = _known([*self.rep_ids, *self.config.pools], member)
                    self.add(
                        (*path, index), f"unknown member {member!r}: not a rep or pool id{known}"
                    )

    def territories(self) -> None:
        # Same normalisation as routing.territories: an unknown country can never match a lead.
        for name, territory in self.config.territories.items():
            path: Path = ("territories", name)
            if not (
                territory.country or territory.state or territory.city or territory.postal_code
            ):
                self.add(path, "the territory has no country, state, city or postal_code")
            for index, country in enumerate(territory.country):
                if country_code_for(country) is None:
                    self.add(
                        (*path, "country", index),
                        f"unknown country {country!r}: use an ISO code (US, GB) or a name",
                    )

    def without_routing_time(self, path: Path, cond: Mapping[str, Any] | None) -> None:
        """Scoring and SLA conditions are evaluated without the routing time."""
        for bound, where in _relative_dates(cond, path):
            self.add(
                where,
                f"{bound.strip()} is relative to the routing time, which only `rules:` "
                "conditions have: here it would never match (use a fixed date)",
            )

    def condition(self, path: Path, cond: Mapping[str, Any] | None) -> None:
        if not cond:
            return
        for field, value, where in _condition_values(cond, path):
            if field == "territory" and _fold(value) not in self.territory_names:
                self.add(
                    where, f"unknown territory {value!r}{_known(self.config.territories, value)}"
                )
            elif field == "tier" and _fold(value) not in self.tier_names:
                self.add(where, f"unknown tier {value!r}{_known(self.config.scoring.tiers, value)}")

    def sla(self) -> None:
        names: dict[str, int] = {}
        catch_all: int | None = None
        for index, policy in enumerate(self.config.sla):
            path: Path = ("sla", index)
            earlier = names.setdefault(policy.name, index)
            if earlier != index:
                self.add(
                    (*path, "name"), f"duplicate SLA name {policy.name!r} (also sla[{earlier}])"
                )
            if catch_all is not None:
                first = self.config.sla[catch_all].name
                self.add(
                    path,
                    f"SLA {policy.name!r} never applies: {first!r} (sla[{catch_all}]) "
                    "has no `when` and applies to every lead",
                )
            elif not policy.when:
                catch_all = index
            self.condition((*path, "when"), policy.when)
            self.without_routing_time((*path, "when"), policy.when)
            limit = policy.accept_within
            for step, remind in enumerate(policy.remind):
                if remind <= timedelta(0) or remind >= limit:
                    self.add(
                        (*path, "remind", step),
                        f"remind {format_duration(remind)} must be between 0s and "
                        f"accept_within ({format_duration(limit)}), exclusive",
                    )
            self.escalation(path, policy.escalate)

    def escalation(self, path: Path, steps: Iterable[Any]) -> None:
        previous: timedelta | None = None
        for index, step in enumerate(steps):
            here: Path = (*path, "escalate", index)
            if previous is not None and step.after < previous:
                self.add(
                    (*here, "after"),
                    f"steps must be in order of `after` ({format_duration(step.after)} comes "
                    f"after {format_duration(previous)})",
                )
            previous = step.after
            for item_index, item in enumerate(step.notify):
                where: Path = (*here, "notify", item_index)
                if item.startswith("#"):
                    if not CHANNEL_NAME_RE.fullmatch(item):
                        self.add(where, f"invalid channel name {item!r} (lower case, no spaces)")
                elif not (
                    item == "manager" or item in self.rep_ids or CHANNEL_ID_RE.fullmatch(item)
                ):
                    self.add(
                        where,
                        f"unknown notify target {item!r}: expected manager, a rep id or a "
                        f'channel ("#name" or C0123456789){_known(self.rep_ids, item)}',
                    )
            if step.open_claim is not None and step.open_claim not in self.config.queues:
                self.add(
                    (*here, "open_claim"),
                    f"unknown queue {step.open_claim!r}"
                    + _known(self.config.queues, step.open_claim),
                )

    def rules(self) -> None:
        names: dict[str, int] = {}
        catch_all: int | None = None
        for index, rule in enumerate(self.config.rules):
            path: Path = ("rules", index)
            earlier = names.setdefault(rule.name, index)
            if earlier != index:
                self.add(
                    (*path, "name"), f"duplicate rule name {rule.name!r} (also rules[{earlier}])"
                )
            if catch_all is not None:
                first = self.config.rules[catch_all].name
                self.add(
                    path,
                    f"rule {rule.name!r} is unreachable: rule {first!r} (rules[{catch_all}]) "
                    "has no `when` and matches every lead",
                )
            elif not rule.when:
                catch_all = index
            self.condition((*path, "when"), rule.when)
            for target_index, target in enumerate(rule.assign):
                self.target((*path, "assign", target_index), target)
            kinds = [target.kind for target in rule.assign]
            if "keep_owner" in kinds[:-1]:
                # keep_owner always succeeds: whatever follows it would never be tried.
                self.add(
                    (*path, "assign", kinds.index("keep_owner") + 1),
                    "never tried: keep_owner before it always stops routing",
                )

    def target(self, path: Path, target: Target) -> None:
        if target.id is None:
            return
        where: Path = (*path, target.kind)
        if target.kind == "rep":
            self.check_rep(where, target.id)
        elif target.kind == "queue" and target.id not in self.config.queues:
            self.add(where, f"unknown queue {target.id!r}{_known(self.config.queues, target.id)}")
        elif target.kind == "pool":
            pool = self.config.pools.get(target.id)
            if pool is None:
                self.add(where, f"unknown pool {target.id!r}{_known(self.config.pools, target.id)}")
            elif target.require_skills:
                needed = set(target.require_skills)
                reps = self.config.reps_by_id
                if not any(
                    m.rep in reps and needed <= set(reps[m.rep].skills) for m in pool.members
                ):
                    self.add(
                        (*path, "require_skills"),
                        f"no member of pool {target.id!r} has all of {sorted(needed)}",
                    )
