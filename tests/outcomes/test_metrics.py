"""The metrics API (/api/v1/metrics, and its CSV) on a seeded lead log, against figures
computed by hand in the comments below.

The window: 2026-11-23 00:00 to 2026-11-27 00:00 UTC (since=2026-11-23, until=2026-11-26: 96 h).
Reps, available all day (no hours): ana weight 1, bruno weight 1 but away on 2026-11-23,
carla weight 2. Weighted hours: ana 96, bruno 72, carla 192; total 360 -> fair shares
ana 0.2667, bruno 0.2, carla 0.5333.

Routed leads (seconds after arrival):
  ana    written 30, 60, 90, 600 | first touch 300, 600, 1200 (one never touched)
         won 1, lost 1; accepted 2; one SLA breach; one "not a fit" (spam)
  bruno  written 120, never touched
  carla  written 10, 20, 30, 40, 50 | first touch 100, 200; won 2
Plus one lead still waiting (no rep) and one ana lead from before the window (left out).

Quantiles are linear between ranks:
  ana    time to assign: median (60 + 90) / 2 = 75; p90 at rank 2.7: 90 + 0.7 * 510 = 447
         speed to lead:  median 600; p90 at rank 1.8: 600 + 0.8 * 600 = 1080
  carla  time to assign: median 30; p90 at rank 3.6: 40 + 0.6 * 10 = 46
         speed to lead:  median 150; p90 at rank 0.9: 100 + 0.9 * 100 = 190
Wilson 95 % (z = 1.96):
  1 of 4: centre (0.25 + z²/8) / (1 + z²/4) = 0.3725, half-width 0.3269 -> 0.0456 .. 0.6994
  2 of 5: -> 0.1176 .. 0.7693;  0 of 1: -> 0 .. 0.7934
Fairness of the 10 routed leads: expected ana 2.667, bruno 2.0, carla 5.333; deviations +1.333,
  -1.0, -0.333 -> spread 2.333. Leads / expected: 1.5, 0.5, 0.9375 (mean 0.97917); the sum of
  |a - b| over ordered pairs is 4.0 -> Gini 4.0 / (2 * 9 * 0.97917) = 0.2270.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from connector.outcomes.models import LeadFeedback, LeadOutcome
from connector.pipeline.models import Assignment, AssignmentEvent
from connector.platform.db import get_db
from connector.routing.store import save_version
from connector.web.users import create_token
from tests.support.web import make_user

CONFIG = """
version: 1
reps:
  - {id: ana, name: Ana}
  - {id: bruno, name: Bruno, away: [{from: "2026-11-23", to: "2026-11-23"}]}
  - {id: carla, name: Carla, weight: 2}
teams:
  - {id: inbound, members: [ana, bruno, carla]}
rules:
  - {name: everyone, to: [team:inbound]}
