"""Auto-pause: a rep who lets K leads in a row breach their SLA is paused (``auto_pause:
{after_breaches: K}`` in the routing config) and their manager told. A pause lives in the roster
(``reps.paused``), which the routing config in force overlays, so the very next batch skips the
rep; a manager or the rep un-pauses from the settings page or the Slack button.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.pipeline.models import Assignment, AssignmentEvent
from connector.platform.models import AuditLog
from connector.routing.models import Rep
from connector.notify import outbox, targets
from connector.notify.base import Kind, NotifyEvent

RECENT = 50  # assignments looked at per rep; K is small


def _last_unpause(session: Session, rep_id: str) -> datetime | None:
    return session.scalar(select(AuditLog.at).where(
        AuditLog.action == "rep.unpause", AuditLog.object_type == "rep", AuditLog.object_id == rep_id)
        .order_by(AuditLog.at.desc()).limit(1))


def breach_streak(session: Session, rep_id: str) -> int:
    """Breached leads in a row, newest first, since the rep was last un-paused. Leads whose
    outcome is not known yet (still within their SLA) neither count nor break the run."""
    since = _last_unpause(session, rep_id)
    query = select(Assignment).where(Assignment.rep_id == rep_id, Assignment.written_at.is_not(None))
    if since is not None:
        query = query.where(Assignment.written_at > since)
    rows = list(session.scalars(query.order_by(Assignment.written_at.desc(), Assignment.id.desc()).limit(RECENT)))
    breached = set(session.scalars(select(AssignmentEvent.assignment_id).where(
        AssignmentEvent.assignment_id.in_([a.id for a in rows]),
        AssignmentEvent.status == NotifyEvent.SLA_BREACHED))) if rows else set()
    streak = 0
    for assignment in rows:
        if assignment.id in breached:
            streak += 1
        elif assignment.accepted_at or assignment.first_touch_at or assignment.sla_due_at is None:
            break  # met its SLA (or had none): the run ends here
    return streak


def maybe_pause(session: Session, config: Any, assignment: Assignment, now: datetime, settings: Any) -> bool:
    rule = getattr(config, "auto_pause", None)
    if rule is None or not assignment.rep_id:
        return False
    roster = session.get(Rep, assignment.rep_id)
    if roster is not None and roster.paused:
        return False
    streak = breach_streak(session, assignment.rep_id)
    if streak < rule.after_breaches:
        return False
    pause_rep(session, config, assignment.rep_id, now, settings,
              reason=f"auto-paused: {streak} leads in a row breached their SLA", breaches=streak)
    return True


def pause_rep(session: Session, config: Any, rep_id: str, now: datetime, settings: Any, *, reason: str,
              breaches: int) -> None:
    contact = targets.contact(session, config, rep_id)
    roster = session.get(Rep, rep_id)
    if roster is None:
        roster = Rep(id=rep_id, name=contact.name if contact else rep_id, email=contact.email if contact else None)
        session.add(roster)
    roster.paused, roster.paused_reason = True, reason[:255]
    session.add(AuditLog(at=now, actor="leadrouter", action="rep.pause", object_type="rep", object_id=rep_id,
                         detail={"reason": reason, "breaches": breaches}))
    specs = targets.default_targets(settings) + ["email:manager", "slack:team"]
    found = targets.resolve(specs, contact, config.teams_of(rep_id))
    payload = {"rep": {"id": rep_id, "name": contact.name if contact else rep_id}, "breaches": breaches,
               "reason": reason}
    rows = outbox.enqueue(session, Kind.PAUSED, found, payload, now)
    for row in rows:  # the rep's DM and the team channel get the Un-pause button
        row.payload = {**row.payload, "actionable": row.channel == "slack"}


def unpause(session: Session, rep_id: str, *, actor: str, now: datetime) -> bool:
    """Un-pause (settings page, Slack). The breach run starts again from zero."""
    roster = session.get(Rep, rep_id)
    if roster is None or not roster.paused:
        return False
    roster.paused, roster.paused_reason = False, None
    session.add(AuditLog(at=now, actor=actor, action="rep.unpause", object_type="rep", object_id=rep_id, detail={}))
    return True
