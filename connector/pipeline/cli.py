"""`python app.py worker [--once]` and `python app.py poll [CONNECTION]`: the pipeline's own
processes. (`backfill` is in ``connector.pipeline.backfill``.)"""

from __future__ import annotations

import json
import signal
import threading

import click
from flask.cli import with_appcontext

from connector.connections.registry import get_connections
from connector.pipeline import jobs
from connector.platform.cli import ready_app
from connector.platform.scheduler import get_scheduler


@click.command()
@click.option("--once", is_flag=True, help="Route what is due, then exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Route leads from the inbox (run any number of these on PostgreSQL)."""
    app = ready_app()
    if once:
        report = jobs.drain(app)
        click.echo(json.dumps({k: v for k, v in vars(report).items() if k != "errors"}))
        return
    # Workers also run the scheduled jobs (pollers, syncs, notifications); on PostgreSQL each
    # cluster-wide job takes an advisory lock, so any number of workers run each job once.
    app.config["LEADROUTER_START_BACKGROUND"] = True
    sched = get_scheduler(app)
    sched.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        jobs.work_forever(app, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        sched.shutdown()


@click.command()
@click.argument("connection", required=False)
@with_appcontext
def poll(connection: str | None) -> None:
    """Ask each CRM (or CONNECTION) once for unassigned leads and put them in the inbox."""
    app = ready_app()
    connections = get_connections(app)
    names = [connection] if connection else connections.names()
    if not names:
        raise click.ClickException("no CRM connection configured (see README: Configuration)")
    for name in names:
        if name not in connections:
            raise click.ClickException(f"no connection named {name!r}")
        click.echo(f"{name}: {jobs.poll(app, name)} new lead(s) queued")
