"""`simulate` CLI: invoked through click's CliRunner on the command object itself."""
from __future__ import annotations

import csv
import json
import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.routing.simulate_cli import simulate

EXAMPLE = Path(__file__).parents[1] / "data" / "routing.yaml"
FIELDS = ["id", "email", "company", "industry", "employees", "country", "state", "score", "created_at", "raw.Segment__c"]


def write_leads(path: Path, n: int, seed: int = 3) -> Path:
    rnd = random.Random(seed)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FIELDS)
        for i in range(n):
            day, minute = 2 + (i * 7 // 1440) % 25, (i * 7) % 1440
            w.writerow([f"L{i}", f"p{i}@{rnd.choice(['acme.com', 'initech.com', 'sub.acme.com', 'gmail.com'])}",
                        f"Co {i}", rnd.choice(["Aerospace", "Defense", "Retail", ""]),
                        rnd.choice(["", "50", "1000", "25000"]), rnd.choice(["United States", "USA", "Brazil", "Spain"]),
                        rnd.choice(["CA", "California", "NY", ""]), rnd.randrange(100),
                        f"2026-03-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z", "Enterprise"])
    return path


def run(*args):
    return CliRunner().invoke(simulate, list(map(str, args)))


def test_it_prints_one_json_decision_per_lead(tmp_path):
    leads = write_leads(tmp_path / "leads.csv", 30)
    result = run("--config", EXAMPLE, "--leads", leads)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["lead"] for r in rows] == [f"L{i}" for i in range(30)]
    for r in rows:
        assert set(r) >= {"lead", "owner", "rule", "status", "trace"}
        assert r["status"] in ("assigned", "waiting", "unroutable")
        assert all("text" in step for step in r["trace"])
    assert any(r["owner"] == "bruno" and r["rule"] == "existing-customer" for r in rows)


def test_routing_10000_leads_is_fast_and_complete(tmp_path):
    leads = write_leads(tmp_path / "big.csv", 10_000)
    started = time.perf_counter()
    result = run("--config", EXAMPLE, "--leads", leads, "--format", "jsonl")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 10_000
    statuses = {json.loads(line)["status"] for line in lines}
    assert "assigned" in statuses
    assert elapsed < 15, elapsed


def test_table_summarises_leads_per_rep_and_rule(tmp_path):
    leads = write_leads(tmp_path / "leads.csv", 200)
    result = run("--config", EXAMPLE, "--leads", leads, "--format", "table")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("leads: 200")
    assert "leads per rep" in out and "leads per rule" in out and "existing-customer" in out


def test_starting_state_is_honoured(tmp_path):
    leads = tmp_path / "one.csv"
    leads.write_text("id,industry,created_at\nL1,Retail,2026-03-04T15:00:00Z\n")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"reps": {"ana": {"open": 40}}, "rotation": {"everyone-else": "carla"}}))
    first = json.loads(run("--config", EXAMPLE, "--leads", leads).stdout)
    assert first["owner"] == "ana"
    with_state = json.loads(run("--config", EXAMPLE, "--leads", leads, "--state", state).stdout)
    assert with_state["owner"] == "bruno"
    assert any(step["text"] == "ana: 40 open leads (max_open reached)" for step in with_state["trace"])


def test_priority_orders_by_score_then_age(tmp_path):
    leads = tmp_path / "p.csv"
    leads.write_text("id,score,created_at\nlow,5,2026-03-04T15:00:00Z\nhigh,90,2026-03-04T15:05:00Z\n")
    out = run("--config", EXAMPLE, "--leads", leads, "--priority").stdout.splitlines()
    assert [json.loads(x)["lead"] for x in out] == ["high", "low"]


def test_a_bad_config_exits_2_with_one_error_per_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("op: gte", "op: bigger").replace("to: team:west", "to: team:east"))
    leads = write_leads(tmp_path / "leads.csv", 3)
    result = run("--config", bad, "--leads", leads)
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert errors == ["rules[1].when.all[1].op: unknown operator 'bigger'; one of: eq, ne, in, not_in, contains, "
                      "not_contains, starts_with, ends_with, gt, gte, lt, lte, between, exists, not_exists, "
                      "matches, domain_in",
                      "rules[1].to: unknown team 'east'"]
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_an_empty_csv_routes_nothing(tmp_path, fmt):
    leads = tmp_path / "empty.csv"
    leads.write_text("id,email\n")
    result = run("--config", EXAMPLE, "--leads", leads, "--format", fmt)
    assert result.exit_code == 0
    assert result.stdout.strip() in ("", "leads: 0\n\nstatus\n\nleads per rep\n\nleads per rule".strip())
