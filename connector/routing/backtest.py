"""The backtest's replay: stored leads, in the order they arrived, through a draft config from
the routing state as it was, tallied against what happened.

Each lead is the one the CRM gave us (every field, ``assignments.lead_fields``), decided at the
moment we received it, through ``rules_engine.simulate`` — the code ``simulate`` runs — with the
owner ids of its own connection, so a backtest and ``simulate`` on the same leads, config and
starting state decide alike. A lead that would have waited is not decided again: its wait is
how long until the first candidate became available (the decision's ``retry_after``), or
unknown when only freed capacity or an un-pause could end it. Loading the leads and the state
is the pipeline's (``connector.outcomes.backtest``); this module reads no database.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from statistics import median
from typing import Callable, Iterable, Mapping, Sequence

from rules_engine import Lead, Status
from rules_engine import simulate as engine_simulate
from rules_engine.choices import CAP_SKIPS
from rules_engine.decide import compiled_config
from rules_engine.people import KnownPeople


def lead_fields(lead: Lead) -> dict:
    """What the pipeline stores with each routing (``assignments.lead_fields``): every field of
    the lead as read, JSON-safe, so a backtest replays it as it was."""
    return json.loads(json.dumps(lead.to_dict(), default=str))


@dataclass(frozen=True)
class StoredLead:
    lead: Lead                     # as read from the CRM, decided at ``received_at``
    received_at: datetime
    connection: str
    actual: str                    # who got it, or "(status)" when nobody did
    actual_rule: str | None = None


@dataclass
class Replay:
    leads: int = 0
    changed: int = 0
    statuses: Counter = field(default_factory=Counter)
    draft: Counter = field(default_factory=Counter)         # rep -> leads under the draft
    actual: Counter = field(default_factory=Counter)        # rep (or "(status)") -> leads that happened
    rules: Counter = field(default_factory=Counter)         # draft rule -> leads
    actual_rules: Counter = field(default_factory=Counter)
    cap_hits: Counter = field(default_factory=Counter)      # (rep, reason) -> skips
    waits: list[float | None] = field(default_factory=list)  # seconds until a candidate was free
    rows: list[dict] = field(default_factory=list)          # one per lead (the JSON report's)
    moments: list[tuple[datetime, str | None]] = field(default_factory=list)  # draft's assigned leads

    def wait_summary(self) -> dict:
        known = sorted(w for w in self.waits if w is not None)
        return {"leads": len(self.waits), "unknown": len(self.waits) - len(known),
                "median_minutes": round(median(known) / 60, 1) if known else None,
                "max_minutes": round(known[-1] / 60, 1) if known else None}


def replay(stored: Sequence[StoredLead], config, state, *, owner_keys: Mapping[str, Sequence[str]],
           progress: Callable[[int], None] | None = None, traces: bool = False) -> Replay:
    """Route ``stored`` (in arrival order) under ``config`` from ``state`` (an InMemoryState,
    changed as it goes). ``owner_keys``: per connection, where reps keep its owner ids;
    ``traces``: keep each decision's trace in its row (the simulator page shows them)."""
    cc = compiled_config(config)
    people = KnownPeople() if cc.needs_people else None
    out = Replay()
    for connection, run in groupby(stored, key=lambda s: s.connection):
        run = list(run)
        leads = (_at_arrival(s) for s in run)
        for item, (_lead, decision) in zip(run, engine_simulate(leads, cc, state, crm=owner_keys.get(connection),
                                                                known_people=people)):
            _tally(out, item, decision, traces)
            if progress is not None:
                progress(1)
    return out


def _at_arrival(item: StoredLead) -> Lead:
    return replace(item.lead, created_at=item.received_at)


def _tally(out: Replay, item: StoredLead, decision, traces: bool) -> None:
    owner = decision.owner if decision.status is Status.ASSIGNED else f"({decision.status.value})"
    out.leads += 1
    out.statuses[decision.status.value] += 1
    out.draft[owner] += 1
    out.actual[item.actual] += 1
    out.changed += owner != item.actual
    out.actual_rules[item.actual_rule or "(none)"] += 1
    if decision.status is Status.ASSIGNED:
        out.rules[decision.rule or "(fallback)"] += 1
        out.moments.append((item.received_at, decision.rule))
    elif decision.status is Status.WAITING:
        out.waits.append((decision.retry_after - item.received_at).total_seconds() if decision.retry_after else None)
    for step in decision.trace:
        if step.get("reason") in CAP_SKIPS:
            out.cap_hits[(step["rep"], step["reason"])] += 1
    lead = item.lead
    row = {"lead": lead.id, "connection": item.connection, "received_at": item.received_at.isoformat(),
           "name": " ".join(p for p in (lead.first_name, lead.last_name) if p) or None, "company": lead.company,
           "country": lead.country, "owner": decision.owner, "status": decision.status.value, "rule": decision.rule,
           "actual": item.actual, "actual_rule": item.actual_rule,
           "retry_after": decision.retry_after.isoformat() if decision.retry_after else None}
    if traces:
        row["trace"] = decision.trace
    out.rows.append(row)


def per_rep(result: Replay, fair: Mapping[str, float], reps: Iterable[str]) -> list[dict]:
    """Each rep's leads under the draft and in fact, beside their fair number of the draft's."""
    rows = []
    for rep in reps:
        rows.append({"rep": rep, "draft": result.draft.get(rep, 0), "actual": result.actual.get(rep, 0),
                     "fair": round(fair.get(rep, 0.0), 2),
                     "cap_hits": sum(n for (r, _reason), n in result.cap_hits.items() if r == rep)})
    return rows
