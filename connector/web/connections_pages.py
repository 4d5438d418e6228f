"""Connections (admins only): add/edit CRM connections, test them, webhook URLs to paste."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from connector.connections import health as health_room
from connector.connections.models import Connection
from connector.connections.registry import get_connections
from connector.platform.db import get_db
from connector.platform.keys import secret_box
from connector.platform.services import Invalid, NotFound
from connector.connections import checks, form, service
from connector.web import setup_guide
from connector.web.security import role_required

bp = Blueprint("web_conn", __name__, url_prefix="/settings/connections", template_folder="templates")


def _base_url() -> str:
    return current_app.config["LEADROUTER_SETTINGS"].base_url


@bp.before_request
@role_required("admin")
def _admins_only():
    return None


@bp.get("/")
def index():
    rows = service.list_connections(get_db())
    env = get_connections()
    stored = {row.name for row in rows}
    health = health_room.stored(get_db())
    return render_template("web/connections.html", rows=rows, kinds=service.KIND_NAMES, health=health,
                           urls={row.id: service.webhook_urls(_base_url(), row) for row in rows},
                           env_names=[n for n in env.names() if n not in stored], problems=env.problems(),
                           steps=_setup_steps(env, health),
                           notification_steps=setup_guide.notification_steps(_settings(), _base_url()))


def _settings():
    return current_app.config["LEADROUTER_SETTINGS"]


def _setup_steps(connections, health: dict) -> dict[str, list[setup_guide.Step]]:
    """Each connection's setup steps, with what leadrouter saw of each (connector/web/setup_guide.py)."""
    arrived = setup_guide.last_webhooks(get_db())
    out = {}
    for name, spec in connections.specs.items():
        urls = service.webhook_urls(_base_url(), Connection(name=name, kind=str(getattr(spec.kind, "value", spec.kind))))
        out[name] = setup_guide.connection_steps(name, spec, urls, health.get(name), arrived.get(name))
    return out


@bp.get("/guides/<name>")
def guide(name: str):
    """A setup guide of docs/, rendered (the steps above link to their sections)."""
    body = setup_guide.guide_html(name)
    if body is None:
        return render_template("web/error.html", status=404, message="There is no such guide."), 404
    return render_template("web/guide.html", name=name, body=Markup(body))


def _form(connection_id: int | None):
    db = get_db()
    row = None
    if connection_id is not None:
        try:
            row = service.get(db, connection_id)
        except NotFound:
            return render_template("web/error.html", status=404, message="There is no such connection."), 404
    kind = request.values.get("kind") or (row.kind if row else "hubspot")
    if kind not in service.KIND_NAMES:
        kind = "hubspot"
    fields = form.form_fields(kind)
    values = service.form_values(row, kind)
    if row is None:
        values["name"] = kind
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        secret_names = {f.name for f in fields if f.secret}
        values = {k: v for k, v in request.form.items() if k not in secret_names}
        for f in fields:
            if f.widget == "checkbox":
                values[f.name] = "1" if request.form.get(f.name) else ""
        try:
            saved = service.save(db, secret_box(), connection_id, {**request.form.to_dict(), "kind": kind},
                                 actor=current_user.email)
        except Invalid as exc:
            errors = exc.errors
        else:
            flash(f"Saved connection {saved.name}. Test it, then paste the webhook URL into the CRM.", "ok")
            return redirect(url_for("web_conn.index"))
    return render_template("web/connection_edit.html", row=row, kind=kind, fields=fields,
                           values=values, secrets=service.secret_state(secret_box(), row), mask=form.MASK,
                           errors=errors, kinds=service.KIND_NAMES), (422 if errors else 200)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _form(None)


@bp.route("/<int:connection_id>", methods=["GET", "POST"])
def edit(connection_id: int):
    return _form(connection_id)


@bp.post("/<int:connection_id>/test")
def test(connection_id: int):
    db = get_db()
    try:
        row = service.get(db, connection_id)
        results = checks.test(db, secret_box(), connection_id, actor=current_user.email,
                               **current_app.config.get("LEADROUTER_ADAPTER_OPTIONS", {}))
    except NotFound:
        return render_template("web/error.html", status=404, message="There is no such connection."), 404
    return render_template("web/connection_test.html", row=row, results=results,
                           urls=service.webhook_urls(_base_url(), row))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
