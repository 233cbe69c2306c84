"""The routing engine: first matching rule wins, targets tried in order.

``Router(config)`` compiles the config once; ``route(fields, roster, now)`` is pure
and fast: it reads the lead's fields, the roster state and the given time, and
returns a ``Decision`` with a full trace. Nothing here touches I/O or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from routing.conditions import Condition, compile_condition
from routing.config.models import RoutingConfig, Rule, SlaPolicy, Target
from routing.decision import Decision
from routing.eligibility import ineligible_reason
from routing.roster import Roster
from routing.scoring import compile_scoring
from routing.strategies import STRATEGIES
from routing.territories import compile_territories

Trace = list[dict[str, Any]]


class Router:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.version = config.version
        self._rules: list[tuple[Rule, Condition]] = [
            (rule, compile_condition(rule.when)) for rule in config.rules
        ]
        self._sla: list[tuple[SlaPolicy, Condition]] = [
            (policy, compile_condition(policy.when)) for policy in config.sla
        ]
        self._territories = compile_territories(config.territories)
        self._scoring = compile_scoring(config.scoring.rules, config.scoring.tiers)

    # -- enrichment -------------------------------------------------------------
    def enrich(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Add the derived fields rules read: territory, score, tier."""
        out = dict(fields)
        out["territory"] = self._territories.match(out)
        scored = self._scoring.score(out)
        out["score"] = scored.score
        if scored.tier is not None:
            out["tier"] = scored.tier
        out["score_reasons"] = [[reason, points] for reason, points in scored.reasons]
        return out

    def sla_policy(self, fields: Mapping[str, Any]) -> SlaPolicy | None:
        for policy, condition in self._sla:
            if condition.evaluate(fields):
                return policy
        return None

    # -- routing ----------------------------------------------------------------
    def route(self, fields: Mapping[str, Any], roster: Roster, now: datetime) -> Decision:
        trace: Trace = []
        for rule, condition in self._rules:
            matched = condition.evaluate(fields)
            trace.append(
                {
                    "step": "rule",
                    "rule": rule.name,
                    "matched": matched,
                    "checks": [_check(c) for c in condition.explain(fields)],
                }
            )
            if not matched:
                continue
            for target in rule.assign:
                decision = self._try_target(rule, target, fields, roster, now, trace)
                if decision is not None:
                    return decision
            trace.append({"step": "fallthrough", "rule": rule.name, "why": "no eligible target"})
        return Decision(
            outcome="unrouted",
            reason="no rule matched with an eligible target",
            config_version=self.version,
            trace=trace,
        )

    def _try_target(
        self,
        rule: Rule,
        target: Target,
        fields: Mapping[str, Any],
        roster: Roster,
        now: datetime,
        trace: Trace,
    ) -> Decision | None:
        kind = target.kind
        if kind == "queue":
            assert target.id is not None
            trace.append({"step": "target", "rule": rule.name, "target": f"queue {target.id}"})
            return Decision(
                outcome="queue",
                rule=rule.name,
                target="queue",
                queue=target.id,
                reason=f"{rule.name}: open claim in queue {target.id}",
                config_version=self.version,
                trace=trace,
            )
        if kind == "pool":
            return self._try_pool(rule, target, roster, now, trace)
        # rep, account_owner, existing_owner: one named rep, hours left to the SLA clock.
        rep_id = target.id if kind == "rep" else _owner(fields, kind)
        label = f"rep {rep_id}" if kind == "rep" else kind
        if rep_id is None:
            trace.append({"step": "target", "rule": rule.name, "target": label, "why": "no owner"})
            return None
        why = ineligible_reason(
            rep_id, config=self.config, roster=roster, now=now, respect_hours=False
        )
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
        return Decision(
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
        self, rule: Rule, target: Target, roster: Roster, now: datetime, trace: Trace
    ) -> Decision | None:
        assert target.id is not None
        pool = self.config.pools[target.id]
        candidates = []
        eligible = []
        for member in pool.members:
            why = ineligible_reason(
                member.rep,
                config=self.config,
                roster=roster,
                now=now,
                respect_hours=pool.respect_hours,
                require_skills=target.require_skills,
            )
            candidates.append({"rep": member.rep, "eligible": why is None, "why": why})
            if why is None:
                eligible.append(member.rep)
        pick = STRATEGIES[pool.strategy](
            pool.members, eligible, roster.pools.get(target.id, {}), roster
        )
        trace.append(
            {
                "step": "target",
                "rule": rule.name,
                "target": f"pool {target.id}",
                "strategy": pool.strategy,
                "candidates": candidates,
                "pick": pick.rep,
                "why": pick.why,
            }
        )
        if pick.rep is None:
            return None
        return Decision(
            outcome="rep",
            rule=rule.name,
            target="pool",
            assignee=pick.rep,
            pool=target.id,
            strategy=pool.strategy,
            reason=f"{rule.name}: pool {target.id}, {pick.why}",
            config_version=self.version,
            trace=trace,
            pool_state=pick.state,
        )


def _owner(fields: Mapping[str, Any], kind: str) -> str | None:
    key = "account.owner" if kind == "account_owner" else "duplicate.owner"
    value = fields.get(key)
    return str(value) if value else None


def _check(check: Any) -> dict[str, Any]:
    return {
        "field": check.field,
        "matcher": check.matcher,
        "expected": check.expected,
        "actual": check.actual,
        "passed": check.passed,
    }
