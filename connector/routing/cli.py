"""`python app.py rules validate|import|init|export`: the routing config from the command line,
and the start-up import of ``LEADROUTER_ROUTING_CONFIG`` every command that routes or serves
runs first (``load_routing_file``)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from connector.connections.registry import get_connections
from connector.platform.cli import ready_app
from connector.platform.db import get_db
from connector.routing import store
from connector.routing.active import import_file_at_start


def load_routing_file(app: Flask) -> None:
    """Store ``LEADROUTER_ROUTING_CONFIG`` as a new version when it differs from the active one
    (the file owns the rules then). Never part of ``create_app``: migrating must not depend on it."""
    path = app.config["LEADROUTER_SETTINGS"].routing_config
    if not path:
        return
    try:
        import_file_at_start(get_db(app), path)
    except store.InvalidConfig as exc:  # a file the engine refuses
        raise click.ClickException(f"{path} is not a valid routing config:\n  " + "\n  ".join(exc.errors)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read LEADROUTER_ROUTING_CONFIG: {exc}") from None


@click.group()
def rules() -> None:
    """Routing config: validate, import (new active version), export."""


@rules.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def rules_validate(path: str) -> None:
    """Check a routing config file; print each problem with its path."""
    try:
        errors = store.validate_text(store.read_file(path))
    except store.InvalidConfig as exc:   # not UTF-8 text
        errors = exc.errors
    for error in errors:
        click.echo(error, err=True)
    if errors:
        sys.exit(2)
    click.echo(f"{path}: valid")


@rules.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="cli", show_default=True, help="Who made this change (audit log).")
@click.option("--comment", default=None)
@with_appcontext
def rules_import(path: str, actor: str, comment: str | None) -> None:
    """Store a routing config file as the new active version."""
    app = ready_app()
    try:
        version = store.save_version(get_db(app), store.read_file(path), actor=actor, comment=comment)
    except store.InvalidConfig as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        sys.exit(2)
    click.echo(f"imported {path} as version {version} (active)")


@rules.command("init")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="routing.yaml",
              show_default=True)
@click.option("--timezone", default="UTC", show_default=True, help="Default time zone of the reps.")
@with_appcontext
def rules_init(output: str, timezone: str) -> None:
    """Write a starter routing config from the connected CRMs' users (one team, account owner
    first, then round robin), to edit and import."""
    import yaml

    from connector.routing.starter import starter_config

    connections = get_connections(ready_app())
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
@with_appcontext
def rules_export(number: int | None, output: str | None) -> None:
    """Print (or write) a stored routing config version."""
    row = store.get_version(get_db(ready_app()), number)
    if row is None:
        raise click.ClickException("no routing config stored yet: `python app.py rules import FILE`"
                                   if number is None else f"no routing config version {number}")
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(row.body)
        click.echo(f"wrote version {row.version} to {output}", err=True)
    else:
        click.echo(row.body, nl=not row.body.endswith("\n"))
