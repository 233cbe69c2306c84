"""Translate Salesforce lead assignment rules (Metadata API XML) into ``rules:`` YAML.

Pure: text in, text out. ``import_rules(xml_text)`` parses an ``AssignmentRules`` document,
picks a rule (the active one unless ``rule_name`` is given) and translates its entries in
order into ``routing.yml`` rules, with stub ``reps:`` and ``queues:`` sections for the
assignees so that the output validates on its own.

Salesforce semantics kept (Metadata API ``RuleEntry`` / ``FilterItem``, filter operators):

* Criteria items are ANDed unless ``booleanFilter`` gives the logic (``(1 AND 2) OR 3``,
  any case, ``NOT``); the filter is parsed (AND binds tighter than OR) into all/any/not.
* ``equals`` with a comma list means "any of" (``in``); ``notEqual`` with a list means "none
  of" and, like Salesforce, holds for a blank field, so it becomes ``not: {f: {in: [...]}}``
  (``not_in`` would fail a blank field). ``contains`` / ``startsWith`` with a list: any of;
  ``notContain``: none of (holds for a blank field).
* An item without a value tests for blank: ``equals`` -> ``exists: false``, ``notEqual`` ->
  ``exists: true``.
* ``lessThan`` / ``greaterThan`` / ``lessOrEqual`` / ``greaterOrEqual`` -> lt/gt/lte/gte with a
  number (``"USD 10,000"`` -> 10000); number fields (employees, annual_revenue) get numbers.
* Checkbox values (``True`` / ``False``): a blank checkbox is false, so ``equals False``
  becomes ``not: {f: true}``.
* ``includes`` / ``excludes`` (multi-select picklists, values ``A;B``): a regex on the
  ``;``-separated selection (``A,B`` = any of, ``A;B`` = both selected).
* Entries without criteria are catch-alls (no ``when``).

Not translatable (kept as YAML comments and returned as warnings): formulas, cross-object
fields (``Campaign.Name``, ``Owner.*``), lookups compared by name (``CreatedById``,
``RecordTypeId``...), date fields with relative literals (``TODAY``), ``within``, entries
without an assignee (Salesforce then keeps the current owner; the bot has no such target),
entries after a catch-all. Email templates are listed as comments: the bot notifies in Slack.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from routing.normalize import SALESFORCE_LEAD_FIELDS

__all__ = [
    "AssignmentRule",
    "CriteriaItem",
    "FilterError",
    "FilterNode",
    "ImportResult",
    "QueueInfo",
    "RuleEntry",
    "TranslatedEntry",
    "Untranslatable",
    "import_rules",
    "parse_assignment_rules",
    "parse_boolean_filter",
    "parse_queue",
    "slugify",
    "translate_item",
]

_NS = "{http://soap.sforce.com/2006/04/metadata}"

# Standard Lead columns whose lead key differs from what salesforce_to_raw gives, for rules:
# country/state conditions compare normalised codes, so the code columns map to them.
_FIELD_KEYS: dict[str, str] = {
    **{k: v for k, v in SALESFORCE_LEAD_FIELDS.items() if k not in ("Id", "OwnerId")},
    "CountryCode": "country",
    "StateCode": "state",
}
_NUMBER_KEYS = frozenset({"employees", "annual_revenue"})
# Lookups Salesforce rules compare by the related record's name: a cross-object read.
_LOOKUPS = frozenset(
    {
        "OwnerId",
        "CreatedById",
        "LastModifiedById",
        "RecordTypeId",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        "MasterRecordId",
        "IndividualId",
    }
)
_DATE_FIELDS = frozenset(
    {
        "CreatedDate",
        "LastModifiedDate",
        "SystemModstamp",
        "ConvertedDate",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
        "EmailBouncedDate",
    }
)
_DATE_LITERAL_RE = re.compile(
    r"(?i)(TODAY|YESTERDAY|TOMORROW|(LAST|THIS|NEXT)_(WEEK|MONTH|QUARTER|YEAR|FISCAL_\w+|90_DAYS)"
    r"|(LAST|NEXT)_N_\w+:\d+|N_\w+_AGO:\d+|\d{4}-\d{2}-\d{2}.*|\d{1,2}/\d{1,2}/\d{2,4}.*)"
)
_SALESFORCE_ID_RE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_NUMBER_RE = re.compile(
    r"\s*\"?\s*(?:[A-Z]{3}\s*|[$€£¥]\s*)?(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"\s*\"?\s*"
)
_ORDER_OPS = {"lessThan": "lt", "greaterThan": "gt", "lessOrEqual": "lte", "greaterOrEqual": "gte"}


class FilterError(ValueError):
    """A ``booleanFilter`` that cannot be parsed."""


class Untranslatable(Exception):
    """A criteria item or entry the bot's rule language cannot express."""


