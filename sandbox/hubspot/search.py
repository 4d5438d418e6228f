"""`POST /crm/v3/objects/{type}/search`: validation against HubSpot's documented limits, filter
evaluation (OR of AND groups), one sort, `after` paging and the 10,000-result cap."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable

import sandbox.hubspot.errors as errors
from sandbox.hubspot.properties import SCHEMAS, PropType, sort_key, to_ms
from sandbox.hubspot.store import Record


@dataclass
class SearchLimits:
    # HubSpot's search guide: "a maximum of five filterGroups with up to 6 filters in each group,
    # with a maximum of 18 filters in total"; 200 records per page; 10,000 results per query.
    # (An Aug 2024 changelog announced 5/10/25; the guide still documents 5/6/18: configurable.)
    max_groups: int = 5
    max_filters_per_group: int = 6
    max_filters_total: int = 18
    max_limit: int = 200
    max_results: int = 10_000


def _value(record: Record, name: str) -> str | None:
    value = record.properties.get(name)
    return None if value in (None, "") else value


def _compare(kind: PropType, left: str, right) -> int:
    if kind is PropType.NUMBER:
        a, b = float(left), float(str(right))
    elif kind is PropType.DATETIME:
        a, b = to_ms(left), to_ms(right)
        if b is None:
            raise errors.validation(f"{right} is not a valid datetime value; "
                                    "use epoch milliseconds or ISO 8601")
    else:
        a, b = left.lower(), str(right).lower()
    return (a > b) - (a < b)


_TOKEN_SPLIT = re.compile(r"[^0-9a-zA-Z_*]+")


def _has_token(text: str, token: str) -> bool:
    token = str(token).lower()
    text = text.lower()
    if "*" in token:  # HubSpot's wildcard form, e.g. "*@example.com"
        return fnmatch.fnmatchcase(text, token) or any(
            fnmatch.fnmatchcase(part, token) for part in _TOKEN_SPLIT.split(text) if part)
    return token in [part for part in _TOKEN_SPLIT.split(text) if part] or token == text


def _eq(kind, value, target) -> bool:
    return value is not None and _compare(kind, value, target) == 0


OPERATORS: dict[str, Callable[[PropType, str | None, dict], bool]] = {
    "EQ": lambda k, v, f: _eq(k, v, f.get("value")),
    "NEQ": lambda k, v, f: not _eq(k, v, f.get("value")),
    "LT": lambda k, v, f: v is not None and _compare(k, v, f.get("value")) < 0,
    "LTE": lambda k, v, f: v is not None and _compare(k, v, f.get("value")) <= 0,
    "GT": lambda k, v, f: v is not None and _compare(k, v, f.get("value")) > 0,
    "GTE": lambda k, v, f: v is not None and _compare(k, v, f.get("value")) >= 0,
    "BETWEEN": lambda k, v, f: v is not None and _compare(k, v, f.get("value")) >= 0
    and _compare(k, v, f.get("highValue")) <= 0,
    "IN": lambda k, v, f: any(_eq(k, v, x) for x in f.get("values") or []),
    "NOT_IN": lambda k, v, f: not any(_eq(k, v, x) for x in f.get("values") or []),
    "HAS_PROPERTY": lambda k, v, f: v is not None,
    "NOT_HAS_PROPERTY": lambda k, v, f: v is None,
    "CONTAINS_TOKEN": lambda k, v, f: v is not None and _has_token(v, f.get("value", "")),
    "NOT_CONTAINS_TOKEN": lambda k, v, f: v is None or not _has_token(v, f.get("value", "")),
}


def _validate_filter(object_type: str, flt: dict, schema: dict[str, PropType]) -> None:
    if not isinstance(flt, dict) or not flt.get("propertyName") or not flt.get("operator"):
        raise errors.invalid_json(1, "Cannot build Filter, some of required attributes are not set "
                                     "[propertyName, operator]")
    operator = flt["operator"]
    if operator not in OPERATORS:
        raise errors.invalid_json(1, f"Cannot deserialize value of type `FilterOperator` from String "
                                     f"\"{operator}\": not one of the values accepted for Enum class: "
                                     f"[{', '.join(OPERATORS)}]")
    if operator == "BETWEEN" and flt.get("highValue") is None:
        raise errors.invalid_json(1, "Cannot construct instance of "
                                     "`com.hubspot.inbounddb.publicobject.core.v3.search.Filter`, "
                                     "problem: operator BETWEEN requires a highValue")
    if operator in ("IN", "NOT_IN") and not flt.get("values"):
        raise errors.invalid_json(1, "Cannot construct instance of "
                                     "`com.hubspot.inbounddb.publicobject.core.v3.search.Filter`, "
                                     f"problem: operator {operator} requires values")
    if flt["propertyName"] not in schema:
        raise errors.validation(f"There was a problem with the request. Property "
                                f"\"{flt['propertyName']}\" does not exist on object type "
                                f"{object_type}")


def validate(object_type: str, body: dict, limits: SearchLimits,
             schema: dict[str, PropType] | None = None) -> tuple[list, int, int]:
    """(filter groups, limit, after) or HubSpot's 400."""
    schema = SCHEMAS[object_type] if schema is None else schema
    groups = body.get("filterGroups") or []
    if len(groups) > limits.max_groups:
        raise errors.validation(f"Too many filter groups: {len(groups)}. "
                                f"The maximum allowed is {limits.max_groups}.")
    total = 0
    for group in groups:
        filters = (group or {}).get("filters") or []
        if len(filters) > limits.max_filters_per_group:
            raise errors.validation(f"Too many filters in a filter group: {len(filters)}. "
                                    f"The maximum allowed is {limits.max_filters_per_group}.")
        total += len(filters)
        for flt in filters:
            _validate_filter(object_type, flt, schema)
    if total > limits.max_filters_total:
        raise errors.validation(f"Too many filters: {total}. "
                                f"The maximum allowed is {limits.max_filters_total}.")
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or limit < 0 or limit > limits.max_limit:
        raise errors.validation(f"limit must be between 0 and {limits.max_limit}; got {limit}")
    after_raw = body.get("after") or 0
    try:
        after = int(after_raw)
    except (TypeError, ValueError):
        raise errors.validation(f"Invalid paging cursor (after): {after_raw}") from None
    if after >= limits.max_results:
        # The search endpoints are limited to 10,000 total results for any given query;
        # attempting to page beyond 10,000 results in a 400.
        raise errors.validation(f"The search endpoints are limited to {limits.max_results} total "
                                f"results for any given query. after={after} is out of range.")
    return groups, limit, after


