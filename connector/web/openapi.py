"""The OpenAPI 3.1 document of /api/v1, kept next to the routes it describes (``api*.py``).

Every closed list in it comes from its declaration: lead statuses from ``LeadStatus``, the
rule's ``assign`` / ``on_empty`` and the rep limits from the engine's vocabulary, the move
directions from the rules service, the connection model from its own JSON Schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from adapters.specs import ConnectionSpec
from connector.outcomes.export import openapi_paths as metrics_paths
from connector.pipeline.models import LeadStatus
from connector.routing.rules import DIRECTIONS
from rules_engine import describe_vocabulary

_VOCABULARY = describe_vocabulary()

OBJ = {"type": "object"}
ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}, "errors": OBJ}, "required": ["error"]}}}}


def _ok(description: str, schema: dict | None = None, code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {"application/json": {"schema": schema or OBJ}}},
            "401": ERROR}


def _path_int(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}


def _names(vocabulary_key: str) -> list[str]:
    return [entry["name"] for entry in _VOCABULARY[vocabulary_key]]


REP_ID = {"name": "rep_id", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[a-z0-9_.-]{1,64}$"}}
LOG_QUERY = [{"name": n, "in": "query", "required": False, "schema": s} for n, s in (
    ("q", {"type": "string", "maxLength": 200}), ("rep", {"type": "string", "maxLength": 64}),
    ("rule", {"type": "string", "maxLength": 200}),
    ("status", {"type": "string", "enum": [status.value for status in LeadStatus]}),
    ("since", {"type": "string", "format": "date"}), ("until", {"type": "string", "format": "date"}),
    ("page", {"type": "integer", "minimum": 1, "maximum": 10000}))]
INDEX = {"name": "index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
BASE_VERSION = {"name": "base_version", "in": "query", "required": False,
                "description": "the version your change is based on; 409 if another was saved since",
                "schema": {"type": "integer", "minimum": 1}}
RULE = {"type": "object", "description": "a rule as in docs/routing-config.md", "properties": {
    "name": {"type": "string"}, "when": OBJ, "to": {"type": "array", "items": {"type": "string"}},
    "assign": {"enum": _names("assign")}, "pick": {"type": "string"}, "on_empty": {"enum": _names("on_empty")},
    "require": {"type": "array"}, "enabled": {"type": "boolean"}, "description": {"type": "string"}},
    "required": ["name"]}
CHANGE_ERRORS = {"400": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}
JSON_BODY = lambda schema, required=True: {"required": required, "content": {"application/json": {"schema": schema}}}  # noqa: E731


CONNECTION_NAME = {"name": "name", "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"}}


def connection_schemas() -> dict:
    """The connection model's own JSON Schema (adapters/specs.py): the API documents what the
    file, the environment and the page take, from the one description."""
    schema = TypeAdapter(ConnectionSpec).json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    defs = schema.pop("$defs", {})
    return {**defs, "Connection": schema}


def _rules_paths() -> dict[str, Any]:
    return {
        "/rules": {
            "get": {"summary": "The active routing config", "operationId": "getRules",
                    "responses": _ok("version number and config")},
            "put": {"summary": "Store a routing config as the new active version", "operationId": "putRules",
                    "requestBody": {"required": True, "content": {
                        "application/yaml": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object", "properties": {
                            "config": OBJ, "text": {"type": "string"}, "comment": {"type": "string"}}}}}},
                    "responses": {**_ok("the new version number", code="201"), "400": ERROR, "409": ERROR,
                                  "422": ERROR}}},
        "/rules/validate": {"post": {"summary": "Check a config with the engine, store nothing",
                                     "operationId": "validateRules",
                                     "requestBody": {"required": True, "content": {
                                         "application/yaml": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "object",
                                                                         "properties": {"config": OBJ}}}}},
                                     "responses": _ok("valid and errors by path")}},
        "/rules/items": {"post": {
            "summary": "Append a rule", "operationId": "addRule", "parameters": [BASE_VERSION],
            "requestBody": JSON_BODY(RULE), "responses": {**_ok("the new version", code="201"), **CHANGE_ERRORS}}},
        "/rules/items/{index}": {
            "put": {"summary": "Replace the rule at this position (0 = first)", "operationId": "replaceRule",
                    "parameters": [INDEX, BASE_VERSION], "requestBody": JSON_BODY(RULE),
                    "responses": {**_ok("the new version"), **CHANGE_ERRORS}},
            "delete": {"summary": "Delete the rule at this position", "operationId": "deleteRule",
                       "parameters": [INDEX], "responses": {**_ok("the new version"), **CHANGE_ERRORS}}},
        "/rules/items/{index}/move": {"post": {
            "summary": "Move a rule one place up or down", "operationId": "moveRule", "parameters": [INDEX],
            "requestBody": JSON_BODY({"type": "object", "properties": {"direction": {"enum": list(DIRECTIONS)}},
                                      "required": ["direction"]}),
            "responses": {**_ok("the new version"), **CHANGE_ERRORS}}},
        "/rules/versions": {"get": {"summary": "Saved versions, newest first", "operationId": "listVersions",
                                    "responses": _ok("versions")}},
        "/rules/versions/{number}": {"get": {"summary": "One version with its diff", "operationId": "getVersion",
                                             "parameters": [_path_int("number")],
                                             "responses": {**_ok("the version"), "404": ERROR}}},
        "/rules/versions/{number}/rollback": {"post": {
            "summary": "Make this version's body active again (as a new version)", "operationId": "rollback",
            "parameters": [_path_int("number")],
            "responses": {**_ok("the new version number", code="201"), "404": ERROR, "409": ERROR,
                          "422": ERROR}}},
    }


def _roster_and_log_paths() -> dict[str, Any]:
    return {
        "/roster": {"get": {"summary": "Reps with live pause state", "operationId": "getRoster",
                            "responses": _ok("reps")}},
        "/roster/{rep_id}/pause": {"post": {
            "summary": "Pause a rep now (no new version)", "operationId": "pauseRep", "parameters": [REP_ID],
            "requestBody": JSON_BODY({"type": "object", "properties": {"reason": {"type": "string", "maxLength": 255}}},
                                     required=False),
            "responses": {**_ok("the rep"), "400": ERROR, "404": ERROR, "422": ERROR}}},
        "/roster/{rep_id}": {"patch": {
            "summary": "Change a rep's routing fields (a new config version)", "operationId": "updateRep",
            "parameters": [REP_ID, BASE_VERSION],
            "requestBody": JSON_BODY({"type": "object", "properties": {
                "timezone": {"type": "string"}, "hours": OBJ, "away": {"type": "array", "items": OBJ},
                "skills": {"type": "array", "items": {"type": "string"}},
                "territories": {"type": "array", "items": OBJ}, "weight": {"type": "integer", "minimum": 1},
                **{k: {"type": ["integer", "null"], "minimum": 0} for k in _VOCABULARY["rep_limits"]},
                "active": {"type": "boolean"}}}),
            "responses": {**_ok("the new version"), **CHANGE_ERRORS}}},
        "/roster/{rep_id}/unpause": {"post": {
            "summary": "Unpause a rep", "operationId": "unpauseRep", "parameters": [REP_ID],
            "responses": {**_ok("the rep"), "404": ERROR, "422": ERROR}}},
        "/log": {"get": {"summary": "Lead log, newest first, 50 per page", "operationId": "getLog",
                         "parameters": LOG_QUERY, "responses": {**_ok("a page of leads"), "422": ERROR}}},
        "/log/{id}": {"get": {"summary": "One lead with its trace and transitions", "operationId": "getLead",
                              "parameters": [_path_int("id")], "responses": {**_ok("the lead"), "404": ERROR}}},
        "/dead-letters": {"get": {"summary": "Leads whose owner could not be written",
                                  "operationId": "getDeadLetters", "responses": _ok("dead leads")}},
        "/dead-letters/{id}/retry": {"post": {
            "summary": "Put a dead lead back in the queue", "operationId": "retryDeadLetter",
            "parameters": [_path_int("id")], "responses": {**_ok("the lead"), "400": ERROR, "404": ERROR}}},
        "/simulate": {"post": {
            "summary": "Who would get each lead under a draft (or the active) config",
            "operationId": "simulate",
            "requestBody": JSON_BODY({"type": "object", "properties": {
                "leads": {"type": "array", "items": OBJ, "maxItems": 5000}, "csv": {"type": "string"},
                "days": {"type": "integer", "minimum": 1, "maximum": 90}, "draft": {"type": "string"}}}),
            "responses": {**_ok("per-lead decisions and per-rep totals"), "400": ERROR, "422": ERROR}}},
    }


def _connection_paths() -> dict[str, Any]:
    return {
        "/connections": {
            "get": {"summary": "Every connection (admins): stored ones with all their keys (secrets only as set / "
                               "not set), the file's and the environment's by name", "operationId": "listConnections",
                    "responses": {**_ok("connections"), "403": ERROR}},
            "post": {"summary": "Store a new connection (admins): the keys of docs/connections.md",
                     "operationId": "createConnection",
                     "requestBody": JSON_BODY({"$ref": "#/components/schemas/Connection"}),
                     "responses": {"201": {"description": "the connection"}, "400": ERROR, "403": ERROR,
                                   "422": ERROR}}},
        "/connections/{name}": {"put": {
            "summary": "Change a stored connection (admins): the keys given replace theirs, the others stay",
            "operationId": "updateConnection", "parameters": [CONNECTION_NAME],
            "requestBody": JSON_BODY({"type": "object"}),
            "responses": {**_ok("the connection"), "400": ERROR, "403": ERROR, "404": ERROR, "422": ERROR}}},
        "/connections/{name}/test": {"post": {
            "summary": "Test a connection (admins): cheap reads and every mapped field against the CRM's own "
                       "field list", "operationId": "testConnection",
            "parameters": [CONNECTION_NAME],
            "responses": {**_ok("ok, and each check {check, ok, detail}"), "403": ERROR, "404": ERROR}}},
    }


def document(server: str) -> dict[str, Any]:
    paths = {**_rules_paths(), **_roster_and_log_paths(), **_connection_paths(), **metrics_paths()}
    for item in paths.values():
        for operation in item.values():
            operation["security"] = [{"token": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "leadrouter API", "version": "1",
                 "description": "Manage routing rules, the roster and the lead log. Authenticate with a "
                                "per-user token (Settings → API tokens): `Authorization: Bearer <token>`."},
        "servers": [{"url": f"{server}/api/v1"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
                       "schemas": connection_schemas()},
        "paths": paths,
    }
