"""The routing room: the routing config (stored versions, the active config, editing), the roster,
the routing state the engine reads, `simulate` and the starter config (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

from flask import Flask

from connector.platform.cli import on_ready
from connector.platform.scheduler import Job, get_scheduler
from connector.routing import cli, simulate_cli, snapshots


def init_app(app: Flask) -> None:
    """``rules`` and ``simulate``; ``LEADROUTER_ROUTING_CONFIG`` imported before any command that
    routes or serves."""
    on_ready(app, cli.load_routing_file)
    app.cli.add_command(cli.rules)
    app.cli.add_command(simulate_cli.simulate)
    get_scheduler(app).add_job(Job("routing.snapshot", snapshots.snapshot_job, snapshots.EVERY_SECONDS,
                                   run_once_cluster_wide=True))
