"""End-to-end fixtures: the CRM sandbox (Salesforce + HubSpot over TLS), and the app served on a
real port with connections pointed at the sandbox, a starter config imported from the sandbox's
rosters, and the sandbox's webhooks / outbound messages aimed at the app's doors."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
import requests
import yaml
from sqlalchemy import func, select
from werkzeug.serving import make_server

from connector.pipeline import jobs
from connector.connections.registry import Connections, from_settings
from connector.pipeline.models import Assignment, InboxEvent
from connector.routing.store import save_version
from connector.routing.starter import starter_config
from connector.platform.db import get_db
from tests.conftest import make_test_app


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
    http: requests.Session

    def control(self, path: str, method: str = "POST", **body: Any) -> Any:
        response = self.http.request(method, f"{self.crm.url}/__sandbox__/{path}", json=body or None)
        assert response.status_code < 300, response.text
        return response.json()

    def create_leads(self, vendor: str, count: int, **fields: Any) -> list[str]:
        ids = []
        for n in range(count):
            record = self.control("leads", vendor=vendor, first_name=f"Lead{n}", last_name="Test",
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


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


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
def routed(crm, db_url, tmp_path):
    crm.sandbox.reset()
    crm.sandbox.deliveries.configure(delay_factor=0.01)
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda env, start_response: holder["app"](env, start_response),
                         threaded=True)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    app = make_test_app(db_url, tmp_path / "var", **sandbox_settings(crm, url))
    # Retries inside the adapters must not sleep in tests; the pipeline's own clock is ours.
    app.extensions["leadrouter.connections"] = Connections(from_settings(app.config["LEADROUTER_SETTINGS"]),
                                                           sleep=lambda _s: None)
    clock = FakeClock()
    jobs.runtime(app).pipeline.clock = clock
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    connections = app.extensions["leadrouter.connections"]
    rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
    config = starter_config(rosters, exclude_emails=["admin@sandbox.example"])
    save_version(get_db(app), yaml.safe_dump(config, sort_keys=False), actor="test")

    crm.sandbox.vendor("hubspot").webhooks.configure(url=f"{url}/webhooks/hubspot/hubspot", batch_window_ms=50)
    crm.sandbox.options["salesforce_outbound_url"] = f"{url}/webhooks/salesforce/salesforce"
    http = requests.Session()
    http.verify, http.trust_env = str(crm.ca_path), False
    yield Routed(app, url, crm, clock, http)
    crm.sandbox.vendor("hubspot").webhooks.configure(url=None)
    crm.sandbox.options["salesforce_outbound_url"] = None
    crm.sandbox.deliveries.wait_idle(5)
    server.shutdown()
    connections.close()
    get_db(app).dispose()
