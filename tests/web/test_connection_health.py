"""Connection health (last successful call, last error, API headroom from the CRM's headers) on
the connections page and in /readyz?detail=1, and "Test connection" naming unknown fields — on
the page (real sign-in), through the API and across processes (a CLI run seen by the web)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select

from connector.connections import health as health_room
from connector.connections.models import Connection, ConnectionHealthRecord
from connector.web import users
from tests.support.apps import TEST_KEYS
from tests.support.cli import run_cli
from tests.support.web import post

HUBSPOT = {"kind": "hubspot", "name": "hubspot-eu", "poll_interval_s": "120", "enabled": "1",
           "app_secret": "app-secret-value"}


def _stored_hubspot(admin_client, db, crm, token: str, extra_fields=()) -> int:
    response = post(admin_client, "/settings/connections/new?kind=hubspot",
                    {**HUBSPOT, "base_url": crm.url, "ca_bundle": str(crm.ca_path), "token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.session() as session:
        row = session.scalars(select(Connection)).one()
        if extra_fields:   # the form has no field map yet: the row holds it as the model's key
            row.settings = {**row.settings, "extra_fields": list(extra_fields)}
        return row.id


def test_the_page_names_an_unknown_field_and_shows_health(admin_client, db, crm):
    crm.sandbox.reset()
    row_id = _stored_hubspot(admin_client, db, crm, crm.sandbox.options["hubspot_token"], ["segmnt", "lifecyclestage"])
    before = admin_client.get("/settings/connections/").get_data(as_text=True)
    assert "none seen yet" in before and "not reported yet" in before
    page = post(admin_client, f"/settings/connections/{row_id}/test",
                token_from="/settings/connections/").get_data(as_text=True)
    assert '<li class="fail"><b>✗ mapped fields</b> — contacts.segmnt is not a property of contacts in this portal' in page
    assert page.count('class="ok"') == 2 and "lifecyclestage" not in page
    listing = admin_client.get("/settings/connections/").get_data(as_text=True)
    section = listing[listing.index('id="health-hubspot-eu"'):]
    section = section[:section.index("</dl>")]
    limits = crm.sandbox.vendor("hubspot").limiter.snapshot_locked()
    assert re.search(r"Last successful call</dt><dd>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", section), section
    assert "Last error</dt><dd>none" in section
    assert re.search(r"daily: [\d,]+ of 1,000,000 calls left; 10-second window: \d+ of %d left" % limits["ten_second_max"],
                     section), section


def test_a_refused_token_is_the_last_error_and_is_escaped(admin_client, db, crm):
    crm.sandbox.reset()
    row_id = _stored_hubspot(admin_client, db, crm, "wrong-token")
    post(admin_client, f"/settings/connections/{row_id}/test", token_from="/settings/connections/")
    listing = admin_client.get("/settings/connections/").get_data(as_text=True)
    section = listing[listing.index('id="health-hubspot-eu"'):]
    assert '<span class="error-text">HubSpot 401: Authentication credentials not found.' in section
    assert "wrong-token" not in listing and "Last successful call</dt><dd>none seen yet" in section


def test_the_web_shows_what_another_process_saw(admin_client, db, crm, tmp_path):
    """A `connections test` in its own process writes the health; the page reads it."""
    crm.sandbox.reset()
    _stored_hubspot(admin_client, db, crm, crm.sandbox.options["hubspot_token"], ["segmnt"])
    result = run_cli("connections", "test", "hubspot-eu", tmp_path=tmp_path / "cli",
                     LEADROUTER_DATABASE_URL=db.url, **TEST_KEYS)
    assert result.returncode == 1 and "contacts.segmnt is not a property" in result.stdout, result.stderr
    listing = admin_client.get("/settings/connections/").get_data(as_text=True)
    section = listing[listing.index('id="health-hubspot-eu"'):]
    assert "none seen yet" not in section[:section.index("</dl>")] and "calls left" in section


def test_readyz_detail_has_each_connections_health_and_plain_readyz_is_unchanged(make_app, crm):
    crm.sandbox.reset()
    app = make_app(LEADROUTER_HUBSPOT_TOKEN=crm.sandbox.options["hubspot_token"],
                   LEADROUTER_HUBSPOT_BASE_URL=crm.url, LEADROUTER_HUBSPOT_CA_BUNDLE=str(crm.ca_path))
    client = app.test_client()
    plain = client.get("/readyz").get_json()
    assert plain["connections"] == {"hubspot": {"status": "ok"}}
    empty = client.get("/readyz?detail=1").get_json()["connections"]["hubspot"]
    assert empty == {"status": "ok", "health": {"last_ok_at": None, "last_error": None, "headroom": None}}
    app.extensions["leadrouter.connections"].adapter("hubspot").read_roster()   # what a worker does
    with app.app_context():
        health_room.flush_job(app)   # the scheduled job of every process that runs jobs
    detail = client.get("/readyz?detail=1").get_json()
    entry = detail["connections"]["hubspot"]
    assert detail["status"] == "ok" and entry["status"] == "ok"
    assert entry["health"]["last_ok_at"].endswith("Z") and entry["health"]["last_error"] is None
    limits = crm.sandbox.vendor("hubspot").limiter.snapshot_locked()
    headroom = entry["health"]["headroom"]
    assert headroom["daily_max"] == limits["daily_max"] and headroom["window_max"] == limits["ten_second_max"]
    assert client.get("/readyz").get_json() == plain


def test_health_is_written_at_most_every_few_seconds_per_connection(db):
    from adapters.base import HealthTracker

    clock = [100.0]
    writer = health_room.HealthWriter(db, seconds=4, monotonic=lambda: clock[0])
    tracker = HealthTracker()
    tracker.ok({"daily_remaining": 10, "daily_max": 20})
    assert writer.offer("hs", tracker.snapshot()) is True
    tracker.failed("HubSpot 502: Bad Gateway")
    assert writer.offer("hs", tracker.snapshot()) is False      # 0 s later: not yet
    clock[0] += 4.5
    assert writer.offer("hs", tracker.snapshot()) is True
    assert writer.offer("hs", tracker.snapshot()) is False      # unchanged: nothing to write
    with db.session() as session:
        row = session.get(ConnectionHealthRecord, "hs")
        assert row.last_error == "HubSpot 502: Bad Gateway" and row.headroom == {"daily_remaining": 10, "daily_max": 20}
        # another process saw a newer success: an older snapshot does not overwrite it
        row.last_ok_at = datetime(2099, 1, 1, tzinfo=timezone.utc)
    tracker.ok()
    clock[0] += 5
    assert writer.offer("hs", tracker.snapshot()) is True
    with db.session() as session:
        assert session.get(ConnectionHealthRecord, "hs").last_ok_at.year == 2099


def test_the_api_tests_a_connection_for_admins_only(app, db, admin, manager, admin_client, crm):
    crm.sandbox.reset()
    _stored_hubspot(admin_client, db, crm, crm.sandbox.options["hubspot_token"], ["segmnt"])
    client = app.test_client()
    admin_token, manager_token = users.create_token(db, admin, "ci"), users.create_token(db, manager, "ci")
    refused = client.post("/api/v1/connections/hubspot-eu/test", headers={"Authorization": f"Bearer {manager_token}"})
    assert refused.status_code == 403
    answer = client.post("/api/v1/connections/hubspot-eu/test", headers={"Authorization": f"Bearer {admin_token}"})
    body = answer.get_json()
    assert answer.status_code == 200 and body["ok"] is False
    assert {"check": "mapped fields", "ok": False,
            "detail": "contacts.segmnt is not a property of contacts in this portal"} in body["checks"]
    missing = client.post("/api/v1/connections/nope/test", headers={"Authorization": f"Bearer {admin_token}"})
    assert missing.status_code == 404 and "nope" in missing.get_json()["error"]
