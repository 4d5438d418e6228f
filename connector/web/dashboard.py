"""The dashboard (``/`` and ``/settings/``: the landing page after sign-in) and the UI's static
files (/assets/…).

Charts: the page carries each chart's numbers twice (``templates/web/charts.html``), as a JSON
data block that ``static/dashboard.js`` draws with the vendored Chart.js (``static/vendor/chartjs``,
served from the app, no CDN, no build step), and as a table for screen readers and browsers
without scripts. Data blocks are never executed, so the CSP keeps ``script-src 'self'``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request

from connector.platform.db import get_db
from connector.web.home import demo_url, has_rules, next_steps
from connector.web import history, stats

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")


@bp.get("/settings/")
def dashboard():
    try:
        days = max(1, min(int(request.args.get("days", 14)), 90))
    except ValueError:
        days = 14
    settings = current_app.config["LEADROUTER_SETTINGS"]
    demo = demo_url()
    return render_template("web/dashboard.html", s=stats.dashboard(get_db(), days),
                           steps=next_steps(settings, demo is not None, has_rules()), demo_url=demo,
                           database=settings.database_url.split(":", 1)[0])


@bp.get("/settings/audit")
def audit():
    kind = request.args.get("type") or None
    return render_template("web/audit.html", rows=history.recent(get_db(), limit=200, object_type=kind), kind=kind)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
