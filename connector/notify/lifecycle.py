"""What happens to a lead after it is written, shared by Slack actions, email links and the SLA
loop: accept (stops the SLA clock), and give the lead back for routing without everyone who
already had it (a pass, an SLA re-route). The pipeline reads ``payload["exclude"]``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.pipeline import inbox
from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus, Source
from connector.notify.base import NotifyEvent

log = logging.getLogger(__name__)

# A lead is with its rep (and the SLA clock may run) in these statuses.
HELD = (LeadStatus.WRITTEN, LeadStatus.NOTIFIED)


def event(session: Session, assignment: Assignment, status: NotifyEvent, at: datetime, **detail) -> None:
    session.add(AssignmentEvent(assignment_id=assignment.id, status=status.value, at=at, detail=detail))


def is_current(session: Session, assignment: Assignment) -> bool:
    """Still the lead's live assignment: written to this rep, not passed or re-routed since."""
    if assignment.status not in HELD:
        return False
    gone = session.scalar(select(AssignmentEvent.id).where(
        AssignmentEvent.assignment_id == assignment.id,
        AssignmentEvent.status.in_([NotifyEvent.PASSED, NotifyEvent.REROUTED])).limit(1))
    if gone is not None:
        return False
    newer = session.scalar(select(Assignment.id).where(
        Assignment.connection == assignment.connection, Assignment.lead_id == assignment.lead_id,
        Assignment.id > assignment.id).limit(1))
    return newer is None


def holders(session: Session, assignment: Assignment) -> list[str]:
    """Every rep this lead was written to (the re-route must skip them all)."""
    reps = session.scalars(select(Assignment.rep_id).where(
        Assignment.connection == assignment.connection, Assignment.lead_id == assignment.lead_id,
        Assignment.rep_id.is_not(None), Assignment.written_at.is_not(None)))
    return sorted(set(reps) | ({assignment.rep_id} if assignment.rep_id else set()))


def accept(session: Session, assignment: Assignment, now: datetime, *, via: str, by: str | None = None) -> bool:
    """The rep took the lead: the SLA clock stops. False when it is no longer theirs to accept."""
    if not is_current(session, assignment):
        return False
    if assignment.accepted_at is None:
        assignment.accepted_at = now
        event(session, assignment, NotifyEvent.ACCEPTED, now, via=via, by=by)
    return True


def give_back(session: Session, assignment: Assignment, now: datetime, *, reason: str,
              status: NotifyEvent, **detail) -> list[str]:
    """Route the lead again without everyone who had it; the old assignment leaves the SLA loop
    (the pipeline frees the rep's open load when it re-routes). Returns the excluded reps."""
    exclude = holders(session, assignment)
    queued = inbox.enqueue(session, assignment.connection, [inbox.IncomingLead(
        assignment.lead_id, Source.REROUTE, payload=inbox.InboxPayload(reason=reason, exclude=tuple(exclude)))],
        now, requeue=True)
    if not queued.stored:  # its inbox row is not done yet (being routed right now): that routing wins
        log.warning("lead %s not requeued (%s): its inbox row is still in use", assignment.lead_id, reason)
    assignment.sla_due_at = None
    assignment.reason = reason
    event(session, assignment, status, now, reason=reason, exclude=exclude,
          queued=bool(queued.stored), **detail)
    return exclude
