"""Wires the routing pipeline into the app: connections, configs, the pipeline, scheduled jobs."""

from __future__ import annotations

from functools import partial

from flask import Flask

from connector.pipeline import jobs
from connector.connections.registry import Connections, configured
from connector.platform.db import get_db
from connector.pipeline.outcomes import sync_outcomes
from connector.pipeline.batch import Pipeline
from connector.routing.active import RoutingConfigs, import_file_at_start
from connector.platform.scheduler import Job, get_scheduler


def init_app(app: Flask, **adapter_options) -> None:
    settings = app.config["LEADROUTER_SETTINGS"]
    db = get_db(app)
    box = app.extensions["leadrouter.secrets"]

    def stored():
        from connector.connections.service import specs

        return specs(db, box)

    connections = Connections(configured(settings), stored, **adapter_options)
    app.extensions["leadrouter.connections"] = connections
    configs = RoutingConfigs(db)
    app.extensions["leadrouter.runtime"] = jobs.Runtime(
        app, Pipeline(db, configs, max_attempts=settings.write_max_attempts, settings=settings))
    register_jobs(app, connections)


def load_routing_file(app: Flask) -> int | None:
    """Start-up work of the commands that route or serve, once the schema is known to be current:
    store ``LEADROUTER_ROUTING_CONFIG`` as a new version when it differs from the active one (the
    file owns the rules then). Never part of ``create_app``: migrating must not depend on it."""
    settings = app.config["LEADROUTER_SETTINGS"]
    if not settings.routing_config:
        return None
    return import_file_at_start(get_db(app), settings.routing_config)


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
        scheduler.add_job(Job(job_id, partial(jobs.for_each_connection, func=func, due=due, seconds=seconds), 5,
                              run_once_cluster_wide=True))
    # Connection health: each process persists what its own CRM calls saw (not cluster-wide).
    from connector.connections import health

    scheduler.jobs.pop("health", None)
    scheduler.add_job(Job("health", health.flush_job, health.FLUSH_SECONDS))