"""
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
QUERY = "since=2026-11-23&until=2026-11-26"


def _lead(session, n: int, rep: str | None, written: int | None, touched: int | None = None, *, result=None,
          events=(), feedback=None, at: datetime = T0, source: str = "web") -> None:
    received = at + timedelta(hours=n)
    row = Assignment(connection="hubspot", lead_id=str(1000 + n), status="written" if written else "waiting",
                     rule="everyone" if rep else None, rep_id=rep, received_at=received,
                     lead_summary={"source": source},
                     written_at=received + timedelta(seconds=written) if written else None,
                     first_touch_at=received + timedelta(seconds=touched) if touched else None)
    session.add(row)
    session.flush()
    for status in events:
        session.add(AssignmentEvent(assignment_id=row.id, status=status, at=received))
    if result:
        session.add(LeadOutcome(assignment_id=row.id, result=result, result_at=received))
    if feedback:
        session.add(LeadFeedback(assignment_id=row.id, rep_id=rep, reason=feedback, via="slack", at=received))


@pytest.fixture
def seeded(make_app, db_url):
    app = make_app(db_url)
    db = get_db(app)
    save_version(db, CONFIG, actor="test")
    with db.session() as session:
        _lead(session, 0, "ana", 30, 300, result="won", events=("accepted",))
        _lead(session, 1, "ana", 60, 600, result="lost", events=("accepted", "sla_breached", "sla_breached"))
        _lead(session, 2, "ana", 90, 1200, feedback="spam")
        _lead(session, 3, "ana", 600)
        _lead(session, 4, "bruno", 120, source="webinar")
        for n, (written, touched, won) in enumerate([(10, 100, True), (20, 200, True), (30, None, False),
                                                     (40, None, False), (50, None, False)]):
            _lead(session, 5 + n, "carla", written, touched, result="won" if won else None)
        _lead(session, 10, None, None)                                     # still waiting
        _lead(session, 11, "ana", 5, 5, at=datetime(2026, 11, 20, tzinfo=timezone.utc))  # before the window
    token = create_token(db, make_user(db, "analyst@example.com", "manager"), "metrics")
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def test_figures_per_rep_equal_the_hand_computed_ones(seeded):
    client, auth = seeded
    answer = client.get(f"/api/v1/metrics?by=rep&{QUERY}", headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    groups = {g["key"]: g for g in answer.get_json()["groups"]}
    assert list(groups) == ["carla", "ana", "bruno"]   # most leads first
    ana, bruno, carla = groups["ana"], groups["bruno"], groups["carla"]
    assert (ana["leads"], ana["routed"], bruno["leads"], carla["leads"]) == (4, 4, 1, 5)
    assert ana["time_to_assign"] == {"median_s": 75.0, "p90_s": 447.0}
    assert ana["speed_to_lead"] == {"median_s": 600.0, "p90_s": 1080.0, "touched": 3}
    assert carla["time_to_assign"] == {"median_s": 30.0, "p90_s": 46.0}
    assert carla["speed_to_lead"] == {"median_s": 150.0, "p90_s": 190.0, "touched": 2}
    assert bruno["speed_to_lead"] == {"median_s": None, "p90_s": None, "touched": 0}
    assert (ana["accepted"], ana["passed"], ana["sla_breaches"], ana["not_a_fit"]) == (2, 0, 1, 1)
    assert ana["conversion"] == {"count": 1, "of": 4, "rate": 0.25, "low": pytest.approx(0.0456, abs=1e-4),
                                 "high": pytest.approx(0.6994, abs=1e-4)}
    assert ana["loss"]["count"] == 1 and ana["loss"]["rate"] == 0.25
    assert carla["conversion"]["low"] == pytest.approx(0.1176, abs=1e-4)
    assert carla["conversion"]["high"] == pytest.approx(0.7693, abs=1e-4)
    assert (bruno["conversion"]["low"], bruno["conversion"]["high"]) == (0.0, pytest.approx(0.7934, abs=1e-4))


def test_fairness_counts_only_the_hours_each_rep_was_available(seeded):
    client, auth = seeded
    fairness = client.get(f"/api/v1/metrics?by=rep&{QUERY}", headers=auth).get_json()["fairness"]
    reps = {r["rep"]: r for r in fairness["reps"]}
    assert {rep: r["fair_share"] for rep, r in reps.items()} == {"ana": 0.2667, "bruno": 0.2, "carla": 0.5333}
    assert {rep: r["deviation"] for rep, r in reps.items()} == {"ana": 1.33, "bruno": -1.0, "carla": -0.33}
    assert fairness["spread"] == 2.33 and fairness["gini"] == pytest.approx(0.2270, abs=1e-4)


def test_other_groupings_and_the_window(seeded):
    client, auth = seeded
    by_connection = client.get(f"/api/v1/metrics?by=connection&{QUERY}", headers=auth).get_json()["groups"]
    assert [(g["key"], g["leads"], g["routed"]) for g in by_connection] == [("hubspot", 11, 10)]
    by_source = {g["key"]: g["leads"] for g in client.get(f"/api/v1/metrics?by=source&{QUERY}", headers=auth)
                 .get_json()["groups"]}
    assert by_source == {"web": 10, "webinar": 1}
    team = client.get(f"/api/v1/metrics?by=team&{QUERY}", headers=auth).get_json()["groups"]
    assert [(g["key"], g["routed"], g["fairness"]["spread"]) for g in team] == [("inbound", 10, 2.33)]
    days = client.get(f"/api/v1/metrics?by=day&{QUERY}", headers=auth).get_json()["groups"]
    assert [(g["key"], g["leads"]) for g in days] == [("2026-11-24", 11)]


def test_csv_export_has_a_row_per_rep_with_their_fair_share(seeded):
    client, auth = seeded
    answer = client.get(f"/api/v1/metrics?by=rep&{QUERY}&format=csv", headers=auth)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(answer.get_data(as_text=True)))}
    assert rows["ana"]["time_to_assign_p90_s"] == "447.0" and rows["ana"]["conversion_low"] == "0.0456"
    assert rows["bruno"]["fair_share"] == "0.2" and rows["bruno"]["speed_to_lead_median_s"] == ""


def test_bad_queries_get_a_clear_error_and_no_token_gets_401(seeded):
    client, auth = seeded
    assert client.get(f"/api/v1/metrics?{QUERY}").status_code == 401
    wrong = client.get("/api/v1/metrics?by=planet", headers=auth)
    assert wrong.status_code == 400 and "by: one of rep, team" in wrong.get_json()["error"]
    assert "days" in client.get("/api/v1/metrics?days=0", headers=auth).get_json()["error"]
    assert "since" in client.get("/api/v1/metrics?since=yesterday", headers=auth).get_json()["error"]
    assert client.get("/api/v1/metrics?since=2026-11-26&until=2026-11-20", headers=auth).status_code == 400


def test_the_openapi_document_describes_the_metrics_endpoint(seeded):
    client, _ = seeded
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/metrics"]["get"]
    by = next(p for p in operation["parameters"] if p["name"] == "by")
    assert by["schema"]["enum"] == ["rep", "team", "rule", "source", "connection", "day", "week"]
    assert "text/csv" in operation["responses"]["200"]["content"]
