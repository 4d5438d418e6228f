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

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from connector.pipeline.models import InboxEvent, InboxStatus, SeenEvent, Source
from connector.platform.db import Database, dialect_insert

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class InboxPayload:
    """What an inbox row carries besides its lead id (``inbox_events.payload``, stored as JSON)."""

    kind: str | None = None          # the webhook event's kind (``adapters.WebhookKind``)
    reason: str | None = None        # why it is queued again: a retry, a pass, an SLA re-route
    exclude: tuple[str, ...] = ()    # reps it must not go to again

    def to_json(self) -> dict[str, Any]:
        stored = {"kind": self.kind, "reason": self.reason, "exclude": list(self.exclude)}
        return {key: value for key, value in stored.items() if value}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> InboxPayload:
        data = data or {}
        return cls(kind=data.get("kind"), reason=data.get("reason"), exclude=tuple(data.get("exclude", ())))


@dataclass(frozen=True)
class IncomingLead:
    lead_id: str
    source: Source
    event_id: str | None = None       # the CRM's event / notification id, when it has one
    payload: InboxPayload = InboxPayload()
    score: int = 0


@dataclass
class EnqueueResult:
    stored: list[str] = field(default_factory=list)        # lead ids newly queued
    duplicates: list[str] = field(default_factory=list)    # already seen or already queued


def enqueue(session: Session, connection: str, items: Iterable[IncomingLead], now: datetime, *,
            requeue: bool = False) -> EnqueueResult:
    """Store leads to route. ``requeue`` puts back a lead whose row is done (a pass, an SLA
    breach, a manual retry); otherwise a lead already in the inbox is a duplicate."""
    insert = dialect_insert(session)
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
            payload=item.payload.to_json(), score=int(item.score), status=InboxStatus.PENDING,
            received_at=now, available_at=now, attempts=0)
        if requeue:
            stmt = stmt.on_conflict_do_update(
                index_elements=["connection", "lead_id"],
                set_={"status": InboxStatus.PENDING, "available_at": now, "source": item.source,
                      "payload": stmt.excluded.payload, "claimed_by": None, "claimed_at": None},
                where=InboxEvent.status == InboxStatus.DONE)
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
        and_(InboxEvent.status == InboxStatus.PENDING, InboxEvent.available_at <= now),
        and_(InboxEvent.status == InboxStatus.CLAIMED, InboxEvent.claimed_at < now - lease),
    )
    query = (select(InboxEvent).where(due)
             .order_by(InboxEvent.score.desc(), InboxEvent.received_at, InboxEvent.id)
             .limit(limit).with_for_update(skip_locked=True))
    if connection is not None:
        query = query.where(InboxEvent.connection == connection)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = InboxStatus.CLAIMED
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
                                    InboxEvent.status == InboxStatus.CLAIMED)
                             .values(claimed_at=now))
    return result.rowcount or 0


def complete(session: Session, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        session.execute(update(InboxEvent).where(InboxEvent.id.in_(ids))
                        .values(status=InboxStatus.DONE, claimed_by=None, claimed_at=None))


def release(session: Session, row_id: int, available_at: datetime) -> None:
    """Put a claimed row back, due again at ``available_at`` (waiting leads, write retries)."""
    session.execute(update(InboxEvent).where(InboxEvent.id == row_id)
                    .values(status=InboxStatus.PENDING, available_at=available_at,
                            claimed_by=None, claimed_at=None))


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(InboxEvent)
                          .where(InboxEvent.status != InboxStatus.DONE)) or 0


@contextmanager
def heartbeat(db: Database, worker: str, ids: list[int], lease: timedelta,
              clock: Callable[[], datetime]) -> Iterator[None]:
    """While a batch runs, renew its claim every third of the lease: a living worker keeps its
    rows however long the CRM takes; a dead one loses them after one lease."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with db.session() as session:
                    renew(session, worker, ids, clock())
            except Exception:  # noqa: BLE001 — a missed beat only shortens the claim
                log.warning("could not renew the claim of %d inbox row(s)", len(ids), exc_info=True)

    thread = threading.Thread(target=beat, name=f"lease-{worker}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
