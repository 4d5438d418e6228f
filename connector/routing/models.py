"""The routing room's tables: reps, routing config versions, and the routing state the engine
reads (rotation pointers, per-rep figures)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector.platform.models import Base, utcnow


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
    # The fairness ledger (rules_engine/ledger.py): UTC hour -> [assigned, fair share owed].
    ledger: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RoutingStateSnapshot(Base):
    """The whole routing state (``InMemoryState.to_dict``) at a UTC midnight: where a backtest
    of a past period starts (connector/routing/snapshots.py)."""

    __tablename__ = "routing_state_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(unique=True, index=True)
    body: Mapped[dict[str, Any]] = mapped_column()


class SyncedCrmUser(Base):
    """A user of one CRM connection as the last roster sync saw it: the rep editor picks owner
    ids from these, and the roster offers the ones no rep is linked to yet."""

    __tablename__ = "crm_users"
    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
