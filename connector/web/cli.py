"""`python app.py users create EMAIL --role admin|manager [--password P]`."""

from __future__ import annotations

import sys

import click

from connector.web.models import UserRole


def _app():
    # The app factory lives in app.py (the top of the tree); import it only when the command runs.
    from app import get_app

    return get_app()


@click.group()
def users() -> None:
    """People who sign in to the settings page."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), required=True)
@click.option("--password", default=None, help="Default: asked for (hidden, twice).")
def create(email: str, role: str, password: str | None) -> None:
    """Create a user who can sign in (admins: connections and users; managers: rules, roster, log)."""
    from connector.platform.db import get_db
    from connector.platform.services import Invalid
    from connector.web import users as users_service

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users_service.create_user(get_db(_app()), email, password, role, actor="cli")
    except Invalid as exc:
        for message in exc.messages():
            click.echo(message, err=True)
        sys.exit(2)
    click.echo(f"created {user.role} {user.email}")
