"""The lead log (assignments), dead letters and their retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select

from connector.pipeline import inbox
from connector.platform.db import Database
from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus, Source
from connector.platform.services import Invalid, NotFound, ServiceError, audit, check_id

PAGE_SIZE = 50
STATUSES = [s.value for s in LeadStatus]
SEARCHED = ("name", "company", "email")  # lead summary fields the log's search box looks in


@dataclass(frozen=True)
class LogFilter:
    q: str | None = None
    rep: str | None = None
    rule: str | None = None
    status: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> "LogFilter":
        """From query-string arguments; bad values are errors naming the field."""
        errors: dict[str, list[str]] = {}

        def day(name: str) -> date | None:
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                errors[name] = ["use a date like 2026-11-23"]
                return None

        status = (args.get("status") or "").strip() or None
        if status and status not in STATUSES:
            errors["status"] = [f"one of: {', '.join(STATUSES)}"]
        try:
            page = max(1, min(int(args.get("page") or 1), 10_000))
        except ValueError:
            errors["page"] = ["a page number"]
            page = 1
        result = cls(q=(args.get("q") or "").strip()[:200] or None, rep=(args.get("rep") or "").strip()[:64] or None,
                     rule=(args.get("rule") or "").strip()[:200] or None, status=status,
                     since=day("since"), until=day("until"), page=page)
        if errors:
            raise Invalid(errors)
        return result


def search(db: Database, f: LogFilter) -> tuple[list[Assignment], int]:
    """Matching log rows, newest first, one page; and the total count."""
    query = select(Assignment)
    if f.q:
        # The summary's fields one by one (json_extract / ->>): the JSON text itself escapes
        # non-ASCII on SQLite, so "Zoë" would not be found in it.
        like = f"%{f.q.lower()}%"
        fields = [Assignment.lead_summary[key].as_string() for key in SEARCHED]
        query = query.where(or_(func.lower(Assignment.lead_id).like(like),
                                *(func.lower(field).like(like) for field in fields)))
    if f.rep:
        query = query.where(Assignment.rep_id == f.rep)
    if f.rule:
        query = query.where(Assignment.rule == f.rule)
    if f.status:
        query = query.where(Assignment.status == f.status)
    if f.since:
        query = query.where(Assignment.received_at >= datetime.combine(f.since, time(), timezone.utc))
    if f.until:
        query = query.where(Assignment.received_at < datetime.combine(f.until + timedelta(days=1), time(), timezone.utc))
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(session.scalars(query.order_by(Assignment.received_at.desc(), Assignment.id.desc())
                                    .offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return rows, total


def get(db: Database, assignment_id: int) -> tuple[Assignment, list[AssignmentEvent]]:
    check_id(assignment_id, "lead log entry")
    with db.session() as session:
        row = session.get(Assignment, assignment_id)
        if row is None:
            raise NotFound(f"no lead log entry {assignment_id}")
        events = list(session.scalars(select(AssignmentEvent).where(AssignmentEvent.assignment_id == assignment_id)
                                      .order_by(AssignmentEvent.at, AssignmentEvent.id)))
    return row, events


def dead_letters(db: Database, limit: int = 200) -> list[Assignment]:
    with db.session() as session:
        return list(session.scalars(select(Assignment).where(Assignment.status == LeadStatus.DEAD)
                                    .order_by(Assignment.received_at.desc()).limit(limit)))


def retry(db: Database, assignment_id: int, *, actor: str, now: datetime | None = None) -> Assignment:
    """Put a dead lead back in the inbox; the worker routes it again. The log row keeps its
    history and says who asked for the retry."""
    now = now or datetime.now(timezone.utc)
    check_id(assignment_id, "lead log entry")
    with db.session() as session:
        row = session.get(Assignment, assignment_id)
        if row is None:
            raise NotFound(f"no lead log entry {assignment_id}")
        if row.status != LeadStatus.DEAD:
            raise ServiceError(f"lead {row.lead_id} is {row.status}, not in the dead-letter list")
        reason = f"manual retry by {actor}"
        inbox.enqueue(session, row.connection, [inbox.IncomingLead(row.lead_id, Source.RETRY,
                                                               payload=inbox.InboxPayload(reason=reason))],
                      now, requeue=True)
        row.status, row.reason, row.next_attempt_at = LeadStatus.RECEIVED, reason, now
        row.attempts = 0  # a fresh set of write attempts
        session.add(AssignmentEvent(assignment_id=row.id, status=LeadStatus.RECEIVED, at=now,
                                    detail={"retry": True, "by": actor}))
        audit(session, actor, "lead.retry", "assignment", str(row.id), lead_id=row.lead_id,
              connection=row.connection, last_error=row.last_error)
        return row


def filter_choices(db: Database) -> dict[str, list[str]]:
    """Reps and rules seen in the log, for the filter pickers."""
    with db.session() as session:
        reps = [r for r in session.scalars(select(Assignment.rep_id).distinct()) if r]
        rules = [r for r in session.scalars(select(Assignment.rule).distinct()) if r]
    return {"reps": sorted(reps), "rules": sorted(rules), "statuses": STATUSES}


def to_dict(row: Assignment, events: list[AssignmentEvent] | None = None) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    out = {"id": row.id, "connection": row.connection, "lead_id": row.lead_id, "lead": row.lead_summary or {},
           "status": row.status, "rule": row.rule, "rep_id": row.rep_id, "reason": row.reason,
           "last_error": row.last_error, "attempts": row.attempts, "config_version": row.config_version,
           "received_at": iso(row.received_at), "decided_at": iso(row.decided_at),
           "written_at": iso(row.written_at), "notified_at": iso(row.notified_at), "trace": row.trace or []}
    if events is not None:
        out["events"] = [{"status": e.status, "at": iso(e.at), "detail": e.detail or {}} for e in events]
    return out
