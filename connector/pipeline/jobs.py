"""Background work: the worker loop, pollers, roster sync and load reconciliation.

The worker runs in every process that routes (``run``, ``worker``; any number on PostgreSQL).
Pollers, roster sync and reconciliation must run once across all nodes: they are scheduler jobs
marked ``run_once_cluster_wide`` and take a PostgreSQL advisory lock (see connector/platform/scheduler.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask

from adapters import CrmError
from connector.platform.db import get_db
from connector.pipeline.inbox import IncomingLead, enqueue
from connector.pipeline.models import Source
from connector.platform.db import dialect_insert
from connector.connections.registry import Connections, get_connections
from connector.connections.service import connection_row
from connector.routing import crm_users
from connector.routing.models import Rep
from connector.pipeline.batch import Pipeline
from connector.pipeline.log import BatchReport
from connector.routing.active import RoutingConfigMissing
from connector.routing.state import set_open_load

log = logging.getLogger(__name__)
MAX_POLL_PAGES = 50  # per tick; the cursor carries on next time


def _now() -> datetime:
    return datetime.now(timezone.utc)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass
class Runtime:
    """What the jobs need, kept on ``app.extensions['leadrouter.runtime']``."""

    app: Flask
    pipeline: Pipeline

    @property
    def connections(self) -> Connections:
        return get_connections(self.app)


def runtime(app: Flask) -> Runtime:
    """The app's pipeline runtime (``connector.pipeline.init_app`` makes it)."""
    return app.extensions["leadrouter.runtime"]


# -- worker -----------------------------------------------------------------------------------
def drain(app: Flask, worker: str | None = None, max_batches: int = 1000) -> BatchReport:
    """Route until no connection has due inbox rows (or ``max_batches``). Returns the totals."""
    rt, total = runtime(app), BatchReport()
    worker = worker or worker_id()
    size = app.config["LEADROUTER_SETTINGS"].worker_batch_size
    for _ in range(max_batches):
        claimed = 0
        for name in rt.connections.names():
            try:
                adapter = rt.connections.adapter(name)
            except CrmError:  # this connection cannot be used: the others go on (logged once)
                continue
            try:
                report = rt.pipeline.run_batch(name, adapter, worker, size, rt.connections.owner_keys(name))
            except Exception:  # noqa: BLE001 — one connection's failure never stops the others
                log.exception("worker batch of %s failed; its rows are retried when their lease runs out", name)
                continue
            claimed += report.claimed
            total.add(report)
        if claimed == 0:
            break
    return total


def work_forever(app: Flask, stop: threading.Event, idle_seconds: float = 1.0) -> None:
    worker = worker_id()
    log.info("worker %s started", worker)
    while not stop.is_set():
        try:
            report = drain(app, worker)
        except Exception:  # noqa: BLE001 — a bad batch must not kill the worker; rows lease back
            log.exception("worker batch failed; its rows are retried when their lease runs out")
            report = BatchReport()
        if report.claimed:
            log.info("routed: %d written, %d waiting, %d retrying, %d dead, %d taken by a human",
                     report.written, report.waiting, report.retrying, report.dead, report.taken_by_human)
        stop.wait(idle_seconds if not report.claimed else 0)
    log.info("worker %s stopped", worker)


# -- pollers ----------------------------------------------------------------------------------
def poll(app: Flask, name: str) -> int:
    """Ask one CRM for unassigned leads since the stored cursor; store them; then advance it."""
    rt = runtime(app)
    adapter = rt.connections.adapter(name)
    db = get_db(app)
    with db.session() as session:
        row = connection_row(session, name, adapter.kind)
        cursor = row.poll_cursor
        if cursor is None:  # the first poll: only what `backfill` asks for (default: nothing older)
            spec = rt.connections.specs[name]
            cursor = adapter.cursor_since(spec.first_poll_since(row.created_at))
    queued = 0
    for _ in range(MAX_POLL_PAGES):
        page = adapter.find_unassigned(cursor)
        items = [IncomingLead(rec.id, Source.POLL, score=int(rec.lead.score or 0)) for rec in page.leads
                 if not rec.has_real_owner]
        with db.session() as session:  # rows and cursor in one transaction: nothing is skipped
            result = enqueue(session, name, items, _now())
            connection_row(session, name, adapter.kind).poll_cursor = page.cursor
        queued += len(result.stored)
        cursor = page.cursor
        if not page.has_more:
            break
    if queued:
        log.info("poll %s: %d new lead(s) queued", name, queued)
    return queued


