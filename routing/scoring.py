"""Lead scoring: every matching rule adds its points; the tier is the one with the highest
threshold not above the score (None when the score is below every threshold)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from routing.conditions import Condition, ConditionError, compile_condition
from routing.conditions.matchers import CODE_FIELDS

Fields = Mapping[str, Any]

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
    """Scoring rules compiled once. A rule whose condition reads one field (no date
    matcher, no country/state code) remembers its answer per text, bool or missing value
    of that field (titles, lead sources and the like repeat from lead to lead), and the
    total, tier and sorted reasons are worked out once per set of matching rules."""

    __slots__ = ("_by_matched", "_rules", "_tests", "_tiers")

    def __init__(
        self, rules: Iterable[tuple[Condition, int, str]], tiers: Mapping[str, int]
    ) -> None:
        self._rules = tuple(rules)
        # Highest threshold first; equal thresholds keep config order.
        self._tiers = tuple(sorted(tiers.items(), key=lambda kv: -kv[1]))
        # Per rule: (field read, memo of value -> matched) or (None, None) when the
        # condition reads more than one field, a code field or the routing time.
        tests: list[tuple[str | None, dict[Any, bool] | None, Callable[[Fields], bool]]] = []
        for condition, _, _ in self._rules:
            reads = set(condition.fields)
            reads.update(CODE_FIELDS[f] for f in condition.fields if f in CODE_FIELDS)
            if len(reads) == 1 and not condition.reads_dates:
                tests.append((next(iter(reads)), {}, condition.evaluate))
            else:
                tests.append((None, None, condition.evaluate))
        self._tests = tuple(tests)
        # Bit mask of the matching rules -> (total, tier, reasons highest points first).
        self._by_matched: dict[int, tuple[int, str | None, tuple[tuple[str, int], ...]]] = {}

    def tier_for(self, score: int) -> str | None:
        for name, threshold in self._tiers:
            if score >= threshold:
                return name
        return None

    def score(self, fields: Mapping[str, Any]) -> ScoreResult:
        total, tier, reasons = self.scored(fields)
        return ScoreResult(total, tier, list(reasons))

    def scored(
        self, fields: Mapping[str, Any]
    ) -> tuple[int, str | None, tuple[tuple[str, int], ...]]:
        """``score(fields)`` as (score, tier, reasons) with the reasons a shared tuple."""
        matched = 0
        bit = 1
        get = fields.get
        for field_name, memo, evaluate in self._tests:
            if memo is not None:
                value = get(field_name)  # type: ignore[arg-type]
                if value is None or value.__class__ is str or value.__class__ is bool:
                    hit = memo.get(value)
                    if hit is None:
                        if len(memo) >= _MEMO_MAX:
                            memo.clear()
                        hit = memo[value] = evaluate(fields)
                    if hit:
                        matched |= bit
                    bit <<= 1
                    continue
            if evaluate(fields):
                matched |= bit
            bit <<= 1
        found = self._by_matched.get(matched)
        if found is None:
            if len(self._by_matched) >= _MEMO_MAX:
                self._by_matched.clear()
            found = self._by_matched[matched] = self._total(matched)
        return found

    def _total(self, matched: int) -> tuple[int, str | None, tuple[tuple[str, int], ...]]:
        total = 0
        reasons: list[tuple[str, int]] = []
        for i, (_, points, reason) in enumerate(self._rules):
            if matched >> i & 1:
                total += points
                reasons.append((reason, points))
        reasons.sort(key=lambda r: -r[1])
        return total, self.tier_for(total), tuple(reasons)

    def score_reference(self, fields: Mapping[str, Any]) -> ScoreResult:
        """Every condition evaluated in full, nothing remembered: what :meth:`score` must
        give (tests compare the two)."""
        total = 0
        reasons: list[tuple[str, int]] = []
        for condition, points, reason in self._rules:
            if condition.evaluate(fields):
                total += points
                reasons.append((reason, points))
        reasons.sort(key=lambda r: -r[1])
        return ScoreResult(total, self.tier_for(total), reasons)


_MEMO_MAX = 4096


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
