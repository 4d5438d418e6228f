"""What a user can check after the chaos suite's day, and the figures it prints.

Seen from outside: each lead's owner in the CRM (the sandbox's records), the owner writes the
CRM received (its request log), and the database a user's pages and API read: the assignments
(one row per lead and connection: its status, rep, reason and error) and the assignments log
(every transition with its time)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from tests.acceptance.harness import Crm
from tests.chaos.weather import owner_writes

FINAL = {"written", "notified", "taken_by_human"}
ROUTED = {"written", "notified"}
WAITING = {"received", "decided", "waiting", "dead"}   # not final: each must say why it waits


@dataclass
class Seen:
    assignments: dict[tuple[str, str], dict]
    events: dict[int, list[dict]]
    owners: dict[tuple[str, str], str | None]
    writes: dict[tuple[str, str], list[str]] = field(default_factory=dict)   # owners sent in 2xx writes


def look(database_url: str, crm: Crm, leads: list[tuple[str, str]], log: list[dict]) -> Seen:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, connection, lead_id, status, rep_id, owner_crm_id, reason, "
                                     "last_error, next_attempt_at FROM assignments")).mappings().all()
            steps = conn.execute(text("SELECT assignment_id, status, at, detail FROM assignment_events "
                                      "ORDER BY id")).mappings().all()
    finally:
        engine.dispose()
    events: dict[int, list[dict]] = defaultdict(list)
    for step in steps:
        events[step["assignment_id"]].append(dict(step))
    owners = {(v, i): owner_in_crm(crm, v, i) for v, i in leads}
    writes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry in log:
        if 200 <= entry["status"] < 300:
            for lead_id, owner in owner_writes(entry).items():
                writes[(entry["vendor"], lead_id)].append(owner)
    return Seen({(r["connection"], r["lead_id"]): dict(r) for r in rows}, events, owners, writes)


def owner_in_crm(crm: Crm, vendor: str, lead_id: str) -> str | None:
    """The record's owner as the CRM holds it (the sandbox's records: no API call, no rate limit)."""
    if vendor == "salesforce":
        return crm.sf_owner(lead_id)
    record = crm.control(f"records/hubspot/contacts/{lead_id}")
    return record["properties"].get("hubspot_owner_id") or None


def problems(seen: Seen, leads: list[tuple[str, str]], people: dict[tuple[str, str], str]) -> list[str]:
    """Every way the day went wrong for a user; [] when it did not."""
    found = []
    for key in leads:
        row = seen.assignments.get(key)
        if row is None:
            found.append(f"{key}: never reached the pipeline (no assignment)")
            continue
        if row["status"] not in FINAL and not (row["reason"] or row["last_error"]):
            found.append(f"{key}: {row['status']} without a reason or an error")
        if len(set(seen.writes.get(key, []))) > 1:
            found.append(f"{key}: owners {seen.writes[key]} written to different reps")
        if key in people and seen.owners[key] != people[key]:
            found.append(f"{key}: the person's owner {people[key]} was overwritten with {seen.owners[key]}")
        if row["status"] in ROUTED and key not in people and seen.owners[key] != row["owner_crm_id"]:
            found.append(f"{key}: {row['status']} to {row['owner_crm_id']} but the CRM says {seen.owners[key]}")
        found += [f"{key}: {p}" for p in _log_problems(row, seen.events.get(row["id"], []))]
    extra = set(seen.assignments) - set(leads)
    found += [f"{key}: an assignment for a lead nobody created" for key in sorted(extra)]
    spread = rotation(seen)
    if spread and max(spread.values()) - min(spread.values()) > 1:
        found.append(f"rotation spread above 1 among decided leads: {dict(spread)}")
    return found


def _log_problems(row: dict, steps: list[dict]) -> list[str]:
    """The assignments log holds every transition: received first, the current status last, and a
    decision before every owner written."""
    statuses = [s["status"] for s in steps]
    if not statuses:
        return ["no transition in the assignments log"]
    out = []
    if statuses[0] != "received":
        out.append(f"the log starts with {statuses[0]}, not received")
    if statuses[-1] != row["status"]:
        out.append(f"the log ends with {statuses[-1]} but the lead is {row['status']}")
    if "written" in statuses and "decided" not in statuses[:statuses.index("written")]:
        out.append(f"written without a decision before it: {statuses}")
    return out


def rotation(seen: Seen) -> Counter:
    """Turns per rep: every decision in the assignments log (a decision takes a turn, whatever
    happens to the lead afterwards)."""
    turns: Counter = Counter()
    for steps in seen.events.values():
        turns.update(s["detail"].get("rep") for s in steps if s["status"] == "decided" and s["detail"].get("rep"))
    return turns


def figures(seen: Seen, leads: list[tuple[str, str]]) -> dict:
    statuses = Counter(seen.assignments[k]["status"] for k in leads if k in seen.assignments)
    written = Counter(len(seen.writes.get(k, [])) for k in leads)
    routed = Counter(r["rep_id"] for r in seen.assignments.values() if r["status"] in ROUTED)
    return {"statuses": dict(statuses), "rotation_turns": dict(rotation(seen)), "routed_per_rep": dict(routed),
            "leads_by_owner_writes_landed": {str(n): c for n, c in sorted(written.items())}}
