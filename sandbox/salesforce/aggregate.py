"""Aggregate SOQL: COUNT()/COUNT(f)/COUNT_DISTINCT/MIN/MAX/SUM/AVG with GROUP BY.

Rows are typed AggregateResult; aggregates are keyed by alias, else expr0, expr1, ... in
select order; grouped fields by their field name (Owner.Name -> "Name")."""
from __future__ import annotations

from typing import Any, Callable

from sandbox.salesforce.ordering import QueryResult, fold, order, sort_key_cmp
from sandbox.salesforce.soql import Aggregate, FieldRef, Query, malformed
from sandbox.salesforce.values import to_json


def _aggregate(func: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if func == "COUNT":
        return len(present)
    if func == "COUNT_DISTINCT":
        return len({v.lower() if isinstance(v, str) else v for v in present})
    if not present:
        return None
    if func == "MIN":
        return min(present)
    if func == "MAX":
        return max(present)
    if func == "SUM":
        return sum(present)
    return sum(present) / len(present)  # AVG


def run_aggregate(q: Query, obj: Any, store: Any, rows: list[dict], resolve: Callable) -> Any:
    if len(q.select) == 1 and isinstance(q.select[0], Aggregate) and q.select[0].field is None:
        if q.group_by:
            raise malformed(q.text, q.select[0].pos, "COUNT() and GROUP BY may not be used together")
        total = len(rows[q.offset or 0:])
        return QueryResult([], min(total, q.limit) if q.limit is not None else total, True)
    grouped = {ref.name.lower(): resolve(q, obj, ref) for ref in q.group_by}
    columns: list[tuple[str, Callable[[list[dict]], Any]]] = []
    by_expr: dict[str, str] = {}
    expr_n = 0
    for item in q.select:
        if isinstance(item, FieldRef):
            if item.name.lower() not in grouped:
                raise malformed(q.text, item.pos, f"Field must be grouped or aggregated: {item.name}")
            res = grouped[item.name.lower()]
            columns.append((res.leaf.name, lambda g, res=res: res.value(store, g[0]) if g else None))
            by_expr[item.name.lower()] = res.leaf.name
            continue
        if item.field is None:
            raise malformed(q.text, item.pos, "COUNT() must be the only element in the SELECT list")
        if item.alias:
            key = item.alias
        else:
            key, expr_n = f"expr{expr_n}", expr_n + 1
        res = resolve(q, obj, item.field)
        columns.append((key, lambda g, res=res, func=item.func:
                        _aggregate(func, [res.value(store, r) for r in g])))
        by_expr[item.key] = key
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = tuple(fold(res.value(store, row)) for res in grouped.values())
        groups.setdefault(key, []).append(row)
    if not grouped:
        groups = {(): rows}
    results = [{name: compute(group) for name, compute in columns} for group in groups.values()]
    if q.order_by:
        keys = []
        for item in q.order_by:
            expr = item.expr
            lookup = expr.key if isinstance(expr, Aggregate) else expr.name.lower()
            if lookup not in by_expr:
                raise malformed(q.text, expr.pos, "Ordered field must be grouped or aggregated: "
                                f"{expr.field.name if isinstance(expr, Aggregate) and expr.field else getattr(expr, 'name', '')}")
            keys.append((lambda r, k=by_expr[lookup]: r[k],
                         sort_key_cmp(item.descending, item.nulls_first)))
        results = order(results, keys)
    results = results[q.offset or 0:]
    if q.limit is not None:
        results = results[:q.limit]
    shaped = [{"attributes": {"type": "AggregateResult"},
               **{k: to_json(v) for k, v in r.items()}} for r in results]
    return QueryResult(shaped, len(shaped))
