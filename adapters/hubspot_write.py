"""Writing ``hubspot_owner_id`` back with batch/update (100 inputs a request).

HubSpot has no conditional update, so immediately before every write attempt (retries
included) the owners are re-read (batch/read, 100 a request) and leads a person took meanwhile
are left alone; the check and its write reserve their two rate-limit slots together, so no
client-side wait falls between them (adapters/assigning.py). A batch with one invalid owner fails
as a whole (400 VALIDATION_ERROR, INVALID_OWNER_ID) without saying which input: the batch is
then written once per owner (each with its own check), so only the leads of the refused owner
fail. Ids HubSpot cannot find come back in a 207's ``errors[].context.ids``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubspot.crm.objects import (BatchInputSimplePublicObjectBatchInput,
                                 BatchReadInputSimplePublicObjectId, SimplePublicObjectBatchInput,
                                 SimplePublicObjectId)

from adapters.assigning import checked_write
from adapters.base import AssignmentRequest, AssignOutcome, AssignResult, chunked
from adapters.errors import InvalidData

if TYPE_CHECKING:  # pragma: no cover
    from adapters.hubspot import HubSpotAdapter

BATCH = 100
OWNER = "hubspot_owner_id"


def _current_owners(adapter: "HubSpotAdapter", ids: list[str]) -> dict[str, str | None]:
    """The owner check of one write attempt: one batch/read (<= 100 ids), no retry of its own."""
    body = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids], properties=[OWNER],
        properties_with_history=[])
    answer = adapter.conn.once(adapter.api.objects.batch_api.read_with_http_info,
                               adapter.object_type, body)
    return {str(obj.id): (obj.properties or {}).get(OWNER) or None for obj in answer.results}


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
    return adapter.conn.once(adapter.api.objects.batch_api.update_with_http_info,
                             adapter.object_type, body)


class _SplitByOwner(Exception):
    """A batch of several owners was refused for one of them: write each owner's leads apart."""


def _write(adapter: "HubSpotAdapter", chunk: list[tuple[int, AssignmentRequest]],
           results: dict[int, AssignResult], split: bool = True) -> None:
    def check(ids: list[str]) -> dict[str, str | None]:
        adapter.conn.window.acquire(2)   # the check and its write go out back to back
        return _current_owners(adapter, ids)

    def write(todo: list[tuple[int, AssignmentRequest]]) -> None:
        if not adapter.recheck_before_write:
            adapter.conn.window.acquire()
        try:
            answer = _update(adapter, todo)
        except InvalidData as exc:
            owners = {req.owner_id for _, req in todo}
            if split and len(owners) > 1:
                raise _SplitByOwner() from exc
            outcome = (AssignOutcome.INVALID_OWNER if OWNER in exc.message or "owner" in exc.message
                       else AssignOutcome.REJECTED)
            for index, req in todo:
                results[index] = AssignResult(req.lead_id, outcome, exc.message)
            return
        written = {str(obj.id) for obj in answer.results}
        missing = _missing_ids(answer)
        for index, req in todo:
            if req.lead_id in written:
                results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
            elif req.lead_id in missing:
                results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND,
                                              "record not found")
            else:
                results[index] = AssignResult(req.lead_id, AssignOutcome.TRANSIENT,
                                              "HubSpot did not confirm this update")

    try:
        checked_write(adapter.conn.retry, chunk, results,
                      check=check if adapter.recheck_before_write else None, write=write,
                      windows=adapter.write_windows)
    except _SplitByOwner:
        for owner in dict.fromkeys(req.owner_id for _, req in chunk):
            _write(adapter, [(i, r) for i, r in chunk if r.owner_id == owner], results, False)


def write_owners(adapter: "HubSpotAdapter", reqs: list[AssignmentRequest]) -> list[AssignResult]:
    results: dict[int, AssignResult] = {}
    todo = []
    for index, req in enumerate(reqs):
        if problem := adapter.lead_id_problem(req.lead_id):
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, problem)
        elif not (str(req.owner_id).isascii() and str(req.owner_id).isdigit()):
            results[index] = AssignResult(req.lead_id, AssignOutcome.INVALID_OWNER,
                                          f"not a HubSpot owner id: {req.owner_id!r}")
        else:
            todo.append((index, req))
    for chunk in chunked(todo, BATCH):
        _write(adapter, list(chunk), results)
    answer = [results[i] for i in range(len(reqs))]
    if adapter.sync_contact_owner:   # Leads object: the owner goes on each lead's contact too
        from adapters.hubspot_leads import sync_contact_owners

        sync_contact_owners(adapter, reqs, answer)
    return answer
