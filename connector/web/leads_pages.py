"""The lead log (search, filters, the full decision trace) and the dead-letter list."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connector.platform.db import get_db
from connector.platform.services import Invalid, NotFound, ServiceError
from connector.pipeline import leads

bp = Blueprint("web_leads", __name__, url_prefix="/settings/log", template_folder="templates")


@bp.get("/")
def index():
    db = get_db()
    errors = {}
    try:
        f = leads.LogFilter.from_args(request.args)
    except Invalid as exc:
        errors, f = exc.errors, leads.LogFilter()
    rows, total = leads.search(db, f)
    pages = max(1, -(-total // leads.PAGE_SIZE))
    return render_template("web/log.html", rows=rows, total=total, f=f, pages=pages, errors=errors,
                           choices=leads.filter_choices(db), args=request.args), (422 if errors else 200)


@bp.get("/<int:assignment_id>")
def detail(assignment_id: int):
    try:
        row, events = leads.get(get_db(), assignment_id)
    except NotFound:
        return render_template("web/error.html", status=404, message="There is no such lead in the log."), 404
    return render_template("web/lead.html", row=row, events=events)


@bp.get("/dead")
def dead():
    return render_template("web/dead.html", rows=leads.dead_letters(get_db()))


@bp.post("/<int:assignment_id>/retry")
def retry(assignment_id: int):
    try:
        row = leads.retry(get_db(), assignment_id, actor=current_user.email)
    except (NotFound, ServiceError) as exc:
        flash(str(exc).capitalize() + ".", "error")
    else:
        flash(f"Lead {row.lead_id} is back in the queue; the worker routes it again shortly.", "ok")
    return redirect(request.form.get("back") == "detail" and url_for("web_leads.detail", assignment_id=assignment_id)
                    or url_for("web_leads.dead"))


def decision_method(trace: list | None) -> str:
    """How the owner was chosen, from the decision's trace: the picker (round robin, weighted…),
    the owner kind (account owner…) or the fallback; '—' when nobody was."""
    for step in reversed(trace or []):
        if isinstance(step, dict) and step.get("step") == "pick" and step.get("picker"):
            return str(step["picker"]).replace("_", " ")
        if isinstance(step, dict) and step.get("step") == "fallback" and step.get("rep"):
            return "fallback"
    return "—"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(decision_method, "method")
