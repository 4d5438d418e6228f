"""The simulator page: leads (CSV or the log's last N days) under a draft config vs. reality."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Flask, render_template, request

from connector.platform.db import get_db
from connector.platform.services import Invalid
from connector.routing import rules as rules_service
from connector.outcomes import simulator

bp = Blueprint("web_sim", __name__, url_prefix="/settings/simulate", template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
def index():
    db = get_db()
    number, data = rules_service.active(db)
    form = {"draft": rules_service.to_text(data) if number else "", "csv": "", "source": "csv", "days": "7"}
    result, errors = None, {}
    if request.method == "POST":
        form.update({k: request.form.get(k, form[k]) for k in form})
        upload = request.files.get("csv_file")
        if upload and upload.filename:
            form["csv"] = upload.read().decode("utf-8-sig", "replace")
        try:
            if form["source"] == "log":
                days = int(form["days"]) if form["days"].isdigit() else 0
                result = simulator.replay_log(db, days, form["draft"], now=datetime.now(timezone.utc))
            else:
                result = simulator.run(db, simulator.leads_from_csv(form["csv"]), form["draft"])
        except Invalid as exc:
            errors = exc.errors
    return render_template("web/simulate.html", form=form, result=result, errors=errors, version=number), \
        (422 if errors else 200)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
