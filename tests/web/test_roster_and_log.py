"""Roster pause/unpause and rep fields; the lead log, dead letters and retry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import yaml

from connector.routing import store as routing_store
from connector.pipeline.models import Assignment, AssignmentEvent, InboxEvent
from connector.platform.models import AuditLog
from connector.routing.models import Rep
from connector.routing.active import RoutingConfigs
from tests.support.web import post

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)


def test_roster_lists_config_reps_with_their_teams(manager_client, routing):
    page = manager_client.get("/settings/roster/").get_data(as_text=True)
    assert "Ana Souza" in page and "Bruno Lima" in page and "west" in page and "mon-fri 09:00-18:00" in page
    bruno = page[page.index('id="rep-bruno"'):page.index('id="rep-carla"')]
    assert "daily cap 15" in bruno and "max open" not in bruno  # only the caps that are set


def test_pausing_a_rep_takes_effect_without_a_new_version(manager_client, routing, db):
    response = post(manager_client, "/settings/roster/bruno/pause", {"reason": "sick day"})
    assert response.status_code == 302
    with db.session() as session:
        rep = session.get(Rep, "bruno")
        assert rep.paused and rep.paused_reason == "sick day"
        assert session.query(AuditLog).filter_by(action="rep.pause", object_id="bruno").one().actor == \
            "manager@example.com"
    assert routing_store.get_version(db).version == 1
    assert RoutingConfigs(db).current().config.rep("bruno").paused
    page = manager_client.get("/settings/roster/").get_data(as_text=True)
    assert "sick day" in page and "Unpause Bruno Lima" in page


def test_unpausing_puts_the_rep_back(manager_client, routing, db):
    post(manager_client, "/settings/roster/bruno/pause")
    post(manager_client, "/settings/roster/bruno/unpause")
    assert not RoutingConfigs(db).current().config.rep("bruno").paused
    with db.session() as session:
        assert session.query(AuditLog).filter_by(action="rep.unpause").count() == 1


def test_pausing_an_unknown_rep_says_so(manager_client, routing, db):
    response = post(manager_client, "/settings/roster/nobody/pause", follow_redirects=True)
    assert "no rep" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Rep, "nobody") is None


def test_editing_a_reps_fields_saves_a_version(manager_client, routing, db):
    form = {"timezone": "Europe/Madrid", "hours": "mon-fri: 08:00-16:00", "away": "2026-12-24 .. 2026-12-26 xmas",
            "skills": "aerospace, french", "territories": "ES\nUS: CA, OR", "weight": "3", "daily_cap": "10",
            "max_open": "", "hourly_cap": "", "weekly_cap": "", "active": "1"}
    response = post(manager_client, "/settings/roster/bruno", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    bruno = next(r for r in yaml.safe_load(routing_store.get_version(db).body)["reps"] if r["id"] == "bruno")
    assert bruno["timezone"] == "Europe/Madrid" and bruno["hours"] == {"mon-fri": "08:00-16:00"}
    assert bruno["weight"] == 3 and bruno["skills"] == ["aerospace", "french"]
    assert bruno["territories"] == [{"country": "ES"}, {"country": "US", "state": ["CA", "OR"]}]
    assert bruno["away"][0]["note"] == "xmas" and "active" not in bruno
    post(manager_client, "/settings/roster/bruno", {**form})  # unchanged form: still valid
    post(manager_client, "/settings/roster/bruno", {k: v for k, v in form.items() if k != "active"})
    assert not RoutingConfigs(db).current().config.rep("bruno").active


def test_a_bad_time_zone_is_shown_next_to_the_field(manager_client, routing, db):
    response = post(manager_client, "/settings/roster/bruno", {"timezone": "Mars/Olympus", "hours": "mon: nine"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Mars/Olympus" in page and "field-error" in page
    assert routing_store.get_version(db).version == 1


def _lead(db, status: str, **extra) -> int:
    with db.session() as session:
        row = Assignment(connection="hubspot", lead_id=extra.pop("lead_id", "L1"), status=status,
                         received_at=extra.pop("received_at", NOW), **extra)
        session.add(row)
        session.flush()
        return row.id


def test_the_log_filters_by_rep_rule_status_and_date(manager_client, db):
    _lead(db, "written", lead_id="A", rep_id="ana", rule="big-aerospace", lead_summary={"name": "Alice Acme"},
          trace=[{"text": "round_robin: ana is next"}])
    _lead(db, "waiting", lead_id="B", rule="everyone-else", received_at=NOW - timedelta(days=3))
    _lead(db, "written", lead_id="C", rep_id="bruno", rule="everyone-else")

    def leads(query: str) -> list[str]:
        page = manager_client.get("/settings/log/?" + query).get_data(as_text=True)
        return [x for x in ("Alice Acme", "hubspot B", "hubspot C") if x in page]

    assert leads("") == ["Alice Acme", "hubspot B", "hubspot C"]
    assert leads("rep=ana") == ["Alice Acme"]
    assert leads("rule=everyone-else") == ["hubspot B", "hubspot C"]
    assert leads("status=waiting") == ["hubspot B"]
    assert leads("since=2026-11-19") == ["Alice Acme", "hubspot C"]
    assert leads("q=acme") == ["Alice Acme"]


def test_a_bad_filter_is_explained(manager_client):
    response = manager_client.get("/settings/log/?since=yesterday&status=lost")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "use a date like" in page and "one of:" in page


def test_a_lead_shows_its_full_trace_and_history(manager_client, db):
    lead_id = _lead(db, "written", rep_id="ana", rule="big-aerospace",
                    trace=[{"text": "rule big-aerospace: matched"}, {"text": "bruno: outside hours"},
                           {"text": "weighted: ana has the highest credit"}])
    with db.session() as session:
        session.add(AssignmentEvent(assignment_id=lead_id, status="written", at=NOW))
    page = manager_client.get(f"/settings/log/{lead_id}").get_data(as_text=True)
    assert "bruno: outside hours" in page and "weighted: ana has the highest credit" in page
    assert page.count('class="badge s-written"') >= 2


def test_retrying_a_dead_letter_requeues_it(manager_client, db):
    dead = _lead(db, "dead", lead_id="D1", last_error="403 INSUFFICIENT_ACCESS", attempts=8)
    page = manager_client.get("/settings/log/dead").get_data(as_text=True)
    assert "403 INSUFFICIENT_ACCESS" in page and "Retry D1" in page
    response = post(manager_client, f"/settings/log/{dead}/retry")
    assert response.status_code == 302
    with db.session() as session:
        queued = session.query(InboxEvent).filter_by(connection="hubspot", lead_id="D1").one()
        assert queued.status == "pending" and queued.source == "retry"
        assert queued.payload == {"reason": "manual retry by manager@example.com"}
        assert session.get(Assignment, dead).status == "received"
        assert session.query(AuditLog).filter_by(action="lead.retry", object_id=str(dead)).count() == 1
    assert "No dead letters" in manager_client.get("/settings/log/dead").get_data(as_text=True)


def test_only_dead_leads_can_be_retried(manager_client, db):
    written = _lead(db, "written")
    response = post(manager_client, f"/settings/log/{written}/retry", follow_redirects=True)
    assert "not in the dead-letter list" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.query(InboxEvent).count() == 0


def test_the_dashboard_counts_per_rep_and_dead(manager_client, db):
    now = datetime.now(timezone.utc)
    _lead(db, "written", lead_id="X", rep_id="ana", rule="r1", received_at=now, written_at=now + timedelta(minutes=2))
    _lead(db, "dead", lead_id="Y", received_at=now)
    page = manager_client.get("/settings/").get_data(as_text=True)
    assert "<b>1</b> dead letters" in page and ">ana<" in page and "2.0 min" in page


def test_the_audit_page_lists_changes_with_who_and_what(manager_client, routing):
    post(manager_client, "/settings/roster/ana/pause", {"reason": "dentist"})
    post(manager_client, "/settings/rules/2/move", {"direction": "up"})
    page = manager_client.get("/settings/audit").get_data(as_text=True)
    assert page.index("rule.move") < page.index("rep.pause")  # newest first
    assert "manager@example.com" in page and "reason: dentist" in page and "rules reordered" in page
    only_reps = manager_client.get("/settings/audit?type=rep").get_data(as_text=True)
    assert "rep.pause" in only_reps and "rule.move" not in only_reps
