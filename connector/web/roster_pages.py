"""The roster: reps and teams, quick pause/unpause, and each rep's routing fields."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connector.platform.db import get_db
from connector.platform.services import Invalid, NotFound, ServiceError
from connector.routing import roster
from connector.routing import rules as rules_service

bp = Blueprint("web_roster", __name__, url_prefix="/settings/roster", template_folder="templates")
CAPS = ("weight", "max_open", "hourly_cap", "daily_cap", "weekly_cap")


@bp.get("/")
def index():
    _, data = rules_service.active(get_db())
    return render_template("web/roster.html", reps=roster.list_reps(get_db()), teams=data.get("teams") or [])


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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def rep_to_form(rep: dict[str, Any]) -> dict[str, str]:
    def territory(t: dict) -> str:
        extra = [", ".join(t.get("state") or [])] if t.get("state") else []
        extra += ["postal " + ", ".join(t.get("postal") or [])] if t.get("postal") else []
        return t.get("country", "") + (": " + "; ".join(extra) if extra else "")

    return {
        "timezone": rep.get("timezone") or "",
        "hours": "\n".join(f"{k}: {v}" for k, v in (rep.get("hours") or {}).items()),
        "away": "\n".join(f"{a.get('from')} .. {a.get('to')}" + (f"  {a['note']}" if a.get("note") else "")
                          for a in rep.get("away") or []),
        "skills": ", ".join(rep.get("skills") or []),
        "territories": "\n".join(territory(t) for t in rep.get("territories") or []),
        **{k: str(rep[k]) if rep.get(k) is not None else "" for k in CAPS},
        "active": "1" if rep.get("active", True) else "",
    }


def form_to_fields(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Form text -> the engine's rep fields. Shapes the engine cannot see (a line without ':')
    are reported here; everything else the engine validates on save."""
    # Unchecked = inactive in the config; checked = the default (active), so the key is dropped.
    fields: dict[str, Any] = {"timezone": form.get("timezone", "").strip() or None,
                              "active": None if form.get("active") else False}
    errors: dict[str, list[str]] = {}
    hours: dict[str, str] = {}
    for line in _lines(form.get("hours", "")):
        day, sep, spans = line.partition(":")
        if not sep:
            errors.setdefault("hours", []).append(f"'{line}': write days: hours, e.g. mon-fri: 09:00-18:00")
        hours[day.strip()] = spans.strip()
    fields["hours"] = hours or None
    away = []
    for line in _lines(form.get("away", "")):
        parts = line.split(None, 3)
        if len(parts) < 3 or parts[1] != "..":
            errors.setdefault("away", []).append(f"'{line}': write 2026-12-20 .. 2027-01-03 (optional note)")
            continue
        away.append({"from": parts[0], "to": parts[2], **({"note": parts[3]} if len(parts) > 3 else {})})
    fields["away"] = away or None
    fields["skills"] = [s.strip() for s in form.get("skills", "").split(",") if s.strip()] or None
    territories = []
    for line in _lines(form.get("territories", "")):
        country, _, rest = line.partition(":")
        item: dict[str, Any] = {"country": country.strip()}
        for part in (p.strip() for p in rest.split(";") if p.strip()):
            if part.startswith("postal "):
                item["postal"] = [p.strip() for p in part[7:].split(",") if p.strip()]
            else:
                item["state"] = [p.strip() for p in part.split(",") if p.strip()]
        territories.append(item)
    fields["territories"] = territories or None
    for key in CAPS:
        raw = form.get(key, "").strip()
        if raw and not raw.isdigit():
            errors.setdefault(key, []).append("a whole number")
        fields[key] = int(raw) if raw.isdigit() else None
    return fields, errors


@bp.route("/<rep_id>", methods=["GET", "POST"])
def edit(rep_id: str):
    db = get_db()
    try:
        rep = roster.get_rep(db, rep_id)
    except NotFound:
        return render_template("web/error.html", status=404, message=f"There is no rep {rep_id}."), 404
    number, _ = rules_service.active(db)
    errors: dict[str, list[str]] = {}
    form = rep_to_form(rep)
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        fields, errors = form_to_fields(request.form)
        if not errors:
            try:
                version = roster.update_rep(db, rep_id, fields, actor=current_user.email,
                                            base_version=int(request.form.get("base_version") or 0) or None)
            except Invalid as exc:
                errors = {path.split(".")[0].split("[")[0]: messages for path, messages in exc.errors.items()}
            except ServiceError as exc:
                errors = {"": [str(exc)]}
            else:
                flash(f"Saved {rep['name']} as version {version}.", "ok")
                return redirect(url_for("web_roster.index"))
    return render_template("web/rep_edit.html", rep=rep, form=form, errors=errors, version=number), \
        (422 if errors else 200)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
