"""The daily digest per team: leads routed, speed to lead (received -> first touch, as on the
dashboard; leads not touched yet are left out),
SLA breaches, accepted; to the team's channel and/or manager (``digest: {at: "08:00", to: [...]}``
in the routing config, ``at`` in the config's time zone). Covers the previous local day; sent
once per team and day (the outbox rows are the record).
"""

from __future__ import annotations

import statistics
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.platform.db import Database
from connector.pipeline.models import Assignment, AssignmentEvent
from connector.notify.models import Notification
from connector.notify import outbox, targets
from connector.notify.base import Kind, NotifyEvent


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def team_figures(session: Session, config: Any, team: Any, start: datetime, end: datetime) -> dict[str, Any]:
    rows = list(session.scalars(select(Assignment).where(
        Assignment.rep_id.in_(list(team.members)), Assignment.written_at >= start, Assignment.written_at < end)))
    breached = set(session.scalars(select(AssignmentEvent.assignment_id).where(
        AssignmentEvent.assignment_id.in_([a.id for a in rows]),
        AssignmentEvent.status == NotifyEvent.SLA_BREACHED))) if rows else set()
    speeds = [(a.first_touch_at - a.received_at).total_seconds() for a in rows if a.first_touch_at]
    reps = []
    for rep_id in team.members:
        mine = [a for a in rows if a.rep_id == rep_id]
        if mine:
            model = config.rep(rep_id)
            reps.append({"id": rep_id, "name": (model.name if model else None) or rep_id, "routed": len(mine),
                         "breaches": sum(a.id in breached for a in mine)})
    return {"team": team.id, "team_name": team.name or team.id, "day": start.date().isoformat() if start else "",
            "routed": len(rows), "speed_to_lead": _duration(statistics.median(speeds) if speeds else None),
            "breaches": len(breached), "accepted": sum(1 for a in rows if a.accepted_at), "reps": reps}


def send_due(db: Database, configs: Any, now: datetime, *, settings: Any | None = None) -> list[str]:
    """Queue today's digest for every team not sent one yet, once the local time is past ``at``.
    Returns the team ids queued."""
    try:
        config = configs.current().config
    except Exception:  # noqa: BLE001 — RoutingConfigMissing: nothing routed, nothing to sum up
        return []
    if config.digest is None:
        return []
    zone = ZoneInfo(config.timezone)
    local = now.astimezone(zone)
    send_at = datetime.combine(local.date(), time.fromisoformat(config.digest.at), zone)
    if local < send_at:
        return []
    end = datetime.combine(local.date(), time(0), zone)
    start = end - timedelta(days=1)
    queued = []
    with db.session() as session:
        sent_today = {(n.payload or {}).get("team") for n in session.scalars(select(Notification).where(
            Notification.kind == Kind.DIGEST, Notification.created_at >= send_at))}
        for team in config.teams:
            if team.id in sent_today:
                continue
            found = targets.resolve(config.digest.to or ["slack:team", "email:manager"], None, [team])
            if found:
                payload = team_figures(session, config, team, start, end)
                outbox.enqueue(session, Kind.DIGEST, found, payload, now)
                queued.append(team.id)
    return queued
