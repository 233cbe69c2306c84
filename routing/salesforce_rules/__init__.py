"""Translate Salesforce lead assignment rules (Metadata API XML) into ``rules:`` YAML.

Pure: text in, text out. ``import_rules(xml_text)`` parses an ``AssignmentRules`` document,
picks a rule (the active one unless ``rule_name`` is given) and translates its entries in
order into ``routing.yml`` rules, with stub ``reps:`` and ``queues:`` sections for the
assignees so that the output validates on its own. docs/SALESFORCE_IMPORT.md describes
what is kept exactly and what is not.

Modules, in reading order:

* :mod:`.metadata` -- the XML document as dataclasses (entries know their line);
* :mod:`.values` -- comma lists with Salesforce's quoting, numbers in criteria values;
* :mod:`.fields` -- which lead field a criteria field reads (lookups by name, field map);
* :mod:`.criteria` -- one criteria item as a condition, as written or normalised;
* :mod:`.filter_logic` -- ``booleanFilter`` as a tree;
* :mod:`.formula` -- the formula subset: grammar, parser, translation;
* :mod:`.meaning` -- what ``--normalise`` changes;
* :mod:`.assignees` -- users and queues as rep and queue ids with stubs;
* :mod:`.translate` -- entries to rules (``import_rules``) into :mod:`.result`;
  :mod:`.render` -- the YAML.
"""

from routing.salesforce_rules.assignees import slugify
from routing.salesforce_rules.fields import Untranslatable
from routing.salesforce_rules.filter_logic import FilterError, FilterNode, parse_boolean_filter
from routing.salesforce_rules.formula import FormulaError, parse_formula, translate_formula
from routing.salesforce_rules.metadata import (
    AssignmentRule,
    CriteriaItem,
    MetadataError,
    QueueInfo,
    RuleEntry,
    parse_assignment_rules,
    parse_queue,
)
from routing.salesforce_rules.render import render_yaml
from routing.salesforce_rules.result import ImportResult, TranslatedEntry
from routing.salesforce_rules.translate import import_rules, translate_item

__all__ = [
    "AssignmentRule",
    "CriteriaItem",
    "FilterError",
    "FilterNode",
    "FormulaError",
    "ImportResult",
    "MetadataError",
    "QueueInfo",
    "RuleEntry",
    "TranslatedEntry",
    "Untranslatable",
    "import_rules",
    "parse_assignment_rules",
    "parse_boolean_filter",
    "parse_formula",
    "parse_queue",
    "render_yaml",
    "slugify",
    "translate_formula",
    "translate_item",
]
