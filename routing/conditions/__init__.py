"""Lead conditions (``when:`` blocks of ``routing.yml``), compiled once per config.

>>> cond = compile_condition({"industry": {"in": ["Healthcare"]}, "employees": {"gte": 1000}})
>>> cond.evaluate({"industry": " healthcare ", "employees": "1,200"})
True
>>> cond.describe()
'industry in [Healthcare] AND employees >= 1000'

Semantics: see ``docs`` / SPEC §6 and :mod:`routing.conditions.values` for coercion rules.
"""

from routing.conditions.compiler import COMBINATORS, Condition, compile_condition, field_names
from routing.conditions.errors import CheckResult, ConditionError, format_path
from routing.conditions.matchers import MATCHERS, POSTAL_FIELDS
from routing.conditions.values import (
    PostalSet,
    as_bool,
    canonical_postal,
    is_missing,
    parse_number,
)

__all__ = [
    "COMBINATORS",
    "MATCHERS",
    "POSTAL_FIELDS",
    "CheckResult",
    "Condition",
    "ConditionError",
    "PostalSet",
    "as_bool",
    "canonical_postal",
    "compile_condition",
    "field_names",
    "format_path",
    "is_missing",
    "parse_number",
]
