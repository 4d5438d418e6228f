"""The settings page (server-rendered Flask + Jinja) and the JSON API, over the rooms' services (``connector/*/``).

Wire with ``connector.web.init_app(app)``; the ``users`` CLI group is ``connector.web.cli.users``.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, render_template, request
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFError

from connector.platform.db import get_db
from connector.web import users as users_service
from connector.web.users import Principal
from connector.web import security


class WebUser(UserMixin):
    """Flask-Login's view of a signed-in ``Principal``."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.id = str(principal.id)
        self.email = principal.email
        self.role = principal.role


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def init_app(app: Flask) -> None:
    if "leadrouter.web" in app.extensions:  # idempotent: tests may call it on a wired app
        return
    app.extensions["leadrouter.web"] = True
    app.jinja_env.autoescape = True
    security.init_app(app)

    login = LoginManager()
    login.login_view = "web_auth.login"
    login.login_message = "Please sign in to continue."
    login.session_protection = "strong"
    login.init_app(app)

    @login.user_loader
    def _load(user_id: str):
        try:
            principal = users_service.load_principal(get_db(), int(user_id))
        except ValueError:
            return None
        return WebUser(principal) if principal else None

    from connector.web import (api, auth, connections_pages, dashboard, leads_pages, roster_pages, rules_pages,
                               simulator_pages, teams_pages)
    for module in (auth, dashboard, rules_pages, simulator_pages, roster_pages, teams_pages, leads_pages,
                   connections_pages, api):
        module.init_app(app)

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
        from flask import jsonify
        return jsonify(error=message), status
    return render_template("web/error.html", status=status, message=message), status
