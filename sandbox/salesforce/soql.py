"""A SOQL subset: hand-written tokenizer and recursive-descent parser producing a small AST.

Supported: SELECT fields (relationship paths like Owner.Type), COUNT()/COUNT(f)/MIN/MAX/SUM
with aliases, FROM one object, WHERE with AND/OR/NOT and parentheses (AND and OR may not be
mixed without parentheses, as in SOQL), = != <> < <= > >= IN, NOT IN, LIKE, null, true/false,
numbers, 'strings' with backslash escapes, date-time and date literals, date literals such as
TODAY or LAST_N_DAYS:7, GROUP BY, ORDER BY ... ASC|DESC NULLS FIRST|LAST, LIMIT, OFFSET.
Errors carry Salesforce's "ERROR at Row:1:Column:N" wording.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.errors import SalesforceError

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE",
            "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "GROUP"}
AGGREGATES = {"COUNT", "MIN", "MAX", "SUM", "AVG", "COUNT_DISTINCT"}
DATE_LITERALS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO",
                 "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH", "NEXT_MONTH"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
            "_": "_", "%": "%"}

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<quote>')
""", re.VERBOSE)


@dataclass
class Token:
    kind: str          # ident, keyword, string, number, datetime, date, op, punct, eof
    text: str
    pos: int           # 0-based offset in the query
    value: Any = None
    raw: str = ""      # strings: the source between the quotes (LIKE needs \% and \_)


class SoqlSyntaxError(SalesforceError):
    pass


def position_message(query: str, pos: int, text: str) -> str:
    """Salesforce points at the offending column of the offending line."""
    row = query.count("\n", 0, pos) + 1
    line_start = query.rfind("\n", 0, pos) + 1
    line_end = query.find("\n", pos)
    line = query[line_start:line_end if line_end != -1 else len(query)]
    col = pos - line_start + 1
    return f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{text}"


def malformed(query: str, pos: int, text: str, code: str = "MALFORMED_QUERY") -> SalesforceError:
    return SalesforceError(400, code, position_message(query, pos, text))


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN_RE.match(query, pos)
        if not m:
            raise malformed(query, pos, f"unexpected token: '{query[pos]}'")
        kind = m.lastgroup
        text = m.group()
        if kind == "quote":
            value, raw, end = _read_string(query, pos)
            tokens.append(Token("string", query[pos:end], pos, value, raw))
            pos = end
            continue
        if kind == "ident" and text.upper() in KEYWORDS:
            tokens.append(Token("keyword", text.upper(), pos))
        elif kind != "ws":
            tokens.append(Token(kind, text, pos))
        pos = m.end()
    tokens.append(Token("eof", "<EOF>", len(query)))
    return tokens


