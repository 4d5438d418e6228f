"""`python app.py backtest`: the stored leads of a period through a draft config, from the routing
state as it was, in a process of its own; the same replay on the simulator page."""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from connector.pipeline.models import Assignment, LeadStatus
from connector.platform.db import get_db
from connector.routing.backtest import lead_fields
from connector.routing.models import RoutingStateSnapshot
from rules_engine import InMemoryState, Lead, load_config, simulate
from tests.support.apps import TEST_KEYS
from tests.support.cli import run_cli

REPS = ["ana", "bo", "cy", "dee"]
DRAFT = {
    "version": 1, "timezone": "UTC",
    "reps": [{"id": "ana", "crm": {"hubspot": "1"}, "weight": 2},
             {"id": "bo", "crm": {"hubspot": "2"}, "hours": {"mon-fri": "08:00-18:00"}, "hourly_cap": 2},
             {"id": "cy", "crm": {"hubspot": "3"}, "daily_cap": 6},
             {"id": "dee", "crm": {"hubspot": "4"}, "max_open": 40}],
    "teams": [{"id": "sales", "members": REPS}],
    "rules": [
        {"name": "enterprise", "when": {"field": "raw.Segment__c", "op": "eq", "value": "Enterprise"},
         "to": ["team:sales"], "pick": "top_performer", "guardrail": {"max_share": 1.5}},
        {"name": "software", "when": {"field": "industry", "op": "eq", "value": "Software"},
         "to": ["team:sales"], "pick": "balanced", "catch_up": 1, "on_empty": "wait"},
        {"name": "brazil", "when": {"field": "country", "op": "eq", "value": "BR"}, "to": ["rep:bo"],
         "on_empty": "wait"},
        {"name": "rest", "to": ["team:sales"], "pick": "weighted"},
    ],
}
FIELDS = ["id", "email", "company", "industry", "employees", "country", "score", "created_at", "raw.Segment__c"]


def fake_leads(n: int, start: datetime, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    moments = sorted(start + timedelta(minutes=rnd.randrange(6 * 24 * 60)) for _ in range(n))
    return [{"id": f"{1000 + i}", "email": f"p{i}@co{i % 17}.example", "company": f"Co {i % 17}",
             "industry": rnd.choice(["Software", "Retail", "Software", ""]) or None,
             "employees": rnd.choice([None, 50, 1200]), "country": rnd.choice(["US", "DE", "BR"]),
             "score": rnd.randrange(100), "created_at": at.isoformat(),
             "raw": {"Segment__c": rnd.choice(["Enterprise", "SMB", "SMB"])}} for i, at in enumerate(moments)]


def earlier_state(start: datetime) -> InMemoryState:
    """A lived-in state: loads, cap counts, rotation, credits, outcomes and a ledger."""
    state = InMemoryState.from_dict({"reps": {"ana": {"converted": 30, "outcomes": 40, "open": 12},
                                              "bo": {"converted": 5, "outcomes": 40, "open": 3},
                                              "cy": {"converted": 12, "outcomes": 30}}})
    earlier = [dict(lead, created_at=(start - timedelta(hours=30) + timedelta(minutes=9 * i)).isoformat(), id=f"E{i}")
               for i, lead in enumerate(fake_leads(120, start, seed=2))]
    for _ in simulate(earlier, load_config(DRAFT), state):
        pass
    return state


def seed(app, leads: list[dict], snapshot_at: datetime, state: InMemoryState) -> None:
    with get_db(app).session() as session:
        session.add(RoutingStateSnapshot(taken_at=snapshot_at, body=state.to_dict()))
        for i, fields in enumerate(leads):
            lead = Lead.from_dict(fields)
            session.add(Assignment(connection="hubspot", lead_id=lead.id, status=LeadStatus.WRITTEN,
                                   rep_id=REPS[i % 4], rule="old-rule", received_at=lead.created_at,
                                   lead_fields=lead_fields(lead), lead_summary={"company": lead.company}))


def write_csv(path: Path, leads: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(FIELDS)
        for lead in leads:
            out.writerow(["" if lead.get(f) is None else lead[f] for f in FIELDS[:-1]] + [lead["raw"]["Segment__c"]])
    return path


def cli(tmp_path: Path, db_url: str, *args: str):
    return run_cli(*args, tmp_path=tmp_path / "var", LEADROUTER_DATABASE_URL=db_url, **TEST_KEYS)


def test_a_backtest_decides_as_simulate_does_on_the_same_leads_config_and_state(make_app, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'lr.db'}"
    app = make_app(db_url)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=7)
    leads, state = fake_leads(400, start + timedelta(hours=2)), earlier_state(start)
    seed(app, leads, start - timedelta(hours=1), state)
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(DRAFT))
    (tmp_path / "state.json").write_text(state.to_json())

    backtest = cli(tmp_path, db_url, "backtest", "--config", str(draft), "--since", "7d", "--format", "json")
    simulated = cli(tmp_path, db_url, "simulate", "--config", str(draft), "--leads",
                    str(write_csv(tmp_path / "leads.csv", leads)), "--state", str(tmp_path / "state.json"))

    assert backtest.returncode == 0, backtest.stderr
    assert simulated.returncode == 0, simulated.stderr
    report = json.loads(backtest.stdout)
    replayed = [(d["lead"], d["owner"], d["status"], d["rule"]) for d in report["decisions"]]
    expected = [(d["lead"], d["owner"], d["status"], d["rule"]) for d in map(json.loads, simulated.stdout.splitlines())]
    assert replayed == expected
    statuses = {status for _, _, status, _ in replayed}
    assert {"assigned", "waiting"} <= statuses           # caps and hours bit: the state mattered
    assert report["leads"] == 400 and report["state_from"] == (start - timedelta(hours=1)).isoformat()
    assert sum(r["draft"] for r in report["reps"]) == report["statuses"]["assigned"]
    assert report["changed"] == sum(1 for i, (_, owner, status, _) in enumerate(replayed)
                                    if (owner if status == "assigned" else f"({status})") != REPS[i % 4])
    assert {r["rule"] for r in report["rules"]} >= {"enterprise", "software", "brazil", "rest", "old-rule"}
    assert report["waits"]["leads"] == report["statuses"]["waiting"]
    assert any(hit["reason"] in ("hourly_cap", "daily_cap") for hit in report["cap_hits"])


