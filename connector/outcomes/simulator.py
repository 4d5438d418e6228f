"""The simulator: who would get each lead under a draft config, next to what actually happened.

Leads come from a pasted/uploaded CSV (canonical field names as header, like `app.py simulate`;
an optional ``actual_owner`` column is the comparison), routed from a fresh routing state (no
live load or caps) to show the rules' intent; or they are the log's last N days, replayed as
``app.py backtest`` does (``replay_log``: every stored field, from the routing state as it was).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from connector.connections.registry import get_connections
from connector.outcomes.backtest import backtest
from connector.platform.db import Database
from connector.platform.services import Invalid
from connector.routing import rules as rules_service
from rules_engine import ConfigError, InMemoryState, Lead, load_config
from rules_engine import simulate as engine_simulate

MAX_LEADS = 5000
MAX_DAYS = 90
ACTUAL = "actual_owner"


def leads_from_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise Invalid({"csv": ["the CSV is empty: the first line names the fields (id, email, country, …)"]})
    leads = []
    for number, row in enumerate(reader, 1):
        if number > MAX_LEADS:
            raise Invalid({"csv": [f"at most {MAX_LEADS} leads at a time"]})
        lead = {k.strip(): v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}
        lead.setdefault("id", f"row-{number}")
        leads.append(lead)
    if not leads:
        raise Invalid({"csv": ["the CSV has a header but no leads"]})
    return leads


def replay_log(db: Database, days: int, draft: str | None, *, now: datetime) -> dict[str, Any]:
    """The last ``days`` days' leads under ``draft`` (default: the active config), as a backtest:
    the page's rows and totals, and the backtest's figures under ``backtest``."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid({"days": [f"between 1 and {MAX_DAYS}"]})
    config = _config(db, draft)
    connections = get_connections()
    report = backtest(db, config, now - timedelta(days=days), now, rows=True, traces=True,
                      owner_keys=lambda c: connections.owner_keys(c) if c in connections else (c,))
    rows = [{"lead_id": r["lead"], "name": r["name"], "company": r["company"], "country": r["country"],
             "owner": r["owner"], "status": r["status"], "rule": r["rule"], "actual": r["actual"],
             "same": r["actual"] == (r["owner"] if r["status"] == "assigned" else f"({r['status']})"),
             "trace": r["trace"]} for r in report.pop("decisions")[:MAX_LEADS]]
    totals = [{"rep": r["rep"], "draft": r["draft"], "actual": r["actual"]} for r in report["reps"]]
    totals += [{"rep": f"({status})", "draft": n, "actual": report["others"].get(f"({status})", 0)}
               for status, n in sorted(report["statuses"].items()) if status != "assigned"]
    return {"leads": report["leads"], "changed": report["changed"], "has_actual": True, "rows": rows,
            "totals": sorted(totals, key=lambda t: (-t["draft"], t["rep"])), "backtest": report}


def _config(db: Database, draft: str | None):
    if draft and draft.strip():
        text = draft
    else:
        number, data = rules_service.active(db)
        if number is None:
            raise Invalid({"draft": ["no routing config yet: save a rule or paste a draft"]})
        text = rules_service.to_text(data)
    try:
        return load_config(text)
    except ConfigError as exc:
        raise Invalid({"draft": [str(issue) for issue in exc.errors]}) from None


def run(db: Database, leads: list[dict[str, Any]], draft: str | None = None, *,
        now: datetime | None = None) -> dict[str, Any]:
    """Route ``leads`` under ``draft`` (default: the active config)."""
    now = now or datetime.now(timezone.utc)
    config = _config(db, draft)
    actual = {str(lead.get("id")): lead.get(ACTUAL) for lead in leads}
    cleaned = []
    for lead in leads:
        try:  # a bad date or number in one lead is the user's error, named, not a crash
            cleaned.append(Lead.from_dict({k: v for k, v in lead.items() if k != ACTUAL}))
        except (ValueError, TypeError) as exc:
            raise Invalid({"leads": [f"lead {lead.get('id')}: {exc}"]}) from None
    rows, draft_totals, actual_totals, changed = [], Counter(), Counter(), 0
    for lead, decision in engine_simulate(cleaned, config, InMemoryState(), now=now):
        owner = decision.owner or f"({decision.status.value})"
        was = actual.get(str(lead.id))
        draft_totals[owner] += 1
        if was:
            actual_totals[was] += 1
            changed += was != owner
        name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
        rows.append({"lead_id": lead.id, "name": name or None, "company": lead.company, "email": lead.email,
                     "country": lead.country, "owner": decision.owner, "status": decision.status.value,
                     "rule": decision.rule, "actual": was, "same": (was == owner) if was else None,
                     "trace": decision.trace})
    reps = sorted(set(draft_totals) | set(actual_totals), key=lambda r: (-draft_totals[r], r))
    return {"leads": len(rows), "changed": changed, "has_actual": bool(actual_totals), "rows": rows,
            "totals": [{"rep": rep, "draft": draft_totals[rep], "actual": actual_totals[rep]} for rep in reps]}
