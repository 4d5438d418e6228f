"""Fixtures for the notify room: the sandbox's Slack over TLS, the app on a real database with
the notify room initialised, a routing config with an SLA ladder, and assignments made the way
the pipeline leaves them (status written, owner, summary, trace, written_at)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sandbox.client import SandboxClient


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MAYA = "maya.patel@demo.leadrouter.dev"

ROUTING = """
version: 1
timezone: UTC
reps:
  - {id: maya, name: Maya Patel, email: maya.patel@demo.leadrouter.dev, crm: {salesforce: "0055g00000MAYAAAA"}}
  - {id: liam, name: Liam O'Connor, email: liam.oconnor@demo.leadrouter.dev, crm: {salesforce: "0055g00000LIAMAAA"}}
  - {id: sofia, name: Sofia Garcia, email: sofia.garcia@demo.leadrouter.dev, crm: {salesforce: "0055g00000SOFIAAA"}}
  - {id: ghost, name: Ghost Rep, email: ghost@nowhere.example, crm: {salesforce: "0055g00000GHOSTAA"}}
teams:
  - {id: inbound, name: Inbound Sales, members: [maya, liam, sofia, ghost],
     manager: boss@demo.leadrouter.dev, channel: "#leads"}
rules:
  - name: inbound
    to: team:inbound
    notify: [slack:rep, slack:team, email:rep]
    sla: {minutes: 15, ladder: [remind, reroute, escalate], escalate_to: [slack:team, email:manager]}
  - name: quiet
    when: {field: source, op: eq, value: quiet}
    to: team:inbound
  - name: silent
    when: {field: source, op: eq, value: silent}
    to: team:inbound
    notify: []
auto_pause: {after_breaches: 2}
digest: {at: "08:00"}
"""

TRACE = [{"step": "rule", "rule": "inbound", "result": "matched", "text": "rule inbound: matched (every lead)"},
         {"step": "pick", "rule": "inbound", "picker": "round_robin", "rep": "maya",
          "text": "round_robin: maya is next after sofia"}]
SUMMARY = {"name": "Zoë Novak", "company": "Novak Robotics", "email": "zoe@novak.example", "country": "DE",
           "score": 87}


@pytest.fixture
def sandbox(crm, crm_control):
    crm_control.reset()
    crm_control.set_clock(T0)  # one clock for the sandbox and the app: signatures agree
    return crm.sandbox


@dataclass
class Kit:
    app: Any
    sandbox: Any                 # the sandbox in this process: its clock, its Slack workspace
    control: SandboxClient       # its control plane: Slack messages and clicks
    url: str

    @property
    def db(self):
        from connector.platform.db import get_db

        return get_db(self.app)

    @property
    def runtime(self):
        return self.app.extensions["leadrouter.notify"]

    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def advance(self, minutes: float) -> datetime:
        self.sandbox.clock.advance(minutes * 60)
        return self.now()

    def config(self):
        from connector.routing.active import RoutingConfigs

        return RoutingConfigs(self.db).current().config

    def written(self, rep: str = "maya", lead_id: str = "00Q5g00000ZOEAAA", rule: str | None = "inbound",
                enqueue: bool = True, summary: dict | None = None, connection: str = "salesforce", **extra: Any):
        """An assignment as the pipeline leaves it (written), with its inbox row done, and its
        notifications queued the way the pipeline calls us."""
        from connector.pipeline import inbox
        from connector.pipeline.models import Assignment, InboxEvent, InboxStatus
        from connector.notify.outbox import enqueue_assignment_notifications
        from sqlalchemy import select

        now = self.now()
        config = self.config()
        with self.app.app_context(), self.db.session() as session:
            inbox.enqueue(session, connection, [inbox.IncomingLead(lead_id, "webhook")], now)
            row = session.scalars(select(InboxEvent).where(InboxEvent.lead_id == lead_id)).one()
            row.status = InboxStatus.DONE.value
            assignment = Assignment(connection=connection, lead_id=lead_id, lead_summary=dict(summary or {**SUMMARY, "url": f"{self.url}/{lead_id}"}),
                                    status="written", rule=rule, rep_id=rep,
                                    owner_crm_id=config.crm_owner_id(rep, "salesforce"), trace=list(TRACE),
                                    received_at=now, decided_at=now, written_at=now, config_version=1, **extra)
            session.add(assignment)
            session.flush()
            if enqueue:
                enqueue_assignment_notifications(session, assignment, config, now)
            return assignment.id

    def deliver(self):
        from connector.notify.outbox import deliver_due

        return deliver_due(self.db, self.runtime.notifiers, self.now())

    def messages(self) -> list[dict]:
        return self.control.slack.messages()

    def slack_user(self, key: str) -> str:
        return next(u.id for u in self.sandbox.vendor("slack").workspace.users.values() if u.key == key)


def notify_app(make_app, running, db_url: str | None = None, **extra):
    """The app (``make_app``) with the room's routing config stored and Salesforce on ``running``."""
    from connector.platform.db import get_db
    from connector.routing import store as routing_store

    routing = extra.pop("ROUTING", ROUTING)
    app = make_app(db_url, LEADROUTER_DEMO="off", LEADROUTER_SALESFORCE_URL=running.url,
                   LEADROUTER_SALESFORCE_CLIENT_ID="sandbox", LEADROUTER_SALESFORCE_CLIENT_SECRET="sandbox",
                   LEADROUTER_SLACK_CA_BUNDLE=str(running.ca_path), **extra)
    # create_app already ran notify.init_app(app)
    routing_store.save_version(get_db(app), routing, actor="test")
    return app


def make_kit(make_app, running, control: SandboxClient, db_url: str | None = None, **extra) -> Kit:
    """Slack configured: the app's Slack Web API is the sandbox's, on the sandbox's clock."""
    from connector.notify import get_runtime

    app = notify_app(make_app, running, db_url,
                     LEADROUTER_SLACK_BOT_TOKEN="xoxb-sandbox", LEADROUTER_SLACK_SIGNING_SECRET="sandbox-signing-secret",
                     LEADROUTER_SLACK_BASE_URL=running.url + "/api/", **extra)
    get_runtime(app).clock = running.sandbox.clock.now
    return Kit(app, running.sandbox, control, running.url)


@pytest.fixture
def kit(make_app, crm, crm_control, sandbox):
    """Slack configured, on SQLite."""
    return make_kit(make_app, crm, crm_control)


@pytest.fixture
def kit_db(db_url, make_app, crm, crm_control, sandbox):
    """The same on SQLite and on PostgreSQL: for the storage-heavy paths (outbox, SLA walk)."""
    return make_kit(make_app, crm, crm_control, db_url)


@pytest.fixture
def served(kit, serve):
    """The app on a real port, as Slack's Interactivity Request URL."""
    kit.control.slack.set_interactivity(f"{serve(kit.app).url}/slack/actions")
    return kit


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
