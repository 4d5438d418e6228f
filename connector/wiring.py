"""Wires the routing pipeline into the app: connections, configs, the pipeline, scheduled jobs."""

from __future__ import annotations

from functools import partial

from flask import Flask

from connector import jobs
from connector.connections import Connections, from_settings
from connector.db import get_db
from connector.outcomes import sync_outcomes
from connector.pipeline import Pipeline
from connector.routing import RoutingConfigs, import_file_at_start
from connector.scheduler import Job, get_scheduler


def init_app(app: Flask, **adapter_options) -> None:
    settings = app.config["LEADROUTER_SETTINGS"]
    db = get_db(app)
    box = app.extensions["leadrouter.secrets"]

    def stored():
        from connector.services.connections import specs

        return specs(db, box)

    connections = Connections(from_settings(settings), stored, **adapter_options)
    app.extensions["leadrouter.connections"] = connections
    configs = RoutingConfigs(db)
    app.extensions["leadrouter.runtime"] = jobs.Runtime(
        app, Pipeline(db, configs, max_attempts=settings.write_max_attempts, settings=settings))
    if settings.routing_config and not app.config.get("LEADROUTER_SKIP_CONFIG_IMPORT"):
        import_file_at_start(db, settings.routing_config)
    register_jobs(app, connections)


def register_jobs(app: Flask, connections: Connections) -> None:
    """Pollers, roster sync, reconciliation and outcome sync, each one job over every connection
    (so connections added on the settings page are covered), once cluster-wide."""
    settings = app.config["LEADROUTER_SETTINGS"]
    scheduler = get_scheduler(app)
    due = jobs.DueTracker()
    for job_id, func, seconds in (("poll", jobs.poll, None),
                                  ("roster", jobs.sync_roster, settings.roster_sync_seconds),
                                  ("reconcile", jobs.reconcile_load, settings.reconcile_seconds),
                                  ("outcomes", sync_outcomes, None)):
        scheduler.jobs.pop(job_id, None)
        scheduler.add_job(Job(job_id, partial(jobs.for_each_connection, app, func, due, seconds), 5,
                              run_once_cluster_wide=True))
