"""Builders shared by the rules engine tests (unique module name: tests/ has no packages)."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from rules_engine import InMemoryState, Lead, decide, load_config

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rep(rid: str, **kw) -> dict:
    return {"id": rid, **kw}


def config(reps, rules, teams=None, **kw) -> dict:
    data = {"version": 1, "timezone": "UTC", "reps": reps, "rules": rules}
    if teams is not None:
        data["teams"] = teams
    data.update(kw)
    return copy.deepcopy(data)


def team_config(*reps_, pick="round_robin", rule_extra=None, **kw) -> dict:
    reps_ = [r if isinstance(r, dict) else rep(r) for r in reps_]
    rule = {"name": "r", "to": "team:t", "pick": pick, **(rule_extra or {})}
    return config(reps_, [rule], teams=[{"id": "t", "members": [r["id"] for r in reps_]}], **kw)


def route(cfg, lead=None, state=None, now=None, **kw):
    cfg = load_config(cfg) if isinstance(cfg, dict) else cfg
    lead = lead if isinstance(lead, Lead) else Lead.from_dict(lead or {"id": "L1"})
    return decide(lead, cfg, state if state is not None else InMemoryState(), now or utc(2026, 3, 4, 15, 0), **kw)


def run_many(cfg, n, state=None, now=None, lead=None):
    """Route n leads one after another, applying state changes; returns the owners."""
    cfg = load_config(cfg) if isinstance(cfg, dict) else cfg
    state = state if state is not None else InMemoryState()
    owners = []
    for i in range(n):
        d = decide(Lead.from_dict({**(lead or {}), "id": f"L{i}"}), cfg, state, now or utc(2026, 3, 4, 15, 0))
        state.apply(d.state_changes)
        owners.append(d.owner)
    return owners


