"""Assignment rule entries -> ``routing.yml`` rules.

Entries are translated in order. Criteria items become conditions (:mod:`.criteria`) wrapped
in one ``as_written:`` block (Salesforce's meaning) unless ``normalise`` is asked for;
``booleanFilter`` becomes all/any/not (:mod:`.filter_logic`); a formula goes through
:mod:`.formula`. An entry without an assignee stops routing and keeps the current owner:
``assign: keep_owner``. Entries after a catch-all are unreachable and kept as comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.salesforce_rules.assignees import Assignees
from routing.salesforce_rules.criteria import literal_condition, normalised_condition
from routing.salesforce_rules.fields import FieldRef, Untranslatable
from routing.salesforce_rules.filter_logic import FilterError, FilterNode, parse_boolean_filter
from routing.salesforce_rules.formula import FormulaError, translate_formula
from routing.salesforce_rules.meaning import meaning_changes
from routing.salesforce_rules.metadata import (
    CriteriaItem,
    MetadataError,
    QueueInfo,
    RuleEntry,
    parse_assignment_rules,
)
from routing.salesforce_rules.render import render_yaml
from routing.salesforce_rules.result import ImportResult, TranslatedEntry

__all__ = ["ImportResult", "TranslatedEntry", "import_rules", "translate_item"]

AS_WRITTEN = "as_written"


def translate_item(
    item: CriteriaItem, normalise: bool = False, field_map: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """One criteria item -> (condition, lead key); raises :class:`Untranslatable`.

    The condition of the default translation belongs in an ``as_written:`` block."""
    translate = normalised_condition if normalise else literal_condition
    node, ref = translate(item, field_map)
    return node, ref.key


def _combine_all(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """AND of conditions: one mapping when their keys do not collide, else ``all``."""
    if len(nodes) == 1:
        return nodes[0]
    merged: dict[str, Any] = {}
    for node in nodes:
        if any(k in merged for k in node):
            return {"all": nodes}
        merged.update(node)
    return merged


def _build(tree: FilterNode, items: list[dict[str, Any]]) -> dict[str, Any]:
    kind = tree[0]
    if kind == "item":
        return items[int(tree[1]) - 1]
    if kind == "not":
        return {"not": _build(tree[1], items)}
    children = [_build(child, items) for child in tree[1]]
    if kind == "and":
        return _combine_all(children)
    return {"any": children}


def _rule_name(entry: RuleEntry) -> str:
    return f"{entry.index}: {entry.assigned_to or 'keep owner'}"


class _Context:
    def __init__(
        self, assignees: Assignees, normalise: bool, field_map: Mapping[str, str] | None
    ) -> None:
        self.assignees = assignees
        self.normalise = normalise
        self.field_map = field_map
        self.queries: dict[str, str] = {}  # salesforce.fields the rules need
        # Fields the rule uses with includes/excludes: multi-select picklists.
        self.multi_select: frozenset[str] = frozenset()

    def need(self, ref: FieldRef) -> None:
        if ref.query is not None:
            self.queries[ref.query] = ref.key


def _when(entry: RuleEntry, out: TranslatedEntry, ctx: _Context) -> dict[str, Any] | bool:
    """The entry's condition, or True (matches every lead) / False (never matches)."""
    if entry.formula and entry.items:
        raise Untranslatable("the entry has both criteria items and a formula")
    if entry.formula:
        cond, refs = translate_formula(entry.formula, ctx.field_map)
        for ref in refs:
            ctx.need(ref)
        if isinstance(cond, bool):
            return cond
        return {AS_WRITTEN: cond}
    conditions: list[dict[str, Any]] = []
    translate = normalised_condition if ctx.normalise else literal_condition
    for n, item in enumerate(entry.items, start=1):
        try:
            node, ref = translate(item, ctx.field_map, ctx.multi_select)
        except Untranslatable as exc:
            raise Untranslatable(f"criteria item {n}: {exc}") from None
        ctx.need(ref)
        conditions.append(node)
        if ctx.normalise:
            out.changes.extend(meaning_changes(item, ref))
    if not conditions:
        return True
    if entry.boolean_filter:
        tree, notes = parse_boolean_filter(entry.boolean_filter, len(conditions))
        out.warnings.extend(notes)
        when = _build(tree, conditions)
    else:
        when = _combine_all(conditions)
    return when if ctx.normalise else {AS_WRITTEN: when}


