"""`python app.py connections test [NAME]`: "Test connection" from the command line, for every
connection (connections file, environment variables, settings page): the cheap reads and every
mapped field against the CRM's own field list, one line per check, exit 1 if any check fails."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from connector.connections import checks
from connector.connections.registry import get_connections
from connector.platform.cli import ready_app
from connector.platform.db import get_db


@click.group()
def connections() -> None:
    """CRM connections (file, environment and settings page)."""


@connections.command("test")
@click.argument("name", required=False)
@with_appcontext
def test(name: str | None) -> None:
    """Test NAME (default: every connection): reads, and each mapped field against the CRM's field
    list. One line per check (✓/✗); exit 1 if any check fails."""
    app = ready_app()
    configured = get_connections(app)
    names = [name] if name else configured.names()
    if not names:
        raise click.ClickException("no CRM connection configured (see README: Configuration)")
    if name and name not in configured:
        raise click.ClickException(f"no connection named {name!r}; known: {', '.join(configured.names()) or 'none'}")
    failed = False
    for each in names:
        results = checks.test_named(get_db(app), configured, each, actor="cli")
        for result in results:
            mark = "✓" if result["ok"] else "✗"
            click.echo(f"{each}: {mark} {result['check']} — {result['detail']}")
        failed = failed or not all(r["ok"] for r in results)
    if failed:
        sys.exit(1)