@dataclass(frozen=True)
class CriteriaItem:
    field: str
    operation: str
    value: str | None


@dataclass(frozen=True)
class RuleEntry:
    index: int  # 1-based, the entry's position in the rule
    assigned_to: str | None
    assigned_to_type: str | None
    boolean_filter: str | None
    items: tuple[CriteriaItem, ...]
    formula: str | None = None
    template: str | None = None


@dataclass(frozen=True)
class AssignmentRule:
    name: str
    active: bool
    entries: tuple[RuleEntry, ...]


@dataclass(frozen=True)
class QueueInfo:
    """A ``.queue-meta.xml``: the queue's label and its member usernames."""

    developer_name: str
    label: str
    users: tuple[str, ...]


@dataclass
class TranslatedEntry:
    entry: RuleEntry
    rule_name: str
    rule: dict[str, Any] | None  # None: not translated (kept as a comment)
    warnings: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return self.rule is not None


@dataclass
class ImportResult:
    rule: AssignmentRule
    entries: list[TranslatedEntry]
    reps: dict[str, dict[str, Any]]  # rep id -> stub
    queues: dict[str, dict[str, Any]]  # queue id -> stub
    salesforce_fields: dict[str, str]  # standard columns the ingest must copy
    warnings: list[str]
    yaml: str = ""

    @property
    def translated(self) -> int:
        return sum(1 for e in self.entries if e.translated)

    @property
    def skipped(self) -> int:
        return len(self.entries) - self.translated

    def entry_for_rule(self, rule_name: str) -> RuleEntry | None:
        for e in self.entries:
            if e.rule_name == rule_name and e.translated:
                return e.entry
        return None


# -- XML ---------------------------------------------------------------------------------


def _text(node: ET.Element, tag: str) -> str | None:
    child = node.find(_NS + tag)
    if child is None:
        child = node.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _children(node: ET.Element, tag: str) -> list[ET.Element]:
    return node.findall(_NS + tag) + node.findall(tag)


