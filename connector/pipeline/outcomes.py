"""Outcome sync: what happened to the leads we routed, read back from the CRM on a schedule.

First activity → ``assignments.first_touch_at`` (speed to lead, the SLA clock); conversion →
the rep's outcome stats (``top_performer``) and one less open lead. Each fact is recorded once,
as an assignment event, so re-reading the same window changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select

from connector.platform.db import get_db
from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus
from connector.routing.state import apply_outside_batch
from rules_engine import StateChanges

log = logging.getLogger(__name__)

TOUCHED = "first_touch"      # assignment event statuses (the lead's own status stays written)
CONVERTED = "converted"
ROUTED = (LeadStatus.WRITTEN.value, LeadStatus.NOTIFIED.value)
FIRST_WINDOW = timedelta(days=1)  # how far back the first sync looks


def sync_outcomes(app: Flask, name: str) -> dict[str, int]:
    from connector.pipeline.jobs import _connection_row, runtime

    adapter = runtime(app).connections.adapter(name)
    db = get_db(app)
    now = datetime.now(timezone.utc)
    with db.session() as session:
        stored = (_connection_row(session, name, adapter.kind).settings or {}).get("outcomes_since")
    since = datetime.fromisoformat(stored) if stored else now - FIRST_WINDOW
    outcomes = adapter.read_outcomes(since)
    counts = {"touched": 0, "converted": 0}
    with db.session() as session:
        for outcome in outcomes:
            assignment = session.scalars(
                select(Assignment).where(Assignment.connection == name, Assignment.lead_id == outcome.lead_id,
                                         Assignment.status.in_(ROUTED))
                .order_by(Assignment.id.desc()).limit(1)).first()
            if assignment is None or not assignment.rep_id:
                continue
            if outcome.owner_id and assignment.owner_crm_id and outcome.owner_id != assignment.owner_crm_id:
                continue  # someone else owns it now: their outcome, not this rep's
            if outcome.first_activity_at and assignment.first_touch_at is None:
                assignment.first_touch_at = outcome.first_activity_at
                session.add(AssignmentEvent(assignment_id=assignment.id, status=TOUCHED,
                                            at=outcome.first_activity_at, detail={"source": "crm"}))
                counts["touched"] += 1
            if outcome.converted and not _has_event(session, assignment.id, CONVERTED):
                apply_outside_batch(session, StateChanges.outcome(assignment.rep_id, converted=True), connection=name)
                session.add(AssignmentEvent(assignment_id=assignment.id, status=CONVERTED,
                                            at=outcome.changed_at or now, detail={"status": outcome.status}))
                counts["converted"] += 1
        newest = max((o.changed_at for o in outcomes if o.changed_at), default=None)
        if newest is not None:
            row = _connection_row(session, name, adapter.kind)
            row.settings = {**(row.settings or {}), "outcomes_since": newest.isoformat()}
    if any(counts.values()):
        log.info("outcomes %s: %d first touch(es), %d conversion(s)", name, counts["touched"], counts["converted"])
    return counts


def _has_event(session, assignment_id: int, status: str) -> bool:
    return session.scalars(select(AssignmentEvent.id).where(AssignmentEvent.assignment_id == assignment_id,
                                                            AssignmentEvent.status == status).limit(1)).first() is not None