def test_the_table_names_every_figure_and_bad_input_is_one_line(make_app, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'lr.db'}"
    app = make_app(db_url)
    now = datetime.now(timezone.utc)
    seed(app, fake_leads(30, now - timedelta(days=6, hours=12)), now - timedelta(days=7), InMemoryState())
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(DRAFT))

    table = cli(tmp_path, db_url, "backtest", "--config", str(draft), "--since", "7d")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("backtest: 30 leads from ") and "(state: snapshot of " in lines[0]
    assert lines[1].startswith("decisions changed: ")
    assert any(line.split()[:1] == ["ana"] for line in lines)
    assert any(line.startswith("fairness (draft): spread ") for line in lines)

    bad_since = cli(tmp_path, db_url, "backtest", "--config", str(draft), "--since", "last week")
    assert bad_since.returncode == 2 and "is not a period: use 30d, 12h or a date" in bad_since.stderr
    assert "Traceback" not in bad_since.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({**DRAFT, "rules": [{**DRAFT["rules"][1], "catch_up": -2}]}))
    bad_config = cli(tmp_path, db_url, "backtest", "--config", str(broken), "--since", "3d")
    assert bad_config.returncode == 2
    assert bad_config.stderr.strip() == "rules[0].catch_up: Input should be greater than or equal to 0"


