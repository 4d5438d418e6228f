"""What plain and aggregate SOQL results share: the result, and ORDER BY's comparison
(case-insensitive text, NULLS FIRST by default for ascending, NULLS LAST for descending)."""
from __future__ import annotations

from functools import cmp_to_key
from typing import Any, Callable


def fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class QueryResult:
    def __init__(self, records: list[dict], total: int, count_only: bool = False) -> None:
        self.records, self.total, self.count_only = records, total, count_only


def sort_key_cmp(descending: bool, nulls_first: bool | None) -> Callable[[Any, Any], int]:
    nulls_first = (not descending) if nulls_first is None else nulls_first

    def cmp(a: Any, b: Any) -> int:
        if a is None or b is None:
            if a is None and b is None:
                return 0
            return (-1 if a is None else 1) * (1 if nulls_first else -1)
        a, b = fold(a), fold(b)
        result = (a > b) - (a < b)
        return -result if descending else result

    return cmp


def order(rows: list, keyfuncs: list[tuple[Callable[[Any], Any], Callable]]) -> list:
    def cmp(a: Any, b: Any) -> int:
        for key, compare in keyfuncs:
            result = compare(key(a), key(b))
            if result:
                return result
        return 0

    return sorted(rows, key=cmp_to_key(cmp))


__all__ = ["QueryResult", "fold", "order", "sort_key_cmp"]