def _read_string(query: str, start: int) -> tuple[str, str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(query):
        ch = query[i]
        if ch == "\\":
            nxt = query[i + 1] if i + 1 < len(query) else ""
            if nxt not in _ESCAPES:
                bad = "\\" + nxt
                raise malformed(query, start, f"Invalid string literal '{query[start + 1:i + 2]}'. "
                                              f"Illegal character sequence '{bad}' in string literal.")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        if ch == "'":
            return "".join(out), query[start + 1:i], i + 1
        out.append(ch)
        i += 1
    raise malformed(query, start, "unexpected token: <EOF>")


# -- AST ------------------------------------------------------------------------------------
@dataclass
class FieldRef:
    path: list[str]
    pos: int

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass
class Aggregate:
    func: str
    field: FieldRef | None
    pos: int
    alias: str | None = None

    @property
    def key(self) -> str:
        return f"{self.func}({self.field.name.lower() if self.field else ''})"


@dataclass
class Literal:
    kind: str          # string, number, null, boolean, datetime, date, date_literal
    value: Any
    pos: int
    raw: str = ""
    n: int | None = None


@dataclass
class Comparison:
    field: FieldRef
    op: str            # = != < <= > >= IN NOT IN LIKE
    value: Literal | list[Literal]


@dataclass
class BoolOp:
    op: str            # AND, OR
    items: list[Any]


@dataclass
class Not:
    item: Any


@dataclass
class OrderItem:
    expr: FieldRef | Aggregate
    descending: bool = False
    nulls_first: bool | None = None   # None = Salesforce's default (first when ascending)


@dataclass
class Query:
    text: str
    select: list[FieldRef | Aggregate]
    sobject: str
    sobject_pos: int
    where: Any = None
    group_by: list[FieldRef] = field(default_factory=list)
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    objects: dict | None = None     # the org's objects (custom fields included), set by execute


# -- parser ---------------------------------------------------------------------------------
class Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _error(self, tok: Token | None = None) -> SalesforceError:
        tok = tok or self.tok
        shown = "<EOF>" if tok.kind == "eof" else f"'{tok.text}'"
        return malformed(self.query, tok.pos, f"unexpected token: {shown}")

    def _is(self, *keywords: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.text in keywords

    def _expect(self, keyword: str) -> Token:
        if not self._is(keyword):
            raise self._error()
        return self._next()

    def _punct(self, ch: str) -> bool:
        if self.tok.kind == "punct" and self.tok.text == ch:
            self.i += 1
            return True
        return False

    def parse(self) -> Query:
        if not self.query.strip():
            raise SalesforceError(400, "MALFORMED_QUERY", "SOQL statements cannot be empty or null")
        self._expect("SELECT")
        select = [self._select_item()]
        while self._punct(","):
            select.append(self._select_item())
        self._expect("FROM")
        is_group = self.tok.kind == "keyword" and self.tok.text == "GROUP"  # the Group object
        if not is_group and (self.tok.kind != "ident" or "." in self.tok.text):
            raise self._error()
        obj = self._next()
        if is_group:
            obj = Token("ident", self.query[obj.pos:obj.pos + 5], obj.pos)
        q = Query(self.query, select, obj.text, obj.pos)
        if self._is("WHERE"):
            self._next()
            q.where = self._condition()
        if self._is("GROUP"):
            self._next()
            self._expect("BY")
            q.group_by = [self._field()]
            while self._punct(","):
                q.group_by.append(self._field())
        if self._is("ORDER"):
            self._next()
            self._expect("BY")
            q.order_by = [self._order_item()]
            while self._punct(","):
                q.order_by.append(self._order_item())
        if self._is("LIMIT"):
            self._next()
            q.limit = self._integer()
        if self._is("OFFSET"):
            self._next()
            q.offset = self._integer()
        if self.tok.kind != "eof":
            raise self._error()
        return q

    def _integer(self) -> int:
        tok = self.tok
        if tok.kind != "number" or not tok.text.lstrip("+").isdigit():
            raise self._error()
        self._next()
        return int(tok.text)

    def _field(self) -> FieldRef:
        tok = self.tok
        if tok.kind != "ident" or ":" in tok.text:
            raise self._error()
        self._next()
        return FieldRef(tok.text.split("."), tok.pos)

    def _select_item(self) -> FieldRef | Aggregate:
        tok = self.tok
        if tok.kind == "ident" and tok.text.upper() in AGGREGATES and \
                self.tokens[self.i + 1].text == "(":
            agg = self._aggregate()
            if self.tok.kind == "ident" and ":" not in self.tok.text and "." not in self.tok.text:
                agg.alias = self._next().text
            return agg
        return self._field()

    def _aggregate(self) -> Aggregate:
        tok = self._next()
        self._punct("(")
        inner = None if (self.tok.kind == "punct" and self.tok.text == ")") else self._field()
        if not self._punct(")"):
            raise self._error()
        if inner is None and tok.text.upper() != "COUNT":
            raise self._error(self.tokens[self.i - 1])
        return Aggregate(tok.text.upper(), inner, tok.pos)

    def _order_item(self) -> OrderItem:
        tok = self.tok
        if tok.kind == "ident" and tok.text.upper() in AGGREGATES and \
                self.tokens[self.i + 1].text == "(":
            item = OrderItem(self._aggregate())
        else:
            item = OrderItem(self._field())
        if self._is("ASC", "DESC"):
            item.descending = self._next().text == "DESC"
        if self._is("NULLS"):
            self._next()
            if not self._is("FIRST", "LAST"):
                raise self._error()
            item.nulls_first = self._next().text == "FIRST"
        return item

    def _condition(self) -> Any:
        items = [self._unary()]
        op = None
        while self._is("AND", "OR"):
            tok = self._next()
            if op is not None and tok.text != op:
                raise self._error(tok)  # SOQL needs parentheses to mix AND and OR
            op = tok.text
            items.append(self._unary())
        return items[0] if op is None else BoolOp(op, items)

    def _unary(self) -> Any:
        if self._is("NOT"):
            self._next()
            return Not(self._unary())
        if self._punct("("):
            inner = self._condition()
            if not self._punct(")"):
                raise self._error()
            return inner
        return self._comparison()

    def _comparison(self) -> Comparison:
        ref = self._field()
        tok = self.tok
        if tok.kind == "op":
            self._next()
            op = "!=" if tok.text == "<>" else tok.text
            return Comparison(ref, op, self._literal())
        if self._is("LIKE"):
            self._next()
            return Comparison(ref, "LIKE", self._literal())
        negate = False
        if self._is("NOT"):
            self._next()
            negate = True
            if not self._is("IN"):
                raise self._error()
        if self._is("IN"):
            self._next()
            if not self._punct("("):
                raise self._error()
            values = [self._literal()]
            while self._punct(","):
                values.append(self._literal())
            if not self._punct(")"):
                raise self._error()
            return Comparison(ref, "NOT IN" if negate else "IN", values)
        raise self._error()

    def _literal(self) -> Literal:
        tok = self._next()
        if tok.kind == "string":
            return Literal("string", tok.value, tok.pos, tok.raw)
        if tok.kind == "number":
            return Literal("number", float(tok.text) if "." in tok.text else int(tok.text),
                           tok.pos)
        if tok.kind in ("datetime", "date"):
            return Literal(tok.kind, tok.text, tok.pos)
        if tok.kind == "keyword" and tok.text in ("NULL", "TRUE", "FALSE"):
            if tok.text == "NULL":
                return Literal("null", None, tok.pos)
            return Literal("boolean", tok.text == "TRUE", tok.pos)
        if tok.kind == "ident":
            name, _, n = tok.text.upper().partition(":")
            if name in DATE_LITERALS and (bool(n) == name.endswith("_N_DAYS") or
                                          (name == "N_DAYS_AGO" and n)):
                return Literal("date_literal", name, tok.pos, n=int(n) if n else None)
        raise self._error(tok)


def parse(query: str) -> Query:
    return Parser(query).parse()
