"""Outcome sync: what happened to the leads we routed, read back from the CRM on a schedule.

Only leads we routed are read, by id, in the CRM's batch sizes (never "every lead modified
since"): the connection's written assignments of the last ``WINDOW`` that have no result yet,
least recently checked first, at most ``PER_RUN`` per run. For each one, stored once in its
``lead_outcomes`` row beside the assignment:

- a status change (an ``crm_status`` assignment event with the old and the new status);
- the first activity at or after our write (less ``SKEW``): ``assignments.first_touch_at`` (speed
  to lead; it stops the SLA clock), a ``first_touch`` event;
- won or lost, by the connection's ``won_statuses`` / ``lost_statuses`` (and the CRM's own
  conversion): a ``converted`` or ``lost`` event, and the rep's outcome figures, wins *and*
  losses, that ``top_performer`` reads (a closed lead also leaves the rep's open load).

A lead someone else owns now is left alone: its outcome is not this rep's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from adapters import Outcome
from connector.connections.registry import get_connections
from connector.outcomes.models import LeadOutcome, Result
from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus
from connector.platform.db import get_db
from connector.routing.state import apply_outside_batch
from rules_engine import StateChanges

log = logging.getLogger(__name__)

TOUCHED, CONVERTED, LOST, STATUS = "first_touch", "converted", "lost", "crm_status"  # event statuses
RESULT_EVENTS = {Result.WON: CONVERTED, Result.LOST: LOST}
ROUTED = (LeadStatus.WRITTEN.value, LeadStatus.NOTIFIED.value)
WINDOW = timedelta(days=30)   # how long after its write a lead's outcome is still read
PER_RUN = 2000                # leads read per connection and run (10 batch calls on Salesforce)
# A first activity counts from this long before our write: the CRM's clock is not ours, and its
# timestamps may be cut to the second (Salesforce), so a call logged right away can read earlier.
SKEW = timedelta(seconds=60)


@dataclass
class SyncReport:
    read: int = 0
    touched: int = 0
    won: int = 0
    lost: int = 0
    status_changes: int = 0

    def __bool__(self) -> bool:
        return bool(self.touched or self.won or self.lost or self.status_changes)


def sync_outcomes(app: Flask, name: str, now: datetime | None = None) -> SyncReport:
    """Read and store the outcomes of connection ``name``'s routed leads (one scheduled job)."""
    adapter = get_connections(app).adapter(name)
    db = get_db(app)
    now = now or datetime.now(timezone.utc)
    with db.session() as session:
        due = {row.lead_id: (row.id, row.written_at) for row in _due(session, name, now)}
    report = SyncReport(read=len(due))
    if not due:
        return report
    outcomes = {o.lead_id: o for o in adapter.read_outcomes({lead: at - SKEW for lead, (_, at) in due.items()})}
    with db.session() as session:
        for lead_id, (assignment_id, _) in due.items():
            assignment = session.get(Assignment, assignment_id)
            row = _row(session, assignment)
            row.checked_at = now
            outcome = outcomes.get(lead_id)
            if outcome is not None and _still_theirs(assignment, outcome):
                _apply(session, assignment, row, outcome, now, report, name)
    if report:
        log.info("outcomes %s: %d read, %d first touch(es), %d won, %d lost, %d status change(s)", name,
                 report.read, report.touched, report.won, report.lost, report.status_changes)
    return report


def _due(session: Session, name: str, now: datetime) -> list[Assignment]:
    """The newest written assignment per lead, still without a result, oldest check first."""
    later = Assignment.__table__.alias("later")
    newer = exists().where(and_(later.c.connection == Assignment.connection, later.c.lead_id == Assignment.lead_id,
                                later.c.id > Assignment.id))
    query = (select(Assignment).outerjoin(LeadOutcome, LeadOutcome.assignment_id == Assignment.id)
             .where(Assignment.connection == name, Assignment.status.in_(ROUTED), Assignment.rep_id.is_not(None),
                    Assignment.written_at >= now - WINDOW, LeadOutcome.result.is_(None), ~newer)
             .order_by(LeadOutcome.checked_at.is_not(None), LeadOutcome.checked_at, Assignment.id)
             .limit(PER_RUN))
    return list(session.scalars(query))


def _row(session: Session, assignment: Assignment) -> LeadOutcome:
    row = session.get(LeadOutcome, assignment.id)
    if row is None:
        row = LeadOutcome(assignment_id=assignment.id, first_activity_at=assignment.first_touch_at)
        if _has_event(session, assignment.id, CONVERTED):  # synced before this table existed
            row.result = Result.WON.value
        session.add(row)
    return row


def _still_theirs(assignment: Assignment, outcome: Outcome) -> bool:
    return not (outcome.owner_id and assignment.owner_crm_id and outcome.owner_id != assignment.owner_crm_id)


def _apply(session: Session, assignment: Assignment, row: LeadOutcome, outcome: Outcome, now: datetime,
           report: SyncReport, connection: str) -> None:
    changed_at = outcome.changed_at or now
    if outcome.status is not None and outcome.status != row.crm_status:
        if row.crm_status is not None:
            _event(session, assignment, STATUS, changed_at, {"from": row.crm_status, "to": outcome.status})
            report.status_changes += 1
        row.crm_status, row.status_changed_at = outcome.status, changed_at
    if outcome.first_activity_at and assignment.first_touch_at is None:
        assignment.first_touch_at = row.first_activity_at = outcome.first_activity_at
        _event(session, assignment, TOUCHED, outcome.first_activity_at, {"source": "crm"})
        report.touched += 1
    result = Result.WON if outcome.converted else Result.LOST if outcome.lost else None
    if result is not None and row.result is None:
        row.result, row.result_at = result.value, changed_at
        apply_outside_batch(session, StateChanges.outcome(assignment.rep_id, converted=result is Result.WON),
                            connection=connection)
        _event(session, assignment, RESULT_EVENTS[result], changed_at, {"status": outcome.status})
        report.won += result is Result.WON
        report.lost += result is Result.LOST


def _event(session: Session, assignment: Assignment, status: str, at: datetime, detail: dict) -> None:
    session.add(AssignmentEvent(assignment_id=assignment.id, status=status, at=at, detail=detail))


def _has_event(session: Session, assignment_id: int, status: str) -> bool:
    return session.scalar(select(AssignmentEvent.id).where(AssignmentEvent.assignment_id == assignment_id,
                                                           AssignmentEvent.status == status).limit(1)) is not None
