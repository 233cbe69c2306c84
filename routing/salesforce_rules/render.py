"""The import as ``routing.yml`` text: stub roster, the fields ingest must copy, the rules,
and every untranslated entry as a comment with the reason."""

from __future__ import annotations

from typing import Any

import yaml

from routing.salesforce_rules.metadata import CriteriaItem
from routing.salesforce_rules.result import ImportResult

__all__ = ["render_yaml"]


def _describe_item(n: int, item: CriteriaItem) -> str:
    value = "<blank>" if item.value is None else repr(item.value)
    return f"{n}. {item.field} {item.operation} {value}"


def _dump(data: Any) -> str:
    return yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line if line else line for line in text.rstrip("\n").splitlines()]


def _comment(text: str, prefix: str = "  # ") -> list[str]:
    return [prefix + line for line in text.splitlines()]


def render_yaml(result: ImportResult, source: str = "") -> str:
    rule = result.rule
    lines = [
        "# Imported by `leadrouter import-salesforce-rules`"
        + (f" from {source}" if source else "")
        + f": Salesforce lead assignment rule {rule.name!r}"
        + (" (active)." if rule.active else " (inactive)."),
        f"# {len(result.entries)} entries: {result.translated} translated, "
        f"{result.skipped} kept as comments.",
        (
            "# --normalise: countries, states and postal codes compare normalised; see the "
            "notes (!~) for what changes."
            if result.normalise
            else "# Conditions under as_written: compare fields as Salesforce does (text as "
            "written, no normalisation)."
        ),
        "# Stub reps and queues below stand for the Salesforce assignees: merge them into your",
        "# roster (ids, names, channels, members) before use.",
    ]
    lines.append("reps:" if result.reps else "reps: []")
    if result.reps:
        for stub in result.reps.values():
            lines.extend(_indent(_dump([stub]), "  "))
    if result.queues:
        lines.append("queues:")
        for queue_id, stub in result.queues.items():
            lines.extend(_indent(_dump({queue_id: stub}), "  "))
    if result.salesforce_fields:
        lines.append(
            "# Lead fields and relationship paths the rules read that ingest does not copy by "
            "default:"
        )
        lines.extend(_dump({"salesforce": {"fields": result.salesforce_fields}}).splitlines())
    lines.append("rules:")
    if not any(e.rule is not None for e in result.entries):
        lines[-1] = "rules: []"
    for translated in result.entries:
        entry = translated.entry
        header = f"Salesforce entry {entry.index}"
        if entry.assigned_to:
            header += f" -> {entry.assigned_to_type or 'User'} {entry.assigned_to}"
        if translated.never:
            lines.append(f"  # {header}: left out")
            for note in translated.comments:
                lines.append(f"  #   {note}")
            continue
        if translated.rule is None:
            lines.append(f"  # {header}: NOT TRANSLATED")
            for warning in translated.warnings:
                lines.extend(_comment(warning, "  #   ! "))
            if entry.boolean_filter:
                lines.append(f"  #   filter logic: {entry.boolean_filter}")
            if entry.formula:
                lines.extend(_comment(entry.formula.strip(), "  #   formula: "))
            for n, item in enumerate(entry.items, start=1):
                lines.append("  #   " + _describe_item(n, item))
            for note in translated.comments:
                lines.append(f"  #   {note}")
            continue
        lines.append(f"  # {header}")
        if entry.boolean_filter:
            lines.append(f"  #   filter logic: {entry.boolean_filter}")
        for warning in translated.warnings:
            lines.extend(_comment(warning, "  #   ! "))
        for note in translated.comments:
            lines.append(f"  #   {note}")
        for change in translated.changes:
            lines.extend(_comment(change, "  #   !~ "))
        if entry.formula:
            lines.extend(_comment(entry.formula.strip(), "  #   formula: "))
        lines.extend(_indent(_dump([translated.rule]), "  "))
    return "\n".join(lines) + "\n"
