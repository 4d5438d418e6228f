"""The durable inbox: webhooks, inbound posts and polls store leads here; workers claim them.

Idempotent twice over: a CRM event / notification id is stored once (``seen_events``), and a
lead has one inbox row per connection, so duplicated and replayed webhooks and overlapping polls
enqueue a lead once. Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (any number of
workers); SQLite takes its single write lock. A claim is a lease (``LEADROUTER_CLAIM_LEASE_SECONDS``,
30 s by default) that a living worker renews while it works on the rows (``renew``, its
heartbeat): rows of a worker that died (SIGKILL, lost host) are claimable again once the lease
runs out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from connector.pipeline.models import InboxEvent, InboxStatus, SeenEvent

DEFAULT_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class IncomingLead:
    lead_id: str
    source: str                       # webhook | poll | inbound | retry | reroute
    event_id: str | None = None       # the CRM's event / notification id, when it has one
    payload: dict[str, Any] = field(default_factory=dict)
    score: int = 0


@dataclass
class EnqueueResult:
    stored: list[str] = field(default_factory=list)        # lead ids newly queued
    duplicates: list[str] = field(default_factory=list)    # already seen or already queued


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def enqueue(session: Session, connection: str, items: Iterable[IncomingLead], now: datetime, *,
            requeue: bool = False) -> EnqueueResult:
    """Store leads to route. ``requeue`` puts back a lead whose row is done (a pass, an SLA
    breach, a manual retry); otherwise a lead already in the inbox is a duplicate."""
    insert = _insert(session)
    result = EnqueueResult()
    for item in items:
        if item.event_id:
            fresh = session.execute(
                insert(SeenEvent).values(connection=connection, event_id=item.event_id, seen_at=now)
                .on_conflict_do_nothing().returning(SeenEvent.event_id)).first()
            if fresh is None:
                result.duplicates.append(item.lead_id)
                continue
        stmt = insert(InboxEvent).values(
            connection=connection, lead_id=item.lead_id, source=item.source, event_key=item.event_id,
            payload=item.payload, score=int(item.score), status=InboxStatus.PENDING.value,
            received_at=now, available_at=now, attempts=0)
        if requeue:
            stmt = stmt.on_conflict_do_update(
                index_elements=["connection", "lead_id"],
                set_={"status": InboxStatus.PENDING.value, "available_at": now, "source": item.source,
                      "payload": stmt.excluded.payload, "claimed_by": None, "claimed_at": None},
                where=InboxEvent.status == InboxStatus.DONE.value)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["connection", "lead_id"])
        inserted = session.execute(stmt.returning(InboxEvent.id)).first()
        (result.stored if inserted is not None else result.duplicates).append(item.lead_id)
    return result


def claim(session: Session, worker: str, limit: int, now: datetime, *,
          lease: timedelta = DEFAULT_LEASE, connection: str | None = None) -> list[InboxEvent]:
    """Claim up to ``limit`` due rows, highest score first, then oldest. Commit right after, so
    other workers skip exactly these rows."""
    due = or_(
        and_(InboxEvent.status == InboxStatus.PENDING.value, InboxEvent.available_at <= now),
        and_(InboxEvent.status == InboxStatus.CLAIMED.value, InboxEvent.claimed_at < now - lease),
    )
    query = (select(InboxEvent).where(due)
             .order_by(InboxEvent.score.desc(), InboxEvent.received_at, InboxEvent.id)
             .limit(limit).with_for_update(skip_locked=True))
    if connection is not None:
        query = query.where(InboxEvent.connection == connection)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = InboxStatus.CLAIMED.value
        row.claimed_by = worker
        row.claimed_at = now
        row.attempts += 1
    session.flush()
    return rows


def renew(session: Session, worker: str, ids: Iterable[int], now: datetime) -> int:
    """The heartbeat: the rows ``worker`` still holds (of ``ids``) are claimed as of ``now``.
    Rows it released or completed meanwhile, or that another worker took over, are untouched."""
    ids = list(ids)
    if not ids:
        return 0
    result = session.execute(update(InboxEvent)
                             .where(InboxEvent.id.in_(ids), InboxEvent.claimed_by == worker,
                                    InboxEvent.status == InboxStatus.CLAIMED.value)
                             .values(claimed_at=now))
    return result.rowcount or 0


def complete(session: Session, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        session.execute(update(InboxEvent).where(InboxEvent.id.in_(ids))
                        .values(status=InboxStatus.DONE.value, claimed_by=None, claimed_at=None))


def release(session: Session, row_id: int, available_at: datetime) -> None:
    """Put a claimed row back, due again at ``available_at`` (waiting leads, write retries)."""
    session.execute(update(InboxEvent).where(InboxEvent.id == row_id)
                    .values(status=InboxStatus.PENDING.value, available_at=available_at,
                            claimed_by=None, claimed_at=None))


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(InboxEvent)
                          .where(InboxEvent.status != InboxStatus.DONE.value)) or 0
