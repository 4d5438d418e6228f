"""The JSON API (/api/v1): the same services as the pages, for admins' own scripts and CI.

Authentication: ``Authorization: Bearer <token>`` (per-user tokens, made on /settings/tokens).
No session cookie is accepted here, so no CSRF token is needed either.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request

from connector.platform.db import get_db
from connector.platform.services import Invalid, ServiceError
from connector.routing import roster
from connector.web import users
from connector.routing import rules as rules_service
from connector.web.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, message: str, errors: dict | None = None):
    body: dict[str, Any] = {"error": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="leadrouter"'
    return response


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        principal = users.principal_for_token(get_db(), token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            return error(401, "a valid API token is required: Authorization: Bearer <token>")
        g.principal = principal
        try:
            return view(*args, **kwargs)
        except Invalid as exc:
            return error(exc.status, str(exc), exc.errors)
        except ServiceError as exc:
            return error(exc.status, str(exc))
    return wrapped


def writes_rules(view):
    """A rule-writing endpoint: refused with 409 first thing when LEADROUTER_ROUTING_CONFIG manages
    the rules (inside ``token_required``, so the refusal is its JSON error)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        rules_service.check_writable(get_db())
        return view(*args, **kwargs)
    return wrapped


def json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise Invalid({"": ["the body must be a JSON object"]}, "bad request body")
    return body


def actor() -> str:
    return f"{g.principal.email} (api)"


def _version(row) -> dict[str, Any]:
    return {"version": row.version, "active": row.active, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(), "comment": row.comment, "format": row.format}


@bp.get("/openapi.json")
def openapi():
    # The configured public URL, not the Host header: the document must not echo what a client sent.
    return jsonify(document(current_app.config["LEADROUTER_SETTINGS"].base_url.rstrip("/")))


@bp.get("/rules")
@token_required
def get_rules():
    number, data = rules_service.active(get_db())
    return jsonify(version=number, config=data)


@bp.put("/rules")
@token_required
@writes_rules
def put_rules():
    """YAML text (application/yaml, text/plain) or JSON {"config": {...}} / {"text": "..."}."""
    if request.mimetype in ("application/yaml", "application/x-yaml", "text/yaml", "text/plain"):
        text, comment = request.get_data(as_text=True), request.args.get("comment")
    else:
        body = json_object()
        comment = body.get("comment") if isinstance(body.get("comment"), str) else None
        if isinstance(body.get("text"), str):
            text = body["text"]
        elif isinstance(body.get("config"), dict):
            text = rules_service.to_text(body["config"])
        else:
            raise Invalid({"": ["send YAML text, or JSON with 'config' (an object) or 'text' (a string)"]})
    number = rules_service.save_text(get_db(), text, actor=actor(), comment=(comment or "pushed via API")[:500])
    return jsonify(version=number), 201


@bp.post("/rules/validate")
@token_required
def validate_rules():
    text = request.get_data(as_text=True)
    body = request.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("config"), dict):
        text = rules_service.to_text(body["config"])
    errors = rules_service.engine_errors(text) if text.strip() else {"": ["empty config"]}
    return jsonify(valid=not errors, errors=errors)


def _rule_body() -> dict[str, Any]:
    body = json_object()
    rule = body.get("rule", body)
    if not isinstance(rule, dict) or not rule:
        raise Invalid({"rule": ["a rule object, as in the routing config's rules list"]})
    return rule


def _base() -> int | None:
    raw = request.args.get("base_version", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


@bp.post("/rules/items")
@token_required
@writes_rules
def add_rule():
    """Append one rule (JSON); ``?base_version=N`` refuses the save if someone saved meanwhile."""
    return jsonify(version=rules_service.save_rule(get_db(), None, _rule_body(), actor=actor(),
                                                   base_version=_base())), 201


@bp.put("/rules/items/<int:index>")
@token_required
@writes_rules
def replace_rule(index: int):
    return jsonify(version=rules_service.save_rule(get_db(), index, _rule_body(), actor=actor(),
                                                   base_version=_base()))


@bp.delete("/rules/items/<int:index>")
@token_required
@writes_rules
def delete_rule(index: int):
    return jsonify(version=rules_service.delete_rule(get_db(), index, actor=actor()))


@bp.post("/rules/items/<int:index>/move")
@token_required
@writes_rules
def move_rule(index: int):
    direction = json_object().get("direction")
    return jsonify(version=rules_service.move_rule(get_db(), index, str(direction), actor=actor()))


@bp.get("/rules/versions")
@token_required
def list_versions():
    return jsonify(items=[_version(row) for row in rules_service.list_versions(get_db())])


@bp.get("/rules/versions/<int:number>")
@token_required
def get_version(number: int):
    db = get_db()
    row = rules_service.get_version(db, number)
    change = rules_service.diff(db, number)
    return jsonify(**_version(row), body=row.body, changes=change["summary"], diff=change["diff"])


@bp.post("/rules/versions/<int:number>/rollback")
@token_required
@writes_rules
def rollback(number: int):
    return jsonify(version=rules_service.rollback(get_db(), number, actor=actor())), 201


@bp.get("/roster")
@token_required
def get_roster():
    return jsonify(items=roster.list_reps(get_db()))


@bp.post("/roster/<rep_id>/pause")
@token_required
def pause(rep_id: str):
    body = json_object()
    reason = body.get("reason") if isinstance(body.get("reason"), str) else None
    return jsonify(roster.set_paused(get_db(), rep_id, True, actor=actor(), reason=reason))


@bp.patch("/roster/<rep_id>")
@token_required
def update_rep(rep_id: str):
    """Routing fields of a rep (timezone, hours, away, skills, territories, weight, caps): a new version."""
    body = json_object()
    fields = {k: v for k, v in body.items() if k in roster.ROUTING_FIELDS}
    if not fields:
        raise Invalid({"": [f"give at least one of: {', '.join(roster.ROUTING_FIELDS)}"]})
    return jsonify(version=roster.update_rep(get_db(), rep_id, fields, actor=actor(), base_version=_base()))


@bp.post("/roster/<rep_id>/unpause")
@token_required
def unpause(rep_id: str):
    return jsonify(roster.set_paused(get_db(), rep_id, False, actor=actor()))



def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
