"""Writing owners back to Salesforce without trampling anyone.

* ``Sforce-Auto-Assign: FALSE`` on every write: the default (TRUE) re-runs the org's active
  lead assignment rule, which silently puts the lead back into its queue (or elsewhere).
* Immediately before every write attempt (retries and re-logins included) the owners are
  re-read (one SOQL per 200): a lead whose owner is no longer the one we decided on (a person
  took it) is reported ``owner_changed`` and not written (adapters/assigning.py). Only then the
  write goes out, once; a failure goes back to the check, never straight to a resend.
* sObject Collections cannot be conditional: for a batch, the window left is the time from the
  check's answer to the write's (measured: README, "Write safety").
* A single lead is written with ``If-Unmodified-Since`` (the LastModifiedDate its check just
  read), which Salesforce evaluates where the write lands (412 when the record changed).
"""
from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from adapters import salesforce_soql as soql
from adapters.assigning import checked_write, failed as _failed
from adapters.base import ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult, chunked
from adapters.errors import Conflict, CrmError, CrmUnavailable, InvalidData, NotFound
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


def _single(adapter: "SalesforceAdapter", req: AssignmentRequest, stamp) -> None:
    """One conditional PATCH (one attempt). Raises ``CrmError`` to retry after a new check."""
    headers = {**WRITE_HEADERS, "If-Unmodified-Since": format_datetime(stamp, usegmt=True)}
    adapter.conn.once(lambda sf: sf.Lead.update(req.lead_id, {"OwnerId": req.owner_id},
                                                headers=headers))


def _write_single(adapter: "SalesforceAdapter", index: int, req: AssignmentRequest,
                  results: dict[int, AssignResult]) -> None:
    seen: dict[str, dict] = {}

    def check(ids: list[str]) -> dict[str, str | None]:
        seen.clear()
        seen.update(_current_once(adapter, ids))
        return {k: v.get("OwnerId") for k, v in seen.items()}

    def write(todo: list[tuple[int, AssignmentRequest]]) -> None:
        row = seen.get(req.lead_id) or {}
        stamp = parse_sf_datetime(row.get("LastModifiedDate")) or req.expected_modified_at
        try:
            _single(adapter, req, stamp)
            results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
        except Conflict:
            # Changed between our check and our write: the next attempt's check says by whom.
            raise CrmUnavailable("the lead changed while we wrote (412); checking again",
                                 status=412, code="PRECONDITION_FAILED") from None
        except NotFound as exc:
            results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
        except InvalidData as exc:
            results[index] = AssignResult(req.lead_id, ITEM_CODES.get(exc.code or "",
                                                                      AssignOutcome.REJECTED),
                                          exc.message)

    if adapter.recheck_before_write:
        checked_write(adapter.conn.retry, [(index, req)], results, check=check, write=write,
                      windows=adapter.write_windows)
        return
    # No owner check configured: the condition alone guards the write, against the read's stamp.
    stamp, tries = req.expected_modified_at, 2
    try:
        while True:
            try:
                adapter.conn.retry.call(lambda: _single(adapter, req, stamp))
                results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
                return
            except Conflict:
                now = _current(adapter, [req.lead_id]).get(req.lead_id, {})
                owner, tries = now.get("OwnerId"), tries - 1
                if req.expected_owner_id != ANY_OWNER and owner != req.expected_owner_id:
                    results[index] = AssignResult(req.lead_id, AssignOutcome.OWNER_CHANGED,
                                                  "the lead changed owner since it was read",
                                                  None, owner)
                    return
                stamp = parse_sf_datetime(now.get("LastModifiedDate"))
                if not tries or stamp is None:   # another field keeps changing: later
                    results[index] = AssignResult(req.lead_id, AssignOutcome.TRANSIENT,
                                                  "the lead keeps changing; re-read and retry")
                    return
                # Another field changed, not the owner: once more against the fresh stamp
                # (still conditional, so a person's change in between still wins).
    except NotFound as exc:
        results[index] = AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
    except InvalidData as exc:
        results[index] = AssignResult(req.lead_id, ITEM_CODES.get(exc.code or "",
                                                                  AssignOutcome.REJECTED), exc.message)
    except CrmError as exc:
        results[index] = _failed([req], exc)[0]


def _current_once(adapter: "SalesforceAdapter", ids: list[str]) -> dict[str, dict]:
    """The owner check of one write attempt: one SOQL (<= 200 ids), no retry of its own."""
    query = f"SELECT Id, OwnerId, LastModifiedDate FROM Lead WHERE Id IN {soql.id_list(ids)}"
    answer = adapter.conn.once(lambda sf: sf.query(query))
    rows: dict[str, dict] = {}
    for row in answer["records"]:
        rows[row["Id"]] = rows[row["Id"][:15]] = row
    return rows


def _write_chunk(adapter: "SalesforceAdapter", chunk: list[tuple[int, AssignmentRequest]],
                 results: dict[int, AssignResult]) -> None:
    def check(ids: list[str]) -> dict[str, str | None]:
        return {k: v.get("OwnerId") for k, v in _current_once(adapter, ids).items()}

    def write(todo: list[tuple[int, AssignmentRequest]]) -> None:
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": "Lead"}, "id": req.lead_id, "OwnerId": req.owner_id}
            for _, req in todo]}
        answer = adapter.conn.once(lambda sf: sf.restful(
            "composite/sobjects", method="PATCH", json=body, headers=WRITE_HEADERS))
        for (index, req), item in zip(todo, answer or []):
            results[index] = _item_result(req, item)

    checked_write(adapter.conn.retry, chunk, results,
                  check=check if adapter.recheck_before_write else None, write=write,
                  windows=adapter.write_windows)


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

    if len(todo) == 1 and todo[0][1].expected_modified_at is not None:
        _write_single(adapter, *todo[0], results)
    else:
        for chunk in chunked(todo, BATCH):
            _write_chunk(adapter, list(chunk), results)
    return [results[i] for i in range(len(reqs))]
