"""Generic fault injection and the request log (part of the core; re-exported by sandbox.core).

Fault rules match on vendor + method + path glob. Three kinds:
  latency  fixed_ms + uniform jitter_ms, every matching request (or `count` of them)
  error    status 500/502/503/504 with probability `rate`, optionally only `count` times
  burst    the next `count` matching requests answer 429 with Retry-After `retry_after`
The owning vendor turns a status into its own error body (Salesforce: 429 -> 403
REQUEST_LIMIT_EXCEEDED), so clients see what the real API would send.
"""
from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class FaultKind(str, Enum):
    LATENCY = "latency"
    ERROR = "error"
    BURST = "burst"


@dataclass
class FaultRule:
    kind: FaultKind
    vendor: str = "*"
    method: str = "*"
    path: str = "*"
    status: int | None = None
    rate: float = 1.0
    count: int | None = None          # None = unlimited; decremented on every hit
    fixed_ms: float = 0.0
    jitter_ms: float = 0.0
    retry_after: float | None = None
    id: int = 0
    hits: int = 0

    def matches(self, vendor: str | None, method: str, path: str) -> bool:
        return (fnmatch.fnmatchcase(vendor or "", self.vendor)
                and fnmatch.fnmatchcase(method.upper(), self.method.upper())
                and fnmatch.fnmatchcase(path, self.path))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data


@dataclass
class FaultDecision:
    latency_s: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    kind: str | None = None


_ERROR_STATUSES = {500, 502, 503, 504}


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, kind: str | FaultKind, **spec: Any) -> FaultRule:
        kind = FaultKind(kind)
        rule = FaultRule(kind=kind, **spec)
        if kind is FaultKind.ERROR:
            rule.status = rule.status or 503
            if rule.status not in _ERROR_STATUSES:
                raise ValueError(f"error status must be one of {sorted(_ERROR_STATUSES)}")
            if not 0.0 <= rule.rate <= 1.0:
                raise ValueError("rate must be within 0..1")
        elif kind is FaultKind.BURST:
            rule.status = 429
            rule.count = 1 if rule.count is None else rule.count
            rule.retry_after = 1.0 if rule.retry_after is None else rule.retry_after
        elif rule.fixed_ms < 0 or rule.jitter_ms < 0:
            raise ValueError("latency must not be negative")
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    # Convenience spellings for tests.
    def add_latency(self, fixed_ms: float, jitter_ms: float = 0.0, **match: Any) -> FaultRule:
        return self.add(FaultKind.LATENCY, fixed_ms=fixed_ms, jitter_ms=jitter_ms, **match)

    def add_error(self, status: int = 503, rate: float = 1.0, count: int | None = None,
                  **match: Any) -> FaultRule:
        return self.add(FaultKind.ERROR, status=status, rate=rate, count=count, **match)

    def add_burst(self, count: int, retry_after: float = 1.0, **match: Any) -> FaultRule:
        return self.add(FaultKind.BURST, count=count, retry_after=retry_after, **match)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def decide(self, vendor: str | None, method: str, path: str) -> FaultDecision:
        decision = FaultDecision()
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(vendor, method, path):
                    continue
                if rule.kind is FaultKind.LATENCY:
                    decision.latency_s += (rule.fixed_ms
                                           + self._random.uniform(0, rule.jitter_ms)) / 1000.0
                    self._spend(rule)
                elif decision.status is None and self._random.random() < rule.rate:
                    decision.status, decision.kind = rule.status, rule.kind.value
                    decision.retry_after = rule.retry_after
                    self._spend(rule)
        return decision

    def _spend(self, rule: FaultRule) -> None:
        rule.hits += 1
        if rule.count is not None:
            rule.count -= 1
            if rule.count <= 0:
                self._rules.remove(rule)


_MAX_BODY = 64 * 1024


class RequestLog:
    """Every API call the vendors received (control-plane calls are not logged)."""

    def __init__(self, clock: Any, maxlen: int = 20000) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)
        self._counts: Counter[tuple[str, str, str, int | None]] = Counter()

    def record(self, *, method: str, path: str, query: str, headers: dict, body: bytes,
               vendor: str | None) -> dict:
        entry = {
            "seq": next(self._seq), "time": self._clock.now().isoformat(), "vendor": vendor,
            "method": method, "path": path, "query": query, "headers": headers,
            "body": body[:_MAX_BODY].decode("utf-8", "replace"), "status": None, "fault": None,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def finish(self, entry: dict, status: int) -> None:
        with self._lock:
            entry["status"] = status
            self._counts[(entry["vendor"] or "", entry["method"], entry["path"], status)] += 1

    def list(self, vendor: str | None = None, since: int | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries
                    if (vendor is None or e["vendor"] == vendor)
                    and (since is None or e["seq"] > since)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def stats(self) -> dict:
        with self._lock:
            by_vendor: Counter[str] = Counter()
            by_status: Counter[str] = Counter()
            by_endpoint: Counter[str] = Counter()
            for (vendor, method, path, status), n in self._counts.items():
                by_vendor[vendor] += n
                by_status[str(status)] += n
                by_endpoint[f"{method} {path}"] += n
            return {"total": sum(by_vendor.values()), "by_vendor": dict(by_vendor),
                    "by_status": dict(by_status), "by_endpoint": dict(by_endpoint)}


__all__ = ["FaultKind", "FaultRule", "FaultDecision", "Faults", "RequestLog"]
