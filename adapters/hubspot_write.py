"""Writing ``hubspot_owner_id`` back with batch/update (100 inputs a request): HubSpot's hooks of
the owner-write template (``adapters.assigning.OwnerWriter``).

HubSpot has no conditional update, so immediately before every write attempt (retries
included) the owners are re-read (batch/read, 100 a request) and leads a person took meanwhile
are left alone; the check and its write reserve their two rate-limit slots together, so no
client-side wait falls between them. A batch with one invalid owner fails as a whole (400
VALIDATION_ERROR, INVALID_OWNER_ID) without saying which input: the batch is then written once
per owner (each with its own check), so only the leads of the refused owner fail. Ids HubSpot
cannot find come back in a 207's ``errors[].context.ids``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from hubspot.crm.objects import (BatchInputSimplePublicObjectBatchInput,
                                 BatchReadInputSimplePublicObjectId, SimplePublicObjectBatchInput,
                                 SimplePublicObjectId)

from adapters.assigning import OwnerWriter, Todo, WriteWindows
from adapters.base import AssignmentRequest, AssignOutcome, AssignResult
from adapters.errors import InvalidData
from adapters.hubspot_http import HubSpotConnection

OWNER = "hubspot_owner_id"


def record_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a HubSpot record id (None when it can)."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        return f"not a HubSpot record id: {text[:40]!r}"
    return None


def missing_ids(answer: Any) -> set[str]:
    missing: set[str] = set()
    for err in getattr(answer, "errors", None) or []:
        if getattr(err, "category", None) == "OBJECT_NOT_FOUND" or "not" in (err.message or ""):
            missing.update(str(i) for i in ((err.context or {}).get("ids") or []))
    return missing


class _SplitByOwner(Exception):
    """A batch of several owners was refused for one of them: write each owner's leads apart."""


class HubSpotOwnerWriter(OwnerWriter):
    batch = 100

    def __init__(self, conn: HubSpotConnection, object_type: str, *, recheck: bool, windows: WriteWindows,
                 then: Callable[[Sequence[AssignmentRequest], Sequence[AssignResult]], None] | None = None) -> None:
        super().__init__(conn.retry, recheck=recheck, windows=windows)
        self.conn, self.object_type, self.then = conn, object_type, then
        self.batch_api = conn.client.crm.objects.batch_api

    def refuse(self, req: AssignmentRequest) -> AssignResult | None:
        if problem := record_id_problem(req.lead_id):
            return AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, problem)
        if not (str(req.owner_id).isascii() and str(req.owner_id).isdigit()):
            return AssignResult(req.lead_id, AssignOutcome.INVALID_OWNER, f"not a HubSpot owner id: {req.owner_id!r}")
        return None

    def reserve(self, calls: int) -> None:
        self.conn.window.acquire(calls)

    def current_owners(self, ids: list[str]) -> dict[str, str | None]:
        body = BatchReadInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in ids],
                                                  properties=[OWNER], properties_with_history=[])
        answer = self.conn.once(self.batch_api.read_with_http_info, self.object_type, body)
        return {str(obj.id): (obj.properties or {}).get(OWNER) or None for obj in answer.results}

    def write_batch(self, todo: Todo, results: dict[int, AssignResult], split: bool = True) -> None:
        body = BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id=req.lead_id, properties={OWNER: req.owner_id}) for _, req in todo])
        try:
            answer = self.conn.once(self.batch_api.update_with_http_info, self.object_type, body)
        except InvalidData as exc:
            if split and len({req.owner_id for _, req in todo}) > 1:
                raise _SplitByOwner() from exc
            outcome = (AssignOutcome.INVALID_OWNER if OWNER in exc.message or "owner" in exc.message
                       else AssignOutcome.REJECTED)
            for index, req in todo:
                results[index] = AssignResult(req.lead_id, outcome, exc.message)
            return
        written, missing = {str(obj.id) for obj in answer.results}, missing_ids(answer)
        for index, req in todo:
            if req.lead_id in written:
                results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
            elif req.lead_id in missing:
                results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, "record not found")
            else:
                results[index] = AssignResult(req.lead_id, AssignOutcome.TRANSIENT, "HubSpot did not confirm this update")

    def write_chunk(self, chunk: Todo, results: dict[int, AssignResult]) -> None:
        try:
            self.checked(chunk, results)
        except _SplitByOwner:
            for owner in dict.fromkeys(req.owner_id for _, req in chunk):
                self.checked([(i, r) for i, r in chunk if r.owner_id == owner], results, split=False)

    def after(self, reqs: Sequence[AssignmentRequest], results: Sequence[AssignResult]) -> None:
        if self.then is not None:
            self.then(reqs, results)


__all__ = ["HubSpotOwnerWriter", "OWNER", "missing_ids", "record_id_problem"]
