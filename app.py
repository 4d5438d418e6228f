"""leadrouter: the application factory and the command line.

    python app.py run            web + scheduler + worker in one process (http://127.0.0.1:8000)
    python app.py --help         every command

The same commands are reachable as ``flask --app app COMMAND``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context

from connector.platform import db as db_room
import webhooks
from connector import demo, notify, web
from connector.connections import health
from connector.web import home
from connector.platform import logs, scheduler
from connector.pipeline import wiring
from connector.platform.keys import SecretBox, ensure_keys
from connector.platform.settings import ENV_PREFIX, SettingsError, load_settings

log = logging.getLogger("leadrouter")

# The version is written in one place, pyproject.toml; `--version` and the page footer show it.
VERSION = tomllib.loads(Path(__file__).with_name("pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

# Commands that belong to issues still open say so and exit 2 (see `not_landed`).
EXIT_NOT_AVAILABLE = 2


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` keys named ``LEADROUTER_*`` override settings (as the environment
    would); every other key goes to ``app.config`` (e.g. ``TESTING``)."""
    config = dict(config or {})
    overrides = {key[len(ENV_PREFIX):].lower(): config.pop(key) for key in list(config)
                 if key.startswith(ENV_PREFIX)}
    settings = load_settings(overrides)
    logs.configure(settings.log_level, settings.log_format.value, secrets=settings.secret_values())
    secret_key, encryption_key = ensure_keys(
        settings.var_dir,
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.encryption_key.get_secret_value() if settings.encryption_key else None,
    )

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        LEADROUTER_SETTINGS=settings,
        LEADROUTER_START_BACKGROUND=False,
        MAX_CONTENT_LENGTH=1024 * 1024,  # no door needs more than 1 MiB; larger bodies get 413
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
        LEADROUTER_VERSION=VERSION,
    )
    app.config.update(config)
    app.extensions["leadrouter.secrets"] = SecretBox(encryption_key)

    logs.configure(settings.log_level, settings.log_format.value,
                   secrets=settings.secret_values() + [secret_key, *encryption_key.split(",")])
    for room in (logs, db_room, health, home, scheduler, wiring, webhooks, notify, web):
        room.init_app(app)
    for command in cli.commands.values():
        app.cli.add_command(command)
    return app


def _build_app() -> Flask:
    """The current app under ``flask --app app``; a new one under ``python app.py``."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    from connector.connections.registry import ConnectionsFileError

    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    except ConnectionsFileError as exc:  # every problem with its path, then exit 2
        click.echo(f"Error: {exc.path} is not a valid connections file:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


def get_app(*, schema: bool = True) -> Flask:
    """The app for a command. Commands that read or write the database (``schema=True``, the
    default) first check that it is reachable and at the newest migration, then do the start-up
    work that needs the schema: importing ``LEADROUTER_ROUTING_CONFIG``. Any problem is one line."""
    from connector.routing.store import InvalidConfig

    app = _build_app()
    if not schema:
        return app
    problem = db_room.schema_problem(db_room.get_db(app).engine)
    if problem:
        raise click.ClickException(problem)
    try:
        wiring.load_routing_file(app)
    except InvalidConfig as exc:  # LEADROUTER_ROUTING_CONFIG names a file the engine refuses
        settings_file = app.config["LEADROUTER_SETTINGS"].routing_config
        raise click.ClickException(f"{settings_file} is not a valid routing config:\n  "
                                   + "\n  ".join(exc.errors)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read LEADROUTER_ROUTING_CONFIG: {exc}") from None
    from connector.pipeline import jobs

    jobs.record_connections(app)
    return app


def _database_url() -> str:
    """The database URL from the settings alone: migrating never depends on the app's start-up."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.database_url


def not_landed(what: str, issue: str) -> None:
    click.echo(f"{what} is not available yet: it arrives with the {issue} issue.", err=True)
    sys.exit(EXIT_NOT_AVAILABLE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, "--version", prog_name="leadrouter", message="%(prog)s %(version)s")
def cli() -> None:
    """leadrouter: routes new CRM leads to the right sales rep and explains why."""


