"""`python app.py users create EMAIL --role admin|manager [--password P]` and
`python app.py web`: the web app and the webhook doors alone, under gunicorn."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from connector.connections.registry import get_connections
from connector.notify import get_runtime
from connector.platform.cli import ready_app
from connector.platform.db import get_db
from connector.platform.services import Invalid
from connector.web import users as users_service
from connector.web.models import UserRole

log = logging.getLogger(__name__)


@click.group()
def users() -> None:
    """People who sign in to the settings page."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), required=True)
@click.option("--password", default=None, help="Default: asked for (hidden, twice).")
@with_appcontext
def create(email: str, role: str, password: str | None) -> None:
    """Create a user who can sign in (admins: connections and users; managers: rules, roster, log)."""
    app = ready_app()
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users_service.create_user(get_db(app), email, password, role, actor="cli")
    except Invalid as exc:
        for message in exc.messages():
            click.echo(message, err=True)
        sys.exit(2)
    click.echo(f"created {user.role} {user.email}")


def _after_fork(app: Flask) -> None:
    """Nothing made before the fork may be shared by processes (SQLAlchemy, "Using Connection
    Pools with Multiprocessing"): the worker drops the master's pooled connections without
    closing them (they are the master's), and the CRM adapters' and notifiers' HTTP sessions."""
    get_db(app).engine.dispose(close=False)
    get_connections(app).close()
    for notifier in get_runtime(app).notifiers.values():
        notifier.close()


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker process.")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve only the web app and webhook doors with gunicorn (workers run elsewhere:
    `python app.py worker`, on PostgreSQL)."""
    from gunicorn.app.base import BaseApplication

    app = ready_app()
    if app.config["LEADROUTER_SETTINGS"].database_url.startswith("sqlite") and workers > 1:
        log.warning("several web processes on SQLite queue on its single write lock; use PostgreSQL")

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("post_fork", lambda _server, _worker: _after_fork(app))

        def load(self):
            return app

    get_db(app).dispose()   # the master serves nothing: it keeps no database connection to share
    _Server().run()
