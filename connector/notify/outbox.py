"""The notifications outbox: rows written in the same transaction as the owner, sent after.

At least once: a row is claimed under a short lease (pushed ``next_attempt_at``), sent outside
any transaction, then recorded. A worker that dies mid-send leaves the row due again when the
lease runs out, so a message may (rarely) go twice but is never lost. Transient errors retry with
exponential backoff and jitter, never sooner than a Retry-After; permanent ones fail the row at
once. Nothing here ever changes an assignment's owner: a failed notification is a failed
notification, the lead stays with its rep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from tenacity import wait_exponential_jitter

from connector.platform.db import Database
from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus
from connector.notify.models import Notification, OutboxStatus
from connector.notify import content, targets
from connector.notify.base import Kind, Message, Notifier, NotifyError, NotifyEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8            # 15 s, 30 s, 1, 2, 4, 8, 16 min (+ jitter): about half an hour in all
LEASE = timedelta(minutes=2)
_WAIT = wait_exponential_jitter(multiplier=15, max=1800, exp_base=2, jitter=5)


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    seconds = _WAIT(SimpleNamespace(attempt_number=max(1, attempts)))
    return timedelta(seconds=max(seconds, retry_after or 0))


def _settings(settings: Any | None) -> Any:
    if settings is not None:
        return settings
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config["LEADROUTER_SETTINGS"]
    from connector.platform.settings import load_settings

    return load_settings()


def enqueue(session: Session, kind: Kind, found: list[targets.Target], payload: dict[str, Any], now: datetime,
            assignment_id: int | None = None) -> list[Notification]:
    rows = [Notification(assignment_id=assignment_id, channel=t.channel, target=t.target, kind=kind.value,
                         payload={**payload, "actionable": t.to_rep}, status=OutboxStatus.PENDING,
                         attempts=0, created_at=now, next_attempt_at=now) for t in found]
    session.add_all(rows)
    session.flush()
    return rows


def _inherited_step(session: Session, assignment: Assignment) -> int:
    """The SLA ladder is walked per lead: an owner who got the lead by an SLA re-route starts
    where the ladder left off, not at its first step."""
    previous = session.scalars(select(Assignment).where(
        Assignment.connection == assignment.connection, Assignment.lead_id == assignment.lead_id,
        Assignment.id < assignment.id).order_by(Assignment.id.desc()).limit(1)).first()
    if previous is None:
        return 0
    rerouted = session.scalar(select(AssignmentEvent.id).where(
        AssignmentEvent.assignment_id == previous.id, AssignmentEvent.status == NotifyEvent.REROUTED).limit(1))
    return previous.sla_step if rerouted else 0


def enqueue_assignment_notifications(session: Session, assignment: Assignment, config: Any, now: datetime, *,
                                     settings: Any | None = None) -> list[Notification]:
    """Called in the transaction that marks ``assignment`` written. ``config`` is the
    RoutingConfig the decision used. Idempotent: a second call returns the rows already made."""
    if assignment.id is None:
        session.flush()
    existing = list(session.scalars(select(Notification).where(
        Notification.assignment_id == assignment.id, Notification.kind == Kind.ASSIGNED)))
    if existing:
        return existing
    settings = _settings(settings)
    sla = config.sla_for(assignment.rule)
    if sla is not None:
        assignment.sla_step = _inherited_step(session, assignment)
        assignment.sla_due_at = (assignment.written_at or now) + timedelta(minutes=sla.minutes)
    specs = config.notify_for(assignment.rule)
    if specs is None:  # `notify: []` is a choice (nobody is told); absent means the default
        specs = targets.default_targets(settings)
    rep = targets.contact(session, config, assignment.rep_id)
    found = targets.resolve(specs, rep, config.teams_of(assignment.rep_id, assignment.rule) if rep else [])
    if not found and specs:
        log.warning("lead %s: nobody to notify (%s)", assignment.lead_id, ", ".join(specs))
    payload = lead_message(assignment, rep)
    return enqueue(session, Kind.ASSIGNED, found, payload, now, assignment.id)


def lead_message(assignment: Assignment, rep: targets.Contact | None) -> dict[str, Any]:
    return content.lead_payload(assignment, rep, content.record_url(assignment))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(db: Database, notifiers: Mapping[str, Notifier], now: datetime, limit: int = 100, *,
                max_attempts: int = MAX_ATTEMPTS) -> DeliveryReport:
    report = DeliveryReport()
    with db.session() as session:
        rows = list(session.scalars(
            select(Notification).where(Notification.status == OutboxStatus.PENDING,
                                       Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit).with_for_update(skip_locked=True)))
        claimed = [(row.channel, Message(row.id, row.kind, row.target, dict(row.payload or {}))) for row in rows]
        for row in rows:
            row.next_attempt_at = now + LEASE
    for channel, message in claimed:
        notifier = notifiers.get(channel)
        try:
            if notifier is None:
                raise NotifyError(f"{channel} notifications are not configured", permanent=True)
            outcome: dict[str, Any] | NotifyError = notifier.send(message)
        except NotifyError as exc:
            outcome = exc
        except Exception as exc:  # noqa: BLE001 — a notifier bug is recorded on its row, the rest still go
            log.exception("notifier %s failed on notification %s", channel, message.id)
            outcome = NotifyError(f"{type(exc).__name__}: {exc}")
        with db.session() as session:
            _record(session, message.id, outcome, now, max_attempts, report)
    return report


def _record(session: Session, row_id: int, outcome: dict[str, Any] | NotifyError, now: datetime,
            max_attempts: int, report: DeliveryReport) -> None:
    row = session.get(Notification, row_id, with_for_update=True)
    row.attempts += 1
    if isinstance(outcome, NotifyError):
        row.last_error = outcome.message
        report.errors.append(f"notification {row_id} ({row.channel} {row.target}): {outcome.message}")
        if outcome.permanent or row.attempts >= max_attempts:
            row.status = OutboxStatus.FAILED
            report.failed += 1
            log.warning("notification %s failed for good: %s", row_id, outcome.message)
        else:
            row.next_attempt_at = now + retry_delay(row.attempts, outcome.retry_after)
            report.retrying += 1
        return
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
    row.payload = {**(row.payload or {}), "delivery": outcome}
    report.sent += 1
    if row.kind == Kind.ASSIGNED and row.assignment_id is not None:
        _mark_notified(session, row, now)


def _mark_notified(session: Session, row: Notification, now: datetime) -> None:
    """The first `assigned` message out is the rep notified: written -> notified is speed to lead."""
    assignment = session.get(Assignment, row.assignment_id, with_for_update=True)
    if assignment is None or assignment.notified_at is not None:
        return
    if not (row.payload or {}).get("actionable"):
        others = session.scalars(select(Notification).where(
            Notification.assignment_id == row.assignment_id, Notification.kind == Kind.ASSIGNED,
            Notification.id != row.id))
        if any((n.payload or {}).get("actionable") and n.status != OutboxStatus.FAILED for n in others):
            return  # a channel post went first: the rep's own message is what counts
    assignment.notified_at = now
    if assignment.status == LeadStatus.WRITTEN:
        assignment.status = LeadStatus.NOTIFIED
    detail: dict[str, Any] = {"channel": row.channel, "target": row.target}
    if assignment.written_at:
        detail["speed_to_lead_s"] = round((now - assignment.written_at).total_seconds(), 3)
    session.add(AssignmentEvent(assignment_id=assignment.id, status=NotifyEvent.NOTIFIED, at=now,
                                detail=detail))
