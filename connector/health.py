"""Liveness and readiness, for load balancers and `make run`'s own check."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from connector.db import current_revision, get_db, head_revision

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is at the newest migration."""
    db = get_db()
    head = head_revision()
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(db.engine)
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", database="unreachable",
                       error=type(exc).__name__), 503
    body = {"database": "ok", "migration": current, "head": head}
    if current != head:
        body.update(status="unavailable", reason="migrations not at head: run `python app.py db upgrade`")
        return jsonify(body), 503
    # A connection that cannot be used is reported, but the node stays ready: the others route.
    connections = current_app.extensions.get("leadrouter.connections")
    problems = connections.problems() if connections is not None else {}
    body["connections"] = {name: ({"status": "broken", "error": problems[name]} if name in problems
                                  else {"status": "ok"}) for name in (connections.names() if connections else [])}
    return jsonify(status="ok", **body)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
