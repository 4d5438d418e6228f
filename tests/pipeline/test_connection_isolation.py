"""One connection that cannot be built fails alone, visibly; the others go on routing."""

from __future__ import annotations

import subprocess
import sys

from connector.platform.db import get_db
from connector.connections.models import Connection
from connector.pipeline.models import LeadStatus
from tests.pipeline.test_end_to_end import owner_in_crm
from tests.pipeline.test_processes import ROOT, worker_env

BROKEN_REASON = "the password login needs client_id, client_secret, username, password"


def store_broken_connection(app) -> None:
    # A stored Salesforce connection whose settings lack what its login needs (written by an
    # older version, or edited in the database): its adapter cannot be built.
    with get_db(app).session() as session:
        session.add(Connection(name="sf-broken", kind="salesforce", enabled=True,
                               settings={"url": "https://login.example.invalid", "auth": "password"},
                               secrets=None, poll_interval_s=60))


def test_a_broken_stored_connection_does_not_stop_the_others_in_a_worker_process(routed):
    ids = routed.create_leads("hubspot", 3)
    routed.wait_for_inbox(3)
    store_broken_connection(routed.app)

    worker = subprocess.run([sys.executable, "app.py", "worker", "--once"], cwd=ROOT, env=worker_env(routed),
                            capture_output=True, text=True, timeout=120)

    assert worker.returncode == 0, worker.stderr
    assert "Traceback" not in worker.stderr
    assert "connection sf-broken cannot be used" in worker.stderr  # said, once, in the log
    assignments = routed.assignments()
    assert sorted(a.lead_id for a in assignments) == sorted(ids)
    assert {a.status for a in assignments} == {LeadStatus.WRITTEN.value}
    for a in assignments:
        assert owner_in_crm(routed, "hubspot", a.lead_id) == a.owner_crm_id


def test_readyz_names_the_broken_connection_and_its_reason_and_stays_ready(make_app):
    app = make_app()
    store_broken_connection(app)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["connections"]["sf-broken"]["status"] == "broken"
    assert BROKEN_REASON in body["connections"]["sf-broken"]["error"]
