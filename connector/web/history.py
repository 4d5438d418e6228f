"""The audit log, read back: who changed what, when."""

from __future__ import annotations

from sqlalchemy import select

from connector.platform.db import Database
from connector.platform.models import AuditLog


def recent(db: Database, *, limit: int = 100, object_type: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    with db.session() as session:
        return list(session.scalars(query))
