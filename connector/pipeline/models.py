"""The pipeline room's tables: the inbox, replay protection, and the assignment log with its
events.

Statuses are stored as plain strings, not native enums (``enum_type``): adding one must not need
a type migration on PostgreSQL. The enums below are the one place their values are defined.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.platform.models import Base, enum_type, utcnow


class LeadStatus(enum.StrEnum):
    """Where a lead stands in the pipeline; every transition is also an ``AssignmentEvent``."""

    RECEIVED = "received"
    DECIDED = "decided"
    WRITTEN = "written"
    NOTIFIED = "notified"
    WAITING = "waiting"
    DEAD = "dead"
    TAKEN_BY_HUMAN = "taken_by_human"
    JUNK = "junk"              # failed a quality check and held: no owner, no turn (decision.junk)


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class Source(enum.StrEnum):
    """How a lead reached the inbox."""

    WEBHOOK = "webhook"      # a CRM webhook (HubSpot) or outbound message (Salesforce)
    INBOUND = "inbound"      # a signed post to the inbound door
    POLL = "poll"            # the poller found it
    BACKFILL = "backfill"    # `backfill` queued an older record
    RETRY = "retry"          # a dead letter retried from the settings page or the API
    REROUTE = "reroute"      # a pass or an SLA re-route: routed again without who had it


class InboxEvent(Base):
    """One row per (connection, lead) waiting to be routed: webhooks and polls land here."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("connection", "lead_id", name="uq_inbox_events_connection_lead"),
        Index("ix_inbox_events_claim", "status", "available_at", "score"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    connection: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[Source] = mapped_column(enum_type(Source, 20))
    event_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[InboxStatus] = mapped_column(enum_type(InboxStatus, 20), default=InboxStatus.PENDING)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SeenEvent(Base):
    """CRM event / notification ids already stored, so replays enqueue nothing."""

    __tablename__ = "seen_events"
    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InboundSignature(Base):
    """Signatures of inbound-door requests taken in the last minutes: a replay is refused (409)
    by every web process, since they share this table. Rows older than the window are purged."""

    __tablename__ = "inbound_signatures"
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class Assignment(Base):
    """The outcome log: one row per routing of a lead (a re-route after a pass makes another)."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_connection_lead", "connection", "lead_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    connection: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[str] = mapped_column(String(64))
    lead_summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name, company, country, score
    lead_fields: Mapped[dict[str, Any] | None] = mapped_column()  # the lead as read (Lead.to_dict): backtests
    status: Mapped[LeadStatus] = mapped_column(enum_type(LeadStatus, 20), index=True)
    rule: Mapped[str | None] = mapped_column(String(200), index=True)
    rep_id: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_crm_id: Mapped[str | None] = mapped_column(String(64))
    previous_owner_crm_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)  # why waiting / dead / re-routed
    trace: Mapped[list[Any]] = mapped_column(default=list)
    config_version: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    written_at: Mapped[datetime | None] = mapped_column()
    notified_at: Mapped[datetime | None] = mapped_column()
    first_touch_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # The SLA loop: accepted (Slack Accept or first activity), when the SLA runs out, how far up
    # the escalation ladder the lead has gone.
    accepted_at: Mapped[datetime | None] = mapped_column()
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_step: Mapped[int] = mapped_column(Integer, default=0)


class AssignmentEvent(Base):
    """Each transition of a lead, with its time: received, decided, written, notified, …"""

    __tablename__ = "assignment_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
