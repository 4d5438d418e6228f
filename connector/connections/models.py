"""The connections room's tables: CRM connections stored from the page or API, and what the
processes' CRM calls saw of each connection (health)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector.platform.models import Base, utcnow


class Connection(Base):
    """A CRM connection. ``settings`` is plain JSON; ``secrets`` is a Fernet token of a JSON object."""

    __tablename__ = "connections"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    poll_cursor: Mapped[str | None] = mapped_column(Text)  # ids seen at its timestamp: unbounded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConnectionHealthRecord(Base):
    """What the processes' CRM calls saw of one connection (any source: file, environment, page),
    so the web process shows what the workers saw: last success, last error, API headroom from
    the CRM's own headers. Written at most every few seconds per connection and process
    (``connector.connections.health.HealthWriter``), never per CRM call."""

    __tablename__ = "connection_health"
    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ok_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()
    headroom: Mapped[dict[str, Any]] = mapped_column(default=dict)  # daily_remaining, daily_max, window_*
    headroom_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
