"""The settings page (server-rendered Flask + Jinja) and the JSON API, over the rooms' services (``connector/*/``).

``init_app(app)`` registers every page, the API and the room's commands (``connector.web.cli``).
See docs/ARCHITECTURE.md for what this room may import.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from connector.web import (api, api_connections, api_leads, api_metrics, auth, cli, connections_pages, dashboard,
                           home, leads_pages, roster_pages, rules_pages, security, simulator_pages, teams_pages)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def init_app(app: Flask) -> None:
    """The pages and the API behind the login gate, ``/``, and the ``users`` and ``web`` commands."""
    app.jinja_env.autoescape = True
    security.init_app(app)
    for module in (home, auth, dashboard, rules_pages, simulator_pages, roster_pages, teams_pages, leads_pages,
                   connections_pages, api, api_leads, api_connections, api_metrics):
        module.init_app(app)
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.serve)

    app.jinja_env.filters["when"] = _when

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return _error_page(400, "This form expired or was not sent from this site. Go back, reload and try again.")

    @app.errorhandler(403)
    def _forbidden(_exc):
        return _error_page(403, "Only an admin can open this page.")

    @app.errorhandler(404)
    def _not_found(_exc):
        return _error_page(404, "There is nothing at this address.")


def _error_page(status: int, message: str):
    if request.path.startswith(security.SELF_AUTHENTICATED):
        return jsonify(error=message), status
    return render_template("web/error.html", status=status, message=message), status
