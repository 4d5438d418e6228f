"""Speed to first touch per rep, for ``top_performer`` with ``metric: speed``: the median time
from received to first activity of each rep's latest touched leads, put into the routing state
the engine reads (``RepState.first_touch`` / ``touches``) before a batch is decided."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.outcomes.models import LeadOutcome
from connector.pipeline.models import Assignment
from rules_engine import InMemoryState, RepState
from rules_engine.choices import Metric

WINDOW = timedelta(days=30)
SAMPLE = 50   # latest touched leads per rep


def needs_speed(config) -> bool:
    return any(getattr(getattr(rule.picker, "inner", rule.picker), "metric", None) == Metric.SPEED
               for rule in config.compiled.rules)


def load_first_touch(session: Session, memory: InMemoryState, config, now: datetime) -> None:
    """Each rep's median seconds to first touch over their latest ``SAMPLE`` touched leads of the
    last ``WINDOW``, into ``memory`` (only when a rule ranks by speed)."""
    if not needs_speed(config):
        return
    rows = session.execute(
        select(Assignment.rep_id, Assignment.received_at, LeadOutcome.first_activity_at)
        .join(LeadOutcome, LeadOutcome.assignment_id == Assignment.id)
        .where(LeadOutcome.first_activity_at.is_not(None), Assignment.rep_id.is_not(None),
               Assignment.received_at >= now - WINDOW)
        .order_by(Assignment.received_at.desc()))
    seconds: dict[str, list[float]] = defaultdict(list)
    for rep_id, received_at, touched_at in rows:
        if len(seconds[rep_id]) < SAMPLE:
            seconds[rep_id].append(max(0.0, (touched_at - received_at).total_seconds()))
    for rep_id, values in seconds.items():
        state = memory.reps.setdefault(rep_id, RepState())
        state.first_touch, state.touches = median(values), len(values)
