"""sObject Collections: PATCH/POST /composite/sobjects (up to 200 records, allOrNone) and
GET /composite/sobjects/<type>?ids=&fields=. Per-record results are SaveResults:
{"id", "success", "errors": [{"statusCode", "message", "fields"}]}, in request order."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import flask

import sandbox.salesforce.ids as ids
from sandbox.salesforce.errors import SalesforceError

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.salesforce.state import SalesforceState

MAX_RECORDS = 200
ROLLED_BACK = SalesforceError(400, "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                              "Record rolled back because not all records were valid and the "
                              "request was using AllOrNone header")


def _records(body: Any) -> tuple[list, bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError(400, "JSON_PARSER_ERROR",
                              "Cannot deserialize instance of list from VALUE_NULL value")
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit "
                              "more than 200 records into this call")
    return records, bool(body.get("allOrNone", False))


def register_collection_routes(bp: flask.Blueprint, state: "SalesforceState", auto_assign: Callable[[], bool],
                               json_body: Callable[[], Any]) -> None:
    sandbox = state.sandbox

    def save_one(item: Any, creating: bool) -> dict:
        if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict) \
                or not item["attributes"].get("type"):
            raise SalesforceError(400, "INVALID_FIELD",
                                  "No SObject Type defined in the attributes")
        obj = state.store.object(item["attributes"]["type"])
        if obj is None:
            raise SalesforceError(400, "INVALID_TYPE",
                                  f"sObject type '{item['attributes']['type']}' is not supported.")
        values = {k: v for k, v in item.items() if k.lower() != "id"}
        if creating:
            record = state.store.insert(obj.name, values, user_id=flask.g.sf_user,
                                         auto_assign=auto_assign())
            return record
        raw_id = next((v for k, v in item.items() if k.lower() == "id"), None)
        normalized = ids.normalize(raw_id) if isinstance(raw_id, str) else None
        if normalized is None or not normalized.startswith(obj.prefix):
            raise SalesforceError(400, "MALFORMED_ID",
                                  f"{obj.name} ID: id value of incorrect type: {raw_id}", ["Id"])
        return state.store.update(obj.name, normalized, values, user_id=flask.g.sf_user,
                                   auto_assign=auto_assign())

    def save(creating: bool) -> Any:
        records, all_or_none = _records(json_body())
        results: list[dict] = []
        created: list[dict] = []
        with sandbox.lock, state.store.transaction():
            for item in records:
                raw_id = item.get("id") if isinstance(item, dict) else None
                try:
                    record = save_one(item, creating)
                except SalesforceError as exc:
                    results.append({"id": None if creating else raw_id, "success": False,
                                    "errors": [exc.save_error()]})
                    continue
                results.append({"id": record["Id"], "success": True, "errors": []})
                if creating and record["Id"].startswith(ids.PREFIXES["Lead"]):
                    created.append(record)
            if all_or_none and any(not r["success"] for r in results):
                state.store.rollback()
                created = []
                results = [r if not r["success"] else
                           {"id": None if creating else r["id"], "success": False,
                            "errors": [ROLLED_BACK.save_error()]} for r in results]
        if created:
            state.lead_created(created)
        return flask.jsonify(results)

    @bp.patch("/services/data/v<version>/composite/sobjects")
    @bp.patch("/services/data/v<version>/composite/sobjects/")
    def update_collection(version: str) -> Any:
        return save(creating=False)

    @bp.post("/services/data/v<version>/composite/sobjects")
    @bp.post("/services/data/v<version>/composite/sobjects/")
    def create_collection(version: str) -> Any:
        return save(creating=True)

    @bp.get("/services/data/v<version>/composite/sobjects/<name>")
    def read_collection(version: str, name: str) -> Any:
        obj = state.store.object(name)
        if obj is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        wanted = [f.strip() for f in flask.request.args.get("fields", "").split(",") if f.strip()]
        record_ids = [i.strip() for i in flask.request.args.get("ids", "").split(",") if i.strip()]
        if not wanted or not record_ids:
            raise SalesforceError(400, "MALFORMED_QUERY", "ids and fields are required")
        if len(record_ids) > 2000:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit "
                                  "more than 2000 records into this call")
        names = []
        for f in wanted:
            field = obj.field(f)
            if field is None:
                raise SalesforceError(400, "INVALID_FIELD",
                                      f"No such column '{f}' on sobject of type {obj.name}")
            names.append(field.name)
        out = []
        with sandbox.lock:
            for raw in record_ids:
                normalized = ids.normalize(raw)
                if normalized is None:
                    raise SalesforceError(400, "MALFORMED_ID", f"invalid record id: {raw}")
                record = state.store.get(obj.name, normalized)
                out.append(state.shape(record, names, version)
                           if record and not record["IsDeleted"] else None)
        return flask.jsonify(out)
