"""Through the real pipeline: a lead routed from the HubSpot sandbox, the rep told in Slack, Pass
clicked in Slack, the pipeline routes it again to someone else and writes the new owner."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
import requests
import yaml
from sqlalchemy import select
from werkzeug.serving import make_server

from connector.pipeline import inbox, jobs
from connector.routing import store as routing_store
from connector.platform.db import get_db
from connector.pipeline.models import Assignment
from connector.notify.outbox import deliver_due, enqueue_assignment_notifications
from connector.routing.active import RoutingConfigs
from connector.routing.starter import starter_config
from tests.conftest import make_test_app


@pytest.fixture
def app(crm, sqlite_url, tmp_path):
    crm.sandbox.reset()
    holder = {}
    server = make_server("127.0.0.1", 0, lambda env, start_response: holder["app"](env, start_response),
                         threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = make_test_app(sqlite_url, tmp_path / "var", LEADROUTER_DEMO="off", LEADROUTER_BASE_URL=url,
                        LEADROUTER_HUBSPOT_TOKEN="sandbox-hubspot-token", LEADROUTER_HUBSPOT_BASE_URL=crm.url,
                        LEADROUTER_HUBSPOT_CA_BUNDLE=str(crm.ca_path), LEADROUTER_SLACK_BOT_TOKEN="xoxb-sandbox",
                        LEADROUTER_SLACK_SIGNING_SECRET="sandbox-signing-secret",
                        LEADROUTER_SLACK_BASE_URL=crm.url + "/api/", LEADROUTER_SLACK_CA_BUNDLE=str(crm.ca_path))
    # create_app already ran notify.init_app(app)
    holder["app"] = app
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    crm.sandbox.vendor("slack").interactivity_url = f"{url}/slack/actions"
    connections = app.extensions["leadrouter.connections"]
    config = starter_config({"hubspot": connections.adapter("hubspot").read_roster()},
                            exclude_emails=["admin@sandbox.example"])
    routing_store.save_version(get_db(app), yaml.safe_dump(config), actor="test")
    yield app
    server.shutdown()
    connections.close()
    get_db(app).dispose()


def _route(app, crm, lead_id: str | None = None) -> list[Assignment]:
    db, now = get_db(app), datetime.now(timezone.utc)
    if lead_id:
        with db.session() as session:
            inbox.enqueue(session, "hubspot", [inbox.IncomingLead(lead_id, "poll")], now)
    jobs.drain(app, "test-worker")
    config = RoutingConfigs(db).current().config
    with app.app_context(), db.session() as session:  # what the pipeline does once it is wired to us
        written = list(session.scalars(select(Assignment).where(Assignment.status == "written")))
        for assignment in written:
            enqueue_assignment_notifications(session, assignment, config, now)
    deliver_due(db, app.extensions["leadrouter.notify"].notifiers, datetime.now(timezone.utc))
    with db.session() as session:
        return list(session.scalars(select(Assignment).order_by(Assignment.id)))


def test_pass_in_slack_reroutes_the_lead_to_someone_else_through_the_pipeline(app, crm):
    control = requests.Session()
    control.verify, control.trust_env = str(crm.ca_path), False
    lead = control.post(f"{crm.url}/__sandbox__/leads", json={
        "vendor": "hubspot", "first_name": "Zoë", "last_name": "Novak", "email": "zoe@novak.example",
        "company": "Novak Robotics", "country": "DE"}).json()
    [first] = _route(app, crm, str(lead["id"]))
    assert first.status == "notified" and first.rep_id
    rep_email = RoutingConfigs(get_db(app)).current().config.rep(first.rep_id).email
    messages = control.get(f"{crm.url}/__sandbox__/slack/messages").json()["messages"]
    [dm] = [m for m in messages if m["channel"].startswith("D")]
    answer = control.post(f"{crm.url}/__sandbox__/slack/click",
                          json={"message_ts": dm["ts"], "action_id": "lead_pass", "user": rep_email}).json()
    assert answer["status"] == 200

    before, second = _route(app, crm)
    assert before.id == first.id and second.rep_id not in (None, first.rep_id)
    rep_name = RoutingConfigs(get_db(app)).current().config.rep(first.rep_id).name
    assert second.status == "notified" and second.reason == f"passed by {rep_name} in Slack"
    owner = control.get(f"{crm.url}/__sandbox__/records/hubspot/contacts/{lead['id']}").json()
    assert owner["properties"]["hubspot_owner_id"] == second.owner_crm_id
    dms = [m for m in control.get(f"{crm.url}/__sandbox__/slack/messages").json()["messages"]
           if m["channel"].startswith("D")]
    assert len(dms) == 2 and "Passed by" in dms[0]["message"]["text"]
