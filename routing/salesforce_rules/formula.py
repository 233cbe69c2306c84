"""A documented subset of Salesforce formula syntax, parsed and translated into conditions.

Grammar (recursive descent; Salesforce's precedence, lowest first)::

    or      := and ( "||" and )*
    and     := compare ( "&&" compare )*
    compare := sum ( ("=" | "==" | "<>" | "!=" | "<" | ">" | "<=" | ">=") sum )?
    sum     := unary ( ("+" | "-" | "&" | "*" | "/") unary )*
    unary   := "-" unary | primary
    primary := NUMBER | STRING | TRUE | FALSE | NULL
             | NAME "(" [ or ( "," or )* ] ")" | NAME | "(" or ")"

Strings take single or double quotes with backslash escapes; ``/* ... */`` is a comment;
names may hold ``.``, ``$``, ``:`` and ``_`` (``RecordType.Name``, ``$RecordType.Name``).
Everything parses; what translates is the subset below, anything else is refused with the
function, operator or field named (the entry then stays a comment):

* ``TRUE``, ``FALSE``, ``AND(...)``, ``OR(...)``, ``NOT(x)``, ``&&``, ``||``;
* ``field = value``, ``==``, ``<>``, ``!=``, ``<``, ``>``, ``<=``, ``>=`` between a field and a
  literal (either side). Text compares **case-sensitively**, as formulas do, and a blank field
  equals ``""``; numbers compare as numbers; ``field = TRUE`` is a checkbox (blank is false);
* ``ISPICKVAL(field, "v")``, ``ISBLANK(field)``, ``ISNULL(field)``, ``CONTAINS(field, "v")``,
  ``BEGINS(field, "v")``, ``INCLUDES(field, "v")`` (case-sensitive, as in Salesforce);
* ``TEXT(field)`` reads the field's text; ``LOWER(field)``/``UPPER(field)`` only where they
  fold case: compared with a literal already in that case (case-insensitive match), or with a
  literal that is not (never true);
* a checkbox field alone is its own truth value;
* a Date field (``ConvertedDate``, ``LastActivityDate``) compared with ``TODAY()``,
  ``TODAY() - n`` or ``TODAY() + 1`` (either side): a date matcher (``on_date``, ``before``...)
  against ``TODAY`` / ``N_DAYS_AGO:n`` / ``TOMORROW``, which the engine reads at the routing
  time in the org's zone (``TODAY()`` is the user's day). Date-times (``CreatedDate``,
  ``DATEVALUE``), custom fields (type unknown) and other offsets are refused.

Blank fields: comparisons other than ``=``/``<>`` with ``""`` fail on a blank field, and
``NOT`` of a failing comparison holds ("treat blank fields as blanks", two-valued).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.salesforce_rules.criteria import msp_pattern
from routing.salesforce_rules.fields import FieldRef, Untranslatable, resolve_field

__all__ = ["FormulaError", "parse_formula", "translate_formula"]


class FormulaError(ValueError):
    """A formula that does not parse; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"formula does not parse at column {column}: {message}")
        self.column = column


