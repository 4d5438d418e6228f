"""Write-back: the decided owners go to the CRM in one batch call, and each outcome is recorded.

A written owner is final (its notifications are queued in the same transaction, through the
pipeline's ``on_written`` hooks). A failed write keeps its decision and is retried with backoff,
honouring the CRM's wait; after the last attempt the lead is dead, listed with its error for a
retry. An owner the CRM refuses re-routes to someone else; an owner a person set meanwhile wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from adapters import AssignmentRequest, AssignOutcome, CrmAdapter, CrmError, LeadRecord
from connector.pipeline import inbox
from connector.pipeline.backoff import write_retry_delay
from connector.pipeline.inbox import InboxPayload
from connector.pipeline.log import BatchReport, record
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent, LeadStatus
from connector.platform.db import Database
from connector.routing.state import SqlRoutingState
from rules_engine import RoutingConfig, StateChanges

OnWritten = Callable[[Session, Assignment, RoutingConfig, datetime], None]


@dataclass(frozen=True)
class ToWrite:
    """A decided owner waiting for its write."""

    inbox_id: int
    assignment_id: int
    request: AssignmentRequest


def request_for(lead_id: str, owner_id: str, rec: LeadRecord) -> AssignmentRequest:
    """The conditional write: only if the record still has the owner and version we read."""
    return AssignmentRequest(lead_id=lead_id, owner_id=owner_id, expected_owner_id=rec.owner_id,
                             expected_modified_at=rec.modified_at)


class WriteBack:
    """The pipeline's last step (``Pipeline`` is one): what it needs of the pipeline is below."""

    db: Database
    clock: Callable[[], datetime]
    max_attempts: int
    on_written: list[OnWritten]   # called in the transaction that records an owner as written

    def written(self, session: Session, assignment: Assignment, config: RoutingConfig, now: datetime) -> None:
        for hook in self.on_written:
            hook(session, assignment, config, now)

    def write(self, connection: str, adapter: CrmAdapter, to_write: list[ToWrite], report: BatchReport,
              config: RoutingConfig) -> None:
        try:
            results = {r.lead_id: r for r in adapter.assign([item.request for item in to_write])}
            failure = None
        except CrmError as exc:  # the whole call failed: every lead keeps its decision and retries
            results, failure = {}, exc
        now = self.clock()
        released: list[str] = []  # reps whose lead did not stay with them: one load update at the end
        with self.db.session() as session:
            for item in to_write:
                assignment = session.get(Assignment, item.assignment_id)
                result = results.get(item.request.lead_id)
                outcome = result.outcome if result else AssignOutcome.TRANSIENT
                error = (result.error if result else None) or (str(failure) if failure else "no result")
                if outcome is AssignOutcome.WRITTEN:
                    assignment.written_at, assignment.last_error = now, None
                    record(session, assignment, LeadStatus.WRITTEN, now, owner=item.request.owner_id)
                    self.written(session, assignment, config, now)
                    inbox.complete(session, [item.inbox_id])
                    report.written += 1
                elif outcome is AssignOutcome.OWNER_CHANGED:
                    released.append(assignment.rep_id)
                    assignment.reason = f"owner changed in the CRM to {result.current_owner_id} before our write"
                    record(session, assignment, LeadStatus.TAKEN_BY_HUMAN, now, owner=result.current_owner_id)
                    inbox.complete(session, [item.inbox_id])
                    report.taken_by_human += 1
                elif outcome is AssignOutcome.INVALID_OWNER:
                    released.append(assignment.rep_id)
                    self._reroute(session, assignment, item.inbox_id, error, now)
                    report.rerouted += 1
                elif outcome is AssignOutcome.TRANSIENT and assignment.attempts + 1 < self.max_attempts:
                    retry_after = result.retry_after if result else getattr(failure, "retry_after", None)
                    self._retry_later(session, assignment, item.inbox_id, error, failure, retry_after, now)
                    report.retrying += 1
                else:
                    assignment.attempts += 1
                    assignment.last_error = error
                    released.append(assignment.rep_id)
                    record(session, assignment, LeadStatus.DEAD, now, error=error)
                    inbox.complete(session, [item.inbox_id])
                    report.dead += 1
            if released:
                state = SqlRoutingState(session, (), released, connection=connection)
                for rep_id in released:
                    state.apply(StateChanges.released(rep_id))
                state.flush()

    @staticmethod
    def _retry_later(session: Session, assignment: Assignment, inbox_id: int, error: str,
                     failure: CrmError | None, retry_after: float | None, now: datetime) -> None:
        """The same decision, written again after the backoff (at least the CRM's own wait)."""
        assignment.attempts += 1
        delay = write_retry_delay(assignment.attempts, failure, retry_after=retry_after)
        assignment.last_error, assignment.next_attempt_at = error, now + delay
        session.add(AssignmentEvent(assignment_id=assignment.id, status=LeadStatus.DECIDED, at=now,
                                    detail={"write_failed": error, "retry_in_s": delay.total_seconds()}))
        inbox.release(session, inbox_id, now + delay)

    @staticmethod
    def _reroute(session: Session, assignment: Assignment, inbox_id: int, error: str, now: datetime) -> None:
        """The CRM refused the owner (inactive user…): route again without that rep."""
        row = session.get(InboxEvent, inbox_id)
        payload = InboxPayload.from_json(row.payload)
        exclude = tuple(sorted(set(payload.exclude) | {assignment.rep_id}))
        row.payload = InboxPayload(payload.kind, payload.reason, exclude).to_json()
        assignment.last_error = error
        assignment.reason = f"CRM refused owner {assignment.rep_id}: {error}; routing again"
        record(session, assignment, LeadStatus.WAITING, now, rerouted_from=assignment.rep_id, error=error)
        assignment.owner_crm_id = assignment.rep_id = None
        inbox.release(session, inbox_id, now)