def _translate_entry(entry: RuleEntry, ctx: _Context, after_catch_all: str) -> TranslatedEntry:
    out = TranslatedEntry(entry=entry, rule_name=_rule_name(entry), rule=None)
    if entry.template:
        out.comments.append(
            f"email template {entry.template} not imported (the bot notifies in Slack)"
        )
    try:
        if after_catch_all:
            raise Untranslatable(f"unreachable: entry {after_catch_all} matches every lead")
        when = _when(entry, out, ctx)
        if when is False:
            out.never = True
            out.comments.append("the formula is always FALSE: the entry never matches")
            return out
        target: Any
        if not entry.assigned_to:
            # Salesforce stops here and leaves the owner as it is.
            target = "keep_owner"
        elif (entry.assigned_to_type or "User") == "Queue":
            target = {"queue": ctx.assignees.queue(entry.assigned_to)}
        else:
            target = {"rep": ctx.assignees.rep(entry.assigned_to)}
        rule: dict[str, Any] = {"name": out.rule_name}
        if when is not True:
            rule["when"] = when
        rule["assign"] = target
        out.rule = rule
    except (Untranslatable, FilterError, FormulaError) as exc:
        out.warnings.append(str(exc))
        out.changes.clear()
    return out


def import_rules(
    xml_text: str,
    rule_name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    queues: Mapping[str, QueueInfo] | None = None,
    source: str = "",
    *,
    normalise: bool = False,
    field_map: Mapping[str, str] | None = None,
) -> ImportResult:
    """Translate one assignment rule of ``xml_text`` (the active one by default).

    ``mapping``: Salesforce username / queue developer name -> rep / queue id (default: a
    slug of the name). ``queues``: queue metadata by developer name, for queue members.
    ``normalise``: write the rule language's normalised matchers instead of ``as_written``
    (the result's ``changes`` say where that changes the meaning). ``field_map``: Salesforce
    field or relationship path -> lead key, for cross-object fields.
    Raises ValueError (:class:`MetadataError`) when the document cannot be read or has no
    such rule.
    """
    rules = parse_assignment_rules(xml_text)
    if not rules:
        raise MetadataError("the document has no assignmentRule")
    if rule_name is not None:
        chosen = [
            r for r in rules if r.name == rule_name or r.name.casefold() == rule_name.casefold()
        ]
        if not chosen:
            names = ", ".join(repr(r.name) for r in rules)
            raise MetadataError(f"no rule named {rule_name!r} (rules: {names})")
        rule = chosen[0]
    else:
        active = [r for r in rules if r.active]
        rule = active[0] if active else rules[0]
    warnings: list[str] = []
    if rule_name is None and not any(r.active for r in rules):
        warnings.append(f"no rule is active; translated the first one, {rule.name!r}")
    assignees = Assignees(mapping or {}, queues)
    ctx = _Context(assignees, normalise, field_map)
    ctx.multi_select = frozenset(
        item.field
        for entry in rule.entries
        for item in entry.items
        if item.operation in ("includes", "excludes")
    )
    entries: list[TranslatedEntry] = []
    catch_all = ""
    for entry in rule.entries:
        translated = _translate_entry(entry, ctx, catch_all)
        entries.append(translated)
        if translated.rule is not None and "when" not in translated.rule:
            catch_all = catch_all or str(entry.index)
        for warning in translated.warnings:
            warnings.append(f"{entry.position}: {warning}")
    warnings.extend(assignees.warnings)
    result = ImportResult(
        rule=rule,
        entries=entries,
        reps=assignees.reps,
        queues=assignees.queues,
        salesforce_fields=ctx.queries,
        warnings=warnings,
        normalise=normalise,
    )
    result.yaml = render_yaml(result, source)
    return result
