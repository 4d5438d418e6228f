"""Writing owners back to Salesforce without trampling anyone: Salesforce's hooks of the
owner-write template (``adapters.assigning.OwnerWriter``).

* A Lead write carries ``Sforce-Auto-Assign: FALSE``: the default (TRUE) re-runs the org's active
  lead assignment rule, which silently puts the lead back into its queue (or elsewhere). The
  header does not apply to Contacts (adapters/salesforce_objects.py), whose owner must be a user.
* Immediately before every write attempt (retries and re-logins included) the owners are
  re-read (one SOQL per 200): a record whose owner is no longer the one we decided on (a person
  took it) is reported ``owner_changed`` and not written. Only then the write goes out, once; a
  failure goes back to the check, never straight to a resend.
* sObject Collections cannot be conditional: for a batch, the window left is the time from the
  check's answer to the write's (measured: README, "Write safety").
* A single record is written with ``If-Unmodified-Since`` (the LastModifiedDate its check just
  read), which Salesforce evaluates where the write lands (412 when the record changed).
"""
from __future__ import annotations

from email.utils import format_datetime
from typing import Any

import adapters.salesforce_soql as soql
from adapters.assigning import OwnerWriter, Todo, WriteWindows, failed
from adapters.base import ANY_OWNER, AssignmentRequest, AssignOutcome, AssignResult
from adapters.errors import Conflict, CrmError, CrmUnavailable, InvalidData, NotFound
from adapters.salesforce_dates import parse_sf_datetime
from adapters.salesforce_http import SalesforceConnection
from adapters.salesforce_objects import RoutedObject

# sObject Collections per-record statusCode (and a single write's errorCode) -> outcome.
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


def item_result(req: AssignmentRequest, item: dict[str, Any]) -> AssignResult:
    if item.get("success"):
        return AssignResult(req.lead_id, AssignOutcome.WRITTEN)
    errors = item.get("errors") or [{}]
    code = errors[0].get("statusCode") or ""
    outcome = ITEM_CODES.get(code, AssignOutcome.REJECTED)
    if code == "MALFORMED_ID" and "OwnerId" not in (errors[0].get("fields") or ["OwnerId"]):
        outcome = AssignOutcome.NOT_FOUND
    return AssignResult(req.lead_id, outcome, f"{code}: {errors[0].get('message')}")


def refused(req: AssignmentRequest, exc: InvalidData | NotFound) -> AssignResult:
    if isinstance(exc, NotFound):
        return AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
    return AssignResult(req.lead_id, ITEM_CODES.get(exc.code or "", AssignOutcome.REJECTED), exc.message)


