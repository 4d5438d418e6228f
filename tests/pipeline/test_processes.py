"""Several worker processes on PostgreSQL rotate as one; a killed worker loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from connector.platform.db import get_db
from connector.pipeline.models import LeadStatus
from connector.routing.store import save_version
from tests.pipeline.conftest import sandbox_settings
from tests.support.apps import TEST_KEYS
from tests.support.waiting import free_port, wait_until
from tests.pipeline.test_end_to_end import owner_in_crm

ROOT = Path(__file__).resolve().parents[2]


def worker_env(routed) -> dict[str, str]:
    settings = routed.app.config["LEADROUTER_SETTINGS"]
    return {"PATH": os.environ["PATH"], "LEADROUTER_DATABASE_URL": settings.database_url,
            "LEADROUTER_VAR_DIR": str(settings.var_dir), "LEADROUTER_LOG_LEVEL": "WARNING",
            "LEADROUTER_DEMO": "off", **TEST_KEYS, **sandbox_settings(routed.crm, routed.url)}


def create_contacts(routed, count: int) -> list[str]:
    """``count`` unassigned HubSpot contacts through the batch API (unique emails on every call)."""
    ids, tag = [], time.monotonic_ns()
    for start in range(0, count, 100):
        inputs = [{"properties": {"email": f"c{n}.{tag}@bulk{n}.example", "firstname": f"C{n}", "company": f"Co {n}"}}
                  for n in range(start, min(count, start + 100))]
        response = routed.http.post(f"{routed.crm.url}/crm/v3/objects/contacts/batch/create", json={"inputs": inputs},
                                    headers={"Authorization": "Bearer sandbox-hubspot-token"})
        assert response.status_code in (200, 201), response.text
        ids += [r["id"] for r in response.json()["results"]]
        routed.crm.sandbox.clock.advance(10)  # stay inside HubSpot's ten-second window
    return ids


def seven_rep_round_robin(routed) -> None:
    owners = [u for u in routed.app.extensions["leadrouter.connections"].adapter("hubspot").read_roster()
              if u.active and u.email != "admin@sandbox.example"][:7]
    reps = [{"id": f"rep{n}", "name": u.name, "email": u.email, "crm": {"hubspot": u.id}} for n, u in enumerate(owners)]
    config = {"version": 1, "timezone": "UTC", "reps": reps,
              "teams": [{"id": "seven", "members": [r["id"] for r in reps]}],
              "rules": [{"name": "rr", "to": "team:seven", "pick": "round_robin"}]}
    save_version(get_db(routed.app), yaml.safe_dump(config), actor="test")


@pytest.fixture
def db_url(postgresql_url):
    """Several worker processes need a server database: these tests run on PostgreSQL only."""
    return postgresql_url


def wait_for_sandbox_requests(routed, timeout: float = 20) -> None:
    """Every CRM call the sandbox received has been answered. A SIGKILLed worker's call is still
    served after its death (a latency fault sleeps, then the write lands): left in flight, it
    would land after the next test's ``reset`` on that test's fresh records, whose ids start
    again at 1001 (seen: the next test's three new contacts owned before its worker read them)."""
    requests_ = routed.crm.sandbox.requests
    wait_until(lambda: all(e["status"] is not None for e in requests_.list()), timeout,
               "the sandbox to answer every CRM call in flight")


@pytest.fixture
def postgres_routed(routed):
    yield routed
    wait_for_sandbox_requests(routed)  # nothing of this test may land in the next one


@pytest.mark.slow
def test_four_worker_processes_route_2000_leads_exactly_once_and_fairly(postgres_routed):
    routed = postgres_routed
    seven_rep_round_robin(routed)
    ids = create_contacts(routed, 2000)
    routed.wait_for_inbox(2000, timeout=60)
    workers = [subprocess.Popen([sys.executable, "app.py", "worker", "--once"], cwd=ROOT, env=worker_env(routed),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    assignments = routed.assignments()
    assert len(assignments) == 2000 and len({a.lead_id for a in assignments}) == 2000
    assert {a.status for a in assignments} == {LeadStatus.WRITTEN.value}
    per_rep = Counter(a.rep_id for a in assignments)
    assert len(per_rep) == 7 and max(per_rep.values()) - min(per_rep.values()) <= 1, per_rep
    assert sum(1 for out, _ in outputs if '"claimed": 0' not in out) >= 2  # the work was really shared
    for lead_id in ids[:20]:
        assert owner_in_crm(routed, "hubspot", lead_id) == next(a.owner_crm_id for a in assignments if a.lead_id == lead_id)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_its_leads_to_be_routed_once(postgres_routed):
    routed = postgres_routed
    ids = routed.create_leads("hubspot", 5)
    routed.wait_for_inbox(5)
    slow_write = routed.crm.sandbox.faults.add_latency(4000, vendor="hubspot", method="POST",
                                                       path="/crm/v3/objects/contacts/batch/update")
    worker = subprocess.Popen([sys.executable, "app.py", "worker"], cwd=ROOT, env=worker_env(routed),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: any(a.status == "decided" for a in routed.assignments()), 60, "a decided lead")
        time.sleep(0.5)  # now inside the slow write call
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    routed.crm.sandbox.faults.remove(slow_write.id)
    assert routed.drain().claimed == 0  # the dead worker's claim still holds
    routed.clock.advance(seconds=31)  # its lease (LEADROUTER_CLAIM_LEASE_SECONDS, 30) runs out
    routed.drain()
    wait_for_sandbox_requests(routed)  # the dead worker's write has landed too: it must agree
    assignments = routed.assignments()
    assert sorted(a.lead_id for a in assignments) == sorted(ids)  # one each: decided once
    assert {a.status for a in assignments} == {LeadStatus.WRITTEN.value}
    for a in assignments:
        assert owner_in_crm(routed, "hubspot", a.lead_id) == a.owner_crm_id


@pytest.mark.slow
def test_a_living_worker_keeps_its_claim_past_the_lease_while_the_crm_is_slow(postgres_routed):
    """The heartbeat: a write that takes longer than the lease does not hand the lead to another
    worker while the first one is alive (no double decision, no double write)."""
    routed = postgres_routed
    ids = routed.create_leads("hubspot", 3)
    routed.wait_for_inbox(3)
    jobs_lease = timedelta(seconds=3)
    routed.app.extensions["leadrouter.runtime"].pipeline.lease = jobs_lease
    slow_write = routed.crm.sandbox.faults.add_latency(8000, vendor="hubspot", method="POST",
                                                       path="/crm/v3/objects/contacts/batch/update")
    worker = subprocess.Popen([sys.executable, "app.py", "worker", "--once"], cwd=ROOT,
                              env={**worker_env(routed), "LEADROUTER_CLAIM_LEASE_SECONDS": "3"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        try:
            wait_until(lambda: any(a.status == "decided" for a in routed.assignments()), 60, "a decided lead")
            time.sleep(4.5)  # past the 3 s lease, well inside the 8 s write
            assert worker.poll() is None
            assert routed.drain().claimed == 0  # the heartbeat kept the claim
            # ...and that was asked while the worker's write was still in flight (not after it).
            writes = [e for e in routed.crm.sandbox.requests.list(vendor="hubspot")
                      if e["path"] == "/crm/v3/objects/contacts/batch/update"]
            assert len(writes) == 1 and writes[0]["status"] is None, writes
        finally:
            try:
                out, err = worker.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                out, err = worker.communicate()
            routed.crm.sandbox.faults.remove(slow_write.id)
    except BaseException:
        print(f"worker exit {worker.returncode}\n--- stdout\n{out}\n--- stderr\n{err}\n--- assignments")
        for a in routed.assignments():
            print(a.lead_id, a.status, a.attempts, a.last_error, a.reason)
        for e in routed.crm.sandbox.requests.list(vendor="hubspot"):
            if e["method"] != "GET":
                print(e["seq"], e["time"], e["method"], e["path"], e["status"], e["headers"].get("User-Agent"), e["body"][:300])
        raise
    assert worker.returncode == 0, err
    assignments = routed.assignments()
    assert sorted(a.lead_id for a in assignments) == sorted(ids)
    assert {a.status for a in assignments} == {LeadStatus.WRITTEN.value}


# -- the web server under gunicorn ----------------------------------------------------------------
def start_web(routed, workers: int = 3, **env: str) -> tuple[subprocess.Popen, str]:
    """``python app.py web --workers N`` on a free port, pointed at the routed test's database and
    sandbox; returns once /healthz answers."""
    import requests

    import tempfile

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    output = tempfile.TemporaryFile("w+")   # not a pipe: nobody reads it until the end, it must never fill
    process = subprocess.Popen([sys.executable, "app.py", "web", "--port", str(port), "--workers", str(workers)],
                               cwd=ROOT, env={**worker_env(routed), "LEADROUTER_BASE_URL": url, **env},
                               stdout=output, stderr=subprocess.STDOUT, text=True)
    process.output = output
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"web exited {process.returncode}: {stop(process)}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("gunicorn did not answer /healthz within 30 s")


def stop(process: subprocess.Popen) -> str:
    """SIGTERM (then SIGKILL after 20 s) a process of ``start_web``; returns its output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.output.seek(0)
    out = process.output.read()
    process.output.close()
    return out


def signed_hubspot_events(url: str, secret: str, contact_ids: list[str], first_event: int) -> tuple[bytes, dict]:
    import base64
    import hashlib
    import hmac
    import json

    now_ms = int(time.time() * 1000)
    body = json.dumps([{"eventId": first_event + n, "subscriptionId": 1, "portalId": 7, "appId": 9,
                        "occurredAt": now_ms, "subscriptionType": "contact.creation", "attemptNumber": 0,
                        "objectId": int(cid), "changeFlag": "CREATED"} for n, cid in enumerate(contact_ids)]).encode()
    stamp = str(now_ms)
    source = b"POST" + f"{url}/webhooks/hubspot/hubspot".encode() + body + stamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
    return body, {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp,
                  "Content-Type": "application/json"}


@pytest.mark.slow
def test_gunicorn_workers_never_share_a_database_connection(postgres_routed):
    """`python app.py web --workers 3` on PostgreSQL: the pool is created anew in each worker
    after the fork, so the first concurrent webhooks all answer 2xx (no EMPTY_QUERY, no
    "can't change 'autocommit' now")."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from connector.pipeline.models import InboxEvent

    routed = postgres_routed
    routed.control.hubspot.configure_webhooks(url=None)   # only our requests
    contacts = create_contacts(routed, 60)
    assert routed.count(InboxEvent) == 0
    process, url = start_web(routed, workers=3)
    try:
        secret = routed.app.config["LEADROUTER_SETTINGS"].hubspot_app_secret.get_secret_value()
        requests_ = [signed_hubspot_events(url, secret, contacts[n:n + 2], 900_000 + n) for n in range(0, 60, 2)]

        def post(item):
            body, headers = item
            return requests.post(f"{url}/webhooks/hubspot/hubspot", data=body, headers=headers, timeout=30)

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = [r.status_code for r in pool.map(post, requests_)]
    finally:
        output = stop(process)
    assert statuses and all(200 <= s < 300 for s in statuses), (statuses, output[-3000:])
    assert "Traceback" not in output, output[-3000:]
    assert routed.count(InboxEvent) == 60   # every lead stored once
