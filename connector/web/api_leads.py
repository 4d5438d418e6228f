"""The JSON API's log: the assignments log, dead letters and their retry, and the simulator."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Flask, jsonify, request

from connector.outcomes import simulator
from connector.pipeline import leads
from connector.platform.db import get_db
from connector.platform.services import Invalid
from connector.web.api import actor, json_object, token_required

bp = Blueprint("api_leads", __name__, url_prefix="/api/v1")


@bp.get("/log")
@token_required
def get_log():
    f = leads.LogFilter.from_args(request.args)
    rows, total = leads.search(get_db(), f)
    return jsonify(total=total, page=f.page, page_size=leads.PAGE_SIZE, items=[leads.to_dict(r) for r in rows])


@bp.get("/log/<int:assignment_id>")
@token_required
def get_lead(assignment_id: int):
    row, events = leads.get(get_db(), assignment_id)
    return jsonify(leads.to_dict(row, events))


@bp.get("/dead-letters")
@token_required
def dead_letters():
    return jsonify(items=[leads.to_dict(r) for r in leads.dead_letters(get_db())])


@bp.post("/dead-letters/<int:assignment_id>/retry")
@token_required
def retry(assignment_id: int):
    return jsonify(leads.to_dict(leads.retry(get_db(), assignment_id, actor=actor())))


@bp.post("/simulate")
@token_required
def simulate():
    """{"leads": [{...}], "csv": "...", or "days": N; optional "draft": YAML text}."""
    body = json_object()
    db = get_db()
    draft = body.get("draft") if isinstance(body.get("draft"), str) else None
    if isinstance(body.get("leads"), list):
        if not all(isinstance(x, dict) for x in body["leads"]) or not body["leads"]:
            raise Invalid({"leads": ["a non-empty list of objects (canonical field names)"]})
        items = [{str(k): v for k, v in x.items() if isinstance(v, (str, int, float, bool))} for x in body["leads"]]
        items = [dict(x, id=str(x.get("id") or f"row-{i}")) for i, x in enumerate(items, 1)][:simulator.MAX_LEADS]
    elif isinstance(body.get("csv"), str):
        items = simulator.leads_from_csv(body["csv"])
    elif isinstance(body.get("days"), int) and not isinstance(body.get("days"), bool):
        return jsonify(simulator.replay_log(db, body["days"], draft, now=datetime.now(timezone.utc)))
    else:
        raise Invalid({"": ["give 'leads' (a list), 'csv' (text) or 'days' (a number)"]})
    return jsonify(simulator.run(db, items, draft))



def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
