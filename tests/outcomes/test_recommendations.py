"""Recommendations: plain sentences on seeded lead logs, each only when the data shows it
(read from the API's ``recommendations`` and the dashboard a manager opens)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connector.outcomes.models import LeadFeedback
from connector.pipeline.models import Assignment
from connector.platform.db import get_db
from connector.routing.store import save_version
from connector.web.users import create_token
from tests.support.web import make_user, sign_in

SIX = ["ana", "bruno", "carla", "dara", "eli", "finn"]
HOURS = '{mon-sun: "09:00-17:00"}'


def _config(hours: str | None = None) -> str:
    reps = "\n".join(f"  - {{id: {r}{', hours: ' + hours if hours else ''}}}" for r in SIX)
    return f"""
version: 1
reps:
{reps}
teams:
  - {{id: inbound, members: [{', '.join(SIX)}]}}
rules:
  - {{name: enterprise-us, to: [team:inbound]}}
"""


@pytest.fixture
def seed(make_app):
    app = make_app()
    db = get_db(app)
    user = make_user(db, "manager@example.com", "manager")
    token = create_token(db, user, "recommendations")

    def add(config: str, leads: list[dict]) -> list[str]:
        save_version(db, config, actor="test")
        with db.session() as session:
            for n, lead in enumerate(leads):
                received = lead["at"]
                row = Assignment(connection="hubspot", lead_id=str(n + 1), status="written", rule="enterprise-us",
                                 rep_id=lead["rep"], received_at=received, lead_summary={"source": lead.get("source")},
                                 written_at=received + timedelta(seconds=lead.get("assign", 30)),
                                 first_touch_at=received + timedelta(seconds=lead["touch"]) if "touch" in lead else None)
                session.add(row)
                session.flush()
                if lead.get("feedback"):
                    session.add(LeadFeedback(assignment_id=row.id, rep_id=lead["rep"], reason=lead["feedback"],
                                             via="slack", at=received))
        answer = app.test_client().get("/api/v1/metrics?days=14", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()["recommendations"]

    add.app = app
    return add


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_a_rule_that_sends_most_leads_to_a_few_reps_is_named(seed):
    start = _now() - timedelta(days=2)
    counts = {"ana": 7, "bruno": 5, "carla": 2, "dara": 2, "eli": 2, "finn": 2}   # 12 of 20 to two reps
    leads = [{"rep": rep, "at": start + timedelta(minutes=5 * i)}
             for i, rep in enumerate(r for r, n in counts.items() for _ in range(n))]
    sentences = seed(_config(), leads)
    assert "rule enterprise-us sent 60 % of its leads to 2 of 6 reps (ana, bruno; their fair share: 33 %)" in sentences


def test_leads_that_waited_over_an_hour_outside_working_hours_are_counted(seed):
    night = (_now() - timedelta(days=3)).replace(hour=3, minute=0, second=0)      # everyone works 09-17 UTC
    day = (_now() - timedelta(days=3)).replace(hour=10, minute=0, second=0)
    leads = [{"rep": "ana", "at": night, "assign": 6 * 3600}, {"rep": "bruno", "at": night + timedelta(minutes=9),
                                                               "assign": 6 * 3600},
             {"rep": "carla", "at": night, "assign": 600},                          # a short wait: not counted
             {"rep": "dara", "at": day, "assign": 2 * 3600}]                        # waited, but in hours
    sentences = seed(_config(HOURS), leads)
    assert ("2 leads waited over an hour outside working hours in the last 7 days "
            "(nobody of their pool was working when they arrived)") in sentences


def test_a_rep_far_behind_the_team_median_speed_is_named(seed):
    start = _now() - timedelta(days=1)
    leads = [{"rep": rep, "at": start + timedelta(minutes=i), "touch": 3600 if rep == "ana" else 600}
             for i, rep in enumerate(["ana", "bruno", "carla"] * 3)]
    sentences = seed(_config(), leads)
    assert "ana's speed to lead is 6× the team median (60 min against 10 min)" in sentences
    assert not any(s.startswith(("bruno", "carla")) for s in sentences)


def test_a_source_often_marked_not_a_fit_is_named(seed):
    start = _now() - timedelta(days=1)
    leads = [{"rep": SIX[i], "at": start + timedelta(minutes=i), "source": "webinar",
              "feedback": "wrong_territory" if i < 2 else None} for i in range(6)]
    sentences = seed(_config(), leads)
    assert "source webinar: 2 of 6 leads marked not a fit, mostly wrong territory" in sentences


def test_a_fair_quick_week_gets_no_sentence(seed):
    start = _now() - timedelta(days=2)
    leads = [{"rep": SIX[i % 6], "at": start + timedelta(minutes=7 * i), "touch": 300, "source": "web"}
             for i in range(24)]
    assert seed(_config(), leads) == []


def test_the_dashboard_shows_the_sentences(seed):
    start = _now() - timedelta(days=1)
    seed(_config(), [{"rep": rep, "at": start + timedelta(minutes=i), "touch": 3600 if rep == "ana" else 600}
                     for i, rep in enumerate(["ana", "bruno", "carla"] * 3)])
    client = seed.app.test_client()
    sign_in(client, "manager@example.com")
    page = client.get("/settings/").get_data(as_text=True)
    assert "ana&#39;s speed to lead is 6× the team median" in page
