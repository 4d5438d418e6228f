"""Associations v4, as the SDK calls them (the properties API is properties_api.py).

- ``POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read`` with
  ``{"inputs": [{"id": "…"}]}``: ``results[]`` of ``{"from": {"id"}, "to": [{"toObjectId",
  "associationTypes": [{"category", "typeId", "label"}]}]}``; an id without associations is
  listed in ``errors`` (207), as HubSpot does.
- ``GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}``: one record's page.
- ``PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}``: the unlabeled association.

Object types are accepted by name (``contacts``, ``contact``), or by objectTypeId (``0-1``,
``0-136``), as HubSpot accepts them in these paths.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import flask

import sandbox.hubspot.errors as errors
from sandbox.hubspot.properties import iso

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.hubspot.state import HubSpotState

ALIASES = {"contacts": "contacts", "contact": "contacts", "0-1": "contacts",
           "companies": "companies", "company": "companies", "0-2": "companies",
           "leads": "leads", "lead": "leads", "0-136": "leads"}
SINGULAR = {"contacts": "contact", "companies": "company", "leads": "lead"}
BATCH_READ_MAX = 1000


def object_type(value: str) -> str:
    name = ALIASES.get(value.lower())
    if name is None:
        raise errors.HubSpotError(400, f"Unable to infer object type from: {value}", "VALIDATION_ERROR")
    return name


def _types_json(crm, from_type: str, to_type: str, type_ids: set[int]) -> list[dict]:
    labels = crm.ASSOCIATION_TYPES.get((from_type, to_type), {})
    return [{"category": "HUBSPOT_DEFINED", "typeId": t, "label": labels.get(t)} for t in sorted(type_ids)]


def register(bp: flask.Blueprint, state: "HubSpotState") -> None:

    @bp.post("/crm/v4/associations/<from_type>/<to_type>/batch/read")
    def association_batch_read(from_type: str, to_type: str):
        from_name, to_name = object_type(from_type), object_type(to_type)
        started = datetime.now(timezone.utc)
        body = flask.request.get_json(silent=True)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            raise errors.invalid_json(1, "Cannot build BatchInputPublicFetchAssociationsBatchRequest, some of "
                                         "required attributes are not set [inputs]")
        if len(inputs) > BATCH_READ_MAX:
            raise errors.validation(f"Batch input of {len(inputs)} items exceeds the limit of "
                                    f"{BATCH_READ_MAX} inputs per request.")
        results, empty = [], []
        with state.sandbox.lock:
            for item in inputs:
                from_id = str((item or {}).get("id") or "")
                found = state.crm.associated(from_name, from_id, to_name) \
                    if state.crm.store(from_name).find(from_id) is not None else {}
                if not found:
                    empty.append(from_id)
                    continue
                results.append({"from": {"id": from_id}, "to": [
                    {"toObjectId": int(to_id), "associationTypes": _types_json(state.crm, from_name, to_name, types)}
                    for to_id, types in found.items()]})
        problems = []
        if empty:
            problems.append({**errors.batch_error(
                "OBJECT_NOT_FOUND", f"No {SINGULAR[to_name]} is associated with {SINGULAR[from_name]} "
                f"{', '.join(empty)}.", {"fromObjectId": empty}),
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND"})
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if problems:
            answer.update(numErrors=len(problems), errors=problems)
        answer.update(startedAt=iso(started), completedAt=iso(datetime.now(timezone.utc)))
        return errors.response(207 if problems else 200, answer)

    @bp.get("/crm/v4/objects/<from_type>/<object_id>/associations/<to_type>")
    def association_page(from_type: str, object_id: str, to_type: str):
        from_name, to_name = object_type(from_type), object_type(to_type)
        with state.sandbox.lock:
            if state.crm.store(from_name).find(object_id) is None:
                raise errors.object_not_found()
            found = state.crm.associated(from_name, object_id, to_name)
            return errors.response(200, {"results": [
                {"toObjectId": int(to_id), "associationTypes": _types_json(state.crm, from_name, to_name, types)}
                for to_id, types in found.items()]})

    @bp.put("/crm/v4/objects/<from_type>/<object_id>/associations/default/<to_type>/<to_id>")
    def associate_default(from_type: str, object_id: str, to_type: str, to_id: str):
        from_name, to_name = object_type(from_type), object_type(to_type)
        if (from_name, to_name) not in state.crm.UNLABELED:
            raise errors.validation(f"No default association type between {from_name} and {to_name}.")
        with state.sandbox.lock:
            if state.crm.store(from_name).find(object_id) is None or state.crm.store(to_name).find(to_id) is None:
                raise errors.object_not_found()
            state.crm.associate(from_name, object_id, to_name, to_id, ())
            type_id = state.crm.UNLABELED[(from_name, to_name)]
        started = iso(datetime.now(timezone.utc))
        return errors.response(200, {"status": "COMPLETE", "results": [
            {"from": {"id": str(object_id)}, "to": {"id": str(to_id)},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}],
            "startedAt": started, "completedAt": started})