# -- run ------------------------------------------------------------------------------------
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the web app with the scheduler and worker in one process."""
    from werkzeug.serving import make_server

    app = get_app()
    settings = app.config["LEADROUTER_SETTINGS"]
    app.config["LEADROUTER_START_BACKGROUND"] = True
    demo_crm = demo.start_demo_crm(app)
    if demo_crm is not None:
        demo.attach_demo(app, demo_crm, f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}")
    sched = scheduler.get_scheduler(app)
    sched.start()
    from connector.pipeline import jobs

    stop_worker = threading.Event()
    worker_thread = threading.Thread(target=jobs.work_forever, args=(app, stop_worker), name="worker", daemon=True)
    worker_thread.start()
    server = make_server(host, port, app, threaded=True)
    # SIGTERM (systemd, containers) ends serve_forever like Ctrl-C: jobs stop, the log says so.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("leadrouter serving on http://%s:%d (database: %s)", host, port,
             settings.database_url.split(":", 1)[0])
    with app.app_context():
        steps = home.next_steps(settings, demo_crm is not None, home.has_rules())
    for number, step in enumerate(steps, 1):
        log.info("next step %d: %s", number, step)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_worker.set()
        worker_thread.join(timeout=10)
        sched.shutdown()
        if demo_crm is not None:
            demo_crm.stop()
        log.info("leadrouter stopped")


@cli.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker process.")
def web_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve only the web app and webhook doors with gunicorn (workers run elsewhere:
    `python app.py worker`, on PostgreSQL)."""
    from gunicorn.app.base import BaseApplication

    app = get_app()
    if app.config["LEADROUTER_SETTINGS"].database_url.startswith("sqlite") and workers > 1:
        log.warning("several web processes on SQLite queue on its single write lock; use PostgreSQL")

    def after_fork(_server, _worker) -> None:
        # Nothing made before the fork may be shared by processes (SQLAlchemy, "Using Connection
        # Pools with Multiprocessing"): the worker drops the master's pooled connections without
        # closing them (they are the master's), and the CRM adapters' HTTP sessions.
        db_room.get_db(app).engine.dispose(close=False)
        app.extensions["leadrouter.connections"].close()
        notify = app.extensions.get("leadrouter.notify")
        for notifier in (notify.notifiers.values() if notify else ()):
            notifier.close()

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("post_fork", after_fork)

        def load(self):
            return app

    db_room.get_db(app).dispose()   # the master serves nothing: it keeps no database connection to share
    _Server().run()


