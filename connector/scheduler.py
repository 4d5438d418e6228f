"""Background jobs (APScheduler). Rooms register jobs with ``add_job``; the scheduler starts only
from the ``run``/``worker`` commands, never in tests or in plain ``create_app()``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[Flask], None]
    seconds: int
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
                job.func(self.app)
            except Exception:  # noqa: BLE001 — a failing job is logged and retried next tick
                log.exception("job %s failed", job.id)

    def start(self) -> None:
        if self._scheduler is not None:
            return
        self._scheduler = BackgroundScheduler(timezone="UTC")
        for job in self.jobs.values():
            self._scheduler.add_job(self._run, "interval", args=[job], seconds=job.seconds, id=job.id,
                                    max_instances=1, coalesce=True)
        self._scheduler.start()
        log.info("scheduler started with %d job(s): %s", len(self.jobs), ", ".join(self.jobs) or "none yet")

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None


def init_app(app: Flask) -> None:
    app.extensions["leadrouter.scheduler"] = Scheduler(app)


def get_scheduler(app: Flask) -> Scheduler:
    return app.extensions["leadrouter.scheduler"]
