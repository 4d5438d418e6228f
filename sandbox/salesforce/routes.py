"""REST data API routes under /services/data: versions, sobjects (list, describe, rows),
query/queryAll with paging, sObject Collections, limits. Every call is authenticated, counted
against DailyApiRequests and answered with Sforce-Limit-Info."""
from __future__ import annotations

import secrets
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import flask

import sandbox.salesforce.ids as ids
from sandbox.salesforce.collections import register_collection_routes
from sandbox.salesforce.errors import SalesforceError, external_id_not_found, not_found, session_invalid
from sandbox.salesforce.login import register_login_routes
from sandbox.salesforce.query import execute
from sandbox.salesforce.schema import Field, SObjectType
from sandbox.salesforce.versions import API_VERSIONS

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.salesforce.state import SalesforceState

MAX_CURSORS = 200


def auto_assign() -> bool:
    """Sforce-Auto-Assign defaults to TRUE: the active assignment rule runs on create/update."""
    value = flask.request.headers.get("Sforce-Auto-Assign", "TRUE").strip().lower()
    return value not in ("false", "0")


def batch_size() -> int:
    options = flask.request.headers.get("Sforce-Query-Options", "")
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(2000, max(200, int(value)))  # Salesforce keeps it within 200..2000
    return 2000


def json_body() -> Any:
    try:
        return flask.request.get_json(force=True)
    except Exception:  # werkzeug raises BadRequest subclasses for unparsable JSON
        raise SalesforceError(400, "JSON_PARSER_ERROR",
                              "Unexpected character: was expecting a JSON value") from None


