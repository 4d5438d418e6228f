"""Through the real pipeline: a lead routed from the HubSpot sandbox, the rep told in Slack, Pass
clicked in Slack, the pipeline routes it again to someone else and writes the new owner."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml
from sqlalchemy import select

from connector.pipeline import inbox, jobs
from connector.routing import store as routing_store
from connector.platform.db import get_db
from connector.pipeline.models import Assignment
from connector.notify.outbox import deliver_due, enqueue_assignment_notifications
from connector.routing.active import RoutingConfigs
from connector.routing.starter import starter_config


@pytest.fixture
def app(crm, crm_control, make_app, serve):
    crm_control.reset()
    served = serve()
    app = make_app(LEADROUTER_DEMO="off", LEADROUTER_BASE_URL=served.url,
                   LEADROUTER_HUBSPOT_TOKEN="sandbox-hubspot-token", LEADROUTER_HUBSPOT_BASE_URL=crm.url,
                   LEADROUTER_HUBSPOT_CA_BUNDLE=str(crm.ca_path), LEADROUTER_SLACK_BOT_TOKEN="xoxb-sandbox",
                   LEADROUTER_SLACK_SIGNING_SECRET="sandbox-signing-secret",
                   LEADROUTER_SLACK_BASE_URL=crm.url + "/api/", LEADROUTER_SLACK_CA_BUNDLE=str(crm.ca_path))
    # create_app already ran notify.init_app(app)
    served.app = app
    crm_control.slack.set_interactivity(f"{served.url}/slack/actions")
    connections = app.extensions["leadrouter.connections"]
    config = starter_config({"hubspot": connections.adapter("hubspot").read_roster()},
                            exclude_emails=["admin@sandbox.example"])
    routing_store.save_version(get_db(app), yaml.safe_dump(config), actor="test")
    return app


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


def test_pass_in_slack_reroutes_the_lead_to_someone_else_through_the_pipeline(app, crm, crm_control):
    control = crm_control
    lead = control.create_lead("hubspot", first_name="Zoë", last_name="Novak", email="zoe@novak.example",
                               company="Novak Robotics", country="DE")
    [first] = _route(app, crm, str(lead["id"]))
    assert first.status == "notified" and first.rep_id
    rep_email = RoutingConfigs(get_db(app)).current().config.rep(first.rep_id).email
    messages = control.slack.messages()
    [dm] = [m for m in messages if m["channel"].startswith("D")]
    answer = control.slack.click(dm["ts"], "lead_pass", rep_email)
    assert answer["status"] == 200

    before, second = _route(app, crm)
    assert before.id == first.id and second.rep_id not in (None, first.rep_id)
    rep_name = RoutingConfigs(get_db(app)).current().config.rep(first.rep_id).name
    assert second.status == "notified" and second.reason == f"passed by {rep_name} in Slack"
    owner = control.record("hubspot", "contacts", lead["id"])
    assert owner["properties"]["hubspot_owner_id"] == second.owner_crm_id
    dms = [m for m in control.slack.messages() if m["channel"].startswith("D")]
    assert len(dms) == 2 and "Passed by" in dms[0]["message"]["text"]
