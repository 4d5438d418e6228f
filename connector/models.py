"""The schema: SQLAlchemy 2 typed models. Alembic migrations in ``migrations/`` create it;
``tests/test_migrations.py`` checks that the two agree on SQLite and PostgreSQL.

Times are stored as UTC and always come back timezone-aware (``UTCDateTime``), on both engines.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC; returns aware datetimes. SQLite has no time zones, so naive values are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


class ConnectionKind(str, enum.Enum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


# Statuses are stored as plain strings, not native enums: adding one must not need a type
# migration on PostgreSQL. The enums below are the one place their values are defined.


class LeadStatus(str, enum.Enum):
    """Where a lead stands in the pipeline; every transition is also an ``AssignmentEvent``."""

    RECEIVED = "received"
    DECIDED = "decided"
    WRITTEN = "written"
    NOTIFIED = "notified"
    WAITING = "waiting"
    DEAD = "dead"
    TAKEN_BY_HUMAN = "taken_by_human"


class InboxStatus(str, enum.Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


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


class Rep(Base):
    """A sales rep: synced from the CRM (name, email, owner ids) plus our routing fields (profile)."""

    __tablename__ = "reps"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(String(255))
    crm_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"salesforce": "005…", "hubspot": "101"}
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)  # hours, away, skills, territories, caps…
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    manager_email: Mapped[str | None] = mapped_column(String(320))


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order matters to round robin


class RoutingConfigVersion(Base):
    """Every saved routing config; exactly one is active at a time."""

    __tablename__ = "routing_config_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    body: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8), default="yaml")
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(String(500))


class RuleState(Base):
    """Per-rule rotation state. Workers lock these rows (SELECT … FOR UPDATE, in rule order) while
    deciding a batch, so N workers on N hosts rotate exactly as one."""

    __tablename__ = "rule_state"
    rule: Mapped[str] = mapped_column(String(200), primary_key=True)
    pointer: Mapped[str | None] = mapped_column(String(64))  # last rep this rule assigned
    credits: Mapped[dict[str, Any]] = mapped_column(default=dict)  # smooth weighted round robin
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RepState(Base):
    """Per-rep figures the engine reads (``rules_engine.RepState``): open load, assignments per
    hour/day/week bucket of the rep's time zone, last assignment, outcome stats."""

    __tablename__ = "rep_state"
    rep_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    open_load: Mapped[int] = mapped_column(Integer, default=0)  # the sum of open_by_connection
    open_by_connection: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")  # name -> n
    last_assigned_at: Mapped[datetime | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # bucket key ("d:2026-11-23") -> n
    converted: Mapped[int] = mapped_column(Integer, default=0)
    outcomes: Mapped[int] = mapped_column(Integer, default=0)
    load_reconciled_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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
    source: Mapped[str] = mapped_column(String(20))  # webhook | poll | inbound | retry
    event_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=InboxStatus.PENDING.value)
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
    status: Mapped[str] = mapped_column(String(20), index=True)
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


class Notification(Base):
    """The notifications outbox: sent at least once after the owner is written."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))  # slack | email
    target: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(40), default="assigned")  # assigned, reminder, escalation, digest
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class AuditLog(Base):
    """Every settings change: who, when, what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class UserRole(str, enum.Enum):
    ADMIN = "admin"      # connections, users, everything a manager does
    MANAGER = "manager"  # rules, roster, log


class User(Base):
    """A person who signs in to the settings page."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()


class ApiToken(Base):
    """Per-user API tokens; only a hash is stored, the token is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class ConnectionHealthRecord(Base):
    """What the processes' CRM calls saw of one connection (any source: file, environment, page),
    so the web process shows what the workers saw: last success, last error, API headroom from
    the CRM's own headers. Written at most every few seconds per connection and process
    (``connector.health.HealthWriter``), never per CRM call."""

    __tablename__ = "connection_health"
    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ok_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()
    headroom: Mapped[dict[str, Any]] = mapped_column(default=dict)  # daily_remaining, daily_max, window_*
    headroom_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
