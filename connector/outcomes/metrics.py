"""Lead metrics per rep, team, rule, source, connection or period, from the assignment log and
what outcome sync and the reps stored beside it.

For each group: leads (received in the period), routed (owner written), time to assign
(received → written) and speed to lead (received → first touch), each as median and p90 in
seconds; leads that breached their SLA; accepted, passed and "not a fit" counts; won and lost,
each as a rate of the routed leads with its 95 % Wilson interval. ``fairness`` compares each
rep's share of the period's routed leads with their fair share.

``load`` reads the rows (one query for the assignments and their outcome, one for the events
that count, one for feedback); ``group`` is pure, so the figures are tested on rows made by hand.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select

from connector.outcomes.figures import Rate, quantile
from connector.outcomes.models import LeadFeedback, LeadOutcome, Result
from connector.pipeline.models import Assignment, AssignmentEvent
from connector.platform.db import Database

BREACHED, ACCEPTED, PASSED = "sla_breached", "accepted", "passed"   # the notify room's event statuses
COUNTED_EVENTS = (BREACHED, ACCEPTED, PASSED)
NONE = "(none)"


class By(str, enum.Enum):
    """What the figures are grouped by (``?by=`` in the API)."""

    REP = "rep"
    TEAM = "team"
    RULE = "rule"
    SOURCE = "source"
    CONNECTION = "connection"
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class LeadRow:
    """One routing of a lead, with what happened to it."""

    connection: str
    rule: str | None
    rep: str | None
    source: str | None
    received_at: datetime
    written_at: datetime | None = None
    first_touch_at: datetime | None = None
    result: str | None = None
    events: frozenset[str] = frozenset()
    feedback: str | None = None

    def seconds_to(self, at: datetime | None) -> float | None:
        return (at - self.received_at).total_seconds() if at else None


@dataclass
class Group:
    key: str
    rows: list[LeadRow] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        routed = [r for r in self.rows if r.written_at]
        assign = [s for r in routed if (s := r.seconds_to(r.written_at)) is not None]
        touch = [s for r in self.rows if (s := r.seconds_to(r.first_touch_at)) is not None]
        won = sum(r.result == Result.WON.value for r in routed)
        lost = sum(r.result == Result.LOST.value for r in routed)
        return {
            "key": self.key, "leads": len(self.rows), "routed": len(routed),
            "time_to_assign": _spread(assign), "speed_to_lead": {**_spread(touch), "touched": len(touch)},
            "sla_breaches": sum(BREACHED in r.events for r in self.rows),
            "accepted": sum(ACCEPTED in r.events for r in self.rows),
            "passed": sum(PASSED in r.events for r in self.rows),
            "not_a_fit": sum(r.feedback is not None for r in self.rows),
            "conversion": Rate(won, len(routed)).as_dict(), "loss": Rate(lost, len(routed)).as_dict(),
        }


def _spread(seconds: list[float]) -> dict[str, float | None]:
    median, p90 = quantile(seconds, 0.5), quantile(seconds, 0.9)
    return {"median_s": None if median is None else round(median, 1), "p90_s": None if p90 is None else round(p90, 1)}


def keys_for(by: By, teams: Mapping[str, list[str]] | None = None) -> Callable[[LeadRow], list[str]]:
    """Which group(s) a row falls in: a lead counts for each team its rep is a member of."""
    def day(row: LeadRow) -> list[str]:
        return [row.received_at.date().isoformat()]

    def week(row: LeadRow) -> list[str]:
        year, number, _ = row.received_at.isocalendar()
        return [f"{year}-W{number:02d}"]

    table: dict[By, Callable[[LeadRow], list[str]]] = {
        By.REP: lambda r: [r.rep] if r.rep else [],
        By.TEAM: lambda r: (teams or {}).get(r.rep or "", []),
        By.RULE: lambda r: [r.rule or NONE],
        By.SOURCE: lambda r: [r.source or NONE],
        By.CONNECTION: lambda r: [r.connection],
        By.DAY: day,
        By.WEEK: week,
    }
    return table[by]


def group(rows: Iterable[LeadRow], by: By, teams: Mapping[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """The figures of each group, largest first (periods: in time order)."""
    groups: dict[str, Group] = {}
    key = keys_for(by, teams)
    for row in rows:
        for name in key(row):
            groups.setdefault(name, Group(name)).rows.append(row)
    figures = [g.figures() for g in groups.values()]
    if by in (By.DAY, By.WEEK):
        return sorted(figures, key=lambda f: f["key"])
    return sorted(figures, key=lambda f: (-f["leads"], f["key"]))


def routed_per_rep(rows: Iterable[LeadRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.rep and row.written_at:
            counts[row.rep] += 1
    return dict(counts)


def load(db: Database, since: datetime, until: datetime, *, connection: str | None = None) -> list[LeadRow]:
    """The assignments received in [since, until), each with its outcome, events and feedback."""
    query = (select(Assignment.id, Assignment.connection, Assignment.rule, Assignment.rep_id,
                    Assignment.lead_summary, Assignment.received_at, Assignment.written_at,
                    Assignment.first_touch_at, LeadOutcome.result)
             .outerjoin(LeadOutcome, LeadOutcome.assignment_id == Assignment.id)
             .where(Assignment.received_at >= since, Assignment.received_at < until))
    if connection:
        query = query.where(Assignment.connection == connection)
    with db.session() as session:
        rows = session.execute(query.order_by(Assignment.id)).all()
        ids = [r.id for r in rows]
        events, feedback = _events(session, ids), _feedback(session, ids)
    return [LeadRow(r.connection, r.rule, r.rep_id, (r.lead_summary or {}).get("source"), r.received_at,
                    r.written_at, r.first_touch_at, r.result, frozenset(events.get(r.id, ())), feedback.get(r.id))
            for r in rows]


def _chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):   # SQLite's bound-parameter limit
        yield ids[start:start + size]


def _events(session, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(ids):
        for assignment_id, status in session.execute(
                select(AssignmentEvent.assignment_id, AssignmentEvent.status).distinct()
                .where(AssignmentEvent.assignment_id.in_(chunk), AssignmentEvent.status.in_(COUNTED_EVENTS))):
            found[assignment_id].add(str(status))
    return found


def _feedback(session, ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        for assignment_id, reason in session.execute(
                select(LeadFeedback.assignment_id, LeadFeedback.reason)
                .where(LeadFeedback.assignment_id.in_(chunk)).order_by(LeadFeedback.id)):
            found[assignment_id] = str(reason)
    return found


def window(days: int, now: datetime) -> tuple[datetime, datetime]:
    """The last ``days`` days up to ``now``."""
    return now - timedelta(days=days), now
