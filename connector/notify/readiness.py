"""Readiness alerts, the notification side of ``alert: owner`` rules (the engine's
``rules_engine.alerts``): a lead a person owns is never reassigned; when it becomes sales-ready
its current owner is told, once per crossing. What each lead matched last time is kept in
``readiness_marks``; an alert rule that matches now and did not then has crossed, and each
crossing queues one ``ready`` message to the owner (the rule's ``notify``, else the connector's
default: a Slack DM, else an email). A lead that stays hot is told once; after it cools down
and crosses back, again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connector.notify import outbox, targets
from connector.notify.base import Kind
from connector.notify.content import lead_payload, record_url
from connector.outcomes.models import ReadinessMark
from connector.pipeline.models import Assignment
from rules_engine.alerts import crossed, matching_alerts, readiness
from rules_engine.lead import Lead

log = logging.getLogger(__name__)


def remember(session: Session, connection: str, lead_id: str, matched: tuple[str, ...]) -> frozenset[str]:
    """Store what ``lead_id`` matches now; return the alert rules that crossed since last time."""
    mark = session.get(ReadinessMark, (connection, lead_id))
    if mark is None:
        mark = ReadinessMark(connection=connection, lead_id=lead_id, matched=[])
        session.add(mark)
    before = tuple(mark.matched or ())
    mark.matched = list(matched)
    return crossed(before, matched)


def tell_owner(session: Session, config: Any, assignment: Assignment, lead: Lead, owner: str | None,
               now: datetime, *, settings: Any) -> int:
    """Check a lead a person owns (``owner``: their rep id, None if they are no rep of ours)
    against the alert rules; queue one message per crossing. Returns how many were queued."""
    fresh = remember(session, assignment.connection, assignment.lead_id, matching_alerts(lead, config))
    if not fresh or owner is None:
        return 0
    contact = targets.contact(session, config, owner)
    queued = 0
    first = readiness(lead, config, owner)   # the engine's decision for the first alert rule met
    for rule in [r.name for r in config.rules if r.name in fresh]:
        specs = config.notify_for(rule)
        found = targets.resolve(targets.default_targets(settings) if specs is None else specs, contact,
                                config.teams_of(owner, rule))
        payload = {**lead_payload(assignment, contact, record_url(assignment)), "rule": rule, "rep": {
            "id": owner, "name": contact.name if contact else owner},
            "reason": _why(first, rule)}
        queued += len(outbox.enqueue(session, Kind.READY, found, payload, now, assignment.id))
        log.info("lead %s is sales-ready (rule %s): %s told", assignment.lead_id, rule, owner)
    return queued


def _why(decision: Any, rule: str) -> str:
    steps = decision.trace if decision is not None and decision.rule == rule else []
    return next((step["text"] for step in steps if step.get("step") == "rule"), f"rule {rule} matched")
