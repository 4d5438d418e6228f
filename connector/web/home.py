"""``/`` and what to configure next.

``/`` is the dashboard (``/settings/``): the login gate in front of it sends a signed-out visitor
to sign in, and the very first visitor (no user yet) on to the first-admin form at ``/setup``.
``next_steps`` is shown on the dashboard and logged at start-up.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, url_for

from connector.platform.db import get_db
from connector.routing.store import get_version

bp = Blueprint("home", __name__)


def next_steps(settings, demo: bool = False, has_rules: bool = False) -> list[str]:
    """What an admin should do next, in order; the same list is logged at start-up."""
    steps = []
    if demo:
        steps.append("Demo mode: leadrouter is routing the demo CRM's leads (a local Salesforce and "
                     "HubSpot stand-in); `python app.py worker --once` and the log show each decision.")
    if not settings.crm_configured:
        steps.append("Connect a CRM: set LEADROUTER_HUBSPOT_TOKEN (+ LEADROUTER_HUBSPOT_APP_SECRET for "
                     "webhooks) or LEADROUTER_SALESFORCE_URL with its credentials.")
    if not (settings.routing_config or has_rules):
        steps.append("Write routing rules: see docs/routing-config.md, then set LEADROUTER_ROUTING_CONFIG "
                     "or run `python app.py rules import routing.yaml`.")
    if not (settings.slack_bot_token or settings.smtp_url):
        steps.append("Tell reps about new leads: set LEADROUTER_SLACK_BOT_TOKEN or LEADROUTER_SMTP_URL.")
    if settings.database_url.startswith("sqlite"):
        steps.append("For several web or worker processes, use PostgreSQL: set LEADROUTER_DATABASE_URL.")
    return steps


def has_rules() -> bool:
    return get_version(get_db()) is not None


def show_demo(app: Flask, url: str) -> None:
    """The demo CRM runs beside the app at ``url``: the dashboard says so."""
    app.extensions["leadrouter.demo_url"] = url


def demo_url(app: Flask | None = None) -> str | None:
    return (app or current_app).extensions.get("leadrouter.demo_url")


@bp.get("/")
def index():
    return redirect(url_for("web.dashboard"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