# -- roster and load --------------------------------------------------------------------------
def _adapter_and_config(app: Flask, name: str):
    rt = runtime(app)
    try:
        config = rt.pipeline.configs.current().config
    except RoutingConfigMissing:
        return rt.connections.adapter(name), None
    return rt.connections.adapter(name), config


def sync_roster(app: Flask, name: str) -> dict[str, bool]:
    """CRM users → the roster's ``active`` flag of the config's reps linked to this CRM (by owner
    id, else email). A rep is active while every CRM it is linked to says so. Returns, per rep
    linked to this CRM, whether its user is active here."""
    adapter, config = _adapter_and_config(app, name)
    users = adapter.read_roster()
    crm_users.store(get_db(app), name, users)   # the rep editor's picker, the roster's "not in routing yet"
    if config is None:
        return {}
    keys = runtime(app).connections.owner_keys(name)
    by_id = {u.id: u for u in users}
    by_email = {u.email.lower(): u for u in users if u.email}
    changes: dict[str, bool] = {}
    with get_db(app).session() as session:
        for rep in config.reps:
            owner_id = config.crm_owner_id(rep.id, keys)
            user = by_id.get(str(owner_id)) if owner_id else by_email.get((rep.email or "").lower())
            if owner_id is None and user is None:
                continue  # not linked to this CRM: its users say nothing about this rep
            row = session.get(Rep, rep.id)
            if row is None:  # ON CONFLICT DO NOTHING: a sync of another CRM may create it too
                session.execute(dialect_insert(session)(Rep)
                                .values(id=rep.id, name=rep.name or rep.id, email=rep.email, active=True)
                                .on_conflict_do_nothing(index_elements=["id"]))
                row = session.get(Rep, rep.id, with_for_update=True)
            crm_active = {**(row.profile or {}).get("crm_active", {}), name: bool(user and user.active)}
            row.profile = {**(row.profile or {}), "crm_active": crm_active}
            active = all(crm_active.values())
            if row.active != active:
                log.warning("rep %s is now %s (CRM users: %s)", rep.id, "active" if active else "INACTIVE", crm_active)
            row.active = active
            if user:
                row.crm_ids = {**(row.crm_ids or {}), name: user.id}
            changes[rep.id] = crm_active[name]
    return changes


def reconcile_load(app: Flask, name: str) -> dict[str, int]:
    adapter, config = _adapter_and_config(app, name)
    if config is None:
        return {}
    keys = runtime(app).connections.owner_keys(name)
    owners = {str(owner): rep.id for rep in config.reps if (owner := config.crm_owner_id(rep.id, keys))}
    counts = adapter.read_open_load(list(owners))
    loads = {owners[owner]: count for owner, count in counts.items() if owner in owners}
    loads.update({rep: 0 for rep in owners.values() if rep not in loads})
    with get_db(app).session() as session:
        set_open_load(session, loads, _now(), connection=name)  # only this connection's share
    return loads


class DueTracker:
    """When each (job, connection) last ran in this process: the scheduler ticks every few
    seconds and each connection runs at its own interval (its poll interval by default)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], float] = {}

    def due(self, key: tuple[str, str], seconds: float, now: float) -> bool:
        if now - self._last.get(key, float("-inf")) < seconds:
            return False
        self._last[key] = now
        return True


def for_each_connection(app: Flask, func, due: DueTracker, seconds: float | None) -> None:
    import time

    connections = runtime(app).connections
    for name in connections.names():
        interval = seconds if seconds is not None else connections.specs[name].poll_interval_seconds
        if due.due((func.__name__, name), interval, time.monotonic()):
            guarded(func, app, name)


def guarded(func, *args) -> None:
    """CRM errors in a scheduled job are logged and retried next tick, never raised."""
    try:
        func(*args)
    except CrmError as exc:
        log.warning("%s(%s) failed: %s", func.__name__, ", ".join(map(str, args[1:])), exc)
