"""The routing state as it was: one snapshot a day, where a backtest of a past period starts.

A job (``snapshot_job``, every few minutes, once cluster-wide) stores the whole routing state
(rotation pointers, weighted credits, each rep's load, cap counts, outcomes and fairness ledger,
as ``InMemoryState.to_dict``) the first time it runs after each UTC midnight, and drops the ones
older than ``KEEP_DAYS``. ``state_at`` gives the newest snapshot taken at or before a moment.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connector.platform.db import get_db
from connector.routing.models import RoutingStateSnapshot
from connector.routing.state import read_state
from rules_engine import InMemoryState

KEEP_DAYS = 100
EVERY_SECONDS = 300


def _midnight(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(timezone.utc).date(), time(0), tzinfo=timezone.utc)


def take_snapshot(session: Session, now: datetime) -> bool:
    """Store today's snapshot unless there is one; True when one was stored."""
    taken = session.scalar(select(RoutingStateSnapshot.id).where(RoutingStateSnapshot.taken_at >= _midnight(now)))
    if taken is not None:
        return False
    session.add(RoutingStateSnapshot(taken_at=now, body=read_state(session).to_dict()))
    session.execute(delete(RoutingStateSnapshot).where(RoutingStateSnapshot.taken_at < now - timedelta(days=KEEP_DAYS)))
    return True


def state_at(session: Session, at: datetime) -> tuple[datetime, InMemoryState] | None:
    """The newest snapshot taken at or before ``at``: (when, the state then), or None."""
    row = session.scalars(select(RoutingStateSnapshot).where(RoutingStateSnapshot.taken_at <= at)
                          .order_by(RoutingStateSnapshot.taken_at.desc()).limit(1)).first()
    return (row.taken_at, InMemoryState.from_dict(row.body)) if row is not None else None


def snapshot_job(app: Flask) -> None:
    with get_db(app).session() as session:
        take_snapshot(session, datetime.now(timezone.utc))
