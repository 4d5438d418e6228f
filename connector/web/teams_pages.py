"""Teams: add, edit (members in rotation order, manager, channel, holidays), delete; every save
a new config version with its diff (``connector.routing.teams``).

The rotation order is a list of members, each a hidden ``member`` field in page order. With
JavaScript (``static/roster.js``) it is a drag list, also moved with Alt+↑/↓; without it, each
member's ↑ / ↓ / Remove buttons and "Add" post the form back with ``op`` set, and the page comes
back with the list changed and nothing saved until "Save"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from connector.platform.db import get_db
from connector.platform.services import Invalid, ServiceError
from connector.routing import rules as rules_service
from connector.routing import teams as teams_service
from connector.web import config_form

# Named under web_roster so the navigation shows the Roster tab as current.
bp = Blueprint("web_roster_teams", __name__, url_prefix="/settings/teams", template_folder="templates")
TEXTS = ("name", "manager", "channel")
KEYS = (*TEXTS, "members", "holidays")


def team_to_form(team: dict[str, Any]) -> dict[str, Any]:
    return {**{key: str(team.get(key) or "") for key in TEXTS}, "members": [str(m) for m in team.get("members") or []],
            "holidays": config_form.holidays_to_form(team.get("holidays"))}


def _posted_fields(form: dict[str, Any]) -> MultiDict:
    fields = [(key, form[key]) for key in TEXTS] + [("member", m) for m in form["members"]]
    return MultiDict(fields + config_form.holidays_fields(form["holidays"]))


def _parse(post: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {key: post.get(key, "").strip() or None for key in TEXTS}
    fields["members"] = list(dict.fromkeys(m for m in post.getlist("member") if m))
    fields["holidays"] = config_form.form_to_holidays(post)
    return fields


def form_to_fields(post: Any, base: dict[str, Any]) -> dict[str, Any]:
    """The team's fields from a post; keys left unchanged keep their stored spelling."""
    merged = config_form.keep_unchanged(base, _parse(post), _parse(_posted_fields(team_to_form(base))), KEYS)
    return {key: merged.get(key, [] if key == "members" else None) for key in KEYS}


def moved(members: list[str], op: str, add: str) -> list[str]:
    """The rotation after one no-JavaScript button: up:<id>, down:<id>, remove:<id>, add."""
    action, _, rep = op.partition(":")
    members = list(members)
    if action == "add" and add and add not in members:
        return members + [add]
    if rep not in members:
        return members
    i = members.index(rep)
    if action == "remove":
        members.pop(i)
    elif action in ("up", "down"):
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(members):
            members[i], members[j] = members[j], members[i]
    return members


def _editor(team_id: str | None):
    db = get_db()
    number, data = rules_service.active(db)
    base = next((t for t in data.get("teams") or [] if t.get("id") == team_id), None) if team_id else {}
    if base is None:
        return render_template("web/error.html", status=404, message=f"There is no team {team_id}."), 404
    form, errors = {**team_to_form(base), "id": team_id or ""}, {}
    if request.method == "POST":
        form = {**team_to_form(_parse(request.form)), "id": request.form.get("id", "").strip()}
        op = request.form.get("op", "")
        if op:
            form["members"] = moved(form["members"], op, request.form.get("add_member", ""))
        else:
            try:
                version = teams_service.save_team(db, team_id, {**form_to_fields(request.form, base), "id": form["id"]},
                                                  actor=current_user.email,
                                                  base_version=int(request.form.get("base_version") or 0) or None)
            except Invalid as exc:
                errors = config_form.by_field(exc.errors, ("id", *KEYS))
            except ServiceError as exc:
                errors = {"": [str(exc).capitalize() + "."]}
            else:
                flash(f"Saved team {form['name'] or form['id'] or team_id} as version {version}.", "ok")
                return redirect(url_for("web_roster.index") + "#teams")
    reps = {r.get("id"): r for r in data.get("reps") or []}
    return render_template("web/team_edit.html", team_id=team_id, form=form, errors=errors, version=number,
                           reps=reps, vocab=config_form.vocabulary(),
                           others=[rid for rid in reps if rid not in form["members"]]), (422 if errors else 200)


@bp.route("/", methods=["GET", "POST"])
def new():
    """A new team (team pages are /<id>, so this one has the folder's own path)."""
    return _editor(None)


@bp.route("/<team_id>", methods=["GET", "POST"])
def edit(team_id: str):
    return _editor(team_id)


@bp.post("/<team_id>/delete")
def delete(team_id: str):
    try:
        version = teams_service.delete_team(get_db(), team_id, actor=current_user.email)
    except ServiceError as exc:
        why = "; ".join(exc.messages()) if isinstance(exc, Invalid) else str(exc)
        flash(f"Team {team_id} was not deleted: {why}. Change those rules first.", "error")
        return redirect(url_for("web_roster_teams.edit", team_id=team_id))
    flash(f"Team {team_id} deleted (version {version}).", "ok")
    return redirect(url_for("web_roster.index") + "#teams")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
