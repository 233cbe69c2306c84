"""Lead scoring: every matching rule adds its points; the tier is the one with the highest
threshold not above the score (None when the score is below every threshold)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from routing.conditions import Condition, ConditionError, compile_condition

__all__ = ["CompiledScoring", "ScoreResult", "ScoringRuleLike", "compile_scoring", "score_lead"]


class ScoringRuleLike(Protocol):
    @property
    def when(self) -> Mapping[str, Any] | None: ...

    @property
    def points(self) -> int: ...

    @property
    def reason(self) -> str: ...


class ScoringLike(Protocol):
    @property
    def rules(self) -> Iterable[ScoringRuleLike]: ...

    @property
    def tiers(self) -> Mapping[str, int]: ...


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: int
    tier: str | None
    #: (reason, points) of each matching rule, highest points first (config order on ties).
    reasons: list[tuple[str, int]] = field(default_factory=list)


class CompiledScoring:
    __slots__ = ("_rules", "_tiers")

    def __init__(
        self, rules: Iterable[tuple[Condition, int, str]], tiers: Mapping[str, int]
    ) -> None:
        self._rules = tuple(rules)
        # Highest threshold first; equal thresholds keep config order.
        self._tiers = tuple(sorted(tiers.items(), key=lambda kv: -kv[1]))

    def tier_for(self, score: int) -> str | None:
        for name, threshold in self._tiers:
            if score >= threshold:
                return name
        return None

    def score(self, fields: Mapping[str, Any]) -> ScoreResult:
        total = 0
        reasons: list[tuple[str, int]] = []
        for condition, points, reason in self._rules:
            if condition.evaluate(fields):
                total += points
                reasons.append((reason, points))
        reasons.sort(key=lambda r: -r[1])
        return ScoreResult(total, self.tier_for(total), reasons)


def compile_scoring(rules: Iterable[ScoringRuleLike], tiers: Mapping[str, int]) -> CompiledScoring:
    """Compile rule conditions once. A bad ``when`` raises :class:`ConditionError` whose path
    starts with ``("rules", index, "when")``."""
    compiled: list[tuple[Condition, int, str]] = []
    for i, rule in enumerate(rules):
        try:
            condition = compile_condition(rule.when)
        except ConditionError as exc:
            raise ConditionError(("rules", i, "when", *exc.path), exc.message) from None
        compiled.append((condition, int(rule.points), rule.reason))
    return CompiledScoring(compiled, tiers)


def score_lead(fields: Mapping[str, Any], scoring: ScoringLike) -> ScoreResult:
    """Convenience form (compiles every call; prefer :func:`compile_scoring` on hot paths)."""
    return compile_scoring(scoring.rules, scoring.tiers).score(fields)
