"""Lead quality, holidays, account matching and existing owners through the real command line:
``python app.py simulate`` on a CSV and ``python app.py rules validate``, in processes of their own
(the table format through click's runner on the same command)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.support.cli import run_cli

CONFIG = """
version: 1
timezone: Europe/Berlin
quality: {invalid_email: true, disposable_email: true, test_values: true, action: hold}
reps:
  - {id: ana, holidays: DE}
  - {id: bruno, holidays: {country: US, subdiv: CA}}
  - {id: carla}
teams:
  - {id: sales, members: [ana, bruno, carla]}
accounts:
  - {name: International Business Machines, domain: ibm.com, owner: bruno}
rules:
  - {name: same-person, assign: existing_owner}
  - {name: known-account, assign: account_owner, match: [domain, company]}
  - {name: everyone, to: team:sales}
"""
LEADS = [  # German Unity Day (3 October): ana is on holiday
    {"id": "L1", "email": "jo@mailinator.com", "company": "Throwaway", "created_at": "2026-10-03T10:00:00Z"},
    {"id": "L2", "email": "kim.lee@gmail.com", "company": "I.B.M. Corp", "created_at": "2026-10-03T10:01:00Z"},
    {"id": "L3", "email": "mia@initech.com", "company": "Initech", "created_at": "2026-10-03T10:02:00Z"},
    {"id": "L4", "email": "MIA@initech.com", "company": "Initech GmbH", "created_at": "2026-10-03T10:03:00Z"},
    {"id": "L5", "email": "li@hooli.com", "company": "Hooli", "created_at": "2026-10-05T10:00:00Z"},
]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "routing.yaml"
    config.write_text(CONFIG)
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "email", "company", "created_at"])
        writer.writeheader()
        writer.writerows(LEADS)
    return config, leads


def test_simulate_shows_junk_holiday_account_and_existing_owner_decisions(tmp_path):
    config, leads = _files(tmp_path)
    result = run_cli("simulate", "--config", str(config), "--leads", str(leads), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    decisions = {d["lead"]: d for d in map(json.loads, result.stdout.splitlines())}
    junk = decisions["L1"]
    assert (junk["status"], junk["owner"], junk["junk"]) == ("junk", None, ["disposable_email"])
    assert "quality: mailinator.com is a disposable mail domain" in [s["text"] for s in junk["trace"]]
    account = decisions["L2"]
    assert (account["owner"], account["rule"]) == ("bruno", "known-account")
    assert any("matched by company name 'I.B.M. Corp'" in s["text"] for s in account["trace"])
    holiday = decisions["L3"]
    assert holiday["owner"] == "bruno"   # ana is next in rotation but on holiday
    assert {"rep": "ana", "reason": "holiday"}.items() <= next(
        s for s in holiday["trace"] if s.get("reason") == "holiday").items()
    again = decisions["L4"]
    assert (again["owner"], again["rule"]) == ("bruno", "same-person")
    assert decisions["L5"]["owner"] == "carla"   # the junk lead took nobody's turn


def test_simulate_table_counts_junk_leads(tmp_path):
    from click.testing import CliRunner

    from connector.routing.simulate_cli import simulate

    config, leads = _files(tmp_path)
    result = CliRunner().invoke(simulate, ["--config", str(config), "--leads", str(leads), "--format", "table"])
    assert result.exit_code == 0, result.output
    status = result.output.split("status\n")[1].split("\n\n")[0]
    assert [line.split()[:2] for line in status.splitlines()] == [["assigned", "4"], ["junk", "1"]]


def test_rules_validate_rejects_an_unknown_country_and_holiday_calendar(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nreps:\n  - {id: ana, holidays: XX, territories: [{country: Atlantis}]}\n"
                   "rules:\n  - {name: r, to: rep:ana}\n")
    result = run_cli("rules", "validate", str(bad), tmp_path=tmp_path)
    assert result.returncode != 0
    assert "reps[0].holidays.country: no public holidays known for 'XX'" in result.stderr + result.stdout
    assert "reps[0].territories[0].country: unknown country 'Atlantis'" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