class SalesforceOwnerWriter(OwnerWriter):
    batch = 200   # records per sObject Collections request and ids per owner check

    def __init__(self, conn: SalesforceConnection, obj: RoutedObject, *, recheck: bool,
                 windows: WriteWindows) -> None:
        super().__init__(conn.retry, recheck=recheck, windows=windows)
        self.conn, self.obj = conn, obj
        self._seen: dict[str, dict] = {}   # the last check's rows (LastModifiedDate for a single write)

    def refuse(self, req: AssignmentRequest) -> AssignResult | None:
        try:
            soql.record_id(req.lead_id)
        except InvalidData as exc:
            return AssignResult(req.lead_id, AssignOutcome.NOT_FOUND, exc.message)
        if soql.is_user(req.owner_id) or (self.obj.queues_own and soql.is_queue(req.owner_id)):
            return None
        what = "a user or queue id" if self.obj.queues_own else \
            f"a user id (queues cannot own a {self.obj.name})"
        return AssignResult(req.lead_id, AssignOutcome.INVALID_OWNER, f"not {what}: {req.owner_id!r}")

    def _owner_rows(self, ids: list[str], *, retried: bool) -> dict[str, dict]:
        query = f"SELECT Id, OwnerId, LastModifiedDate FROM {self.obj.name} WHERE Id IN {soql.id_list(ids)}"
        records = self.conn.query(query) if retried else self.conn.once(lambda sf: sf.query(query))["records"]
        rows: dict[str, dict] = {}
        for row in records:
            rows[row["Id"]] = rows[row["Id"][:15]] = row   # callers may hold 15-char ids
        return rows

    def current_owners(self, ids: list[str]) -> dict[str, str | None]:
        self._seen = self._owner_rows(ids, retried=False)
        return {k: v.get("OwnerId") for k, v in self._seen.items()}

    def write_batch(self, todo: Todo, results: dict[int, AssignResult], single: bool = False) -> None:
        if single:
            return self._write_single(todo[0], results)
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": self.obj.name}, "id": req.lead_id, "OwnerId": req.owner_id}
            for _, req in todo]}
        answer = self.conn.once(lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body,
                                                      headers=self.obj.write_headers))
        for (index, req), item in zip(todo, answer or []):
            results[index] = item_result(req, item)

    # -- one record: a conditional write -----------------------------------------------------------
    def write_chunk(self, chunk: Todo, results: dict[int, AssignResult]) -> None:
        if len(chunk) == 1 and chunk[0][1].expected_modified_at is not None:
            index, req = chunk[0]
            if self.recheck:
                self.checked(chunk, results, single=True)
            else:
                results[index] = self._unchecked_single(req)
            return
        self.checked(chunk, results)

    def _patch(self, req: AssignmentRequest, stamp) -> None:
        """One conditional PATCH (one attempt). Raises ``CrmError`` to retry after a new check."""
        headers = {**self.obj.write_headers, "If-Unmodified-Since": format_datetime(stamp, usegmt=True)}
        self.conn.once(lambda sf: getattr(sf, self.obj.name).update(req.lead_id, {"OwnerId": req.owner_id},
                                                                   headers=headers))

    def _write_single(self, item: tuple[int, AssignmentRequest], results: dict[int, AssignResult]) -> None:
        index, req = item
        row = self._seen.get(req.lead_id) or {}
        try:
            self._patch(req, parse_sf_datetime(row.get("LastModifiedDate")) or req.expected_modified_at)
            results[index] = AssignResult(req.lead_id, AssignOutcome.WRITTEN)
        except Conflict:
            # Changed between our check and our write: the next attempt's check says by whom.
            raise CrmUnavailable("the record changed while we wrote (412); checking again",
                                 status=412, code="PRECONDITION_FAILED") from None
        except (NotFound, InvalidData) as exc:
            results[index] = refused(req, exc)

    def _unchecked_single(self, req: AssignmentRequest) -> AssignResult:
        """No owner check configured: the condition alone guards the write, against the read's stamp."""
        stamp, tries = req.expected_modified_at, 2
        try:
            while True:
                try:
                    self.policy.call(lambda: self._patch(req, stamp))
                    return AssignResult(req.lead_id, AssignOutcome.WRITTEN)
                except Conflict:
                    now = self._owner_rows([req.lead_id], retried=True).get(req.lead_id, {})
                    owner, tries = now.get("OwnerId"), tries - 1
                    if req.expected_owner_id != ANY_OWNER and owner != req.expected_owner_id:
                        return AssignResult(req.lead_id, AssignOutcome.OWNER_CHANGED,
                                            "the record changed owner since it was read", None, owner)
                    stamp = parse_sf_datetime(now.get("LastModifiedDate"))
                    if not tries or stamp is None:   # another field keeps changing: later
                        return AssignResult(req.lead_id, AssignOutcome.TRANSIENT,
                                            "the record keeps changing; re-read and retry")
                    # Another field changed, not the owner: once more against the fresh stamp
                    # (still conditional, so a person's change in between still wins).
        except (NotFound, InvalidData) as exc:
            return refused(req, exc)
        except CrmError as exc:
            return failed([req], exc)[0]


__all__ = ["ITEM_CODES", "SalesforceOwnerWriter"]
