"""Background jobs (APScheduler). Rooms register jobs with ``add_job``; the scheduler starts only
from the ``run``/``worker`` commands, never in tests or in plain ``create_app()``."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import text

log = logging.getLogger(__name__)


class _SteadyScheduler(BackgroundScheduler):
    """APScheduler sleeps until the next run time it computed from the wall clock. When that clock
    steps (NTP correcting a drift, a VM resumed, a container's clock moved), a sleep computed
    before the step can outlast every job's next run by hours: no notification is delivered, no
    SLA step taken. Waking at least every second and asking again keeps every job on time."""

    MAX_WAIT_SECONDS = 1.0
    STEP_TOLERANCE_SECONDS = 2.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._last_seen: datetime | None = None

    def _process_jobs(self):
        now = datetime.now(timezone.utc)
        last, self._last_seen = self._last_seen, now
        if last is not None and now < last - timedelta(seconds=self.STEP_TOLERANCE_SECONDS):
            # The clock stepped back: every next run time lies that much further away. Run each
            # job now; its interval counts from here.
            log.warning("the wall clock stepped back by %.0f s: the scheduled jobs run now",
                        (last - now).total_seconds())
            for job in self.get_jobs():
                job.modify(next_run_time=now)
        wait = super()._process_jobs()
        return self.MAX_WAIT_SECONDS if wait is None else min(wait, self.MAX_WAIT_SECONDS)


@contextmanager
def cluster_lock(app: Flask, name: str) -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock so one node runs the job; others skip this tick.
    SQLite means one process, which runs every job itself."""
    from connector.platform.db import get_db

    engine = get_db(app).engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(f"leadrouter:{name}".encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield acquired
        finally:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@dataclass(frozen=True)
class Job:
    """A job the scheduler runs every ``seconds``: ``func(app)`` inside an app context."""

    id: str
    func: Callable[[Flask], None]
    seconds: float
    run_once_cluster_wide: bool = False  # pollers, reconcile, roster: one node at a time


class Scheduler:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.jobs: dict[str, Job] = {}
        self._scheduler: BackgroundScheduler | None = None

    def add_job(self, job: Job) -> None:
        if job.id in self.jobs:
            raise ValueError(f"job {job.id!r} registered twice")
        self.jobs[job.id] = job

    def _run(self, job: Job) -> None:
        with self.app.app_context():
            try:
                if job.run_once_cluster_wide:
                    with cluster_lock(self.app, job.id) as acquired:
                        if acquired:
                            job.func(self.app)
                else:
                    job.func(self.app)
            except Exception:  # noqa: BLE001 — a failing job is logged and retried next tick
                log.exception("job %s failed", job.id)

    def start(self) -> None:
        if self._scheduler is not None:
            return
        self._scheduler = _SteadyScheduler(timezone="UTC")
        for job in self.jobs.values():
            # A tick missed while the process was busy, suspended or its clock jumped runs once,
            # late (coalesce), instead of being dropped after APScheduler's 1-second grace.
            self._scheduler.add_job(self._run, "interval", args=[job], seconds=job.seconds, id=job.id,
                                    max_instances=1, coalesce=True, misfire_grace_time=None)
        self._scheduler.start()
        log.info("scheduler started with %d job(s): %s", len(self.jobs), ", ".join(self.jobs) or "none yet")

    def shutdown(self, wait: bool = False) -> None:
        """Stop ticking; ``wait``: also let a job that is running finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None


def init_app(app: Flask) -> None:
    app.extensions["leadrouter.scheduler"] = Scheduler(app)


def get_scheduler(app: Flask) -> Scheduler:
    return app.extensions["leadrouter.scheduler"]
