"""The routing engine: first matching rule wins, targets tried in order.

``Router(config)`` compiles the config once; ``route(fields, roster, now)`` is pure
and fast: it reads the lead's fields, the roster state and the given time, and
returns a ``Decision`` with a full trace. Nothing here touches I/O or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from routing.conditions import Condition, compile_condition
from routing.conditions.dates import ROUTING_TIME, routing_time
from routing.conditions.traced import Traced, compile_traced
from routing.config.models import PoolMember, RoutingConfig, Rule, SlaPolicy, Target
from routing.decision import Decision, make_decision
from routing.eligibility import Eligibility, RepInfo
from routing.gc_paused import collector_paused
from routing.pool_checks import WeightedCheck, compile_weighted
from routing.roster import Roster
from routing.rule_index import RuleIndex
from routing.scoring import compile_scoring
from routing.strategies import NOBODY
from routing.strategies.least_loaded import chosen_why as least_loaded_why
from routing.strategies.least_loaded import distinct_preference, preference
from routing.strategies.round_robin import first_positions, rotation
from routing.strategies.weighted import pick_weighted
from routing.territories import compile_territories

Trace = list[dict[str, Any]]
_PoolInfo = tuple[
    tuple[str, ...],
    dict[str, int],
    Sequence[PoolMember],
    str,
    bool,
    WeightedCheck | None,
    tuple[RepInfo, ...],
    tuple[tuple[int, str], ...] | None,
]


class Router:
    @collector_paused()  # routing.gc_paused: half of building a 3,000-rule Router
    def __init__(
        self, config: RoutingConfig, *, index: bool = True, rule_traces: bool = True
    ) -> None:
        """``index=False`` evaluates every rule in order (same decisions, slower).
        ``rule_traces=False``: the trace leaves out each evaluated rule's entry and checks
        (targets, candidates and the index entry stay); same decisions, for callers that
        never show rule checks (``simulate`` without ``--trace``)."""
        self.config = config
        self.version = config.version
        conditions = [compile_condition(rule.when) for rule in config.rules]
        # Date matchers read the routing time in the org's zone (routing.conditions.dates).
        self._date_zone = (
            ZoneInfo(config.timezone) if any(c.reads_dates for c in conditions) else None
        )
        # Per rule: the rule and its condition compiled to return (matched, trace entry).
        self._rules: list[tuple[Rule, Traced]] = [
            (rule, compile_traced(condition, rule.name) if rule_traces else _untraced(condition))
            for rule, condition in zip(config.rules, conditions, strict=True)
        ]
        # Each rule's condition alone, for matching() (no trace entry to build).
        self._evaluate = [condition.evaluate for condition in conditions]
        self.rule_index = self._index = RuleIndex(conditions, enabled=index)
        self._lookup = self._index.lookup
        self._skip_why = (
            f"they require {', '.join(self._index.fields)} values the lead does not have"
        )
        self._sla: list[tuple[SlaPolicy, Condition]] = [
            (policy, compile_condition(policy.when)) for policy in config.sla
        ]
        self._eligibility = Eligibility(config)
        # Per pool: (member ids in order, first position of each, members, strategy,
        # respect_hours, compiled checks and pick of a weighted pool listing each rep once,
        # members' eligibility settings, enumerate(order) when each rep is listed once),
        # read once.
        self._pools: dict[str, _PoolInfo] = {}
        for pool_id, pool in config.pools.items():
            order = tuple(m.rep for m in pool.members)
            infos = self._eligibility.infos(order)
            weighted: WeightedCheck | None = None
            distinct = len(set(order)) == len(order)
            if pool.strategy == "weighted" and distinct:
                weights = tuple(m.weight for m in pool.members)
                weighted = compile_weighted(
                    self._eligibility, order, weights, infos, pool.respect_hours, pool_id
                )
            self._pools[pool_id] = (
                order,
                first_positions(order),
                pool.members,
                pool.strategy,
                pool.respect_hours,
                weighted,
                infos,
                tuple(enumerate(order)) if distinct else None,
            )
        # Each pool member's eligibility settings, by rep id.
        self._infos: dict[str, RepInfo] = {
            rep: info
            for order, *_, infos, _ in self._pools.values()
            for rep, info in zip(order, infos, strict=True)
        }
        self._open_at: tuple[datetime | None, dict[str, bool]] = (None, {})
        self._territories = compile_territories(config.territories)
        self._scoring = compile_scoring(config.scoring.rules, config.scoring.tiers)

    # -- enrichment -------------------------------------------------------------
    def enrich(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Add the derived fields rules read: territory, score, tier."""
        out = dict(fields)
        out["territory"] = self._territories.match(out)
        score, tier, reasons = self._scoring.scored(out)
        out["score"] = score
        if tier is not None:
            out["tier"] = tier
        out["score_reasons"] = [[reason, points] for reason, points in reasons]
        return out

    def sla_policy(self, fields: Mapping[str, Any]) -> SlaPolicy | None:
        for policy, condition in self._sla:
            if condition.evaluate(fields):
                return policy
        return None

    # -- routing ----------------------------------------------------------------
    def route(self, fields: Mapping[str, Any], roster: Roster, now: datetime) -> Decision:
        """First matching rule with an eligible target wins.

        Only the rules the index cannot rule out are evaluated, in config order; the
        trace lists each of them with its checks, and one ``index`` entry (first) counts
        the rules before the decision that were skipped because they cannot match.
        """
        if self._date_zone is not None:
            fields = {**fields, ROUTING_TIME: routing_time(now, self._date_zone)}
        summary: dict[str, Any] = {"step": "index"}
        trace: Trace = [summary]
        evaluated = 0
        rules = self._rules
        # Business hours open at `now`, filled as needed; kept for the next call at the same
        # instant (storage routes a lead twice at one `now`).
        at, hours = self._open_at
        if at != now:
            hours = {}
            self._open_at = (now, hours)
        mask = self._lookup(fields)
        while mask:  # the candidates' positions, lowest first (rule_index.positions inlined)
            low = mask & -mask
            mask ^= low
            position = low.bit_length() - 1
            rule, run = rules[position]
            # Each leaf is evaluated once, for the trace and for the decision.
            matched, entry = run(fields)
            evaluated += 1
            if entry:  # {} without rule traces
                trace.append(entry)
            if not matched:
                continue
            for target in rule.assign:
                decision = self._try_target(rule, target, fields, roster, now, trace, hours)
                if decision is not None:
                    return self._summarise(decision, summary, position + 1, evaluated)
            trace.append({"step": "fallthrough", "rule": rule.name, "why": "no eligible target"})
        return self._summarise(
            make_decision(
                outcome="unrouted",
                reason="no rule matched with an eligible target",
                config_version=self.version,
                trace=trace,
            ),
            summary,
            len(rules),
            evaluated,
        )

    def warm(self, now: datetime) -> None:
        """Loads what routing at ``now`` would load on its first lead (business hours and
        their holiday calendars), for a caller with time to spare before it."""
        for name in self.config.business_hours:
            self._eligibility.is_open(name, now)

    # -- routing in two halves ---------------------------------------------------
    # What route() reads of the lead (which rules match) depends on the lead and the time
    # alone, not on the roster: ``simulate`` works it out ahead, in another process, and
    # routes with route_matching() in file order.
    def matching(self, fields: Mapping[str, Any], now: datetime) -> tuple[int, ...]:
        """Positions (in ``config.rules``) of every rule whose condition ``fields`` meet at
        ``now``, in config order."""
        if self._date_zone is not None:
            fields = {**fields, ROUTING_TIME: routing_time(now, self._date_zone)}
        evaluate = self._evaluate
        found: list[int] = []
        mask = self._lookup(fields)
        while mask:
            low = mask & -mask
            mask ^= low
            position = low.bit_length() - 1
            if evaluate[position](fields):
                found.append(position)
        return tuple(found)

    def route_matching(
        self,
        matching: Iterable[int],
        owners: Mapping[str, Any],
        roster: Roster,
        now: datetime,
    ) -> Decision:
        """The decision :meth:`route` makes for a lead whose :meth:`matching` is given;
        ``owners``: its ``account.owner`` and ``duplicate.owner`` (all owner targets read).
        The trace has the targets tried and fallthroughs, not each rule's checks nor the
        index entry."""
        trace: Trace = []
        at, hours = self._open_at
        if at != now:
            hours = {}
            self._open_at = (now, hours)
        rules = self._rules
        for position in matching:
            rule = rules[position][0]
            for target in rule.assign:
                decision = self._try_target(rule, target, owners, roster, now, trace, hours)
                if decision is not None:
                    return decision
            trace.append({"step": "fallthrough", "rule": rule.name, "why": "no eligible target"})
        return make_decision(
            outcome="unrouted",
            reason="no rule matched with an eligible target",
            config_version=self.version,
            trace=trace,
        )

    def _summarise(
        self, decision: Decision, summary: dict[str, Any], considered: int, evaluated: int
    ) -> Decision:
        """Fill in the ``index`` entry; drop it when the index skipped nothing."""
        skipped = considered - evaluated
        if skipped:
            summary["skipped"] = skipped
            summary["evaluated"] = evaluated
            summary["why"] = self._skip_why
        else:
            del decision.trace[0]
        return decision

    def _try_target(
        self,
        rule: Rule,
        target: Target,
        fields: Mapping[str, Any],
        roster: Roster,
        now: datetime,
        trace: Trace,
        hours: dict[str, bool],
    ) -> Decision | None:
        kind = target.kind
        if kind == "queue":
            assert target.id is not None
            trace.append({"step": "target", "rule": rule.name, "target": f"queue {target.id}"})
            return make_decision(
                outcome="queue",
                rule=rule.name,
                target="queue",
                queue=target.id,
                reason=f"{rule.name}: open claim in queue {target.id}",
                config_version=self.version,
                trace=trace,
            )
        if kind == "pool":
            return self._try_pool(rule, target, roster, now, trace, hours)
        if kind == "keep_owner":
            trace.append({"step": "target", "rule": rule.name, "target": "keep_owner"})
            return make_decision(
                outcome="kept",
                rule=rule.name,
                target="keep_owner",
                reason=f"{rule.name}: routing stops, the lead keeps its current owner",
                config_version=self.version,
                trace=trace,
            )
        # rep, account_owner, existing_owner: one named rep, hours left to the SLA clock.
        rep_id = target.id if kind == "rep" else _owner(fields, kind)
        label = f"rep {rep_id}" if kind == "rep" else kind
        if rep_id is None:
            trace.append({"step": "target", "rule": rule.name, "target": label, "why": "no owner"})
            return None
        why = self._eligibility.reasons((rep_id,), roster, now, False)[0]
        trace.append(
            {
                "step": "target",
                "rule": rule.name,
                "target": label,
                "candidates": [{"rep": rep_id, "eligible": why is None, "why": why}],
            }
        )
        if why is not None:
            return None
        return make_decision(
            outcome="rep",
            rule=rule.name,
            target=kind,
            assignee=rep_id,
            reason=f"{rule.name}: {label.replace('_', ' ')} {rep_id}"
            if kind != "rep"
            else f"{rule.name}: direct to {rep_id}",
            config_version=self.version,
            trace=trace,
        )

    def _try_pool(
        self,
        rule: Rule,
        target: Target,
        roster: Roster,
        now: datetime,
        trace: Trace,
        hours: dict[str, bool],
    ) -> Decision | None:
        """Round robin and least loaded walk the members in order of preference and stop at
        the first eligible one: the trace lists the members tried, each with its ``why``,
        and names the rest under ``not_considered``. Weighted needs every member's
        eligibility (its credits move for all eligible members) and lists them all."""
        pool_id = target.id
        assert pool_id is not None
        order, positions, members, strategy, respect_hours, weighted, infos, indexed = self._pools[
            pool_id
        ]
        state = roster.pools.get(pool_id, _NO_STATE)
        entry: dict[str, Any] = {
            "step": "target",
            "rule": rule.name,
            "target": f"pool {pool_id}",
            "strategy": strategy,
        }
        trace.append(entry)
        skills = tuple(target.require_skills)
        eligibility = self._eligibility
        pick_state: dict[str, Any] | None = None
        if strategy == "weighted":
            if weighted is not None:
                entry["candidates"], pick_rep, pick_state, pick_why = weighted(
                    roster.reps, now, hours, skills, roster.excluded, state.get("credit") or {}
                )
            else:
                reasons = eligibility.reasons_of(
                    order, infos, roster, now, respect_hours, skills, hours, False
                )
                entry["candidates"] = [
                    {"rep": rep, "eligible": why is None, "why": why}
                    for rep, why in zip(order, reasons, strict=True)
                ]
                pick = pick_weighted(
                    members,
                    [rep for rep, why in zip(order, reasons, strict=True) if why is None],
                    state,
                    roster,
                )
                pick_rep, pick_state, pick_why = pick.rep, pick.state, pick.why
        else:
            tried: Sequence[str]
            candidates: list[dict[str, Any]] = []
            if strategy == "round_robin":
                tried, why_rr, start = rotation(order, state, positions)
                tried_infos: Iterable[RepInfo] = infos[start:] + infos[:start] if start else infos
            else:
                tried = (
                    preference(order, roster)
                    if indexed is None
                    else distinct_preference(indexed, roster.reps)
                )
                tried_infos = map(self._infos.__getitem__, tried)
            reasons = eligibility.reasons_of(
                tried, tried_infos, roster, now, respect_hours, skills, hours, True, candidates
            )
            entry["candidates"] = candidates
            if reasons and reasons[-1] is None:
                tried_n = len(reasons)
                pick_rep = tried[tried_n - 1]
                if strategy == "round_robin":
                    pick_state = {"last": pick_rep}
                    pick_why = why_rr
                    rest_why = _NOT_CONSIDERED_RR
                else:
                    pick_why = least_loaded_why(pick_rep, roster)
                    rest_why = _NOT_CONSIDERED_LL
                if tried_n < len(tried):
                    entry["not_considered"] = {"reps": list(tried[tried_n:]), "why": rest_why}
            else:
                pick_rep, pick_why = None, NOBODY.why
        entry["pick"] = pick_rep
        entry["why"] = pick_why
        if pick_rep is None:
            return None
        return make_decision(
            outcome="rep",
            rule=rule.name,
            target="pool",
            assignee=pick_rep,
            pool=pool_id,
            strategy=strategy,
            reason=f"{rule.name}: pool {pool_id}, {pick_why}",
            config_version=self.version,
            trace=trace,
            pool_state=pick_state,
        )


_NO_STATE: Mapping[str, Any] = {}
_NOT_CONSIDERED_RR = "after the pick in rotation order: not checked"
_NOT_CONSIDERED_LL = (
    "more pending offers than the pick, or as many and offered more recently: not checked"
)


def _untraced(condition: Condition) -> Traced:
    """``run(fields) -> (matched, {})``: the condition alone, no trace entry."""
    evaluate = condition.evaluate
    no_entry: dict[str, Any] = {}

    def run(fields: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        return evaluate(fields), no_entry

    return run


#: The lead fields owner targets read (``account_owner``, ``existing_owner``).
OWNER_FIELDS = ("account.owner", "duplicate.owner")


def _owner(fields: Mapping[str, Any], kind: str) -> str | None:
    key = OWNER_FIELDS[0] if kind == "account_owner" else OWNER_FIELDS[1]
    value = fields.get(key)
    return str(value) if value else None
