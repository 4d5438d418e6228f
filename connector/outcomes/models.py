"""The outcomes room's tables: what happened to each lead we routed (read back from the CRM),
what the rep said about it (feedback), which readiness alerts a lead last matched, and the
counters every process adds to for ``/metrics``.

Results and reasons are stored as plain strings (``enum_type``): adding one needs no type
migration on PostgreSQL; the enums below are where their values are defined.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from connector.platform.models import Base, enum_type, utcnow


class Result(enum.StrEnum):
    """How a routed lead ended, by the connection's won / lost statuses."""

    WON = "won"
    LOST = "lost"


class FeedbackReason(enum.StrEnum):
    """Why a rep says a lead is not a fit. The two ``REROUTES`` send it on like a pass."""

    SPAM = "spam"
    WRONG_TERRITORY = "wrong_territory"
    WRONG_PRODUCT = "wrong_product"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def reroutes(self) -> bool:
        return self in REROUTES


REROUTES = frozenset({FeedbackReason.WRONG_TERRITORY, FeedbackReason.WRONG_PRODUCT})


class LeadOutcome(Base):
    """One row per routed assignment, beside it: the CRM status last read, the first activity
    after the owner was written, and the result (won / lost), each stored once."""

    __tablename__ = "lead_outcomes"
    assignment_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("assignments.id", ondelete="CASCADE"),
        primary_key=True)
    crm_status: Mapped[str | None] = mapped_column(String(120))
    status_changed_at: Mapped[datetime | None] = mapped_column()
    first_activity_at: Mapped[datetime | None] = mapped_column()
    result: Mapped[Result | None] = mapped_column(enum_type(Result, 10), index=True)
    result_at: Mapped[datetime | None] = mapped_column()
    checked_at: Mapped[datetime | None] = mapped_column(index=True)


class LeadFeedback(Base):
    """A rep's "Not a fit" on a lead, with its reason (Slack or the email link)."""

    __tablename__ = "lead_feedback"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[FeedbackReason] = mapped_column(enum_type(FeedbackReason, 20))
    via: Mapped[str] = mapped_column(String(10))          # slack | email
    by: Mapped[str | None] = mapped_column(String(120))   # the Slack user id or the rep id
    rerouted: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MetricCounter(Base):
    """A monotonic count that several processes add to (CRM requests, decision-time histogram
    buckets): each process adds its own increments every few seconds, ``/metrics`` reads the sum."""

    __tablename__ = "metric_counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True)  # "connection=hubspot,outcome=ok"
    value: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReadinessMark(Base):
    """Which ``alert: owner`` rules a lead matched when it was last checked, so its owner is told
    once per crossing (``connector/notify/readiness.py``)."""

    __tablename__ = "readiness_marks"
    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    lead_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    matched: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
