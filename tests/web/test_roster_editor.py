"""The roster on the page: adding, editing and switching off reps, the CRM users no rep is linked
to (read from the CRM sandbox) added with one click, and Slack ids looked up through the Slack
sandbox. Each save is a routing config version with its diff; errors are shown at their field."""

from __future__ import annotations

import lxml.html
import pytest
import yaml

from connector.platform.db import get_db
from connector.routing import store as routing_store
from tests.pipeline.conftest import sandbox_settings
from tests.support.web import csrf_of, make_user, post, sign_in

NEW_REP = {"id": "dora", "name": "Dora Diaz", "email": "dora@example.com", "timezone": "Europe/Madrid",
           "hours": "mon-fri: 09:00-17:00", "territories": "ES\nUS: CA", "skills": "spanish, aerospace",
           "weight": "2", "daily_cap": "8", "active": "1", "team": "west"}


def _config(db) -> dict:
    return yaml.safe_load(routing_store.get_version(db).body)


def _rep(db, rep_id: str) -> dict:
    return next(r for r in _config(db)["reps"] if r["id"] == rep_id)


def test_a_manager_adds_a_rep_into_a_team_as_a_new_version_with_its_diff(manager_client, routing, db):
    response = post(manager_client, "/settings/roster/reps/new", {**NEW_REP, "base_version": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _rep(db, "dora") == {"id": "dora", "name": "Dora Diaz", "email": "dora@example.com",
                                "timezone": "Europe/Madrid", "hours": {"mon-fri": "09:00-17:00"},
                                "skills": ["spanish", "aerospace"], "weight": 2, "daily_cap": 8,
                                "territories": [{"country": "ES"}, {"country": "US", "state": ["CA"]}]}
    west = next(t for t in _config(db)["teams"] if t["id"] == "west")
    assert west["members"][-1] == "dora"
    version = manager_client.get("/settings/rules/versions/2").get_data(as_text=True)
    assert "rep dora added" in version and "team west changed" in version and "+- id: dora" in version
    assert "Dora Diaz" in manager_client.get("/settings/roster/").get_data(as_text=True)


@pytest.mark.parametrize("field,value,message", [
    ("timezone", "Mars/Olympus", "unknown time zone"),
    ("hours", "mon-fri: nine to five", "bad hours"),
    ("territories", "Atlantis", "unknown country"),
    ("weight", "heavy", "a whole number"),
    ("id", "Dora Diaz", "should match pattern"),
])
def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(manager_client, routing, db, field, value, message):
    response = post(manager_client, "/settings/roster/reps/new", {**NEW_REP, field: value})
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    box = page.xpath(f'//*[@name="{field}"]')[0]
    assert box.get("aria-invalid") == "true" and (box.get("value") or box.text_content()).strip() == value
    errors = " ".join(e.text_content() for e in page.xpath('//p[@class="field-error"]'))
    assert message in errors, errors
    assert routing_store.get_version(db).version == 1


def test_a_second_rep_with_the_same_id_is_refused_at_the_id(manager_client, routing, db):
    response = post(manager_client, "/settings/roster/reps/new", {**NEW_REP, "id": "ana"})
    assert response.status_code == 422 and "already a rep" in response.get_data(as_text=True)
    assert routing_store.get_version(db).version == 1


def test_deactivating_a_rep_is_a_version_and_reactivating_another(manager_client, routing, db):
    post(manager_client, "/settings/roster/bruno/active", {"active": "0"})
    assert _rep(db, "bruno")["active"] is False and routing_store.get_version(db).version == 2
    assert "Reactivate Bruno Lima" in manager_client.get("/settings/roster/").get_data(as_text=True)
    post(manager_client, "/settings/roster/bruno/active", {"active": "1"})
    assert "active" not in _rep(db, "bruno") and routing_store.get_version(db).version == 3


def test_editing_name_email_slack_and_holidays(manager_client, routing, db):
    page = lxml.html.fromstring(manager_client.get("/settings/roster/carla").get_data(as_text=True))
    fields = dict(page.get_element_by_id("rep-editor").form_values())
    fields.update(name="Carla Díaz", email="carla@example.com", slack="U0CARLA01", holidays_country="ES",
                  holidays_subdiv="MD", holidays_dates="2026-12-24")
    assert manager_client.post("/settings/roster/carla", data=fields).status_code == 302
    carla = _rep(db, "carla")
    assert (carla["name"], carla["email"], carla["slack"]) == ("Carla Díaz", "carla@example.com", "U0CARLA01")
    assert carla["holidays"] == {"country": "ES", "subdiv": "MD", "dates": ["2026-12-24"]}


def test_names_are_escaped_and_posts_need_the_csrf_token(manager_client, routing, db):
    post(manager_client, "/settings/roster/reps/new", {**NEW_REP, "name": "<script>alert(1)</script>"})
    page = manager_client.get("/settings/roster/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    refused = manager_client.post("/settings/roster/reps/new", data={**NEW_REP, "id": "eve"})
    assert refused.status_code == 400 and routing_store.get_version(db).version == 2


def test_the_roster_needs_a_signed_in_user(client, routing):
    response = client.get("/settings/roster/reps/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- against the CRM and Slack sandboxes -----------------------------------------------------------
@pytest.fixture
def crm_app(crm, crm_control, make_app):
    crm_control.reset()
    app = make_app(**sandbox_settings(crm, "http://127.0.0.1:9"), LEADROUTER_SLACK_BOT_TOKEN="xoxb-sandbox",
                   LEADROUTER_SLACK_BASE_URL=crm.url + "/api/", LEADROUTER_SLACK_CA_BUNDLE=str(crm.ca_path))
    make_user(get_db(app), "manager@example.com", "manager")
    client = app.test_client()
    sign_in(client, "manager@example.com")
    routing_store.save_version(get_db(app), yaml.safe_dump({"version": 1, "teams": [
        {"id": "inbound", "members": []}]}), actor="test")
    return app, client


def test_crm_users_not_in_routing_are_added_with_one_click(crm_app, crm):
    app, client = crm_app
    assert "Maya Patel" not in client.get("/settings/roster/").get_data(as_text=True)
    post(client, "/settings/roster/crm-users/refresh")
    page = client.get("/settings/roster/").get_data(as_text=True)
    people = lxml.html.fromstring(page).xpath('//table[@class="people"]//tr[td]')
    maya = next(row for row in people if "Maya Patel" in row.text_content())
    key = maya.xpath(".//input[@name='key']")[0].get("value")
    response = post(client, "/settings/roster/crm-users/add", {"key": key})
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/roster/maya.patel")
    rep = _rep(get_db(app), "maya.patel")
    hubspot_owner = next(o for o in crm.sandbox.vendor("hubspot").owners.owners.values() if o.email == rep["email"])
    assert rep["name"] == "Maya Patel" and rep["crm"]["hubspot"] == str(hubspot_owner.id)
    assert rep["crm"]["salesforce"].startswith("005")
    assert rep["slack"].startswith("U")   # looked up by email in the Slack sandbox
    after = client.get("/settings/roster/").get_data(as_text=True)
    assert "Add Maya Patel to routing" not in after   # linked now


def test_the_rep_editor_offers_each_connections_synced_users(crm_app):
    app, client = crm_app
    post(client, "/settings/roster/crm-users/refresh")
    page = lxml.html.fromstring(client.get("/settings/roster/reps/new").get_data(as_text=True))
    options = {o.text_content().split("<")[0].strip() for o in page.xpath('//datalist[@id="users-hubspot"]/option')}
    assert {"Maya Patel", "Liam O'Connor"} <= options
    assert page.xpath('//input[@name="crm__salesforce"]/@list') == ["users-salesforce"]


def test_the_slack_id_is_looked_up_by_email(crm_app):
    app, client = crm_app
    form = {**NEW_REP, "team": "inbound", "email": "sofia.garcia@demo.leadrouter.dev", "action": "lookup_slack",
            "csrf_token": csrf_of(client, "/settings/roster/reps/new")}
    page = lxml.html.fromstring(client.post("/settings/roster/reps/new", data=form).get_data(as_text=True))
    assert page.xpath('//input[@name="slack"]/@value')[0].startswith("U0SBX")
    unknown = {**form, "email": "nobody@example.com"}
    answer = client.post("/settings/roster/reps/new", data=unknown)
    assert answer.status_code == 422 and "not found in Slack" in answer.get_data(as_text=True)
    assert routing_store.get_version(get_db(app)).version == 1   # a lookup saves nothing


def test_without_slack_the_lookup_says_how_to_set_it_up(manager_client, routing):
    form = {**NEW_REP, "action": "lookup_slack"}
    answer = post(manager_client, "/settings/roster/reps/new", form)
    assert answer.status_code == 422 and "LEADROUTER_SLACK_BOT_TOKEN" in answer.get_data(as_text=True)




def test_the_scheduled_roster_sync_keeps_the_crm_users_the_page_offers(crm_app):
    from connector.pipeline import jobs

    app, client = crm_app
    assert "Add Noah Kim to routing" not in client.get("/settings/roster/").get_data(as_text=True)
    jobs.sync_roster(app, "salesforce")   # what the scheduler runs every LEADROUTER_ROSTER_SYNC_SECONDS
    page = client.get("/settings/roster/").get_data(as_text=True)
    assert "Add Noah Kim to routing" in page and "Add Grace Hopper" not in page   # inactive users are not offered
