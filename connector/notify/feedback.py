"""A rep's "Not a fit", from the Slack message or the email link: stored with its reason (shown per
source, rule and rep on the dashboard, counted in the metrics), and then

- wrong territory / wrong product: the lead goes to the next eligible rep, like a pass (never
  back to anyone who had it);
- spam, duplicate, other: it stays with the rep, and its SLA clock stops (no reminders about a
  lead the rep says is not worth a touch).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from connector.notify import lifecycle
from connector.notify.base import NotifyEvent
from connector.outcomes.models import FeedbackReason, LeadFeedback
from connector.pipeline.models import Assignment, AssignmentEvent

NOT_A_FIT = "not_a_fit"   # the assignment event


def reason_of(value: str | None) -> FeedbackReason | None:
    try:
        return FeedbackReason(value) if value else None
    except ValueError:
        return None


def not_a_fit(session: Session, assignment: Assignment, reason: FeedbackReason, now: datetime, *,
              via: str, by: str | None, rep_name: str | None = None) -> str:
    """Record the feedback (the lead must still be the rep's: ``lifecycle.is_current``) and act
    on it; returns what happened, for the rep's message or page."""
    who = rep_name or assignment.rep_id or "the rep"
    session.add(LeadFeedback(assignment_id=assignment.id, rep_id=assignment.rep_id, reason=reason.value, via=via,
                             by=by, rerouted=reason.reroutes, at=now))
    session.add(AssignmentEvent(assignment_id=assignment.id, status=NOT_A_FIT, at=now,
                                detail={"reason": reason.value, "via": via, "by": by}))
    if reason.reroutes:
        lifecycle.give_back(session, assignment, now, reason=f"not a fit ({reason.label}) for {who}, via {via}",
                            status=NotifyEvent.PASSED, by=by, feedback=reason.value)
        return f"Not a fit ({reason.label}), said {who}: routing to the next eligible rep"
    assignment.sla_due_at = None
    return f"Not a fit ({reason.label}), said {who}: noted, no more reminders"
