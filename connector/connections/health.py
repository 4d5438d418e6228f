"""Liveness and readiness, for load balancers and `make run`'s own check; and connection health:
what each process's CRM calls saw (last success, last error, API headroom from the CRM's own
headers), persisted so the web process shows what the workers saw."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from connector.platform.db import Database, current_revision, dialect_insert, get_db, head_revision
from connector.connections.models import ConnectionHealthRecord
from connector.connections.registry import get_connections
from connector.platform.scheduler import Job, get_scheduler

bp = Blueprint("health", __name__)

FLUSH_SECONDS = 5.0   # at most one health write per connection and process in this time


def _later(a: datetime | None, b: datetime | None) -> bool:
    """``a`` is newer than ``b`` (None is never newer; anything beats None)."""
    return a is not None and (b is None or a > b)


class HealthWriter:
    """Persists adapters' in-memory health (``CrmAdapter.health()``): only a snapshot that changed,
    at most every ``seconds`` per connection, merged with what other processes wrote (the newest
    success, error and headroom win)."""

    def __init__(self, db: Database, seconds: float = FLUSH_SECONDS - 1,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db, self.seconds, self.monotonic = db, seconds, monotonic
        self._written: dict[str, Any] = {}
        self._at: dict[str, float] = {}
        self._lock = threading.Lock()

    def offer(self, name: str, health: Any, *, force: bool = False) -> bool:
        """Write ``health`` for connection ``name`` if it changed and the last write is old enough
        (``force``: now, whatever the time — a test run a person waits for). True if written."""
        if health is None or (health.last_ok_at is None and health.last_error_at is None):
            return False
        with self._lock:
            if self._written.get(name) == health:
                return False
            now = self.monotonic()
            if not force and now - self._at.get(name, float("-inf")) < self.seconds:
                return False
            self._written[name], self._at[name] = health, now
        with self.db.session() as session:
            # Every process writes its own view: the row is created once whoever comes first
            # (INSERT … ON CONFLICT DO NOTHING), then merged under its lock.
            session.execute(dialect_insert(session)(ConnectionHealthRecord)
                            .values(connection=name, headroom={}, updated_at=datetime.now(timezone.utc))
                            .on_conflict_do_nothing(index_elements=["connection"]))
            row = session.get(ConnectionHealthRecord, name, with_for_update=True)
            if _later(health.last_ok_at, row.last_ok_at):
                row.last_ok_at = health.last_ok_at
            if _later(health.last_error_at, row.last_error_at):
                row.last_error, row.last_error_at = health.last_error, health.last_error_at
            if health.headroom and _later(health.headroom_at, row.headroom_at):
                row.headroom, row.headroom_at = dict(health.headroom), health.headroom_at
            row.updated_at = datetime.now(timezone.utc)
        return True

    def flush(self, connections: Any) -> int:
        """Offer every connection's adapter health; how many rows were written."""
        from adapters import CrmError

        written = 0
        for name in connections.names():
            try:
                health = connections.adapter(name).health()
            except (CrmError, NotImplementedError):   # broken connection / adapter keeps none
                continue
            written += self.offer(name, health)
        return written


def writer(app: Flask) -> HealthWriter:
    if "leadrouter.health" not in app.extensions:
        app.extensions["leadrouter.health"] = HealthWriter(get_db(app))
    return app.extensions["leadrouter.health"]


def flush_job(app: Flask) -> None:
    """Scheduled in every process that runs jobs (``run``, ``worker``): its own adapters' health."""
    writer(app).flush(get_connections(app))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def stored(db: Database) -> dict[str, dict[str, Any]]:
    """Each connection's persisted health: ``last_ok_at``, ``last_error`` {message, at} and
    ``headroom`` {values…, at}, times as ISO 8601 UTC."""
    with db.session() as session:
        rows = session.scalars(select(ConnectionHealthRecord)).all()
        return {row.connection: {
            "last_ok_at": _iso(row.last_ok_at),
            "last_error": {"message": row.last_error, "at": _iso(row.last_error_at)} if row.last_error_at else None,
            "headroom": {**(row.headroom or {}), "at": _iso(row.headroom_at)} if row.headroom else None,
        } for row in rows}


@bp.get("/healthz")
def healthz():
    """The process is up and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is at the newest migration. ``?detail=1`` adds each
    connection's health (last successful call, last error, API headroom)."""
    db = get_db()
    head = head_revision()
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(db.engine)
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", database="unreachable",
                       error=type(exc).__name__), 503
    body = {"database": "ok", "migration": current, "head": head}
    if current != head:
        body.update(status="unavailable", reason="migrations not at head: run `python app.py db upgrade`")
        return jsonify(body), 503
    # A connection that cannot be used is reported, but the node stays ready: the others route.
    connections = get_connections()
    problems = connections.problems()
    body["connections"] = {name: ({"status": "broken", "error": problems[name]} if name in problems
                                  else {"status": "ok"}) for name in connections.names()}
    if request.args.get("detail") in ("1", "true", "yes"):
        seen = stored(db)
        for name, entry in body["connections"].items():
            entry["health"] = seen.get(name, {"last_ok_at": None, "last_error": None, "headroom": None})
    return jsonify(status="ok", **body)


def init_app(app: Flask) -> None:
    """The two probes, and the health job: each process persists what its own CRM calls saw
    (every process that runs jobs, not once cluster-wide)."""
    app.register_blueprint(bp)
    get_scheduler(app).add_job(Job("health", flush_job, FLUSH_SECONDS))
