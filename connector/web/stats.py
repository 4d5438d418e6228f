"""Dashboard figures from the lead log: fairness, speed to lead, waiting/dead, rule volume."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from statistics import median
from typing import Any

from sqlalchemy import select

from connector.platform.db import Database
from connector.pipeline.models import Assignment, LeadStatus

ASSIGNED = {LeadStatus.WRITTEN.value, LeadStatus.NOTIFIED.value, LeadStatus.DECIDED.value}


def dashboard(db: Database, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(days=days)
    with db.session() as session:
        rows = session.execute(select(Assignment.status, Assignment.rep_id, Assignment.rule,
                                      Assignment.received_at, Assignment.written_at)
                               .where(Assignment.received_at >= since)).all()
    per_rep, per_rule, statuses = Counter(), Counter(), Counter()
    speeds: dict[str, list[float]] = defaultdict(list)
    for status, rep, rule, received, written in rows:
        statuses[status] += 1
        if rep and status in ASSIGNED:
            per_rep[rep] += 1
        per_rule[rule or "(fallback / none)"] += 1
        if written and received:
            speeds[received.date().isoformat()].append((written - received).total_seconds() / 60)
    day_list = [(since + timedelta(days=i + 1)).date().isoformat() for i in range(days)]
    return {
        "days": days, "total": len(rows),
        "waiting": statuses[LeadStatus.WAITING.value], "dead": statuses[LeadStatus.DEAD.value],
        "per_rep": sorted(per_rep.items(), key=lambda kv: (-kv[1], kv[0])),
        "per_rule": sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0])),
        "statuses": sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0])),
        "speed": [(day[5:], round(median(speeds[day]), 1) if speeds.get(day) else 0) for day in day_list],
    }