def _matches(object_type: str, record: Record, groups: list, schema: dict[str, PropType]) -> bool:
    if not groups:
        return True
    return any(all(OPERATORS[f["operator"]](schema[f["propertyName"]],
                                            _value(record, f["propertyName"]), f)
                   for f in group.get("filters") or [])
               for group in groups)


_QUERY_PROPERTIES = {"contacts": ("firstname", "lastname", "email", "phone", "company"),
                     "companies": ("name", "domain", "website", "phone"),
                     "leads": ("hs_lead_name",)}


def _matches_query(object_type: str, record: Record, query: str | None) -> bool:
    if not query:
        return True
    words = [w.lower() for w in query.split() if w]
    values = " ".join((record.properties.get(p) or "") for p in _QUERY_PROPERTIES[object_type]).lower()
    return all(any(part.startswith(w) for part in _TOKEN_SPLIT.split(values)) or w in values
               for w in words)


def _sorts(body: dict) -> tuple[str, bool]:
    sorts = body.get("sorts") or []
    if not sorts:
        return "hs_object_id", False
    first = sorts[0]  # HubSpot applies a single sort rule per search
    if isinstance(first, str):
        return first.lstrip("-"), first.startswith("-")
    return first.get("propertyName", "hs_object_id"), first.get("direction") == "DESCENDING"


def run(object_type: str, records: list[Record], body: dict,
        limits: SearchLimits, schema: dict[str, PropType] | None = None) -> tuple[int, list[Record], int | None]:
    """(total, page, next offset or None). ``schema``: the portal's properties of the object
    (custom ones included); default: the standard ones."""
    schema = SCHEMAS[object_type] if schema is None else schema
    groups, limit, after = validate(object_type, body, limits, schema)
    hits = [r for r in records
            if _matches(object_type, r, groups, schema) and _matches_query(object_type, r, body.get("query"))]
    prop, descending = _sorts(body)
    kind = schema.get(prop, PropType.STRING)
    present = [r for r in hits if _value(r, prop) is not None]
    missing = [r for r in hits if _value(r, prop) is None]
    present.sort(key=lambda r: int(r.id))  # ties keep id order, also when descending
    present.sort(key=lambda r: sort_key(kind, _value(r, prop)), reverse=descending)
    ordered = present + missing  # records lacking the sort property come last either way
    total = len(ordered)
    page = ordered[after:after + limit]
    next_after = after + limit if after + limit < total and limit > 0 else None
    return total, page, next_after
