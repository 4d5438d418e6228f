"""Counts made inside one process (CRM requests, decision times) that ``/metrics`` must show
summed over every process, on every node: each process keeps them in memory (``TALLY``, one
cheap update under a lock) and adds them to the ``metric_counters`` rows every few seconds
(``flush``: INSERT … ON CONFLICT DO UPDATE SET value = value + the increment). ``/metrics`` then
reads the rows, so every web process answers the same, whoever made the counts.

CRM requests are read from each adapter's own health (``ConnectionHealth.calls``, counted at the
adapters' one request path); a process adds what grew since it last looked.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from datetime import datetime, timezone
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import select

from adapters import CrmError
from connector.connections.registry import get_connections
from connector.outcomes.models import MetricCounter
from connector.platform.db import Database, dialect_insert, get_db

CRM_REQUESTS = "crm_requests"
DECISION = "decision_seconds"
# Decisions take microseconds to milliseconds (bench/ prints the figures): buckets from 100 µs to 1 s.
DECISION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def labels_key(labels: Mapping[str, str]) -> str:
    """``connection=hubspot,outcome=ok``: the row's label set, in name order (values never hold
    ``,`` or ``=``: connection names are ``[a-z0-9_-]``, the rest are ours)."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def parse_labels(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if part)


class Tally:
    """This process's increments not yet added to the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], float] = {}
        self._seen_calls: dict[tuple[str, int], dict[str, int]] = {}   # (connection, adapter id) -> calls

    def add(self, name: str, labels: Mapping[str, str], value: float = 1.0) -> None:
        key = (name, labels_key(labels))
        with self._lock:
            self._pending[key] = self._pending.get(key, 0.0) + value

    def observe(self, name: str, labels: Mapping[str, str], seconds: float,
                buckets: tuple[float, ...] = DECISION_BUCKETS) -> None:
        """One histogram observation: its bucket (cumulated when read), its sum and count."""
        index = bisect_left(buckets, seconds)
        le = f"{buckets[index]:g}" if index < len(buckets) else "+Inf"
        self.add(f"{name}_bucket", {**labels, "le": le})
        self.add(f"{name}_sum", labels, seconds)
        self.add(f"{name}_count", labels)

    def calls_seen(self, connection: str, adapter: Any, calls: Mapping[str, int]) -> None:
        """An adapter's call counts now: what grew since the last look is added. A new adapter
        (the connection was edited) starts from zero."""
        key = (connection, id(adapter))
        with self._lock:
            before = self._seen_calls.get(key, {})
            self._seen_calls = {k: v for k, v in self._seen_calls.items() if k[0] != connection} | {key: dict(calls)}
        for outcome, count in calls.items():
            grown = count - before.get(outcome, 0)
            if grown > 0:
                self.add(CRM_REQUESTS, {"connection": connection, "outcome": outcome}, grown)

    def flush(self, db: Database) -> int:
        """Add the pending increments to the rows; how many rows changed. On a database error
        the increments are kept for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            with db.session() as session:
                insert = dialect_insert(session)
                now = datetime.now(timezone.utc)
                for (name, labels), value in sorted(pending.items()):   # one lock order for every process
                    statement = insert(MetricCounter).values(name=name, labels=labels, value=value, updated_at=now)
                    session.execute(statement.on_conflict_do_update(
                        index_elements=["name", "labels"],
                        set_={"value": MetricCounter.value + statement.excluded.value, "updated_at": now}))
        except Exception:
            with self._lock:
                for key, value in pending.items():
                    self._pending[key] = self._pending.get(key, 0.0) + value
            raise
        return len(pending)


def stored(db: Database, *names: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The rows of the named counters: name -> [(labels, value)]."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {name: [] for name in names}
    with db.session() as session:
        for row in session.scalars(select(MetricCounter).where(MetricCounter.name.in_(names))
                                   .order_by(MetricCounter.name, MetricCounter.labels)):
            out[row.name].append((parse_labels(row.labels), row.value))
    return out


TALLY = Tally()   # one per process: the pipeline's decisions and the adapters' calls land here


def observe_decision(connection: str, seconds: float) -> None:
    TALLY.observe(DECISION, {"connection": connection}, seconds)


FLUSH_SECONDS = 5.0   # how often a process adds its counts to the database


def flush_counts(app: Flask) -> None:
    """Every process that runs jobs: its adapters' CRM calls and its decision times, to the database."""
    connections = get_connections(app)
    for name in connections.names():
        try:
            adapter = connections.adapter(name)
            TALLY.calls_seen(name, adapter, adapter.health().calls)
        except (CrmError, NotImplementedError):   # a broken connection, an adapter that keeps no health
            continue
    TALLY.flush(get_db(app))
