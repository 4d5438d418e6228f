"""Dashboard figures for the last N days, from the outcomes room's metrics (``connector.outcomes``):
leads per rep against their fair share, speed to lead (received -> first touch) and time to
assign (received -> owner written) per day, volume per rule, statuses, each rep's figures with
conversion and loss intervals, reps' "Not a fit" per source, rule and rep, and the
recommendations the data supports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from connector.outcomes.metrics import By, Group, LeadRow, group, keys_for
from connector.outcomes.report import Period, load_for, with_recommendations
from connector.pipeline.models import Assignment, LeadStatus
from connector.platform.db import Database
from connector.routing.active import RoutingConfigs

FEEDBACK_BY = (("Source", By.SOURCE), ("Rule", By.RULE), ("Rep", By.REP))


def _minutes(seconds: float | None) -> float:
    return round(seconds / 60, 1) if seconds else 0


def dashboard(db: Database, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    period = Period(now - timedelta(days=days), now)
    loaded = load_for(db, period, now)
    body = with_recommendations(db, RoutingConfigs(db), By.REP, period, now, loaded)
    rows = loaded.in_period
    with db.session() as session:
        statuses = Counter(str(s) for s in session.scalars(select(Assignment.status)
                                                           .where(Assignment.received_at >= period.since)))
        junk = Counter((summary or {}).get("source") or "(no source)" for summary in session.scalars(
            select(Assignment.lead_summary).where(Assignment.received_at >= period.since,
                                                  Assignment.reason.like("junk:%"))))
    per_day = {g["key"]: g for g in group(rows, By.DAY)}
    day_list = [(period.since + timedelta(days=i + 1)).date().isoformat() for i in range(days)]

    def daily(figure: str) -> list[tuple[str, float]]:
        return [(day[5:], _minutes(per_day[day][figure]["median_s"]) if day in per_day else 0) for day in day_list]

    routed = sorted(((g["key"], g["routed"]) for g in body["groups"] if g["routed"]), key=lambda kv: (-kv[1], kv[0]))
    return {
        "days": days, "total": sum(statuses.values()),
        "waiting": statuses[LeadStatus.WAITING], "dead": statuses[LeadStatus.DEAD],
        "per_rep": routed,
        "per_rule": sorted(Counter(r.rule or "(fallback / none)" for r in rows).items(), key=lambda kv: (-kv[1], kv[0])),
        "statuses": sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0])),
        "speed": daily("speed_to_lead"), "assign": daily("time_to_assign"),
        "overall": Group("all", list(rows)).figures(), "reps": body["groups"], "fairness": body["fairness"],
        "recommendations": body["recommendations"], "feedback": _feedback(rows),
        "junk": sorted(junk.items(), key=lambda kv: (-kv[1], kv[0])),   # quality checks' catch per lead source
    }


def _feedback(rows: list[LeadRow]) -> list[tuple[str, list[tuple[str, int, str]]]]:
    """"Not a fit" per source, rule and rep: (dimension, [(key, count, "2 spam, 1 duplicate")])."""
    out = []
    for title, by in FEEDBACK_BY:
        key, reasons = keys_for(by), {}
        for row in rows:
            if row.feedback:
                for name in key(row):
                    reasons.setdefault(name, Counter())[row.feedback] += 1
        out.append((title, sorted(((name, sum(c.values()), ", ".join(f"{n} {r.replace('_', ' ')}"
                                                                       for r, n in c.most_common()))
                                   for name, c in reasons.items()), key=lambda t: (-t[1], t[0]))))
    return out
