"""A small, honest SOQL subset: what the bot and the tests issue, nothing more.

Grammar::

    SELECT field [, field]* FROM Object
      [WHERE condition] [ORDER BY field [ASC|DESC] [, ...]] [LIMIT n] [OFFSET n]
    condition := term (OR term)*;  term := factor (AND factor)*
    factor    := NOT factor | '(' condition ')' | field op literal
               | field [NOT] IN '(' literal [, literal]* ')' | field LIKE 'pattern'
    op        := = | != | <> | < | <= | > | >=
    literal   := 'string' | number | true | false | null | 2024-01-02T03:04:05Z | 2024-01-02

Fields may be dotted (``Owner.Type``); the record resolver decides what they mean.
Anything outside the grammar is a ``SoqlError`` (Salesforce's MALFORMED_QUERY).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


class SoqlError(ValueError):
    """The query is not in the supported subset (answered as MALFORMED_QUERY)."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE",
    "ORDER", "BY", "ASC", "DESC", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL",
    "NULLS", "FIRST", "LAST",
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    kind: str  # keyword | name | string | number | datetime | date | op | punct | end
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SoqlError(f"unexpected character {text[pos]!r} at position {pos}")
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            tokens.append(Token("string", _unquote(raw[1:-1]), pos))
        elif kind == "datetime":
            tokens.append(Token("datetime", parse_datetime(raw), pos))
        elif kind == "date":
            tokens.append(Token("date", date.fromisoformat(raw), pos))
        elif kind == "number":
            tokens.append(Token("number", float(raw) if "." in raw else int(raw), pos))
        elif kind == "name" and raw.upper() in _KEYWORDS:
            tokens.append(Token("keyword", raw.upper(), pos))
        elif kind != "ws":
            tokens.append(Token(kind, raw, pos))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def _unquote(body: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body)


def parse_datetime(text: str) -> datetime:
    """SOQL / REST datetimes: ``2024-01-22T20:36:47Z``, ``...47.000+0000``, ``...+00:00``."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# -- the tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str  # = != < <= > >= in not_in like
    value: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or | not
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    fields: list[str]
    sobject: str
    where: Any = None
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None
    offset: int = 0


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, kind: str, value: Any = None) -> Token | None:
        token = self.tok
        if token.kind == kind and (value is None or token.value == value):
            self.i += 1
            return token
        return None

    def expect(self, kind: str, value: Any = None) -> Token:
        token = self.accept(kind, value)
        if token is None:
            want = value if value is not None else kind
            got = self.tok.value if self.tok.kind != "end" else "end of query"
            raise SoqlError(f"expected {want} at position {self.tok.pos}, found {got!r}")
        return token

    def query(self) -> Query:
        self.expect("keyword", "SELECT")
        fields = [self.expect("name").value]
        while self.accept("punct", ","):
            fields.append(self.expect("name").value)
        self.expect("keyword", "FROM")
        sobject = self.expect("name").value
        where = None
        if self.accept("keyword", "WHERE"):
            where = self.condition()
        order: list[tuple[str, bool]] = []
        if self.accept("keyword", "ORDER"):
            self.expect("keyword", "BY")
            while True:
                name = self.expect("name").value
                descending = bool(self.accept("keyword", "DESC"))
                if not descending:
                    self.accept("keyword", "ASC")
                if self.accept("keyword", "NULLS") and not (
                    self.accept("keyword", "FIRST") or self.accept("keyword", "LAST")
                ):
                    raise SoqlError("NULLS must be followed by FIRST or LAST")
                order.append((name, descending))
                if not self.accept("punct", ","):
                    break
        limit = None
        if self.accept("keyword", "LIMIT"):
            limit = self._count("LIMIT")
        offset = 0
        if self.accept("keyword", "OFFSET"):
            offset = self._count("OFFSET")
        self.expect("end")
        return Query(fields, sobject, where, order, limit, offset)

    def _count(self, what: str) -> int:
        token = self.expect("number")
        if not isinstance(token.value, int) or token.value < 0:
            raise SoqlError(f"{what} takes a whole number")
        return token.value

    def condition(self) -> Any:
        items = [self.term()]
        while self.accept("keyword", "OR"):
            items.append(self.term())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def term(self) -> Any:
        items = [self.factor()]
        while self.accept("keyword", "AND"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def factor(self) -> Any:
        if self.accept("keyword", "NOT"):
            return BoolOp("not", (self.factor(),))
        if self.accept("punct", "("):
            inner = self.condition()
            self.expect("punct", ")")
            return inner
        name = self.expect("name").value
        if self.accept("keyword", "NOT"):
            self.expect("keyword", "IN")
            return Comparison(name, "not_in", self.literal_list())
        if self.accept("keyword", "IN"):
            return Comparison(name, "in", self.literal_list())
        if self.accept("keyword", "LIKE"):
            return Comparison(name, "like", self.expect("string").value)
        op = self.expect("op").value
        return Comparison(name, "!=" if op == "<>" else op, self.literal())

    def literal_list(self) -> tuple[Any, ...]:
        self.expect("punct", "(")
        values = [self.literal()]
        while self.accept("punct", ","):
            values.append(self.literal())
        self.expect("punct", ")")
        return tuple(values)

    def literal(self) -> Any:
        token = self.tok
        if token.kind in ("string", "number", "datetime", "date"):
            self.i += 1
            return token.value
        if token.kind == "keyword" and token.value in ("TRUE", "FALSE", "NULL"):
            self.i += 1
            return {"TRUE": True, "FALSE": False, "NULL": None}[token.value]
        raise SoqlError(f"expected a value at position {token.pos}, found {token.value!r}")


def parse(text: str) -> Query:
    return _Parser(text).query()


# -- evaluation -------------------------------------------------------------------------

Resolver = Callable[[dict[str, Any], str], Any]


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, datetime) and isinstance(left, str):
        return parse_datetime(left), right
    if isinstance(right, date) and not isinstance(right, datetime):
        if isinstance(left, datetime):
            return left.date(), right
        if isinstance(left, str):
            return date.fromisoformat(left[:10]), right
    if isinstance(right, int | float) and isinstance(left, str):
        try:
            return float(left), right
        except ValueError:
            return left, str(right)
    if isinstance(right, str) and isinstance(left, str):
        return left.lower(), right.lower()  # SOQL string comparison ignores case
    return left, right


def _like(value: Any, pattern: str) -> bool:
    if value is None:
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def matches(node: Any, record: dict[str, Any], resolve: Resolver) -> bool:
    if node is None:
        return True
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(matches(item, record, resolve) for item in node.items)
        if node.op == "or":
            return any(matches(item, record, resolve) for item in node.items)
        return not matches(node.items[0], record, resolve)
    value = resolve(record, node.field)
    op = node.op
    if op == "like":
        return _like(value, node.value)
    if op in ("in", "not_in"):
        hit = any(_equal(value, item) for item in node.value)
        return hit if op == "in" else not hit
    if op == "=":
        return _equal(value, node.value)
    if op == "!=":
        return not _equal(value, node.value)
    if value is None or node.value is None:
        return False
    left, right = _coerce(value, node.value)
    try:
        return {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    except TypeError:
        return False


def _equal(value: Any, literal: Any) -> bool:
    if literal is None or value is None:
        return value is None and literal is None
    left, right = _coerce(value, literal)
    return bool(left == right)


def sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first (Salesforce's default for ascending), then by value."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, datetime):
        return (1, value.timestamp())
    return (2, str(value).lower())