def parse_assignment_rules(xml_text: str) -> list[AssignmentRule]:
    """Every ``assignmentRule`` of a Metadata API ``AssignmentRules`` document."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"not valid XML: {exc}") from None
    if root.tag.removeprefix(_NS) != "AssignmentRules":
        raise ValueError(f"expected an AssignmentRules document, got <{root.tag}>")
    rules: list[AssignmentRule] = []
    for node in _children(root, "assignmentRule"):
        entries = []
        for index, entry in enumerate(_children(node, "ruleEntry"), start=1):
            items = tuple(
                CriteriaItem(
                    field=_text(item, "field") or "",
                    operation=_text(item, "operation") or "equals",
                    value=_text(item, "value"),
                )
                for item in _children(entry, "criteriaItems")
            )
            entries.append(
                RuleEntry(
                    index=index,
                    assigned_to=_text(entry, "assignedTo"),
                    assigned_to_type=_text(entry, "assignedToType"),
                    boolean_filter=_text(entry, "booleanFilter"),
                    items=items,
                    formula=_text(entry, "formula"),
                    template=_text(entry, "template"),
                )
            )
        rules.append(
            AssignmentRule(
                name=_url_unquote(_text(node, "fullName") or "(unnamed)"),
                active=(_text(node, "active") or "").lower() == "true",
                entries=tuple(entries),
            )
        )
    return rules


def _url_unquote(name: str) -> str:
    # Metadata file names encode special characters: "Strategic %26 Biz Dev".
    from urllib.parse import unquote

    return unquote(name)


def parse_queue(xml_text: str, developer_name: str) -> QueueInfo:
    """A ``Queue`` metadata document (``Name.queue-meta.xml``)."""
    root = ET.fromstring(xml_text)
    users: list[str] = []
    for members in _children(root, "queueMembers"):
        for group in _children(members, "users"):
            users.extend(u.text.strip() for u in _children(group, "user") if u.text)
    return QueueInfo(developer_name, _text(root, "name") or developer_name, tuple(users))


# -- booleanFilter -----------------------------------------------------------------------

FilterNode = tuple[Any, ...]  # ("item", n) | ("and", [nodes]) | ("or", [nodes]) | ("not", node)

_TOKEN_RE = re.compile(r"\s*(?:(\d+)|(\()|(\))|([A-Za-z]+))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"unexpected {text[pos:]!r} in filter logic {text!r}")
        word = m.group(4)
        if word is not None:
            word = word.upper()
            if word not in ("AND", "OR", "NOT"):
                raise FilterError(f"unknown word {m.group(4)!r} in filter logic {text!r}")
            out.append(word)
        else:
            out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_boolean_filter(text: str, item_count: int) -> tuple[FilterNode, list[str]]:
    """Parse filter logic into a tree; returns (tree, notes). NOT > AND > OR precedence.

    Raises :class:`FilterError` for syntax errors and item numbers outside 1..item_count.
    """
    tokens = _tokens(text)
    notes: list[str] = []
    pos = 0
    mixed = False

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise FilterError(f"filter logic {text!r} ends too early")
        pos += 1
        return tokens[pos - 1]

    def parse_or() -> FilterNode:
        nonlocal mixed
        parts = [parse_and()]
        while peek() == "OR":
            take()
            parts.append(parse_and())
        if len(parts) > 1 and any(p[0] == "and" and not p[2] for p in parts):
            mixed = True
        return parts[0] if len(parts) == 1 else ("or", parts, False)

    def parse_and() -> FilterNode:
        parts = [parse_unary()]
        while peek() == "AND":
            take()
            parts.append(parse_unary())
        return parts[0] if len(parts) == 1 else ("and", parts, False)

    def parse_unary() -> FilterNode:
        token = take()
        if token == "NOT":
            return ("not", parse_unary())
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise FilterError(f"missing ')' in filter logic {text!r}")
            if inner[0] in ("and", "or"):
                return (inner[0], inner[1], True)  # parenthesised
            return inner
        if token.isdigit():
            n = int(token)
            if not 1 <= n <= item_count:
                raise FilterError(
                    f"filter logic {text!r} refers to condition {n}; "
                    f"the entry has {item_count} criteria items"
                )
            return ("item", n)
        raise FilterError(f"unexpected {token!r} in filter logic {text!r}")

    tree = parse_or()
    if pos != len(tokens):
        raise FilterError(f"unexpected {tokens[pos]!r} in filter logic {text!r}")
    if mixed:
        notes.append(f"filter logic {text!r} mixes AND and OR without parentheses; read AND first")
    used = _referenced(tree)
    unused = sorted(set(range(1, item_count + 1)) - used)
    if unused:
        notes.append(
            f"criteria item(s) {', '.join(map(str, unused))} are not in the filter logic "
            f"{text!r} and are ignored"
        )
    return tree, notes


def _referenced(node: FilterNode) -> set[int]:
    kind = node[0]
    if kind == "item":
        return {int(node[1])}
    if kind == "not":
        return _referenced(node[1])
    out: set[int] = set()
    for child in node[1]:
        out |= _referenced(child)
    return out


# -- criteria items ----------------------------------------------------------------------


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return s.lower()


def field_key(sf_field: str) -> tuple[str, str]:
    """(lead key, Salesforce column) of ``Lead.X``; raises :class:`Untranslatable`."""
    name = sf_field.strip()
    if not name.startswith("Lead."):
        raise Untranslatable(
            f"{name} is a field of another object (cross-object); lead rules here read lead fields"
        )
    column = name.removeprefix("Lead.")
    if "." in column or ":" in column:
        raise Untranslatable(f"{name} is a cross-object field")
    if column in _LOOKUPS:
        raise Untranslatable(
            f"{name} compares a related record ({column.removesuffix('Id')}) by name; "
            "leads carry no such field"
        )
    if column.endswith("__c"):
        return column, column
    return _FIELD_KEYS.get(column) or _snake(column), column


def _number(value: str) -> int | float | None:
    m = _NUMBER_RE.fullmatch(value)
    if m is None:
        return None
    n = float(m["num"].replace(",", ""))
    return int(n) if n.is_integer() else n


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _any(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return nodes[0] if len(nodes) == 1 else {"any": nodes}


#: Above this many values, "any of" starts_with/contains is written as one regex.
_REGEX_OVER = 3


def _text_any(key: str, matcher: str, needles: list[str]) -> dict[str, Any]:
    """Any of the needles: a few ``starts_with``/``contains`` under ``any``, or one regex
    with the same meaning (case-insensitive, surrounding whitespace ignored)."""
    if len(needles) <= _REGEX_OVER:
        return _any([{key: {matcher: v}} for v in needles])
    alternatives = "|".join(re.escape(v) for v in needles)
    anchor = r"^\s*" if matcher == "starts_with" else ""
    return {key: {"matches": f"(?i){anchor}(?:{alternatives})"}}


def _msp_pattern(item: str) -> str:
    return r"(?i)(?:^|;)\s*" + re.escape(item) + r"\s*(?:;|$)"


def translate_item(item: CriteriaItem) -> tuple[dict[str, Any], str]:
    """One criteria item -> (condition mapping, Salesforce column); raises Untranslatable."""
    key, column = field_key(item.field)
    op = item.operation
    raw = item.value
    if op == "within":
        raise Untranslatable(f"{item.field} within (a geolocation distance) has no equivalent")
    if column in _DATE_FIELDS or (raw is not None and _DATE_LITERAL_RE.fullmatch(raw.strip())):
        raise Untranslatable(
            f"{item.field} {op} {raw or '<blank>'}: date criteria need the clock; "
            "rules here read lead fields only"
        )
    if raw is None or not raw.strip():
        if op == "equals":
            return {key: {"exists": False}}, column
        if op == "notEqual":
            return {key: {"exists": True}}, column
        raise Untranslatable(f"{item.field} {op} <blank> has no defined meaning")

    if op in _ORDER_OPS:
        n = _number(raw)
        if n is None:
            raise Untranslatable(f"{item.field} {op} {raw!r}: not a number")
        return {key: {_ORDER_OPS[op]: n}}, column

    if op in ("equals", "notEqual"):
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):  # a checkbox: blank counts as false
            truth = (lowered == "true") == (op == "equals")
            node: dict[str, Any] = {key: True}
            return (node if truth else {"not": node}), column
        number = _number(raw) if (key in _NUMBER_KEYS or "," in raw) else None
        values: list[Any]
        if key in _NUMBER_KEYS or (number is not None and re.search(r"\d,\d{3}", raw)):
            if number is None:
                numbers = [_number(v) for v in _split(raw)]
                if any(v is None for v in numbers):
                    raise Untranslatable(f"{item.field} {op} {raw!r}: not a number")
                values = list(numbers)
            else:
                values = [number]
        else:
            values = _split(raw)
        inner: dict[str, Any] = (
            {key: values[0]} if len(values) == 1 else {key: {"in": list(dict.fromkeys(values))}}
        )
        if op == "equals":
            return inner, column
        return {"not": inner}, column  # "none of", and true for a blank field

    if op in ("contains", "notContain", "startsWith"):
        needles = list(dict.fromkeys(_split(raw)))
        node = _text_any(key, "starts_with" if op == "startsWith" else "contains", needles)
        return ({"not": node} if op == "notContain" else node), column

    if op in ("includes", "excludes"):
        groups = []
        for option in _split(raw):
            selected = [s.strip() for s in option.split(";") if s.strip()]
            parts = [{key: {"matches": _msp_pattern(s)}} for s in selected]
            groups.append(parts[0] if len(parts) == 1 else {"all": parts})
        node = _any(groups)
        return (node if op == "includes" else {"not": node}), column

    raise Untranslatable(f"unknown operation {op!r} on {item.field}")


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


# -- assignees ---------------------------------------------------------------------------


def slugify(name: str) -> str:
    """``"Hot_Lead_Queue"`` -> ``"hot-lead-queue"``; ``"a.b@x.com"`` -> ``"a-b"``."""
    base = name.split("@", 1)[0] if "@" in name else name
    s = unicodedata.normalize("NFKD", base)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s or "unnamed"


def _human(name: str) -> str:
    base = name.split("@", 1)[0] if "@" in name else name
    words = re.split(r"[._\s]+", base)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or name


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


class _Assignees:
    def __init__(
        self, mapping: Mapping[str, str], queues: Mapping[str, QueueInfo] | None = None
    ) -> None:
        self.mapping = {k.casefold(): v for k, v in mapping.items()}
        self.queue_info = dict(queues or {})
        self.reps: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    def rep(self, sf_user: str) -> str:
        rep_id = self.mapping.get(sf_user.casefold()) or slugify(sf_user)
        if rep_id not in self.reps:
            stub: dict[str, Any] = {"id": rep_id, "name": _human(sf_user)}
            if _EMAIL_RE.fullmatch(sf_user):
                stub["email"] = sf_user
            stub["salesforce_user"] = sf_user
            self.reps[rep_id] = stub
        return rep_id

    def _stub_member(self) -> str:
        rep_id = "queue-members"
        self.reps.setdefault(rep_id, {"id": rep_id, "name": "Queue members (stub)"})
        return rep_id

    def queue(self, sf_queue: str) -> str:
        queue_id = self.mapping.get(sf_queue.casefold()) or slugify(sf_queue)
        if queue_id not in self.queues:
            info = self.queue_info.get(sf_queue)
            members = [self.rep(user) for user in info.users] if info else []
            if not members:
                members = [self._stub_member()]
                self.warnings.append(
                    f"queue {sf_queue}: members unknown (pass --queues DIR with its "
                    ".queue-meta.xml); a stub member 'queue-members' stands in"
                )
            self.queues[queue_id] = {
                "channel": "#" + slugify(queue_id)[:79],
                "members": list(dict.fromkeys(members)),
            }
        return queue_id


# -- translation -------------------------------------------------------------------------


def _describe_item(n: int, item: CriteriaItem) -> str:
    value = "<blank>" if item.value is None else repr(item.value)
    return f"{n}. {item.field} {item.operation} {value}"


def _rule_name(entry: RuleEntry) -> str:
    return f"{entry.index}: {entry.assigned_to or 'no assignee'}"


def _translate_entry(
    entry: RuleEntry, assignees: _Assignees, extra_fields: dict[str, str], after_catch_all: str
) -> TranslatedEntry:
    out = TranslatedEntry(entry=entry, rule_name=_rule_name(entry), rule=None)
    if entry.template:
        out.comments.append(
            f"email template {entry.template} not imported (the bot notifies in Slack)"
        )
    try:
        if after_catch_all:
            raise Untranslatable(f"unreachable: entry {after_catch_all} matches every lead")
        if entry.formula:
            raise Untranslatable(f"formula criteria ({entry.formula.strip()}) are not translated")
        conditions: list[dict[str, Any]] = []
        for item in entry.items:
            node, column = translate_item(item)
            conditions.append(node)
            key = field_key(item.field)[0]
            if (
                column not in SALESFORCE_LEAD_FIELDS
                and not column.endswith("__c")
                and column not in ("CountryCode", "StateCode")
            ):
                extra_fields[column] = key
        when: dict[str, Any] | None = None
        if entry.boolean_filter and conditions:
            tree, notes = parse_boolean_filter(entry.boolean_filter, len(conditions))
            out.warnings.extend(notes)
            when = _build(tree, conditions)
        elif conditions:
            when = _combine_all(conditions)
        if not entry.assigned_to:
            raise Untranslatable(
                "no assignee: Salesforce keeps the current owner; the bot has no such target"
            )
        if (entry.assigned_to_type or "User") == "Queue":
            target: dict[str, Any] = {"queue": assignees.queue(entry.assigned_to)}
        else:
            target = {"rep": assignees.rep(entry.assigned_to)}
        rule: dict[str, Any] = {"name": out.rule_name}
        if when is not None:
            rule["when"] = when
        rule["assign"] = target
        out.rule = rule
    except (Untranslatable, FilterError) as exc:
        out.warnings.append(str(exc))
    return out


def import_rules(
    xml_text: str,
    rule_name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    queues: Mapping[str, QueueInfo] | None = None,
    source: str = "",
) -> ImportResult:
    """Translate one assignment rule of ``xml_text`` (the active one by default).

    ``mapping``: Salesforce username / queue developer name -> rep / queue id (default: a
    slug of the name). ``queues``: queue metadata by developer name, for queue members.
    Raises ValueError when the document has no such rule.
    """
    rules = parse_assignment_rules(xml_text)
    if not rules:
        raise ValueError("the document has no assignmentRule")
    if rule_name is not None:
        chosen = [
            r for r in rules if r.name == rule_name or r.name.casefold() == rule_name.casefold()
        ]
        if not chosen:
            names = ", ".join(repr(r.name) for r in rules)
            raise ValueError(f"no rule named {rule_name!r} (rules: {names})")
        rule = chosen[0]
    else:
        active = [r for r in rules if r.active]
        rule = active[0] if active else rules[0]
    warnings: list[str] = []
    if rule_name is None and not any(r.active for r in rules):
        warnings.append(f"no rule is active; translated the first one, {rule.name!r}")
    assignees = _Assignees(mapping or {}, queues)
    extra_fields: dict[str, str] = {}
    entries: list[TranslatedEntry] = []
    catch_all = ""
    for entry in rule.entries:
        translated = _translate_entry(entry, assignees, extra_fields, catch_all)
        entries.append(translated)
        if translated.rule is not None and "when" not in translated.rule:
            catch_all = catch_all or str(entry.index)
        for warning in translated.warnings:
            warnings.append(f"entry {entry.index}: {warning}")
    warnings.extend(assignees.warnings)
    result = ImportResult(
        rule=rule,
        entries=entries,
        reps=assignees.reps,
        queues=assignees.queues,
        salesforce_fields=extra_fields,
        warnings=warnings,
    )
    result.yaml = render_yaml(result, source)
    return result


# -- YAML --------------------------------------------------------------------------------


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
        lines.append("# Standard Lead fields the rules read that ingest does not copy by default:")
        lines.extend(_dump({"salesforce": {"fields": result.salesforce_fields}}).splitlines())
    lines.append("rules:")
    if not result.translated:
        lines[-1] = "rules: []"
    for translated in result.entries:
        entry = translated.entry
        header = f"Salesforce entry {entry.index}"
        if entry.assigned_to:
            header += f" -> {entry.assigned_to_type or 'User'} {entry.assigned_to}"
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
        lines.extend(_indent(_dump([translated.rule]), "  "))
    return "\n".join(lines) + "\n"