def test_the_simulator_page_replays_the_log_with_every_field_from_the_state_as_it_was(make_app, tmp_path):
    from connector.routing.store import save_version
    from tests.support.web import make_user, post, sign_in

    app = make_app()
    db = get_db(app)
    config = {"version": 1, "reps": [{"id": r, "crm": {"hubspot": str(i)}} for i, r in enumerate(REPS)],
              "teams": [{"id": "sales", "members": REPS}],
              "rules": [{"name": "software", "when": {"field": "industry", "op": "eq", "value": "Software"},
                         "to": ["rep:dee"]},
                        {"name": "rest", "to": ["team:sales"]}]}
    save_version(db, yaml.safe_dump(config), actor="test")
    now = datetime.now(timezone.utc)
    before = InMemoryState.from_dict({"rotation": {"rest": "ana"}})      # ana had the last lead
    leads = [{"id": "S1", "industry": "Software", "created_at": (now - timedelta(days=2)).isoformat(), "raw": {}},
             {"id": "R1", "industry": "Retail", "created_at": (now - timedelta(days=1)).isoformat(), "raw": {}}]
    seed(app, leads, now - timedelta(days=8), before)
    client = app.test_client()
    sign_in(client, make_user(db, "manager@example.com", "manager").email)

    page = post(client, "/settings/simulate/", {"source": "log", "days": "7", "draft": ""}).get_data(as_text=True)
    result = page[page.index('id="sim-result"'):]
    rows = {row.split("</b>")[0]: row for row in result.split("<td><b>")[1:]}
    assert "<td>dee" in rows["S1"] and "software" in rows["S1"]    # industry: only in the stored fields
    assert "<td>bo" in rows["R1"]                                   # next after ana: the state as it was
    assert "From the routing state of " + (now - timedelta(days=8)).isoformat()[:16] in result


def test_the_pipeline_keeps_every_field_and_the_fairness_ledger_and_a_backtest_replays_them(routed, tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import select

    from connector.outcomes.backtest_cli import backtest
    from connector.routing import rules as rules_service
    from connector.routing.models import RepState as RepRow
    from connector.routing.store import save_version

    db = get_db(routed.app)
    _number, active = rules_service.active(db)
    active["rules"] = [{**rule, "pick": "balanced"} for rule in active["rules"]]
    save_version(db, yaml.safe_dump(active, sort_keys=False), actor="test")
    ids = routed.create_leads("hubspot", 8, industry="Aerospace")
    routed.wait_for_inbox(8)
    assert routed.drain().written == 8

    stored = {a.lead_id: a for a in routed.assignments()}
    assert all(stored[i].lead_fields["industry"] == "Aerospace" and stored[i].lead_fields["id"] == i for i in ids)
    with db.session() as session:
        ledgers = {row.rep_id: row.ledger for row in session.scalars(select(RepRow))}
    assigned = {rep: sum(cell[0] for cell in book.values()) for rep, book in ledgers.items() if book}
    assert sum(assigned.values()) == 8 and max(assigned.values()) == 1     # 8 leads, 8 reps, fair
    draft = tmp_path / "draft.yaml"
    first = active["reps"][0]["id"]
    aerospace = {"name": "aerospace", "when": {"field": "industry", "op": "eq", "value": "Aerospace"},
                 "to": [f"rep:{first}"]}
    draft.write_text(yaml.safe_dump({**active, "rules": [aerospace]}))
    with routed.app.app_context():
        result = CliRunner().invoke(backtest, ["--config", str(draft), "--since", "1d", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [d["owner"] for d in report["decisions"]] == [first] * 8
    assert report["changed"] == 7 and report["state_from"] is None


def test_the_routing_state_is_snapshotted_once_a_utc_day_by_a_scheduled_job(make_app):
    from sqlalchemy import select

    from connector.routing import snapshots
    from connector.routing.state import apply_outside_batch
    from rules_engine import StateChanges

    app = make_app()
    db = get_db(app)
    with db.session() as session:
        apply_outside_batch(session, StateChanges(rotation={"rest": "cy"}, reps={}))
        apply_outside_batch(session, StateChanges.outcome("ana", converted=True, closed=False))
    assert "routing.snapshot" in app.extensions["leadrouter.scheduler"].jobs
    snapshots.snapshot_job(app)
    with db.session() as session:
        apply_outside_batch(session, StateChanges(rotation={"rest": "dee"}, reps={}))
    snapshots.snapshot_job(app)                                  # the same UTC day: nothing new
    with db.session() as session:
        rows = list(session.scalars(select(RoutingStateSnapshot)))
        taken, state = snapshots.state_at(session, datetime.now(timezone.utc))
    assert len(rows) == 1 and taken == rows[0].taken_at
    assert state.rotation("rest") == "cy" and state.rep("ana").converted == 1