_TOKEN_RE = re.compile(
    r"""(?P<space>\s+|/\*.*?\*/)
      | (?P<num>\d+(?:\.\d+)?|\.\d+)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$.:]*)
      | (?P<op>&&|\|\||==|<>|!=|<=|>=|[=<>(),&+\-*/])""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class Tok:
    kind: str  # num | str | name | op | end
    text: str
    column: int


def _tokens(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(text):
        if text.startswith("/*", pos) and "*/" not in text[pos + 2 :]:
            raise FormulaError("comment never closed", pos + 1)
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            if text[pos] in "\"'":
                raise FormulaError("text never closed", pos + 1)
            raise FormulaError(f"unexpected {text[pos]!r}", pos + 1)
        kind = m.lastgroup or "space"
        if kind != "space":
            out.append(Tok(kind, m.group(), pos + 1))
        pos = m.end()
    out.append(Tok("end", "", len(text) + 1))
    return out


# AST: tuples whose first item names the node.
#   ("bool", bool) ("num", float) ("str", text) ("null",) ("field", name, column)
#   ("call", NAME, [args], column) ("bin", op, left, right, column) ("neg", node, column)
Node = tuple[Any, ...]
_COMPARE = ("=", "==", "<>", "!=", "<", ">", "<=", ">=")


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self) -> Tok:
        return self.toks[self.pos]

    def take(self) -> Tok:
        tok = self.toks[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def expect(self, text: str) -> Tok:
        tok = self.take()
        if tok.text != text or tok.kind != "op":
            found = "the end" if tok.kind == "end" else repr(tok.text)
            raise FormulaError(f"expected {text!r}, found {found}", tok.column)
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise FormulaError("empty formula", 1)
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise FormulaError(f"unexpected {tok.text!r}", tok.column)
        return node

    def _binary(self, ops: tuple[str, ...], sub: Callable[[], Node], once: bool = False) -> Node:
        node = sub()
        while self.peek().kind == "op" and self.peek().text in ops:
            tok = self.take()
            node = ("bin", tok.text, node, sub(), tok.column)
            if once:
                break
        return node

    def or_(self) -> Node:
        return self._binary(("||",), self.and_)

    def and_(self) -> Node:
        return self._binary(("&&",), self.compare)

    def compare(self) -> Node:
        return self._binary(_COMPARE, self.sum, once=True)

    def sum(self) -> Node:
        return self._binary(("+", "-", "&", "*", "/"), self.unary)

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return ("neg", self.unary(), tok.column)
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("num", float(tok.text))
        if tok.kind == "str":
            body = tok.text[1:-1]
            return ("str", re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), body))
        if tok.kind == "name":
            upper = tok.text.upper()
            if self.peek().kind == "op" and self.peek().text == "(":
                self.take()
                args: list[Node] = []
                if not (self.peek().kind == "op" and self.peek().text == ")"):
                    args.append(self.or_())
                    while self.peek().kind == "op" and self.peek().text == ",":
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                return ("call", upper, args, tok.column)
            if upper in ("TRUE", "FALSE"):
                return ("bool", upper == "TRUE")
            if upper == "NULL":
                return ("null",)
            return ("field", tok.text, tok.column)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        found = "the end" if tok.kind == "end" else repr(tok.text)
        raise FormulaError(f"expected a value, found {found}", tok.column)


def parse_formula(text: str) -> Node:
    """The formula's syntax tree; raises :class:`FormulaError` with the column."""
    return _Parser(text).parse()


# -- translation ---------------------------------------------------------------------------

Cond = dict[str, Any] | bool  # a condition, or a constant


class _Translator:
    def __init__(self, field_map: Mapping[str, str] | None) -> None:
        self.field_map = field_map
        self.refs: list[FieldRef] = []

    def field(self, name: str) -> FieldRef:
        if name.startswith("$"):
            bare = name[1:]
            if bare.split(".", 1)[0] == "RecordType":
                name = "RecordType.Name" if bare.endswith(".Name") else bare
            else:
                raise Untranslatable(
                    f"formula reads {name}: a global of the user or org running the rule, "
                    "not a field of the lead"
                )
        if name.split(".", 1)[0] == "RecordType":
            if name != "RecordType.Name":
                raise Untranslatable(f"formula reads {name}: only RecordType.Name translates")
            ref = resolve_field("Lead.RecordTypeId", self.field_map)
        else:
            path = name.replace(":User", "").replace(":Queue", "")
            full = path if path.startswith("Lead.") else "Lead." + path
            try:
                ref = resolve_field(full, self.field_map)
            except Untranslatable:
                ref = resolve_field(path, self.field_map)
        self.refs.append(ref)
        return ref

    def condition(self, node: Node) -> Cond:
        kind = node[0]
        if kind == "bool":
            return bool(node[1])
        if kind == "field":  # a checkbox standing alone
            return {self.field(node[1]).key: True}
        if kind == "call":
            return self.call(node)
        if kind == "bin":
            op = node[1]
            if op in ("&&", "||"):
                parts = [self.condition(node[2]), self.condition(node[3])]
                return _all(parts) if op == "&&" else _any(parts)
            if op in _COMPARE:
                return self.compare(op, node[2], node[3])
            raise Untranslatable(f"formula operator {op!r} is not in the supported subset")
        raise Untranslatable(f"formula part {_show(node)} is not a condition")

    def call(self, node: Node) -> Cond:
        name, args = node[1], node[2]
        if name in ("AND", "OR"):
            if not args:
                raise Untranslatable(f"{name}() needs at least one condition")
            parts = [self.condition(a) for a in args]
            return _all(parts) if name == "AND" else _any(parts)
        if name == "NOT":
            self._arity(name, args, 1)
            return _not(self.condition(args[0]))
        if name in ("ISBLANK", "ISNULL"):
            self._arity(name, args, 1)
            key, _ = self.operand_field(args[0])
            return {key: {"exists": False}}
        if name == "ISPICKVAL":
            self._arity(name, args, 2)
            return self.compare("=", args[0], args[1])
        if name in ("CONTAINS", "BEGINS", "INCLUDES"):
            self._arity(name, args, 2)
            key, fold = self.operand_field(args[0])
            needle = self.literal_text(args[1], name)
            if not needle:
                raise Untranslatable(f"{name} with an empty text is not translated")
            if name == "BEGINS" and needle[0].isspace():
                return False  # a field's text never starts with a blank
            if fold is not None:  # LOWER/UPPER(field): case-insensitive, when it can hold
                if (needle.lower() if fold == "lower" else needle.upper()) != needle:
                    return False
                if name == "CONTAINS" and needle != needle.strip():
                    # ``contains`` ignores the needle's surrounding blanks; these count.
                    return {key: {"matches": "(?i)" + re.escape(needle)}}
                if name == "CONTAINS":
                    return {key: {"contains": needle}}
                if name == "BEGINS":
                    return {key: {"starts_with": needle}}
                return {key: {"matches": msp_pattern(needle)}}
            if name == "CONTAINS":
                return {key: {"matches": re.escape(needle)}}
            if name == "BEGINS":
                return {key: {"matches": r"^\s*" + re.escape(needle)}}
            return {key: {"matches": msp_pattern(needle, ignore_case=False)}}
        raise Untranslatable(f"formula function {name} is not in the supported subset")

    @staticmethod
    def _arity(name: str, args: list[Node], n: int) -> None:
        if len(args) != n:
            raise Untranslatable(f"{name} takes {n} argument(s), got {len(args)}")

    def operand_field(self, node: Node) -> tuple[str, str | None]:
        """(lead key, case fold or None) of a field operand: ``f``, ``TEXT(f)``,
        ``LOWER(f)``, ``UPPER(f)``."""
        if node[0] == "field":
            return self.field(node[1]).key, None
        if node[0] == "call" and node[1] in ("TEXT", "LOWER", "UPPER") and len(node[2]) == 1:
            key, fold = self.operand_field(node[2][0])
            if node[1] == "TEXT":
                return key, fold
            return key, node[1].lower()
        raise Untranslatable(f"formula part {_show(node)} is not a field this import can read")

    @staticmethod
    def literal_text(node: Node, where: str) -> str:
        if node[0] != "str":
            raise Untranslatable(f"{where} needs a text literal, got {_show(node)}")
        return str(node[1])

    def compare(self, op: str, left: Node, right: Node) -> Cond:
        if _today_offset(left) is not None and _today_offset(right) is None:
            left, right = right, left
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        offset = _today_offset(right)
        if offset is not None:
            return self.compare_today(op, left, offset)
        if _is_literal(left) and not _is_literal(right):
            left, right = right, left
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        for side in (left, right):
            _refuse_functions(side)
        if not _is_literal(right) or _is_literal(left):
            raise Untranslatable(
                f"formula compares {_show(left)} with {_show(right)}: "
                "only a field against a literal translates"
            )
        key, fold = self.operand_field(left)
        negate = op in ("<>", "!=")
        value = right
        if right[0] == "neg" and right[1][0] == "num":
            value = ("num", -right[1][1])
        if value[0] == "bool":
            if op not in ("=", "==", "<>", "!="):
                raise Untranslatable(f"formula orders a checkbox ({op})")
            holds: Cond = {key: True} if value[1] else {"not": {key: True}}
            return _not(holds) if negate else holds
        if value[0] == "null":
            holds = {key: {"exists": False}}
            return _not(holds) if negate else holds
        if value[0] == "num":
            n = value[1]
            number: int | float = int(n) if float(n).is_integer() else n
            if op in ("=", "==", "<>", "!="):
                holds = {key: number}
                return _not(holds) if negate else holds
            return {key: {_ORDER[op]: number}}
        if value[0] != "str":
            raise Untranslatable(f"formula compares with {_show(value)}")
        text = str(value[1])
        if op not in ("=", "==", "<>", "!="):
            raise Untranslatable(f"formula orders text ({_show(left)} {op} {text!r})")
        if not text.strip():
            holds = {key: {"exists": False}}  # a blank field equals ""
        elif text != text.strip():
            # A field's text has no surrounding blanks (as compared everywhere here), so a
            # literal with them never equals it: UPPER(State) = ' ILLINOIS' is never true.
            holds = False
        elif fold is not None:
            if (text.lower() if fold == "lower" else text.upper()) != text:
                holds = False
            else:
                holds = {key: text}  # as written, case-insensitive
        else:
            holds = {key: {"matches": r"^\s*" + re.escape(text.strip()) + r"\s*$"}}
        return _not(holds) if negate else holds

    def compare_today(self, op: str, left: Node, offset: int) -> Cond:
        """A date field against ``TODAY()`` (``+``/``-`` a number of days): a date matcher
        reading the routing time's day in the org's zone, as ``TODAY()`` is the user's day."""
        if left[0] != "field":
            if _today_offset(left) is None:
                _refuse_functions(left)  # DATEVALUE(CreatedDate) = TODAY(): names DATEVALUE
            raise Untranslatable(f"formula compares {_show(left)} with TODAY(): not a date field")
        ref = self.field(left[1])
        column = ref.label.strip().removeprefix("Lead.")
        if column not in _DATE_ONLY:
            raise Untranslatable(
                f"formula compares {column} with TODAY(): only the date fields "
                f"{', '.join(sorted(_DATE_ONLY))} translate (a date-time needs DATEVALUE, "
                "which is not translated; a custom field's type is unknown)"
            )
        if offset == 0:
            bound = "TODAY"
        elif offset == 1:
            bound = "TOMORROW"
        elif offset < 0:
            bound = f"N_DAYS_AGO:{-offset}"
        else:
            raise Untranslatable(f"formula compares {column} with TODAY() + {offset}")
        if op in ("=", "==", "<>", "!="):
            holds: Cond = {ref.key: {"on_date": bound}}
            return _not(holds) if op in ("<>", "!=") else holds
        return {ref.key: {_DATE_ORDER[op]: bound}}


_ORDER = {"<": "lt", ">": "gt", "<=": "lte", ">=": "gte"}
_DATE_ORDER = {"<": "before", ">": "after", "<=": "on_or_before", ">=": "on_or_after"}
# Standard Lead fields of type Date (CreatedDate, LastModifiedDate... are date-times).
_DATE_ONLY = frozenset({"ConvertedDate", "LastActivityDate"})


def _today_offset(node: Node) -> int | None:
    """Days from today of ``TODAY()``, ``TODAY() - n``, ``TODAY() + n`` (whole n); else None."""
    if node[0] == "call" and node[1] == "TODAY" and not node[2]:
        return 0
    if node[0] == "bin" and node[1] in ("+", "-"):
        base, step = node[2], node[3]
        if node[1] == "+" and _today_offset(base) is None:
            base, step = step, base
        days = _today_offset(base)
        if days is None or step[0] != "num" or not float(step[1]).is_integer():
            return None
        return days + int(step[1]) if node[1] == "+" else days - int(step[1])
    return None


_FUNCTIONS = frozenset(
    {"AND", "OR", "NOT", "ISBLANK", "ISNULL", "ISPICKVAL", "CONTAINS", "BEGINS", "INCLUDES"}
    | {"TEXT", "LOWER", "UPPER"}
)


def _refuse_functions(node: Node) -> None:
    """Name the first function outside the subset (``DATEVALUE``, ``TODAY``...)."""
    if node[0] == "call":
        if node[1] not in _FUNCTIONS:
            raise Untranslatable(f"formula function {node[1]} is not in the supported subset")
        for arg in node[2]:
            _refuse_functions(arg)
    elif node[0] == "bin":
        _refuse_functions(node[2])
        _refuse_functions(node[3])


def _is_literal(node: Node) -> bool:
    return node[0] in ("num", "str", "bool", "null") or (node[0] == "neg" and node[1][0] == "num")


def _show(node: Node) -> str:
    kind = node[0]
    if kind == "field":
        return str(node[1])
    if kind == "str":
        return repr(node[1])
    if kind == "num":
        return str(node[1])
    if kind == "bool":
        return "TRUE" if node[1] else "FALSE"
    if kind == "null":
        return "NULL"
    if kind == "call":
        return f"{node[1]}(...)"
    if kind == "bin":
        return f"{_show(node[2])} {node[1]} {_show(node[3])}"
    return "-" + _show(node[1])


def _all(parts: list[Cond]) -> Cond:
    if any(p is False for p in parts):
        return False
    kept = [p for p in parts if p is not True]
    if not kept:
        return True
    conds = [p for p in kept if isinstance(p, dict)]
    return conds[0] if len(conds) == 1 else {"all": conds}


def _any(parts: list[Cond]) -> Cond:
    if any(p is True for p in parts):
        return True
    conds = [p for p in parts if isinstance(p, dict)]
    if not conds:
        return False
    return conds[0] if len(conds) == 1 else {"any": conds}


def _not(part: Cond) -> Cond:
    if isinstance(part, bool):
        return not part
    return {"not": part}


def translate_formula(
    text: str, field_map: Mapping[str, str] | None = None
) -> tuple[Cond, list[FieldRef]]:
    """The formula as a condition (or ``True``/``False`` when constant) and the fields it
    reads. Raises :class:`FormulaError` (syntax) or :class:`Untranslatable` (outside the
    subset, naming the function, operator or field)."""
    tree = parse_formula(text)
    translator = _Translator(field_map)
    return translator.condition(tree), translator.refs
