"""The JSON API's connections (admins): list, create, update and test, through the same model
and service as the connections page; secrets are write-only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request

from connector.connections import checks
from connector.connections import service as connections_service
from connector.connections.registry import BrokenSpec, get_connections
from connector.platform.db import get_db
from connector.platform.keys import secret_box
from connector.platform.services import Invalid, NotFound
from connector.web.api import actor, error, token_required

bp = Blueprint("api_connections", __name__, url_prefix="/api/v1")


def _admin_only():
    if g.principal.role != "admin":
        return error(403, "only admins may read or change connections")
    return None


def _connection_body(row) -> dict[str, Any]:
    """A connection as the API shows it: every non-secret key, and for each secret only whether
    it is set (secrets are write-only)."""
    box = secret_box()
    spec = connections_service.spec_of(row, connections_service.box_decrypt(box, row.secrets))
    if isinstance(spec, BrokenSpec):
        return {"name": row.name, "kind": row.kind, "id": row.id, "source": "stored", "error": spec.reason}
    return {**spec.public(), "id": row.id, "source": "stored"}


@bp.get("/connections")
@token_required
def list_connections():
    """Every connection: those stored here (all keys) and those of the file or the environment
    (their names and kinds: edit them where they are defined)."""
    if (refused := _admin_only()) is not None:
        return refused
    rows = connections_service.list_connections(get_db())
    stored = [_connection_body(row) for row in rows]
    names = {row.name for row in rows}
    live = get_connections().specs
    others = [{"name": name, "kind": str(getattr(spec.kind, "value", spec.kind)), "source": "configuration"}
              for name, spec in live.items() if name not in names]
    return jsonify(connections=stored + others)


@bp.post("/connections")
@token_required
def create_connection():
    """Store a new connection: the keys of docs/connections.md as JSON (secrets as values)."""
    if (refused := _admin_only()) is not None:
        return refused
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid({"": ["a JSON object with the connection's keys (docs/connections.md)"]})
    row = connections_service.save(get_db(), secret_box(), None, body,
                                   actor=actor(), html_form=False)
    return jsonify(_connection_body(row)), 201


@bp.put("/connections/<name>")
@token_required
def update_connection(name: str):
    """Change a stored connection: the keys given replace theirs; the others, secrets included, stay."""
    if (refused := _admin_only()) is not None:
        return refused
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid({"": ["a JSON object with the keys to change (docs/connections.md)"]})
    row = next((r for r in connections_service.list_connections(get_db()) if r.name == name), None)
    if row is None:
        raise NotFound(f"no stored connection named {name!r}")
    row = connections_service.save(get_db(), secret_box(), row.id,
                                   {"name": name, **body, "kind": row.kind}, actor=actor(), html_form=False)
    return jsonify(_connection_body(row))


@bp.post("/connections/<name>/test")
@token_required
def test_connection(name: str):
    """"Test connection" (admins): cheap reads and every mapped field against the CRM's field list."""
    if g.principal.role != "admin":
        return error(403, "only admins may test connections")
    results = checks.test_named(get_db(), get_connections(), name,
                                             actor=actor(), **current_app.config.get("LEADROUTER_ADAPTER_OPTIONS", {}))
    return jsonify(connection=name, ok=all(r["ok"] for r in results), checks=results)



def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
