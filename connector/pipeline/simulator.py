"""The simulator: who would get each lead under a draft config, next to what actually happened.

Leads come from a pasted/uploaded CSV (canonical field names as header, like `app.py simulate`;
an optional ``actual_owner`` column is the comparison) or from the log's last N days. The draft
runs from a fresh routing state (no live load or caps), so it shows the rules' intent.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from connector.platform.db import Database
from connector.pipeline.models import Assignment
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


def leads_from_log(db: Database, days: int, now: datetime) -> list[dict[str, Any]]:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid({"days": [f"between 1 and {MAX_DAYS}"]})
    with db.session() as session:
        rows = list(session.scalars(select(Assignment).where(Assignment.received_at >= now - timedelta(days=days))
                                    .order_by(Assignment.received_at).limit(MAX_LEADS)))
    leads = []
    for row in rows:
        summary = dict(row.lead_summary or {})
        name = summary.pop("name", None)
        lead = {"id": row.lead_id, "created_at": row.received_at.isoformat(), ACTUAL: row.rep_id or f"({row.status})",
                **{k: v for k, v in summary.items() if v not in (None, "")}}
        if name:
            lead["first_name"], _, last = str(name).partition(" ")
            if last:
                lead["last_name"] = last
        leads.append(lead)
    return leads


def run(db: Database, leads: list[dict[str, Any]], draft: str | None = None, *,
        now: datetime | None = None) -> dict[str, Any]:
    """Route ``leads`` under ``draft`` (default: the active config)."""
    now = now or datetime.now(timezone.utc)
    if draft and draft.strip():
        text = draft
    else:
        number, data = rules_service.active(db)
        if number is None:
            raise Invalid({"draft": ["no routing config yet: save a rule or paste a draft"]})
        text = rules_service.to_text(data)
    try:
        config = load_config(text)
    except ConfigError as exc:
        raise Invalid({"draft": [str(issue) for issue in exc.errors]}) from None
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
