"""Evaluating a parsed SOQL query against the store: field checks with Salesforce's errors,
filtering, ordering, grouping and the JSON shape of result rows."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable

import sandbox.salesforce.ids as ids
from sandbox.salesforce.aggregate import run_aggregate
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.ordering import QueryResult, fold, order, sort_key_cmp
from sandbox.salesforce.schema import NAME_FIELDS, OBJECTS, Field, FieldType, SObjectType
from sandbox.salesforce.soql import (Aggregate, BoolOp, Comparison, FieldRef, Literal, Not, Query,
                                     malformed, parse)
from sandbox.salesforce.store import Store
from sandbox.salesforce.values import parse_datetime, to_json

_CUSTOM_FIELD_HINT = ("If you are attempting to use a custom field, be sure to append the '__c' "
                      "after the custom field name. Please reference your WSDL or the describe "
                      "call for the appropriate names.")
_NAME_TYPES = {"Id": FieldType.ID, "IsActive": FieldType.BOOLEAN}


class Resolved:
    """A checked field path: how to read it from a row and what type it has."""

    def __init__(self, ref: FieldRef, steps: list[Field], leaf: Field, polymorphic_leaf: bool):
        self.ref, self.steps, self.leaf = ref, steps, leaf
        self.polymorphic_leaf = polymorphic_leaf

    def related(self, store: Store, row: dict) -> list[tuple[str, dict | None]]:
        """(sObject type, record) for each relationship hop."""
        out, current = [], row
        for step in self.steps:
            target_id = current.get(step.name) if current else None
            found = store.find(target_id) if target_id else None
            current = found[1] if found else None
            out.append((found[0] if found else "", current))
        return out

    def value(self, store: Store, row: dict) -> Any:
        hops = self.related(store, row) if self.steps else []
        record = hops[-1][1] if hops else row
        if record is None:
            return None
        if self.polymorphic_leaf and self.leaf.name == "Type":
            return "User" if hops[-1][0] == "User" else record.get("Type")
        return record.get(self.leaf.name)


def resolve(q: Query, obj: SObjectType, ref: FieldRef) -> Resolved:
    current: SObjectType | None = obj
    steps: list[Field] = []
    for i, part in enumerate(ref.path):
        last = i == len(ref.path) - 1
        if current is None:  # past a polymorphic hop: only the Name entity's fields exist
            if last and part.lower() in {n.lower() for n in NAME_FIELDS}:
                name = next(n for n in NAME_FIELDS if n.lower() == part.lower())
                leaf = Field(name, _NAME_TYPES.get(name, FieldType.STRING))
                return Resolved(ref, steps, leaf, True)
            raise malformed(q.text, ref.pos, f"No such column '{part}' on entity 'Name'. "
                            f"{_CUSTOM_FIELD_HINT}", "INVALID_FIELD")
        if last:
            leaf = current.field(part)
            if leaf is None:
                raise malformed(q.text, ref.pos, f"No such column '{part}' on entity "
                                f"'{current.name}'. {_CUSTOM_FIELD_HINT}", "INVALID_FIELD")
            return Resolved(ref, steps, leaf, False)
        rel = current.relationship(part)
        if rel is None:
            raise malformed(q.text, ref.pos, f"Didn't understand relationship '{part}' in field "
                            "path. If you are attempting to use a custom relationship, be sure "
                            "to append the '__r' after the custom relationship name. Please "
                            "reference your WSDL or the describe call for the appropriate names.",
                            "INVALID_FIELD")
        steps.append(rel)
        current = None if rel.polymorphic else (q.objects or OBJECTS).get(rel.reference_to[0].lower())
    raise AssertionError("unreachable")


# -- filters --------------------------------------------------------------------------------
def _filter_error(q: Query, lit: Literal, field: Field, expected: str, quoted: bool) -> SalesforceError:
    how = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return malformed(q.text, lit.pos, f"value of filter criterion for field '{field.name}' must "
                     f"be of type {expected} and {how}", "INVALID_QUERY_FILTER_OPERATOR")


def _date_range(lit: Literal, today: date) -> tuple[date, date]:
    """Half-open [start, end) range of days for a named date literal (org time zone: UTC)."""
    n = lit.n or 0
    week = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    month = today.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    ranges = {
        "TODAY": (today, today + timedelta(1)), "YESTERDAY": (today - timedelta(1), today),
        "TOMORROW": (today + timedelta(1), today + timedelta(2)),
        "LAST_N_DAYS": (today - timedelta(n), today + timedelta(1)),
        "NEXT_N_DAYS": (today + timedelta(1), today + timedelta(n + 1)),
        "N_DAYS_AGO": (today - timedelta(n), today - timedelta(n - 1)),
        "THIS_WEEK": (week, week + timedelta(7)), "LAST_WEEK": (week - timedelta(7), week),
        "NEXT_WEEK": (week + timedelta(7), week + timedelta(14)),
        "THIS_MONTH": (month, next_month),
        "LAST_MONTH": ((month - timedelta(1)).replace(day=1), month),
        "NEXT_MONTH": (next_month, (next_month + timedelta(32)).replace(day=1)),
    }
    return ranges[lit.value]


def _typed(q: Query, field: Field, lit: Literal, now: datetime) -> Any:
    """The literal as a comparable value of the field's type, or Salesforce's filter error."""
    t = field.type
    if lit.kind == "null":
        return None
    if t in (FieldType.ID, FieldType.REFERENCE):
        if lit.kind != "string":
            raise _filter_error(q, lit, field, "id", True)
        normalized = ids.normalize(lit.value)
        if normalized is None:
            raise malformed(q.text, lit.pos, f"invalid ID field: {lit.value}",
                            "INVALID_QUERY_FILTER_OPERATOR")
        return normalized
    if t.is_text:
        if lit.kind != "string":
            raise _filter_error(q, lit, field, "string", True)
        return lit.value
    if t is FieldType.BOOLEAN:
        if lit.kind != "boolean":
            raise _filter_error(q, lit, field, "boolean", False)
        return lit.value
    if t in (FieldType.INT, FieldType.DOUBLE):
        if lit.kind != "number":
            raise _filter_error(q, lit, field, "double" if t is FieldType.DOUBLE else "int", False)
        return lit.value
    expected = "dateTime" if t is FieldType.DATETIME else "date"
    if lit.kind == "date_literal":
        start, end = _date_range(lit, now.date())
        if t is FieldType.DATETIME:
            return (datetime.combine(start, time(), timezone.utc),
                    datetime.combine(end, time(), timezone.utc))
        return (start, end)
    if t is FieldType.DATETIME and lit.kind == "datetime":
        return parse_datetime(lit.value)
    if t is FieldType.DATE and lit.kind == "date":
        return date.fromisoformat(lit.value)
    raise _filter_error(q, lit, field, expected, lit.kind != "string")


def _like_regex(raw: str) -> re.Pattern:
    out, i = [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(re.escape({"n": "\n", "t": "\t", "r": "\r"}.get(raw[i + 1], raw[i + 1])))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(right, tuple):  # a date literal's range
        start, end = right
        if left is None:
            return op == "!="
        return {"=": start <= left < end, "!=": not start <= left < end, "<": left < start,
                "<=": left < end, ">": left >= end, ">=": left >= start}[op]
    if op == "=":
        return fold(left) == fold(right)
    if op == "!=":
        return fold(left) != fold(right)
    if left is None or right is None:
        return False
    left, right = fold(left), fold(right)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def compile_where(q: Query, obj: SObjectType, store: Store, now: datetime) -> Callable[[dict], bool]:
    def build(node: Any) -> Callable[[dict], bool]:
        if isinstance(node, BoolOp):
            parts = [build(item) for item in node.items]
            if node.op == "AND":
                return lambda row: all(p(row) for p in parts)
            return lambda row: any(p(row) for p in parts)
        if isinstance(node, Not):
            inner = build(node.item)
            return lambda row: not inner(row)
        assert isinstance(node, Comparison)
        res = resolve(q, obj, node.field)
        get = lambda row: res.value(store, row)  # noqa: E731
        if node.op in ("IN", "NOT IN"):
            values = {fold(_typed(q, res.leaf, lit, now)) for lit in node.value}
            negate = node.op == "NOT IN"
            return lambda row: (fold(get(row)) in values) != negate
        lit = node.value
        if node.op == "LIKE":
            if not res.leaf.type.is_text or lit.kind != "string":
                raise malformed(q.text, node.field.pos, f"invalid operator on {res.leaf.type.value}"
                                " field", "INVALID_QUERY_FILTER_OPERATOR")
            pattern = _like_regex(lit.raw)
            return lambda row: get(row) is not None and bool(pattern.fullmatch(str(get(row))))
        right = _typed(q, res.leaf, lit, now)
        op = node.op
        return lambda row: _compare(op, get(row), right)

    return build(q.where) if q.where is not None else (lambda row: True)


# -- execution ------------------------------------------------------------------------------
def execute(text: str, store: Store, now: datetime, version: str, *,
            include_deleted: bool = False) -> QueryResult:
    q = parse(text)
    q.objects = store.schema
    obj = store.object(q.sobject)
    if obj is None:
        raise malformed(q.text, q.sobject_pos, f"sObject type '{q.sobject}' is not supported. If "
                        "you are attempting to use a custom object, be sure to append the '__c' "
                        "after the entity name. Please reference your WSDL or the describe call "
                        "for the appropriate names.", "INVALID_TYPE")
    if q.offset is not None and q.offset > 2000:
        raise SalesforceError(400, "NUMBER_OUTSIDE_VALID_RANGE",
                              "Maximum SOQL offset allowed is 2000")
    seen: set[str] = set()
    for item in q.select:
        if isinstance(item, FieldRef):
            if item.name.lower() in seen:
                raise malformed(q.text, item.pos, f"duplicate field selected: {item.name}")
            seen.add(item.name.lower())
    where = compile_where(q, obj, store, now)
    rows = [r for r in store.rows(obj.name)
            if (include_deleted or not r["IsDeleted"]) and where(r)]
    if any(isinstance(i, Aggregate) for i in q.select) or q.group_by:
        return run_aggregate(q, obj, store, rows, resolve)
    fields = [resolve(q, obj, item) for item in q.select]
    if q.order_by:
        keys = []
        for item in q.order_by:
            if isinstance(item.expr, Aggregate):
                raise malformed(q.text, item.expr.pos, "Ordered field must be grouped or aggregated")
            res = resolve(q, obj, item.expr)
            keys.append((lambda row, res=res: res.value(store, row),
                         sort_key_cmp(item.descending, item.nulls_first)))
        rows = order(rows, keys)
    rows = rows[q.offset or 0:]
    if q.limit is not None:
        rows = rows[:q.limit]
    return QueryResult([shape_row(obj.name, row, fields, store, version) for row in rows], len(rows))


def attributes(type_name: str, record_id: str | None, version: str) -> dict:
    return {"type": type_name, "url": f"/services/data/v{version}/sobjects/{type_name}/{record_id}"}


def shape_row(type_name: str, row: dict, fields: list[Resolved], store: Store,
              version: str) -> dict:
    out: dict[str, Any] = {"attributes": attributes(type_name, row["Id"], version)}
    for res in fields:
        if not res.steps:
            out[res.leaf.name] = to_json(row.get(res.leaf.name))
            continue
        container = out
        for hop, (target_type, target) in zip(res.steps, res.related(store, row)):
            key = hop.relationship
            if target is None:
                container.setdefault(key, None)
                break
            nested = container.get(key)
            if nested is None:
                shown = "Name" if hop.polymorphic else target_type
                nested = container[key] = {"attributes": {
                    "type": shown,
                    "url": f"/services/data/v{version}/sobjects/{target_type}/{target['Id']}"}}
            container = nested
        else:
            container[res.leaf.name] = to_json(res.value(store, row))
    return out
