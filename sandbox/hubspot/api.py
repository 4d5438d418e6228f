"""CRM v3 object routes: contacts, companies and leads share one set of handlers."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import flask

import sandbox.hubspot.errors as errors
import sandbox.hubspot.search as search
from sandbox.hubspot.properties import OBJECT_TYPE_NAMES, iso

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.hubspot.state import HubSpotState

OBJECT_TYPES = "<any(contacts, companies, leads):object_type>"
BATCH_MAX = 100
LIST_MAX = 100


def json_body() -> dict:
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.invalid_json(1, "Unexpected end-of-input: expected a JSON object")
    return body


def wanted_properties(source: Any = None) -> list[str] | None:
    """`properties` from a JSON list or repeated / comma-separated query parameters."""
    if source is not None:
        return list(source) or None
    names = [n for value in flask.request.args.getlist("properties") for n in value.split(",") if n]
    return names or None


def truthy(name: str) -> bool:
    return flask.request.args.get(name, "false").lower() == "true"


def batch_answer(results: list[dict], problems: list[dict], started: datetime,
                 success_status: int) -> flask.Response:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if problems:
        body["numErrors"] = len(problems)
        body["errors"] = problems
    body["startedAt"] = iso(started)
    body["completedAt"] = iso(datetime.now(timezone.utc))
    return errors.response(207 if problems else success_status, body)


def not_found_error(object_type: str, ids: list[str]) -> dict:
    return errors.batch_error(
        "OBJECT_NOT_FOUND",
        f"Could not get some {OBJECT_TYPE_NAMES[object_type]} objects, they may be deleted or not "
        "exist. Check that ids are valid.", {"ids": ids})


def register(bp: flask.Blueprint, state: "HubSpotState") -> None:

    def record_json(object_type, record, props=None):
        return record.to_json(object_type, props, state.crm.schema(object_type))

    @bp.get(f"/crm/v3/objects/{OBJECT_TYPES}")
    def list_objects(object_type: str):
        limit = int(flask.request.args.get("limit", 10))
        if not 1 <= limit <= LIST_MAX:
            raise errors.validation(f"limit must be between 1 and {LIST_MAX}; got {limit}")
        after = int(flask.request.args.get("after") or 0)
        with state.sandbox.lock:
            records = [r for r in state.crm.store(object_type).live(truthy("archived")) if int(r.id) >= after]
            page = records[:limit + 1]
            body: dict[str, Any] = {"results": [record_json(object_type, r, wanted_properties())
                                                for r in page[:limit]]}
        if len(page) > limit:
            cursor = page[limit].id
            body["paging"] = {"next": {"after": cursor, "link": (
                f"{state.sandbox.base_url}/crm/v3/objects/{object_type}?limit={limit}&after={cursor}")}}
        return errors.response(200, body)

    @bp.post(f"/crm/v3/objects/{OBJECT_TYPES}")
    def create_object(object_type: str):
        data = json_body()
        with state.sandbox.lock:
            record = state.crm.create(object_type, data.get("properties") or {},
                                associations=data.get("associations"))
            return errors.response(201, record_json(object_type, record, list(record.properties)))

    @bp.get(f"/crm/v3/objects/{OBJECT_TYPES}/<record_id>")
    def get_object(object_type: str, record_id: str):
        with state.sandbox.lock:
            record = state.crm.store(object_type).find(record_id, flask.request.args.get("idProperty"),
                                                 truthy("archived"))
            if record is None:
                raise errors.object_not_found()
            return errors.response(200, record_json(object_type, record, wanted_properties()))

    @bp.patch(f"/crm/v3/objects/{OBJECT_TYPES}/<record_id>")
    def update_object(object_type: str, record_id: str):
        data = json_body()
        with state.sandbox.lock:
            record = state.crm.store(object_type).find(record_id, flask.request.args.get("idProperty"))
            if record is None:
                raise errors.object_not_found()
            state.crm.update(object_type, record, data.get("properties") or {})
            return errors.response(200, record_json(object_type, record, list(record.properties)))

    @bp.delete(f"/crm/v3/objects/{OBJECT_TYPES}/<record_id>")
    def archive_object(object_type: str, record_id: str):
        with state.sandbox.lock:
            record = state.crm.store(object_type).find(record_id)
            if record is not None:
                state.crm.archive(object_type, record)
        return flask.Response(status=204)

    def batch_inputs(data: dict) -> list[dict]:
        inputs = data.get("inputs")
        if not isinstance(inputs, list):
            raise errors.invalid_json(1, "Cannot build BatchInput, some of required attributes are "
                                         "not set [inputs]")
        if len(inputs) > BATCH_MAX:
            raise errors.validation(f"Batch input of {len(inputs)} items exceeds the limit of "
                                    f"{BATCH_MAX} inputs per request.")
        return inputs

    @bp.post(f"/crm/v3/objects/{OBJECT_TYPES}/batch/read")
    def batch_read(object_type: str):
        data = json_body()
        started = datetime.now(timezone.utc)
        inputs = batch_inputs(data)
        id_property = data.get("idProperty")
        archived = truthy("archived")
        results, missing, seen = [], [], set()
        with state.sandbox.lock:
            for item in inputs:
                record = state.crm.store(object_type).find(str(item.get("id")), id_property, archived)
                if record is None:
                    missing.append(str(item.get("id")))
                elif record.id not in seen:  # HubSpot answers each record once
                    seen.add(record.id)
                    results.append(record_json(object_type, record, wanted_properties(
                        data.get("properties") or [])))
        problems = [not_found_error(object_type, missing)] if missing else []
        return batch_answer(results, problems, started, 200)

    @bp.post(f"/crm/v3/objects/{OBJECT_TYPES}/batch/update")
    def batch_update(object_type: str):
        data = json_body()
        started = datetime.now(timezone.utc)
        inputs = batch_inputs(data)
        results, missing = [], []
        with state.sandbox.lock:
            store = state.crm.store(object_type)
            # Invalid property values fail the whole request (400) before anything is written.
            for item in inputs:
                state.crm.check_properties(object_type, item.get("properties") or {})
            for item in inputs:
                record = store.find(str(item.get("id")), item.get("idProperty"))
                if record is None:
                    missing.append(str(item.get("id")))
                    continue
                state.crm.update(object_type, record, item.get("properties") or {})
                results.append(record_json(object_type, record, list(item.get("properties") or {})
                                           + ["hs_lastmodifieddate", "hs_object_id"]))
        problems = [not_found_error(object_type, missing)] if missing else []
        return batch_answer(results, problems, started, 200)

    @bp.post(f"/crm/v3/objects/{OBJECT_TYPES}/batch/create")
    def batch_create(object_type: str):
        data = json_body()
        started = datetime.now(timezone.utc)
        inputs = batch_inputs(data)
        with state.sandbox.lock:
            for item in inputs:
                clean = state.crm.check_properties(object_type, item.get("properties") or {})
                if object_type == "leads":
                    state.crm.check_lead(clean, item.get("associations"))
            records = [state.crm.create(object_type, item.get("properties") or {},
                                  associations=item.get("associations")) for item in inputs]
            results = [record_json(object_type, r, list(r.properties)) for r in records]
        return batch_answer(results, [], started, 201)

    @bp.post(f"/crm/v3/objects/{OBJECT_TYPES}/search")
    def search_objects(object_type: str):
        data = json_body()
        with state.sandbox.lock:
            total, page, next_after = search.run(object_type, state.crm.store(object_type).live(), data,
                                                 state.search_limits, state.crm.schema(object_type))
            props = data.get("properties") or None
            body: dict[str, Any] = {"total": total,
                                    "results": [record_json(object_type, r, props) for r in page]}
        if next_after is not None:
            body["paging"] = {"next": {"after": str(next_after), "link": f"?after={next_after}"}}
        return errors.response(200, body)
