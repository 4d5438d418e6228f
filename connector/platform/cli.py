"""The platform's commands (``db upgrade|downgrade|current``) and what every other room's command
starts from: ``ready_app()``, the current app once its database is reachable and migrated.

``db`` never needs the app: migrating reads the settings alone, so a connections file or a
routing config that stops start-up never stops a migration.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import click
from flask import Flask, current_app

from connector.platform import db as db_room
from connector.platform.settings import SettingsError, load_settings

ReadyHook = Callable[[Flask], None]


def on_ready(app: Flask, hook: ReadyHook) -> None:
    """Start-up work a room needs once the schema is known to be current (importing the routing
    file, recording the connections): run by ``ready_app``, in the order the rooms registered."""
    _ready_hooks(app).append(hook)


def _ready_hooks(app: Flask) -> list[ReadyHook]:
    return app.extensions.setdefault("leadrouter.on_ready", [])


def ready_app() -> Flask:
    """The app for a command that reads or writes the database: it is reachable and at the newest
    migration, then the rooms' start-up work has run. Any problem is one line."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    problem = db_room.schema_problem(db_room.get_db(app).engine)
    if problem:
        raise click.ClickException(problem)
    for hook in _ready_hooks(app):
        hook(app)
    return app


def _database_url() -> str:
    """The database URL from the settings alone: migrating never depends on the app's start-up."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.database_url


@click.group()
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
def _database_errors() -> Iterator[None]:
    """An unreachable database or an unknown revision is one line, not a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(db_room.describe_error(exc)) from None


def init_app(app: Flask) -> None:
    app.cli.add_command(db)
