"""Writing owners back to Salesforce without trampling anyone.

* ``Sforce-Auto-Assign: FALSE`` on every write: the default (TRUE) re-runs the org's active
  lead assignment rule, which silently puts the lead back into its queue (or elsewhere).
* Before a batch write the owners are re-read (one SOQL per 200): a lead whose owner is no
  longer the one we decided on (a human took it) is reported ``owner_changed`` and not written.
  sObject Collections cannot be conditional, so a race of a few milliseconds remains.
* A single lead with ``expected_modified_at`` is written with ``If-Unmodified-Since`` instead,
  which Salesforce checks atomically (412 when the record changed).
"""
from __future__ import annotations

from dataclasses import replace
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from adapters import salesforce_soql as soql
from adapters.assigning import failed as _failed, recheck
from adapters.base import ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult, chunked
from adapters.errors import Conflict, CrmError, InvalidData, NotFound
from adapters.salesforce_dates import parse_sf_datetime

if TYPE_CHECKING:  # pragma: no cover
    from adapters.salesforce import SalesforceAdapter

WRITE_HEADERS = {"Sforce-Auto-Assign": "FALSE"}
BATCH = 200

# sObject Collections per-record statusCode -> outcome.
ITEM_CODES = {
    "INACTIVE_OWNER_OR_USER": AssignOutcome.INVALID_OWNER,
    "FIELD_INTEGRITY_EXCEPTION": AssignOutcome.INVALID_OWNER,
    "INVALID_CROSS_REFERENCE_KEY": AssignOutcome.INVALID_OWNER,
    "MALFORMED_ID": AssignOutcome.INVALID_OWNER,
    "ENTITY_IS_DELETED": AssignOutcome.NOT_FOUND,
    "NOT_FOUND": AssignOutcome.NOT_FOUND,
    "INVALID_ID_FIELD": AssignOutcome.NOT_FOUND,
    "UNABLE_TO_LOCK_ROW": AssignOutcome.TRANSIENT,
    "REQUEST_LIMIT_EXCEEDED": AssignOutcome.TRANSIENT,
    "SERVER_UNAVAILABLE": AssignOutcome.TRANSIENT,
}


def _item_result(req: AssignmentRequest, item: dict[str, Any]) -> AssignResult:
    if item.get("success"):
        return AssignResult(req.lead_id, AssignOutcome.WRITTEN)
    errors = item.get("errors") or [{}]
    code = errors[0].get("statusCode") or ""
    outcome = ITEM_CODES.get(code, AssignOutcome.REJECTED)
    if code == "MALFORMED_ID" and "OwnerId" not in (errors[0].get("fields") or ["OwnerId"]):
        outcome = AssignOutcome.NOT_FOUND
    return AssignResult(req.lead_id, outcome, f"{code}: {errors[0].get('message')}")


def _current(adapter: "SalesforceAdapter", ids: list[str]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for chunk in chunked(ids, BATCH):
        query = f"SELECT Id, OwnerId, LastModifiedDate FROM Lead WHERE Id IN {soql.id_list(chunk)}"
        for row in adapter.conn.query(query):
            rows[row["Id"]] = rows[row["Id"][:15]] = row
    return rows


def _single(adapter: "SalesforceAdapter", req: AssignmentRequest, again: bool = True) -> AssignResult:
    headers = {**WRITE_HEADERS,
               "If-Unmodified-Since": format_datetime(req.expected_modified_at, usegmt=True)}
    try:
        adapter.conn.call(lambda sf: sf.Lead.update(req.lead_id, {"OwnerId": req.owner_id},
                                                    headers=headers))
        return AssignResult(req.lead_id, AssignOutcome.WRITTEN)
    except Conflict:
        now = _current(adapter, [req.lead_id]).get(req.lead_id, {})
        owner = now.get("OwnerId")
        if req.expected_owner_id != ANY_OWNER and owner != req.expected_owner_id:
            return AssignResult(req.lead_id, AssignOutcome.OWNER_CHANGED,
                                "the lead changed owner since it was read", None, owner)
        modified = parse_sf_datetime(now.get("LastModifiedDate"))
        if again and modified is not None:
            # Another field changed, not the owner: write once more against the fresh stamp.
            return _single(adapter, replace(req, expected_modified_at=modified), again=False)
        return AssignResult(req.lead_id, AssignOutcome.TRANSIENT,
                            "the lead keeps changing; re-read and retry")
    except NotFound as exc:
        return AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
    except InvalidData as exc:
        code = exc.code or ""
        return AssignResult(req.lead_id, ITEM_CODES.get(code, AssignOutcome.REJECTED), exc.message)
    except CrmError as exc:
        return _failed([req], exc)[0]


def write_owners(adapter: "SalesforceAdapter", reqs: list[AssignmentRequest]) -> list[AssignResult]:
    results: dict[int, AssignResult] = {}
    todo: list[tuple[int, AssignmentRequest]] = []
    for index, req in enumerate(reqs):
        try:
            soql.record_id(req.lead_id)
        except InvalidData as exc:
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
            continue
        if not (soql.is_user(req.owner_id) or soql.is_queue(req.owner_id)):
            results[index] = AssignResult(req.lead_id, AssignOutcome.INVALID_OWNER,
                                          f"not a user or queue id: {req.owner_id!r}")
            continue
        todo.append((index, req))

    if adapter.recheck_before_write and todo:
        try:
            current = _current(adapter, [r.lead_id for _, r in todo])
        except CrmError as exc:
            return [results.get(i) or f for i, f in
                    zip(range(len(reqs)), _failed(reqs, exc))]
        todo = recheck(todo, {k: v.get("OwnerId") for k, v in current.items()}, results)

    if len(todo) == 1 and todo[0][1].expected_modified_at is not None:
        index, req = todo[0]
        results[index] = _single(adapter, req)
        todo = []

    for chunk in chunked(todo, BATCH):
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": "Lead"}, "id": req.lead_id, "OwnerId": req.owner_id}
            for _, req in chunk]}
        try:
            answer = adapter.conn.call(lambda sf: sf.restful(
                "composite/sobjects", method="PATCH", json=body, headers=WRITE_HEADERS))
        except CrmError as exc:
            for (index, _), result in zip(chunk, _failed([r for _, r in chunk], exc)):
                results[index] = result
            continue
        for (index, req), item in zip(chunk, answer or []):
            results[index] = _item_result(req, item)
    return [results[i] for i in range(len(reqs))]