@cli.command()
@click.option("--once", is_flag=True, help="Route what is due, then exit.")
def worker(once: bool) -> None:
    """Route leads from the inbox (run any number of these on PostgreSQL)."""
    from connector.pipeline import jobs

    app = get_app()
    if once:
        report = jobs.drain(app)
        click.echo(json.dumps({k: v for k, v in vars(report).items() if k != "errors"}))
        return
    # Workers also run the scheduled jobs (pollers, syncs, notifications); on PostgreSQL each
    # cluster-wide job takes an advisory lock, so any number of workers run each job once.
    app.config["LEADROUTER_START_BACKGROUND"] = True
    sched = scheduler.get_scheduler(app)
    sched.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        jobs.work_forever(app, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        sched.shutdown()


@cli.command()
@click.argument("connection", required=False)
def poll(connection: str | None) -> None:
    """Ask each CRM (or CONNECTION) once for unassigned leads and put them in the inbox."""
    from connector.pipeline import jobs

    app = get_app()
    names = [connection] if connection else app.extensions["leadrouter.connections"].names()
    if not names:
        raise click.ClickException("no CRM connection configured (see README: Configuration)")
    for name in names:
        if name not in app.extensions["leadrouter.connections"]:
            raise click.ClickException(f"no connection named {name!r}")
        click.echo(f"{name}: {jobs.poll(app, name)} new lead(s) queued")


# -- db -------------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    url = _database_url()
    with _database_errors():
        db_room.upgrade(url, revision)
        click.echo(f"database at {_current(url) or 'base'}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (`base` empties the database)."""
    url = _database_url()
    with _database_errors():
        db_room.downgrade(url, revision)
        click.echo(f"database at {_current(url) or 'base'}")


@db.command("current")
def db_current() -> None:
    """Show the database's migration and the newest one."""
    url = _database_url()
    with _database_errors():
        current = _current(url)
    head = db_room.head_revision()
    click.echo(f"current: {current or 'base'}  head: {head}{'' if current == head else '  (upgrade needed)'}")


def _current(url: str) -> str | None:
    engine = db_room.make_engine(url)
    try:
        return db_room.current_revision(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _database_errors():
    """An unreachable database or an unknown revision is one line, not a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(db_room.describe_error(exc)) from None


# -- rules ----------------------------------------------------------------------------------
@cli.group()
def rules() -> None:
    """Routing config: validate, import (new active version), export."""


@rules.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def rules_validate(path: str) -> None:
    """Check a routing config file; print each problem with its path."""
    from connector.routing import store as routing_store

    errors = routing_store.validate_text(open(path, encoding="utf-8").read())
    for error in errors:
        click.echo(error, err=True)
    if errors:
        sys.exit(2)
    click.echo(f"{path}: valid")


@rules.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="cli", show_default=True, help="Who made this change (audit log).")
@click.option("--comment", default=None)
def rules_import(path: str, actor: str, comment: str | None) -> None:
    """Store a routing config file as the new active version."""
    from connector.routing import store as routing_store

    app = get_app()
    text = open(path, encoding="utf-8").read()
    try:
        version = routing_store.save_version(db_room.get_db(app), text, actor=actor, comment=comment)
    except routing_store.InvalidConfig as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        sys.exit(2)
    click.echo(f"imported {path} as version {version} (active)")


@rules.command("init")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="routing.yaml",
              show_default=True)
@click.option("--timezone", default="UTC", show_default=True, help="Default time zone of the reps.")
def rules_init(output: str, timezone: str) -> None:
    """Write a starter routing config from the connected CRMs' users (one team, account owner
    first, then round robin), to edit and import."""
    import yaml

    from connector.routing.starter import starter_config

    app = get_app()
    connections = app.extensions["leadrouter.connections"]
    if not connections.names():
        raise click.ClickException("no CRM connection configured (see README: Configuration)")
    rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
    config = starter_config(rosters, timezone)
    with open(output, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    click.echo(f"wrote {output}: {len(config['reps'])} rep(s) from {', '.join(rosters)}; "
               f"check it with `python app.py rules validate {output}`")


@rules.command("export")
@click.option("--version", "number", type=int, default=None, help="Default: the active version.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
def rules_export(number: int | None, output: str | None) -> None:
    """Print (or write) a stored routing config version."""
    from connector.routing import store as routing_store

    app = get_app()
    row = routing_store.get_version(db_room.get_db(app), number)
    if row is None:
        raise click.ClickException("no routing config stored yet: `python app.py rules import FILE`"
                                   if number is None else f"no routing config version {number}")
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(row.body)
        click.echo(f"wrote version {row.version} to {output}", err=True)
    else:
        click.echo(row.body, nl=not row.body.endswith("\n"))


# -- bench ----------------------------------------------------------------------------------
from bench.cli import bench  # noqa: E402 — bench/ holds its commands (each imported when it runs)

cli.add_command(bench)


def _register_optional(module: str, attr: str, issue: str, help_text: str) -> None:
    """Commands whose code lives in another room: listed in --help even before that room lands."""
    try:
        command = getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name.split(".")[0]):
            @cli.command(name=attr, help=help_text,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
            def _placeholder() -> None:
                not_landed(f"`{attr}`", issue)
            return
        raise
    cli.add_command(command, attr)


from connector.web.cli import users  # noqa: E402 — the command objects of other rooms
from connector.connections.cli import connections as connections_command  # noqa: E402

from connector.pipeline.backfill import backfill  # noqa: E402

cli.add_command(users)
cli.add_command(connections_command)
cli.add_command(backfill)
_register_optional("connector.routing.simulate_cli", "simulate", "rules engine",
                   "Route a CSV of leads through a routing config and show who gets each.")
_register_optional("sandbox.cli", "sandbox", "CRM sandbox",
                   "Run the local Salesforce + HubSpot + Slack sandbox.")


if __name__ == "__main__":
    cli()
