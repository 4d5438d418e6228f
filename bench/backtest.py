"""``python app.py bench backtest``: ``python app.py backtest`` over N stored leads (default
10,000 over 30 days, 20 reps, balanced, top_performer behind a guardrail, caps and hours), run as
an admin runs it, in a process of its own, on a SQLite database seeded with the leads as the
pipeline stores them and a routing-state snapshot; then ``simulate`` on the same leads, config
and state, and how many of their decisions differ (0 expected)."""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import yaml

from bench.report import emit, workspace

ROOT = Path(__file__).resolve().parents[1]
REPS = [f"rep{i:02d}" for i in range(20)]
CONFIG = {
    "version": 1, "timezone": "UTC",
    "reps": [{"id": r, "crm": {"hubspot": str(100 + i)}, "weight": 1 + i % 3,
              **({"hours": {"mon-fri": "07:00-19:00"}} if i % 4 == 0 else {}),
              **({"daily_cap": 25} if i % 5 == 1 else {})} for i, r in enumerate(REPS)],
    "teams": [{"id": "east", "members": REPS[:10]}, {"id": "west", "members": REPS[10:]}],
    "rules": [
        {"name": "enterprise", "when": {"field": "raw.Segment__c", "op": "eq", "value": "Enterprise"},
         "to": ["team:east"], "pick": "top_performer", "guardrail": {"max_share": 1.5}},
        {"name": "software", "when": {"field": "industry", "op": "eq", "value": "Software"},
         "to": ["team:west"], "pick": "balanced", "catch_up": 2},
        {"name": "rest", "to": ["team:east", "team:west"], "pick": "balanced"},
    ],
}
FIELDS = ["id", "email", "company", "industry", "country", "score", "created_at", "raw.Segment__c"]


def _leads(n: int, start: datetime, days: int) -> list[dict]:
    rnd = random.Random(13)
    moments = sorted(start + timedelta(seconds=rnd.randrange(days * 86400)) for _ in range(n))
    return [{"id": str(10_000 + i), "email": f"p{i}@co{i % 97}.example", "company": f"Co {i % 97}",
             "industry": rnd.choice(["Software", "Retail", "Health"]), "country": rnd.choice(["US", "DE", "BR"]),
             "score": rnd.randrange(100), "created_at": at.isoformat(),
             "raw": {"Segment__c": rnd.choice(["Enterprise", "SMB", "SMB", "SMB"])}} for i, at in enumerate(moments)]


def _seed(db_url: str, leads: list[dict], snapshot_at: datetime):
    from connector.pipeline.models import Assignment, LeadStatus
    from connector.platform import db as db_room
    from connector.routing.backtest import lead_fields
    from connector.routing.models import RoutingStateSnapshot
    from rules_engine import InMemoryState, Lead

    db_room.upgrade(db_url)
    database = db_room.Database(db_url)
    state = InMemoryState.from_dict({"reps": {r: {"converted": 5 + i, "outcomes": 40} for i, r in enumerate(REPS)}})
    with database.session() as session:
        session.add(RoutingStateSnapshot(taken_at=snapshot_at, body=state.to_dict()))
        for i, fields in enumerate(leads):
            lead = Lead.from_dict(fields)
            session.add(Assignment(connection="hubspot", lead_id=lead.id, status=LeadStatus.WRITTEN, rule="old",
                                   rep_id=REPS[i % len(REPS)], received_at=lead.created_at,
                                   lead_fields=lead_fields(lead)))
    database.dispose()
    return state


def _cli(folder: Path, db_url: str, *args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """The command's result, its wall time and its CPU time (user + system), in seconds."""
    env = {"PATH": os.environ["PATH"], "LEADROUTER_VAR_DIR": str(folder / "var"), "LEADROUTER_DATABASE_URL": db_url,
           "LEADROUTER_LOG_LEVEL": "WARNING"}
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1800)
    return done, time.perf_counter() - started, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(leads: int = 10_000, days: int = 30) -> tuple[dict, list]:
    with workspace("backtest") as folder:
        db_url = f"sqlite:///{folder / 'bench.db'}"
        now = datetime.now(timezone.utc).replace(microsecond=0)
        items = _leads(leads, now - timedelta(days=days), days - 1)
        state = _seed(db_url, items, now - timedelta(days=days, hours=1))
        (folder / "draft.yaml").write_text(yaml.safe_dump(CONFIG))
        (folder / "state.json").write_text(state.to_json())
        with (folder / "leads.csv").open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(FIELDS)
            out.writerows([[x[f] for f in FIELDS[:-1]] + [x["raw"]["Segment__c"]] for x in items])
        back, back_s, back_cpu = _cli(folder, db_url, "backtest", "--config", str(folder / "draft.yaml"), "--since", f"{days}d",
                            "--format", "json")
        sim, sim_s, _sim_cpu = _cli(folder, db_url, "simulate", "--config", str(folder / "draft.yaml"), "--leads",
                          str(folder / "leads.csv"), "--state", str(folder / "state.json"))
    if back.returncode or sim.returncode:
        raise click.ClickException((back.stderr or sim.stderr).strip().splitlines()[-1])
    report = json.loads(back.stdout)
    replayed = [(d["lead"], d["owner"], d["status"]) for d in report["decisions"]]
    simulated = [(d["lead"], d["owner"], d["status"]) for d in map(json.loads, sim.stdout.splitlines())]
    result = {"leads": report["leads"], "backtest_s": round(back_s, 2), "backtest_cpu_s": round(back_cpu, 2),
              "simulate_s": round(sim_s, 2),
              "leads_per_s": round(report["leads"] / back_s), "differ_from_simulate": sum(
                  a != b for a, b in zip(replayed, simulated)) + abs(len(replayed) - len(simulated)),
              "progress_bar": "replaying:" in back.stderr, "changed": report["changed"], "statuses": report["statuses"], "waits": report["waits"],
              "fairness": report["fairness"], "cap_hits": sum(h["count"] for h in report["cap_hits"])}
    rows = [("figure", "value"), ("stored leads replayed", result["leads"]),
            ("python app.py backtest, wall time (s)", result["backtest_s"]),
            ("  its CPU time (s)", result["backtest_cpu_s"]),
            ("python app.py simulate, same leads (s)", result["simulate_s"]),
            ("decisions differing from simulate", result["differ_from_simulate"]),
            ("decisions changed vs what happened", result["changed"])]
    return result, rows


@click.command("backtest")
@click.option("--leads", default=10_000, show_default=True, help="Stored leads to replay.")
@click.option("--days", default=30, show_default=True, help="Over this many days.")
def command(leads: int, days: int) -> None:
    """python app.py backtest over N stored leads, timed, and checked against simulate."""
    result, rows = measure(leads, days)
    emit("Backtest of stored leads", rows, result)
