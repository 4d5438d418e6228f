"""The assignments log as the pipeline writes it: ``record`` moves a lead to a status and keeps
the transition; ``BatchReport`` counts what one batch did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from connector.pipeline.models import Assignment, AssignmentEvent, LeadStatus


@dataclass
class BatchReport:
    claimed: int = 0
    written: int = 0
    waiting: int = 0
    taken_by_human: int = 0
    retrying: int = 0
    dead: int = 0
    rerouted: int = 0
    errors: list[str] = field(default_factory=list)

    COUNTS = ("claimed", "written", "waiting", "taken_by_human", "retrying", "dead", "rerouted")

    def add(self, other: BatchReport) -> None:
        for key in self.COUNTS:
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.errors.extend(other.errors)


def record(session: Session, assignment: Assignment, status: LeadStatus, at: datetime, **detail) -> None:
    """Move a lead to ``status`` and keep the transition, with its time, in the log."""
    assignment.status = status
    session.add(AssignmentEvent(assignment_id=assignment.id, status=status, at=at, detail=detail))
