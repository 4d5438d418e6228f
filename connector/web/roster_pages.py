"""The roster: reps and teams, quick pause/unpause, adding and editing reps (every field of the
config's rep), switching one off, and the CRM users no rep is linked to yet, added with one click.
Every change but the pause is a new config version with its diff (``connector.routing``)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connector.connections.registry import get_connections
from connector.notify import NotifyError, get_runtime
from connector.platform.db import get_db
from connector.platform.services import Invalid, NotFound, ServiceError
from connector.routing import crm_users, roster
from connector.routing import rules as rules_service
from connector.web import rep_form
from connector.web.config_form import vocabulary

# A rep's page is /<rep id>: the other paths have two parts, so no rep id can shadow them.
bp = Blueprint("web_roster", __name__, url_prefix="/settings/roster", template_folder="templates")


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    return sorted(available_timezones())


def _connections() -> rep_form.Connections:
    connections = get_connections()
    return [(name, connections.owner_keys(name)) for name in connections.names()]


def _owner_keys(name: str) -> tuple[str, ...]:
    connections = get_connections()
    return connections.owner_keys(name) if name in connections.names() else (name,)


@bp.get("/")
def index():
    db = get_db()
    _, data = rules_service.active(db)
    return render_template("web/roster.html", reps=roster.list_reps(db), teams=data.get("teams") or [],
                           people=crm_users.unlinked(crm_users.by_connection(db), data, _owner_keys),
                           connections=get_connections().names())


@bp.post("/<rep_id>/pause")
def pause(rep_id: str):
    return _set(rep_id, True)


@bp.post("/<rep_id>/unpause")
def unpause(rep_id: str):
    return _set(rep_id, False)


def _set(rep_id: str, paused: bool):
    try:
        rep = roster.set_paused(get_db(), rep_id, paused, actor=current_user.email, reason=request.form.get("reason"))
    except Invalid as exc:
        flash(" ".join(exc.messages()), "error")
    except NotFound as exc:
        flash(str(exc), "error")
    else:
        flash(f"{rep['name']} is {'paused: no new leads until unpaused' if paused else 'back in rotation'}.", "ok")
    return redirect(url_for("web_roster.index"))


@bp.post("/<rep_id>/active")
def set_active(rep_id: str):
    active = request.form.get("active") == "1"
    try:
        version = roster.deactivate(get_db(), rep_id, active, actor=current_user.email)
    except ServiceError as exc:
        flash(" ".join(exc.messages()) if isinstance(exc, Invalid) else str(exc).capitalize() + ".", "error")
    else:
        flash(f"{rep_id} is {'active again' if active else 'switched off: no new leads'} (version {version}).", "ok")
    return redirect(url_for("web_roster.index"))


@bp.post("/crm-users/refresh")
def refresh_crm_users():
    found = crm_users.refresh(get_db(), get_connections())
    flash("Read the CRMs' users: " + ("; ".join(f"{n}: {r}" for n, r in found.items()) or "no connection."), "ok")
    return redirect(url_for("web_roster.index") + "#crm-people")


def slack_id(email: str | None) -> tuple[str | None, str | None]:
    """(the Slack user id of this email, or None; why not, or None) through the Slack notifier."""
    notifier = get_runtime().notifiers.get("slack")
    if notifier is None:
        return None, "Slack is not set up (LEADROUTER_SLACK_BOT_TOKEN), so nobody can be looked up"
    if not email:
        return None, "give the rep's email first: Slack is asked by email"
    try:
        return notifier.user_id(email), None
    except NotifyError as exc:
        return None, f"not found in Slack: {exc}"


@bp.post("/crm-users/add")
def add_person():
    db = get_db()
    _, data = rules_service.active(db)
    key = request.form.get("key", "")
    person = next((p for p in crm_users.unlinked(crm_users.by_connection(db), data, _owner_keys) if p.key == key), None)
    if person is None:
        flash("That CRM user is linked to a rep already, or no longer synced.", "error")
        return redirect(url_for("web_roster.index"))
    try:
        rep_id, version = roster.add_person(db, person, actor=current_user.email, slack=slack_id(person.email)[0])
    except ServiceError as exc:
        flash(" ".join(exc.messages()) if isinstance(exc, Invalid) else str(exc).capitalize() + ".", "error")
        return redirect(url_for("web_roster.index"))
    flash(f"Added {person.name} as rep {rep_id} (version {version}): put them in a team to give them leads.", "ok")
    return redirect(url_for("web_roster.edit", rep_id=rep_id))


def _editor(rep_id: str | None):
    db = get_db()
    number, data = rules_service.active(db)
    base = next((r for r in data.get("reps") or [] if r.get("id") == rep_id), None) if rep_id else {}
    if base is None:
        return render_template("web/error.html", status=404, message=f"There is no rep {rep_id} in the rules."), 404
    connections = _connections()
    form, errors = rep_form.rep_to_form(base, connections), {}
    form["id"], form["teams"] = rep_id or "", []
    if request.method == "POST":
        form = {**rep_form.rep_to_form({}, connections), **_posted_form(connections)}
        fields, errors = rep_form.form_to_fields(request.form, base, connections)
        if request.form.get("action") == "lookup_slack":
            found, why = slack_id(form["email"])
            form["slack"], errors = found or form["slack"], ({"slack": [why]} if why else {})
        elif not errors:
            saved = _save(db, rep_id, form, fields)
            if isinstance(saved, dict):
                errors = saved
            else:
                flash(f"Saved {form['name'] or form['id'] or rep_id} as version {saved}.", "ok")
                return redirect(url_for("web_roster.index") + f"#rep-{rep_id or form['id']}")
    users = crm_users.by_connection(db)
    return render_template("web/rep_edit.html", rep_id=rep_id, form=form, errors=errors, version=number,
                           connections=connections, users=users, zones=time_zones(), vocab=vocabulary(),
                           teams=data.get("teams") or [],
                           suggested={name: crm_users.suggested_owner(users.get(name, []), form["email"])
                                      for name, _ in connections}), (422 if errors else 200)


def _posted_form(connections: rep_form.Connections) -> dict:
    """The form as posted, to show it again with its errors."""
    form = {key: request.form.get(key, "") for key in (*rep_form.TEXTS, "hours", "away", "skills", "territories",
                                                       *rep_form.NUMBERS)}
    form["crm"] = {name: request.form.get(f"crm__{name}", "") for name, _ in connections}
    form["holidays"] = {part: request.form.get(f"holidays_{part}", "") for part in ("country", "subdiv", "dates")}
    form.update(active=bool(request.form.get("active")), id=request.form.get("id", "").strip(),
                teams=request.form.getlist("team"))
    return form


def _save(db, rep_id: str | None, form: dict, fields: dict) -> int | dict:
    """The new version's number, or the errors by field."""
    base_version = int(request.form.get("base_version") or 0) or None
    try:
        if rep_id is None:
            return roster.create_rep(db, {**fields, "id": form["id"]}, actor=current_user.email, teams=form["teams"],
                                     base_version=base_version)
        return roster.update_rep(db, rep_id, fields, actor=current_user.email, base_version=base_version)
    except Invalid as exc:
        return rep_form.field_errors(exc.errors)
    except ServiceError as exc:
        return {"": [str(exc).capitalize() + "."]}


@bp.route("/reps/new", methods=["GET", "POST"])
def new():
    return _editor(None)


@bp.route("/<rep_id>", methods=["GET", "POST"])
def edit(rep_id: str):
    return _editor(rep_id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