def build_blueprint(state: "SalesforceState") -> flask.Blueprint:
    sandbox = state.sandbox
    bp = flask.Blueprint("salesforce", __name__)
    register_login_routes(bp, state)

    @bp.errorhandler(SalesforceError)
    def sf_error(exc: SalesforceError) -> Any:
        return exc.response()

    @bp.before_request
    def authenticate() -> None:
        path = flask.request.path
        if not path.startswith("/services/data/v"):
            return
        version = path.split("/")[3][1:]
        if version not in API_VERSIONS:
            raise not_found()
        flask.g.sf_version = version
        session = state.sessions.session_for(flask.request.headers.get("Authorization"))
        org = state.org(session["org_id"])
        # A session only reaches its own org, on its org's host: another org's host (or, for an
        # org with a host of its own, the login host) does not know it.
        if (state.org_for_host(flask.request.host) or state.default) is not org:
            raise session_invalid()
        flask.g.sf_org = org
        flask.g.sf_user = session["user_id"]
        state.count_api_call()
        state.run_pending_reassignments()

    @bp.after_request
    def limit_info(response: flask.Response) -> flask.Response:
        # Every REST call but the Versions URI (/services/data/), which does not count either.
        if flask.request.path.startswith("/services/data/v"):
            response.headers["Sforce-Limit-Info"] = state.limit_header()
        return response

    @bp.get("/services/data/")
    @bp.get("/services/data")
    def versions() -> Any:
        return flask.jsonify([{"label": label, "url": f"/services/data/v{v}", "version": v}
                              for v, label in API_VERSIONS.items()])

    @bp.get("/services/data/v<version>/")
    def resources(version: str) -> Any:
        base = f"/services/data/v{version}"
        return flask.jsonify({name: f"{base}/{name}" for name in
                              ("sobjects", "query", "queryAll", "composite", "limits")})

    @bp.get("/services/data/v<version>/limits/")
    @bp.get("/services/data/v<version>/limits")
    def limits(version: str) -> Any:
        return flask.jsonify({
            "DailyApiRequests": {"Max": state.daily_limit,
                                 "Remaining": max(0, state.daily_limit - state.api_used)},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
        })

    def sobject_info(obj: SObjectType, version: str) -> dict:
        base = f"/services/data/v{version}/sobjects/{obj.name}"
        return {"name": obj.name, "label": obj.name, "keyPrefix": obj.prefix, "queryable": True,
                "createable": True, "updateable": True, "deletable": True, "custom": False,
                "urls": {"sobject": base, "describe": f"{base}/describe",
                         "rowTemplate": f"{base}/{{ID}}"}}

    @bp.get("/services/data/v<version>/sobjects/")
    @bp.get("/services/data/v<version>/sobjects")
    def sobjects(version: str) -> Any:
        return flask.jsonify({"encoding": "UTF-8", "maxBatchSize": 200,
                              "sobjects": [sobject_info(o, version) for o in state.store.schema.values()]})

    def object_or_404(name: str) -> SObjectType:
        obj = state.store.object(name)   # this org's object: its custom fields included
        if obj is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    def field_info(f: Field) -> dict:
        info = {"name": f.name, "label": f.name.removesuffix("__c").replace("_", " ") if f.custom else f.name,
                "type": f.type.value, "custom": f.custom or f.name.endswith("__c"),
                "createable": f.writable, "updateable": f.writable,
                "nillable": not f.required and f.type.value != "boolean",
                "referenceTo": list(f.reference_to), "relationshipName": f.relationship,
                "picklistValues": [{"active": True, "defaultValue": False, "label": v, "validFor": None,
                                    "value": v} for v in f.picklist],
                "restrictedPicklist": f.restricted}
        if f.precision is not None:
            info.update(precision=f.precision, scale=f.scale or 0)
        return info

    @bp.get("/services/data/v<version>/sobjects/<name>/describe/")
    @bp.get("/services/data/v<version>/sobjects/<name>/describe")
    def describe(version: str, name: str) -> Any:
        obj = object_or_404(name)
        fields = [field_info(f) for f in obj.fields.values()]
        return flask.jsonify({**sobject_info(obj, version), "fields": fields})

    @bp.get("/services/data/v<version>/sobjects/<name>/")
    @bp.get("/services/data/v<version>/sobjects/<name>")
    def sobject_basic(version: str, name: str) -> Any:
        obj = object_or_404(name)
        return flask.jsonify({"objectDescribe": sobject_info(obj, version), "recentItems": []})

    @bp.post("/services/data/v<version>/sobjects/<name>/")
    @bp.post("/services/data/v<version>/sobjects/<name>")
    def create(version: str, name: str) -> Any:
        obj = object_or_404(name)
        body = json_body()
        if not isinstance(body, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR",
                                  "Cannot deserialize instance of SObject from START_ARRAY value")
        with sandbox.lock:
            record = state.store.insert(obj.name, body, user_id=flask.g.sf_user,
                                         auto_assign=auto_assign())
        if obj.name == "Lead":
            state.lead_created([record])
        return flask.jsonify({"id": record["Id"], "success": True, "errors": []}), 201

    def row_or_404(obj: SObjectType, record_id: str) -> dict:
        normalized = ids.normalize(record_id)
        if normalized is None or not normalized.startswith(obj.prefix):
            raise external_id_not_found(record_id)
        record = state.store.get(obj.name, normalized)
        if record is None or record["IsDeleted"]:
            raise not_found()
        return record

    @bp.get("/services/data/v<version>/sobjects/<name>/<record_id>")
    def read(version: str, name: str, record_id: str) -> Any:
        obj = object_or_404(name)
        wanted = [f for f in flask.request.args.get("fields", "").split(",") if f.strip()]
        with sandbox.lock:
            record = row_or_404(obj, record_id)
            names = []
            for f in wanted:
                field = obj.field(f.strip())
                if field is None:
                    raise SalesforceError(400, "INVALID_FIELD", f"No such column '{f.strip()}' on "
                                          f"sobject of type {obj.name}")
                names.append(field.name)
            shaped = state.shape(record, names or [f.name for f in obj.fields.values()], version)
        return flask.jsonify(shaped)

    @bp.patch("/services/data/v<version>/sobjects/<name>/<record_id>")
    def update(version: str, name: str, record_id: str) -> Any:
        obj = object_or_404(name)
        since = None
        header = flask.request.headers.get("If-Unmodified-Since")
        if header:
            try:
                since = parsedate_to_datetime(header)
            except (TypeError, ValueError):
                raise SalesforceError(400, "INVALID_HEADER_TYPE",
                                      f"Invalid If-Unmodified-Since header: {header}") from None
        body = json_body()
        if not isinstance(body, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR",
                                  "Cannot deserialize instance of SObject from START_ARRAY value")
        with sandbox.lock:
            record = row_or_404(obj, record_id)
            state.store.update(obj.name, record["Id"], body, user_id=flask.g.sf_user,
                                auto_assign=auto_assign(), if_unmodified_since=since)
        return "", 204

    @bp.delete("/services/data/v<version>/sobjects/<name>/<record_id>")
    def delete(version: str, name: str, record_id: str) -> Any:
        obj = object_or_404(name)
        with sandbox.lock:
            record = row_or_404(obj, record_id)
            state.store.delete(obj.name, record["Id"])
        return "", 204

    def page(cursor_id: str, cursor: dict, offset: int, version: str) -> Any:
        records = cursor["records"]
        end = min(offset + cursor["batch"], len(records))
        body: dict[str, Any] = {"totalSize": cursor["total"], "done": end >= len(records)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        else:
            state.cursors.pop(cursor_id, None)
        body["records"] = records[offset:end]
        return flask.jsonify(body)

    def run_query(version: str, include_deleted: bool) -> Any:
        text = flask.request.args.get("q")
        if text is None:
            raise SalesforceError(400, "MALFORMED_QUERY", "SOQL statements cannot be empty or null")
        with sandbox.lock:
            result = execute(text, state.store, sandbox.clock.now(), version,
                             include_deleted=include_deleted)
        if result.count_only:
            return flask.jsonify({"totalSize": result.total, "done": True, "records": []})
        cursor_id = ids.to18("01g5g00000" + secrets.token_hex(3)[:5].upper())
        cursor = {"records": result.records, "total": result.total, "batch": batch_size()}
        state.cursors[cursor_id] = cursor
        while len(state.cursors) > MAX_CURSORS:
            state.cursors.popitem(last=False)
        return page(cursor_id, cursor, 0, version)

    @bp.get("/services/data/v<version>/query/")
    @bp.get("/services/data/v<version>/query")
    def query(version: str) -> Any:
        return run_query(version, include_deleted=False)

    @bp.get("/services/data/v<version>/queryAll/")
    @bp.get("/services/data/v<version>/queryAll")
    def query_all(version: str) -> Any:
        return run_query(version, include_deleted=True)

    @bp.get("/services/data/v<version>/query/<locator>")
    @bp.get("/services/data/v<version>/queryAll/<locator>")
    def query_more(version: str, locator: str) -> Any:
        cursor_id, _, offset = locator.rpartition("-")
        cursor = state.cursors.get(cursor_id)
        if cursor is None or not offset.isdigit():
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return page(cursor_id, cursor, int(offset), version)

    register_collection_routes(bp, state, auto_assign, json_body)
    return bp
