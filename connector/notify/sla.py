"""The SLA loop: a lead not touched (Accept in Slack / email, or the CRM's first activity read by
outcome sync into ``first_touch_at``) within its rule's ``sla.minutes`` walks the rule's ladder,
one step at each due time: ``remind`` the rep, ``reroute`` without everyone who had the lead,
``escalate`` to the manager / team channel. The ladder belongs to the lead: the rep who gets it
by a re-route continues from the next step (see ``outbox._inherited_step``).

Time is an argument (``now``): a test walks a whole ladder in milliseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.platform.db import Database
from connector.pipeline.models import Assignment, AssignmentEvent
from connector.notify.models import Notification
from connector.notify import lifecycle, outbox, pause, targets
from connector.notify.base import Kind, NotifyEvent

log = logging.getLogger(__name__)


@dataclass
class SlaReport:
    breached: int = 0
    reminded: int = 0
    rerouted: int = 0
    escalated: int = 0
    paused: list[str] = field(default_factory=list)


@dataclass
class Step:
    session: Session
    assignment: Assignment
    config: Any
    sla: Any
    now: datetime
    settings: Any
    report: SlaReport

    @property
    def overdue_minutes(self) -> int:
        due = (self.assignment.written_at or self.now) + timedelta(minutes=self.sla.minutes)
        return max(0, int((self.now - due).total_seconds() // 60))

    def message(self, kind: Kind, specs: list[str], *, only_rep: bool = False) -> None:
        rep = targets.contact(self.session, self.config, self.assignment.rep_id)
        teams = self.config.teams_of(self.assignment.rep_id, self.assignment.rule) if rep else []
        found = targets.resolve(specs, rep, teams, only_rep=only_rep)
        payload = {**outbox.lead_message(self.assignment, rep), "overdue_minutes": self.overdue_minutes}
        outbox.enqueue(self.session, kind, found, payload, self.now, self.assignment.id)


def remind(step: Step) -> None:
    specs = step.config.notify_for(step.assignment.rule) or []
    if not any(s.endswith(":rep") for s in specs):
        specs = targets.default_targets(step.settings)
    step.message(Kind.REMINDER, specs, only_rep=True)
    lifecycle.event(step.session, step.assignment, NotifyEvent.REMINDED, step.now, overdue=step.overdue_minutes)
    step.report.reminded += 1


def reroute(step: Step) -> None:
    reason = f"SLA breach: no first touch within {step.sla.minutes} minutes"
    lifecycle.give_back(step.session, step.assignment, step.now, reason=reason, status=NotifyEvent.REROUTED,
                        step=step.assignment.sla_step)
    # The rep's Slack messages lose their buttons and say why (through the outbox: retried too).
    sent = step.session.scalars(select(Notification).where(
        Notification.assignment_id == step.assignment.id, Notification.channel == "slack",
        Notification.kind.in_([Kind.ASSIGNED, Kind.REMINDER]), Notification.sent_at.is_not(None)))
    for row in sent:
        if (row.payload or {}).get("actionable") and (row.payload or {}).get("delivery"):
            payload = {**row.payload, "update_of": row.payload["delivery"], "note": f"Re-routed: {reason}."}
            payload.pop("delivery")
            outbox.enqueue(step.session, Kind.WITHDRAWN, [targets.Target("slack", row.target, False)], payload,
                           step.now, step.assignment.id)
    step.report.rerouted += 1


def escalate(step: Step) -> None:
    step.message(Kind.ESCALATION, targets.escalation_specs(step.sla.escalate_to))
    lifecycle.event(step.session, step.assignment, NotifyEvent.ESCALATED, step.now, overdue=step.overdue_minutes)
    step.report.escalated += 1


LADDER: dict[str, Callable[[Step], None]] = {"remind": remind, "reroute": reroute, "escalate": escalate}


def check_sla(db: Database, configs: Any, now: datetime, *, settings: Any | None = None,
              limit: int = 200) -> SlaReport:
    """Walk every breached assignment one step up its ladder. ``configs`` is the connector's
    RoutingConfigs (``current().config`` is the config in force)."""
    report = SlaReport()
    settings = outbox._settings(settings)
    config = configs.current().config
    with db.session() as session:
        due = list(session.scalars(select(Assignment).where(
            Assignment.sla_due_at <= now, Assignment.accepted_at.is_(None), Assignment.first_touch_at.is_(None),
            Assignment.status.in_(lifecycle.HELD)).order_by(Assignment.sla_due_at, Assignment.id)
            .limit(limit).with_for_update(skip_locked=True)))
        for assignment in due:
            _walk(session, assignment, config, now, settings, report)
    return report


def _walk(session: Session, assignment: Assignment, config: Any, now: datetime, settings: Any,
          report: SlaReport) -> None:
    sla = config.sla_for(assignment.rule)
    if sla is None:
        assignment.sla_due_at = None  # the rule lost its SLA (the config changed)
        return
    already = session.scalar(select(AssignmentEvent.id).where(
        AssignmentEvent.assignment_id == assignment.id,
        AssignmentEvent.status == NotifyEvent.SLA_BREACHED).limit(1))
    if already is None:
        lifecycle.event(session, assignment, NotifyEvent.SLA_BREACHED, now, minutes=sla.minutes,
                        due=assignment.sla_due_at.isoformat())
        report.breached += 1
        session.flush()
        if pause.maybe_pause(session, config, assignment, now, settings):
            report.paused.append(assignment.rep_id)
    if assignment.sla_step >= len(sla.ladder):
        assignment.sla_due_at = None  # a re-routed lead past its last step: the breach is counted, no more steps
        return
    name = sla.ladder[assignment.sla_step]
    assignment.sla_step += 1
    LADDER[name](Step(session, assignment, config, sla, now, settings, report))
    if name != "reroute":
        more = assignment.sla_step < len(sla.ladder)
        assignment.sla_due_at = now + timedelta(minutes=sla.step_minutes) if more else None
