"""Recommendations: plain sentences for the dashboard, each only when the period's data shows it.

- a rule that sent much more than its fair share to a few of its reps
  ("rule enterprise-us sent 41 % of its leads to 2 of 6 reps (fair share: 33 %)");
- leads that arrived when nobody of their pool was in working hours and waited over an hour
  ("3 leads waited over an hour outside working hours in the last 7 days");
- a rep whose median speed to lead is far behind their team's
  ("ana's speed to lead is 3× the team median (42 min against 14 min)");
- a lead source the reps often mark "Not a fit" ("source Webinar: 4 of 10 leads marked not a fit,
  mostly wrong territory").

Pure: rows, the routing config and the time are passed in (availability is the engine's).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from connector.outcomes.figures import quantile
from connector.outcomes.metrics import LeadRow
from connector.outcomes.models import FeedbackReason
from rules_engine.fairness import PauseHistory, available_intervals, covers, fair_shares

MIN_RULE_LEADS = 10        # a rule's routed leads before its concentration is judged
CONCENTRATION = 1.2        # the top reps got this many times their fair share...
CONCENTRATION_GAP = 0.05   # ...and at least 5 points more
LONG_WAIT = timedelta(hours=1)
RECENT = timedelta(days=7)
MIN_TOUCHED = 3            # a rep's first touches before their speed is compared
SLOW = 2.0                 # rep median ÷ team median that is worth a sentence
MIN_SOURCE_LEADS = 5
NOT_A_FIT_SHARE = 0.25


def recommend(rows: list[LeadRow], config, now: datetime, paused: PauseHistory | None = None) -> list[str]:
    if config is None:
        return []
    return [*concentration(rows, config, paused), *waited_outside_hours(rows, config, now, paused),
            *slow_reps(rows, config), *unfit_sources(rows)]


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def concentration(rows: list[LeadRow], config, paused: PauseHistory | None = None) -> Iterable[str]:
    routed = [r for r in rows if r.written_at and r.rep]
    if not routed:
        return
    since, until = min(r.received_at for r in routed), max(r.received_at for r in routed) + timedelta(seconds=1)
    for rule in config.compiled.rules:
        pool = [c.id for c in rule.candidates]
        got = Counter(r.rep for r in routed if r.rule == rule.name)
        total = sum(got.values())
        if len(pool) < 3 or total < MIN_RULE_LEADS:
            continue
        fair = {rep: s.share for rep, s in fair_shares(config, since, until, paused=paused, reps=pool).items()}
        if not sum(fair.values()):
            continue
        k = math.ceil(len(pool) / 3)
        top = sorted(pool, key=lambda rep: (-got[rep], rep))[:k]
        share, owed = sum(got[rep] for rep in top) / total, sum(fair.get(rep, 0.0) for rep in top)
        if share >= CONCENTRATION * owed and share - owed >= CONCENTRATION_GAP:
            yield (f"rule {rule.name} sent {_percent(share)} of its leads to {k} of {len(pool)} reps "
                   f"({', '.join(top)}; their fair share: {_percent(owed)})")


def waited_outside_hours(rows: list[LeadRow], config, now: datetime,
                         paused: PauseHistory | None = None) -> Iterable[str]:
    recent = [r for r in rows if r.received_at >= now - RECENT and _waited(r, now) > LONG_WAIT]
    if not recent:
        return
    start, end = (now - RECENT).timestamp(), now.timestamp()
    spans = {rep.id: available_intervals(rep, start, end, _pauses(paused, rep.id, now)) for rep in config.compiled.reps}
    pools = {rule.name: [c.id for c in rule.candidates] for rule in config.compiled.rules if rule.candidates}
    every = [rep.id for rep in config.compiled.reps]
    closed = [r for r in recent if not any(covers(spans.get(rep, []), r.received_at.timestamp())
                                          for rep in pools.get(r.rule or "", every))]
    if closed:
        many = len(closed) != 1
        yield (f"{len(closed)} lead{'s' if many else ''} waited over an hour outside working hours in the last 7 days "
               f"(nobody of {'their' if many else 'its'} pool was working when {'they' if many else 'it'} arrived)")


def _waited(row: LeadRow, now: datetime) -> timedelta:
    return (row.written_at or now) - row.received_at


def _pauses(paused: PauseHistory | None, rep: str, now: datetime) -> list[tuple[float, float]]:
    return [(a.timestamp(), (b or now).timestamp()) for a, b in (paused or {}).get(rep, ())]


def slow_reps(rows: list[LeadRow], config) -> Iterable[str]:
    speeds: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.rep and (s := r.seconds_to(r.first_touch_at)) is not None:
            speeds[r.rep].append(s)
    teams = [(t.name or t.id, list(t.members)) for t in config.teams] or [("team", [r.id for r in config.compiled.reps])]
    said: set[str] = set()
    for _name, members in teams:
        team_median = quantile([s for m in members for s in speeds.get(m, [])], 0.5)
        if not team_median:
            continue
        for rep in members:
            mine = speeds.get(rep, [])
            median = quantile(mine, 0.5)
            if rep in said or len(mine) < MIN_TOUCHED or median is None or median < SLOW * team_median:
                continue
            said.add(rep)
            ratio = f"{median / team_median:.1f}".removesuffix(".0")
            yield (f"{rep}'s speed to lead is {ratio}× the team median "
                   f"({_duration(median)} against {_duration(team_median)})")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def unfit_sources(rows: list[LeadRow]) -> Iterable[str]:
    by_source: dict[str, list[LeadRow]] = defaultdict(list)
    for r in rows:
        if r.source:
            by_source[r.source].append(r)
    for source, leads in sorted(by_source.items()):
        reasons = Counter(r.feedback for r in leads if r.feedback)
        unfit = sum(reasons.values())
        if len(leads) >= MIN_SOURCE_LEADS and unfit / len(leads) >= NOT_A_FIT_SHARE:
            reason = reasons.most_common(1)[0][0]
            label = FeedbackReason(reason).label if reason in FeedbackReason._value2member_map_ else reason
            yield f"source {source}: {unfit} of {len(leads)} leads marked not a fit, mostly {label}"
