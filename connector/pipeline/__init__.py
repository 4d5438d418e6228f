"""The pipeline room: the inbox, batches (decide, then write back), the jobs that feed and drain
it (pollers, roster sync, load reconciliation, outcome sync), backfill and the leads log (see
docs/ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import Flask

from connector.pipeline import backfill, cli, jobs
from connector.pipeline.batch import Pipeline
from connector.platform.db import get_db
from connector.platform.scheduler import Job, get_scheduler
from connector.routing.active import RoutingConfigs


def init_app(app: Flask) -> None:
    """The pipeline with its jobs, and the ``worker``, ``poll`` and ``backfill`` commands."""
    settings = app.config["LEADROUTER_SETTINGS"]
    pipeline = Pipeline(get_db(app), RoutingConfigs(get_db(app)), max_attempts=settings.write_max_attempts,
                        lease=timedelta(seconds=settings.claim_lease_seconds))
    app.extensions["leadrouter.runtime"] = jobs.Runtime(app, pipeline)
    _register_jobs(app)
    for command in (cli.worker, cli.poll, backfill.backfill):
        app.cli.add_command(command)


def _register_jobs(app: Flask) -> None:
    """Pollers, roster sync and reconciliation, each one job over every connection (so
    connections added on the settings page are covered), once cluster-wide. Outcome sync is the
    outcomes room's (``connector.outcomes``)."""
    settings = app.config["LEADROUTER_SETTINGS"]
    scheduler = get_scheduler(app)
    due = jobs.DueTracker()
    for job_id, func, seconds in (("poll", jobs.poll, None),
                                  ("roster", jobs.sync_roster, settings.roster_sync_seconds),
                                  ("reconcile", jobs.reconcile_load, settings.reconcile_seconds)):
        scheduler.add_job(Job(job_id, partial(jobs.for_each_connection, func=func, due=due, seconds=seconds), 5,
                              run_once_cluster_wide=True))
