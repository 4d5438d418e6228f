"""Backtests: the stored leads of a period, replayed through a draft config from the routing
state as it was (``connector.routing.backtest``), reported against what happened: per-rep
totals and fairness, decisions changed, leads that would have waited and for how long, cap
hits, rules fired. Read by ``app.py backtest`` and the simulator page.

The period starts at the newest routing-state snapshot taken at or before the asked start (one a
day, ``connector.routing.snapshots``); with none that old, it starts at the asked moment from an
empty state, and the report says so. Each routing of a lead is stored with every field the CRM
gave (``assignments.lead_fields``); a lead stored before that column existed is replayed from its
summary (name, company, email, country, score) and counted as such.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.outcomes.figures import fairness
from connector.outcomes.report import pause_history
from connector.pipeline.models import Assignment, LeadStatus
from connector.platform.db import Database
from connector.routing.backtest import Replay, StoredLead, per_rep, replay
from connector.routing.snapshots import state_at
from rules_engine import InMemoryState, Lead
from rules_engine.fairness import fair_shares

_SINCE = re.compile(r"^\s*(\d{1,4})\s*([dh])\s*$")
HELD = (LeadStatus.DECIDED, LeadStatus.WRITTEN, LeadStatus.NOTIFIED)
MAX_DAYS = 100


def parse_since(text: str, now: datetime) -> datetime:
    """``30d``, ``12h`` or an ISO date/time (UTC when it has no offset); ValueError otherwise."""
    found = _SINCE.match(text or "")
    if found:
        amount, unit = int(found.group(1)), found.group(2)
        start = now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    else:
        try:
            start = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{text!r} is not a period: use 30d, 12h or a date like 2026-11-01") from None
        start = start if start.tzinfo else start.replace(tzinfo=now.tzinfo)
    if not now - timedelta(days=MAX_DAYS) <= start < now:
        raise ValueError(f"the period must start within the last {MAX_DAYS} days")
    return start


def stored_leads(session: Session, since: datetime, until: datetime) -> tuple[list[StoredLead], int]:
    """Each lead received in [since, until), first routing only, in arrival order; and how many
    of them only have a summary stored."""
    rows = session.execute(
        select(Assignment.connection, Assignment.lead_id, Assignment.lead_fields, Assignment.lead_summary,
               Assignment.received_at, Assignment.status, Assignment.rep_id, Assignment.rule)
        .where(Assignment.received_at >= since, Assignment.received_at < until)
        .order_by(Assignment.received_at, Assignment.id))
    out, seen, summaries = [], set(), 0
    for connection, lead_id, fields, summary, received_at, status, rep_id, rule in rows:
        if (connection, lead_id) in seen:
            continue
        seen.add((connection, lead_id))
        if not fields:
            summaries += 1
            fields = _from_summary(lead_id, summary or {})
        actual = rep_id if status in HELD and rep_id else f"({getattr(status, 'value', status)})"
        out.append(StoredLead(Lead.from_dict(fields), received_at, connection, actual, rule))
    return out, summaries


def _from_summary(lead_id: str, summary: dict) -> dict:
    first, _, last = str(summary.get("name") or "").partition(" ")
    return {"id": lead_id, "first_name": first or None, "last_name": last or None,
            **{k: summary.get(k) for k in ("company", "email", "country", "score")}}


def backtest(db: Database, config, since: datetime, until: datetime, *, owner_keys: Callable[[str], tuple],
             progress: Callable[[int], None] | None = None, on_loaded: Callable[[int], None] | None = None,
             rows: bool = False, traces: bool = False) -> dict[str, Any]:
    """The report (a JSON-able dict); ``on_loaded(n)`` once the n leads are read; ``rows``: one
    row per lead (``decisions``), ``traces``: with each decision's trace."""
    with db.session() as session:
        snapshot = state_at(session, since)
        start, state = snapshot if snapshot is not None else (since, InMemoryState())
        stored, summaries = stored_leads(session, start, until)
    if on_loaded is not None:
        on_loaded(len(stored))
    keys = {c: tuple(owner_keys(c)) for c in {s.connection for s in stored}}
    result = replay(stored, config, state, owner_keys=keys, progress=progress, traces=traces)
    report = _report(db, config, result, start, until)
    report.update(state_from=start.isoformat() if snapshot is not None else None, summary_only=summaries)
    if rows:
        report["decisions"] = result.rows
    return report


def _report(db: Database, config, result: Replay, start: datetime, until: datetime) -> dict[str, Any]:
    reps = [r.id for r in config.compiled.reps]
    shares = fair_shares(config, start, until, paused=pause_history(db, until), reps=reps)
    assigned = sum(result.draft.get(r, 0) for r in reps)
    fair = {r: s.share * assigned for r, s in shares.items()}
    weights = {r: s.share for r, s in shares.items()}
    draft = fairness({r: result.draft.get(r, 0) for r in reps}, weights)
    actual = fairness({r: result.actual.get(r, 0) for r in reps}, weights)
    return {
        "from": start.isoformat(), "until": until.isoformat(), "leads": result.leads, "changed": result.changed,
        "statuses": dict(result.statuses), "reps": per_rep(result, fair, reps),
        "others": {k: v for k, v in result.actual.items() if k not in reps},
        "fairness": {"draft": _brief(draft), "actual": _brief(actual)},
        "waits": result.wait_summary(),
        "cap_hits": [{"rep": rep, "reason": reason, "count": n}
                     for (rep, reason), n in sorted(result.cap_hits.items())],
        "rules": [{"rule": rule, "draft": result.rules.get(rule, 0), "actual": result.actual_rules.get(rule, 0)}
                  for rule in sorted(set(result.rules) | set(result.actual_rules))],
    }


def _brief(found) -> dict | None:
    return {"spread": round(found.spread, 2), "gini": round(found.gini, 4)} if found else None
