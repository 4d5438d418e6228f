"""Writing ``hubspot_owner_id`` back with batch/update (100 inputs a request).

HubSpot has no conditional update, so owners are re-read (batch/read, 100 a request) right
before the write and leads a human took meanwhile are left alone. A batch with one invalid
owner fails as a whole (400 VALIDATION_ERROR, INVALID_OWNER_ID) without saying which input:
the batch is then retried once per owner, so only the leads of the refused owner fail.
Ids HubSpot cannot find come back in a 207's ``errors[].context.ids``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubspot.crm.objects import (BatchInputSimplePublicObjectBatchInput,
                                 BatchReadInputSimplePublicObjectId, SimplePublicObjectBatchInput,
                                 SimplePublicObjectId)

from adapters.assigning import failed, recheck
from adapters.base import AssignmentRequest, AssignOutcome, AssignResult, chunked
from adapters.errors import CrmError, InvalidData

if TYPE_CHECKING:  # pragma: no cover
    from adapters.hubspot import HubSpotAdapter

BATCH = 100
OWNER = "hubspot_owner_id"


def _current_owners(adapter: "HubSpotAdapter", ids: list[str]) -> dict[str, str | None]:
    owners: dict[str, str | None] = {}
    for chunk in chunked(ids, BATCH):
        body = BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in chunk], properties=[OWNER],
            properties_with_history=[])
        answer = adapter.conn.call(adapter.api.objects.batch_api.read_with_http_info,
                                   adapter.object_type, body)
        for obj in answer.results:
            owners[str(obj.id)] = (obj.properties or {}).get(OWNER) or None
    return owners


def _missing_ids(answer: Any) -> set[str]:
    missing: set[str] = set()
    for err in getattr(answer, "errors", None) or []:
        if getattr(err, "category", None) == "OBJECT_NOT_FOUND" or "not" in (err.message or ""):
            missing.update(str(i) for i in ((err.context or {}).get("ids") or []))
    return missing


def _update(adapter: "HubSpotAdapter", chunk: list[tuple[int, AssignmentRequest]]) -> Any:
    body = BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=req.lead_id, properties={OWNER: req.owner_id})
        for _, req in chunk])
    return adapter.conn.call(adapter.api.objects.batch_api.update_with_http_info,
                             adapter.object_type, body)


def _write(adapter: "HubSpotAdapter", chunk: list[tuple[int, AssignmentRequest]],
           results: dict[int, AssignResult], split: bool = True) -> None:
    try:
        answer = _update(adapter, chunk)
    except InvalidData as exc:
        owners = {req.owner_id for _, req in chunk}
        if split and len(owners) > 1:
            for owner in owners:
                _write(adapter, [(i, r) for i, r in chunk if r.owner_id == owner], results, False)
            return
        outcome = (AssignOutcome.INVALID_OWNER if OWNER in exc.message or "owner" in exc.message
                   else AssignOutcome.REJECTED)
        for index, req in chunk:
            results[index] = AssignResult(req.lead_id, outcome, exc.message)
        return
    except CrmError as exc:
        for (index, _), result in zip(chunk, failed([r for _, r in chunk], exc)):
            results[index] = result
        return
    written = {str(obj.id) for obj in answer.results}
    missing = _missing_ids(answer)
    for index, req in chunk:
        if req.lead_id in written:
            results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
        elif req.lead_id in missing:
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, "record not found")
        else:
            results[index] = AssignResult(req.lead_id, AssignOutcome.TRANSIENT,
                                          "HubSpot did not confirm this update")


def write_owners(adapter: "HubSpotAdapter", reqs: list[AssignmentRequest]) -> list[AssignResult]:
    results: dict[int, AssignResult] = {}
    todo = []
    for index, req in enumerate(reqs):
        if not str(req.lead_id).isdigit():
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND,
                                          f"not a HubSpot record id: {req.lead_id!r}")
        elif not str(req.owner_id).isdigit():
            results[index] = AssignResult(req.lead_id, AssignOutcome.INVALID_OWNER,
                                          f"not a HubSpot owner id: {req.owner_id!r}")
        else:
            todo.append((index, req))
    if adapter.recheck_before_write and todo:
        try:
            current = _current_owners(adapter, [r.lead_id for _, r in todo])
        except CrmError as exc:
            for (index, _), result in zip(todo, failed([r for _, r in todo], exc)):
                results[index] = result
            todo = []
        else:
            todo = recheck(todo, current, results)
    for chunk in chunked(todo, BATCH):
        _write(adapter, list(chunk), results)
    return [results[i] for i in range(len(reqs))]
