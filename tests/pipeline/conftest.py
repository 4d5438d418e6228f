"""End-to-end fixtures: the CRM sandbox (Salesforce + HubSpot over TLS), and the app served on a
real port with connections pointed at the sandbox, a starter config imported from the sandbox's
rosters, and the sandbox's webhooks / outbound messages aimed at the app's doors."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import func, select

from connector.connections.registry import Connections, from_settings, get_connections, set_connections
from connector.pipeline import jobs
from connector.pipeline.models import Assignment, InboxEvent
from connector.platform.db import get_db
from connector.routing.starter import starter_config
from connector.routing.store import save_version
from sandbox.client import SandboxClient
from tests.support.crm import point_crm_at, unpoint_crm
from tests.support.waiting import wait_until


class FakeClock:
    """Real time plus an offset the test moves forward (retry backoffs, waiting leads)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Routed:
    app: Any
    url: str
    crm: Any
    clock: FakeClock
    http: requests.Session       # the vendors' APIs, trusting the sandbox's CA
    control: SandboxClient       # the sandbox's control plane

    def create_leads(self, vendor: str, count: int, **fields: Any) -> list[str]:
        ids = []
        for n in range(count):
            record = self.control.create_lead(vendor, first_name=f"Lead{n}", last_name="Test",
                                              email=f"lead{n}.{vendor}.{time.monotonic_ns()}@prospect{n}.example",
                                              company=f"Prospect {n}", country="US", **fields)
            ids.append(str(record.get("id") or record.get("Id")))
        return ids

    def wait_for_inbox(self, count: int, timeout: float = 20) -> None:
        wait_until(lambda: self.count(InboxEvent) >= count, timeout, f"{count} inbox rows")

    def count(self, model, *where) -> int:
        with get_db(self.app).session() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def assignments(self) -> list[Assignment]:
        with get_db(self.app).session() as session:
            return list(session.scalars(select(Assignment).order_by(Assignment.id)))

    def drain(self):
        return jobs.drain(self.app, "test-worker")


def sandbox_settings(crm, base_url: str) -> dict[str, str]:
    salesforce = crm.sandbox.vendor("salesforce")
    return {
        "LEADROUTER_BASE_URL": base_url,
        "LEADROUTER_HUBSPOT_TOKEN": "sandbox-hubspot-token",
        "LEADROUTER_HUBSPOT_APP_SECRET": "sandbox-app-secret",
        "LEADROUTER_HUBSPOT_BASE_URL": crm.url,
        "LEADROUTER_HUBSPOT_CA_BUNDLE": str(crm.ca_path),
        "LEADROUTER_SALESFORCE_URL": crm.url,
        "LEADROUTER_SALESFORCE_CLIENT_ID": "sandbox",
        "LEADROUTER_SALESFORCE_CLIENT_SECRET": "sandbox",
        "LEADROUTER_SALESFORCE_USERNAME": "admin@sandbox.example",
        "LEADROUTER_SALESFORCE_PASSWORD": "sandbox",
        "LEADROUTER_SALESFORCE_CA_BUNDLE": str(crm.ca_path),
        "LEADROUTER_SALESFORCE_ORG_ID": salesforce.store.org_id,
        "LEADROUTER_SALESFORCE_INTAKE_QUEUE": "Inbound Leads",
    }


@pytest.fixture
def routed(crm, crm_control, db_url, make_app, serve):
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    served = serve()
    app = make_app(db_url, **sandbox_settings(crm, served.url))
    # Retries inside the adapters must not sleep in tests; the pipeline's own clock is ours.
    set_connections(app, Connections(from_settings(app.config["LEADROUTER_SETTINGS"]), sleep=lambda _s: None))
    clock = FakeClock()
    jobs.runtime(app).pipeline.clock = clock
    served.app = app

    connections = get_connections(app)
    rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
    config = starter_config(rosters, exclude_emails=["admin@sandbox.example"])
    save_version(get_db(app), yaml.safe_dump(config, sort_keys=False), actor="test")

    point_crm_at(crm_control, served.url)
    http = requests.Session()
    http.verify, http.trust_env = str(crm.ca_path), False
    yield Routed(app, served.url, crm, clock, http, crm_control)
    unpoint_crm(crm_control, crm)
