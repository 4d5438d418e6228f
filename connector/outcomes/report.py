"""The metrics report the dashboard, the API and the CSV export share: the period's groups
(``metrics.group``) and fairness, each rep's share against their fair share.

Fair share is the engine's (``rules_engine.fairness.fair_shares``: weight × hours available in
the window, from working hours, away, days off and the pause history the audit log keeps).
Overall, the pool is every rep who got a lead or is in the config; per rule, the rule's own
candidates; per team, its members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connector.outcomes.figures import fairness
from connector.outcomes.metrics import By, LeadRow, group, load, routed_per_rep
from connector.platform.db import Database
from connector.platform.models import AuditLog
from connector.routing.active import RoutingConfigMissing, RoutingConfigs
from rules_engine.fairness import PauseHistory, fair_shares

PAUSE, UNPAUSE = "rep.pause", "rep.unpause"


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    connection: str | None = None


def pause_history(db: Database, until: datetime) -> PauseHistory:
    """Each rep's pauses up to ``until`` as (start, end or None) from the audit log."""
    history: dict[str, list[tuple[datetime, datetime | None]]] = {}
    with db.session() as session:
        rows = session.execute(select(AuditLog.object_id, AuditLog.action, AuditLog.at)
                               .where(AuditLog.object_type == "rep", AuditLog.action.in_((PAUSE, UNPAUSE)),
                                      AuditLog.at < until).order_by(AuditLog.at, AuditLog.id)).all()
    for rep, action, at in rows:
        spans = history.setdefault(rep, [])
        if action == PAUSE and not (spans and spans[-1][1] is None):
            spans.append((at, None))
        elif action == UNPAUSE and spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], at)
    return history


def _config(configs: RoutingConfigs):
    try:
        return configs.current().config
    except RoutingConfigMissing:
        return None


def _fairness(config, rows: list[LeadRow], period: Period, paused: PauseHistory,
              pool: list[str] | None) -> dict[str, Any] | None:
    leads = routed_per_rep(rows)
    if config is None:
        return None
    known = {r.id for r in config.compiled.reps}
    reps = [r for r in (pool if pool is not None else known) if r in known]
    shares = fair_shares(config, period.since, period.until, paused=paused, reps=reps)
    found = fairness({r: n for r, n in leads.items() if pool is None or r in pool},
                     {rep: share.share for rep, share in shares.items()})
    return found.as_dict() if found else None


def pools(config, by: By) -> dict[str, list[str]]:
    """Each rule's or team's reps (the group fairness is measured in)."""
    if config is None:
        return {}
    if by is By.RULE:
        return {rule.name: [c.id for c in rule.candidates] for rule in config.compiled.rules if rule.candidates}
    if by is By.TEAM:
        return {team.id: list(team.members) for team in config.teams}
    return {}


def team_index(config) -> dict[str, list[str]]:
    """rep id -> the ids of their teams."""
    index: dict[str, list[str]] = {}
    for team in (config.teams if config is not None else []):
        for member in team.members:
            index.setdefault(member, []).append(team.id)
    return index


def report(db: Database, configs: RoutingConfigs, by: By, period: Period, rows: list[LeadRow] | None = None) -> dict:
    """Figures per group, and fairness overall and (by rule or team) within each group."""
    rows = load(db, period.since, period.until, connection=period.connection) if rows is None else rows
    config = _config(configs)
    paused = pause_history(db, period.until) if config is not None else {}
    groups = group(rows, by, team_index(config))
    for entry, (name, pool) in ((g, (g["key"], pools(config, by).get(g["key"]))) for g in groups):
        if pool is not None:
            in_group = [r for r in rows if (by is By.RULE and (r.rule or "") == name) or
                        (by is By.TEAM and r.rep in pool)]
            entry["fairness"] = _fairness(config, in_group, period, paused, pool)
    return {"by": by.value, "since": period.since.isoformat(), "until": period.until.isoformat(),
            "connection": period.connection, "groups": groups,
            "fairness": _fairness(config, rows, period, paused, None)}


@dataclass(frozen=True)
class Loaded:
    """The period's rows, and the rows recommendations look at (at least the last 7 days)."""

    in_period: list[LeadRow]
    recent: list[LeadRow]


def load_for(db: Database, period: Period, now: datetime) -> Loaded:
    from connector.outcomes.recommendations import RECENT

    since = min(period.since, now - RECENT)
    rows = load(db, since, max(period.until, now), connection=period.connection)
    return Loaded([r for r in rows if period.since <= r.received_at < period.until], rows)


def with_recommendations(db: Database, configs: RoutingConfigs, by: By, period: Period, now: datetime,
                         loaded: Loaded | None = None) -> dict:
    """``report`` plus the recommendations the data supports."""
    from connector.outcomes.recommendations import recommend

    loaded = loaded or load_for(db, period, now)
    body = report(db, configs, by, period, rows=loaded.in_period)
    config = _config(configs)
    paused = pause_history(db, now) if config is not None else {}
    body["recommendations"] = recommend(loaded.recent, config, now, paused)
    return body
