"""Rule conditions: an operator registry, compiled once at config load into closures.

A condition is a leaf ``{field, op, value}`` or ``{all: [...]}``, ``{any: [...]}``,
``{not: {...}}``, nested to any depth. ``compile_condition`` validates and compiles in one pass,
so what loads is exactly what runs. String comparisons are trimmed and case-insensitive; a
missing field (None, empty string, empty list) never satisfies a positive operator and always
satisfies a negative one (ne, not_in, not_contains, not_exists).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .errors import ConfigIssue
from .geo import normalize_country, normalize_state
from .lead import Lead, _to_float, field_getter, is_known_field, parse_datetime
from .text import domain_matches, email_domain, fold, website_domain

MAX_PATTERN = 256      # regex length bound (characters)
MAX_SUBJECT = 1024     # only this much of a lead value is searched by `matches`
# (x+)+, (x*)*, (x+){2,}: the classic catastrophic-backtracking shapes, refused at load.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def _missing(v) -> bool:
    return v is None or v == "" or (isinstance(v, (list, tuple, set)) and not v)


def _num(v) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).timestamp()
    dt = parse_datetime(v) if isinstance(v, str) and len(v) >= 10 and v[4:5] == "-" else None
    return dt.timestamp() if dt else _to_float(v)


def _strings(v) -> list[str]:
    return [fold(x) for x in v] if isinstance(v, (list, tuple, set)) else [fold(v)]


def _norm_value(fieldname: str, value):
    """Config values for country/state fields are normalized like lead values."""
    if fieldname == "country" and isinstance(value, str):
        return normalize_country(value) or value
    if fieldname == "state" and isinstance(value, str):
        return normalize_state(value)
    return value


# --- builders: (value, field) -> test(lead_value) for a present lead value --------------------

def _scalar_key(fieldname, value):
    value = _norm_value(fieldname, value)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", float(value))
    return ("s", fold(value))


def _b_eq(value, fieldname):
    kind, key = _scalar_key(fieldname, value)
    if kind == "s":
        return lambda v: v.strip().casefold() == key if type(v) is str else key in _strings(v)
    if kind == "b":
        return lambda v: (v if isinstance(v, bool) else fold(v) in ("true", "1", "yes")) == key
    return lambda v: _num(v) == key


def _b_in(value, fieldname):
    strs = frozenset(k for kind, k in map(lambda x: _scalar_key(fieldname, x), value) if kind == "s")
    nums = frozenset(k for kind, k in map(lambda x: _scalar_key(fieldname, x), value) if kind == "n")
    def test(v):
        if type(v) is str:
            s = v.strip().casefold()
            if s in strs:
                return True
            return bool(nums) and _num(v) in nums
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v) in nums or fold(v) in strs
        if any(s in strs for s in _strings(v)):
            return True
        return bool(nums) and _num(v) in nums
    return test


def _b_contains(value, fieldname):
    needle = fold(value)
    return lambda v: any(needle in s for s in _strings(v))


def _b_starts(value, fieldname):
    needle = fold(value)
    return lambda v: any(s.startswith(needle) for s in _strings(v))


def _b_ends(value, fieldname):
    needle = fold(value)
    return lambda v: any(s.endswith(needle) for s in _strings(v))


def _cmp(pred):
    def build(value, fieldname):
        bound = _num(value)
        def test(v):
            n = _num(v)
            return n is not None and pred(n, bound)
        return test
    return build


def _b_between(value, fieldname):
    lo, hi = _num(value[0]), _num(value[1])
    def test(v):
        n = _num(v)
        return n is not None and lo <= n <= hi
    return test


def _b_matches(value, fieldname):
    pattern = re.compile(value, re.IGNORECASE)
    return lambda v: any(pattern.search(s[:MAX_SUBJECT]) for s in
                         ([str(x).strip() for x in v] if isinstance(v, (list, tuple)) else [str(v).strip()]))


def _b_domain_in(value, fieldname):
    domains = frozenset(website_domain(d) or fold(d) for d in value)
    def test(v):
        text = str(v)
        d = email_domain(text) if "@" in text else website_domain(text)
        return domain_matches(d, domains) is not None
    return test


@dataclass(frozen=True)
class Operator:
    name: str
    arity: str              # none | one | list | range | pattern
    value_types: tuple[str, ...]
    positive: bool
    description: str
    build: Callable | None = None
    negate: str | None = None  # negative operators are the complement of a positive one


OPERATORS: dict[str, Operator] = {op.name: op for op in (
    Operator("eq", "one", ("string", "number", "boolean"), True, "equals", _b_eq),
    Operator("ne", "one", ("string", "number", "boolean"), False, "does not equal", negate="eq"),
    Operator("in", "list", ("string", "number"), True, "is one of", _b_in),
    Operator("not_in", "list", ("string", "number"), False, "is none of", negate="in"),
    Operator("contains", "one", ("string",), True, "contains", _b_contains),
    Operator("not_contains", "one", ("string",), False, "does not contain", negate="contains"),
    Operator("starts_with", "one", ("string",), True, "starts with", _b_starts),
    Operator("ends_with", "one", ("string",), True, "ends with", _b_ends),
    Operator("gt", "one", ("number", "datetime"), True, "is greater than", _cmp(lambda a, b: a > b)),
    Operator("gte", "one", ("number", "datetime"), True, "is at least", _cmp(lambda a, b: a >= b)),
    Operator("lt", "one", ("number", "datetime"), True, "is less than", _cmp(lambda a, b: a < b)),
    Operator("lte", "one", ("number", "datetime"), True, "is at most", _cmp(lambda a, b: a <= b)),
    Operator("between", "range", ("number", "datetime"), True, "is between (inclusive)", _b_between),
    Operator("exists", "none", (), True, "is present"),
    Operator("not_exists", "none", (), False, "is missing"),
    Operator("matches", "pattern", ("string",), True,
             f"matches the regular expression (case-insensitive, at most {MAX_PATTERN} characters)",
             _b_matches),
    Operator("domain_in", "list", ("string",), True,
             "email/website domain is one of (subdomains included)", _b_domain_in),
)}


def _value_problem(op: Operator, value) -> str | None:
    scalar = (str, int, float, bool)
    if op.arity == "none":
        return None if value is None else f"{op.name} takes no value"
    if value is None:
        return f"{op.name} needs a value"
    if op.arity in ("one", "pattern") and not isinstance(value, scalar):
        return f"{op.name} needs a single value, got {type(value).__name__}"
    if op.arity == "list" and (not isinstance(value, list) or not value
                               or not all(isinstance(v, scalar) for v in value)):
        return f"{op.name} needs a non-empty list of values"
    if op.arity == "range" and (not isinstance(value, list) or len(value) != 2):
        return f"{op.name} needs [low, high]"
    if "number" in op.value_types and "string" not in op.value_types:
        for v in (value if isinstance(value, list) else [value]):
            if isinstance(v, bool) or _num(v) is None:
                return f"{op.name} needs a number or an ISO date, got {v!r}"
        if op.arity == "range" and _num(value[0]) > _num(value[1]):
            return "between needs low <= high"
    if op.arity == "pattern":
        if not isinstance(value, str):
            return "matches needs a regular expression string"
        if len(value) > MAX_PATTERN:
            return f"regular expression longer than {MAX_PATTERN} characters"
        if _NESTED_QUANTIFIER.search(value):
            return "regular expression has a nested quantifier (catastrophic backtracking risk)"
        try:
            re.compile(value)
        except re.error as exc:
            return f"bad regular expression: {exc}"
    return None


# --- compiled nodes ----------------------------------------------------------------------------

@dataclass
class Node:
    kind: str                       # leaf | all | any | not
    test: Callable[[Lead], bool]
    text: str
    children: list["Node"] = field(default_factory=list)
    getter: Callable | None = None
    field: str | None = None


def _leaf(spec: dict, path: str, issues: list[ConfigIssue]) -> Node | None:
    bad = False
    for key in spec:
        if key not in ("field", "op", "value"):
            issues.append(ConfigIssue(f"{path}.{key}", f"unknown key {key!r} in a condition"))
            bad = True
    fname, opname, value = spec.get("field"), spec.get("op"), spec.get("value")
    if not isinstance(fname, str) or not is_known_field(fname):
        issues.append(ConfigIssue(f"{path}.field", f"unknown field {fname!r} (canonical field or raw.<Name>)"))
        bad = True
    op = OPERATORS.get(opname) if isinstance(opname, str) else None
    if op is None:
        issues.append(ConfigIssue(f"{path}.op", f"unknown operator {opname!r}; one of: {', '.join(OPERATORS)}"))
        return None
    problem = _value_problem(op, value)
    if problem:
        issues.append(ConfigIssue(f"{path}.value", problem))
        return None
    if bad:
        return None
    get = field_getter(fname)
    text = f"{fname} {opname}" + ("" if op.arity == "none" else f" {value!r}")
    if op.name in ("exists", "not_exists"):
        want = op.name == "exists"
        return Node("leaf", lambda lead: _missing(get(lead)) != want, text, getter=get, field=fname)
    base = OPERATORS[op.negate] if op.negate else op
    check = base.build(value, fname)
    if op.name == "eq" and isinstance(value, str) and not isinstance(value, bool):
        key = fold(_norm_value(fname, value))
        def test(lead):  # the commonest leaf, specialised: no extra call for plain strings
            v = get(lead)
            if type(v) is str:
                return v.strip().casefold() == key
            return v is not None and v != "" and check(v)
    elif op.positive:
        def test(lead):
            v = get(lead)
            return v is not None and v != "" and check(v)
    else:
        def test(lead):
            v = get(lead)
            return v is None or v == "" or not check(v)
    return Node("leaf", test, text, getter=get, field=fname)


def compile_condition(spec: Any, path: str, issues: list[ConfigIssue]) -> Node | None:
    """Validate and compile; problems are appended to ``issues`` with their paths."""
    if not isinstance(spec, dict):
        issues.append(ConfigIssue(path, "a condition must be a mapping"))
        return None
    groups = [k for k in ("all", "any", "not") if k in spec]
    if not groups:
        return _leaf(spec, path, issues)
    if len(spec) != 1:
        issues.append(ConfigIssue(path, f"'{groups[0]}' must be the only key of its condition"))
        return None
    kind = groups[0]
    body = spec[kind]
    if kind == "not":
        child = compile_condition(body, f"{path}.not", issues)
        if child is None:
            return None
        inner = child.test
        return Node("not", lambda lead: not inner(lead), f"not ({child.text})", [child])
    if not isinstance(body, list) or not body:
        issues.append(ConfigIssue(f"{path}.{kind}", f"'{kind}' needs a non-empty list of conditions"))
        return None
    children = [compile_condition(c, f"{path}.{kind}[{i}]", issues) for i, c in enumerate(body)]
    if any(c is None for c in children):
        return None
    tests = tuple(c.test for c in children)
    if kind == "all":
        def test(lead):
            for t in tests:
                if not t(lead):
                    return False
            return True
    else:
        def test(lead):
            for t in tests:
                if t(lead):
                    return True
            return False
    joiner = " and " if kind == "all" else " or "
    return Node(kind, test, "(" + joiner.join(c.text for c in children) + ")", children)


def explain(node: Node, lead: Lead) -> str:
    """Why a condition did not hold for this lead (slow path, for the trace only)."""
    if node.kind == "leaf":
        v = node.getter(lead)
        return f"{node.field} is missing" if _missing(v) else f"{node.field} is {_show(v)}, not {node.text}"
    if node.kind == "all":
        failed = next(c for c in node.children if not c.test(lead))
        return explain(failed, lead)
    if node.kind == "any":
        return "none of: " + "; ".join(explain(c, lead) for c in node.children)
    return f"{node.children[0].text} holds"


def _show(v) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else repr(v)

