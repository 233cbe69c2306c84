"""What an import produced: each entry's translation, the stub roster, the warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routing.salesforce_rules.metadata import AssignmentRule, RuleEntry

__all__ = ["ImportResult", "TranslatedEntry"]


@dataclass
class TranslatedEntry:
    entry: RuleEntry
    rule_name: str
    rule: dict[str, Any] | None  # None: not translated (kept as a comment)
    warnings: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    # A formula that is constantly FALSE: translated (it can never match), so left out.
    never: bool = False
    # Under --normalise: where the normalised form changes the entry's meaning.
    changes: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return self.rule is not None or self.never


@dataclass
class ImportResult:
    rule: AssignmentRule
    entries: list[TranslatedEntry]
    reps: dict[str, dict[str, Any]]  # rep id -> stub
    queues: dict[str, dict[str, Any]]  # queue id -> stub
    salesforce_fields: dict[str, str]  # columns / relationship paths ingest must copy
    warnings: list[str]
    normalise: bool = False
    yaml: str = ""

    @property
    def translated(self) -> int:
        return sum(1 for e in self.entries if e.translated)

    @property
    def skipped(self) -> int:
        return len(self.entries) - self.translated

    @property
    def changes(self) -> list[str]:
        """Every meaning change ``--normalise`` made, prefixed with its entry."""
        return [f"{e.entry.position}: {c}" for e in self.entries for c in e.changes]

    def entry_for_rule(self, rule_name: str) -> RuleEntry | None:
        for e in self.entries:
            if e.rule_name == rule_name and e.rule is not None:
                return e.entry
        return None
