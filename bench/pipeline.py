"""Benchmarks of the pipeline, against the CRM sandbox, on a temporary SQLite database:

- ``door``: latency of ``POST /webhooks/hubspot/<connection>`` over real HTTP (signed single-event
  batches, one client thread), the webhook-to-inbox path (target: p99 under 50 ms);
- ``routing``: leads routed per second from inbox to owner written in the CRM, and CRM API calls
  per lead (HubSpot, batches of 100).

    python app.py bench pipeline      # prints one JSON object
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
import yaml
from werkzeug.serving import make_server

SECRET = "sandbox-app-secret"


def _percentiles(samples_ms: list[float]) -> dict:
    samples_ms = sorted(samples_ms)
    return {"requests": len(samples_ms), "p50_ms": round(samples_ms[len(samples_ms) // 2], 2),
            "p99_ms": round(samples_ms[int(len(samples_ms) * 0.99) - 1], 2),
            "mean_ms": round(statistics.fmean(samples_ms), 2)}


def _app(workdir: Path, crm, base_url: str):
    from app import create_app
    from connector.platform import db as db_room

    url = f"sqlite:///{workdir / 'bench.db'}"
    db_room.upgrade(url)
    from cryptography.fernet import Fernet

    return create_app({
        "LEADROUTER_SECRET_KEY": "bench", "LEADROUTER_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LEADROUTER_DATABASE_URL": url, "LEADROUTER_VAR_DIR": str(workdir), "LEADROUTER_LOG_LEVEL": "WARNING",
        "LEADROUTER_BASE_URL": base_url, "LEADROUTER_HUBSPOT_TOKEN": "sandbox-hubspot-token",
        "LEADROUTER_HUBSPOT_APP_SECRET": SECRET, "LEADROUTER_HUBSPOT_BASE_URL": crm.url,
        "LEADROUTER_HUBSPOT_CA_BUNDLE": str(crm.ca_path)})


def bench_door(base_url: str, count: int) -> dict:
    session = requests.Session()
    session.trust_env = False
    path = "/webhooks/hubspot/hubspot"
    samples = []
    for n in range(count):
        body = json.dumps([{"eventId": 10_000_000 + n, "subscriptionId": 1, "portalId": 1, "appId": 1,
                            "occurredAt": int(time.time() * 1000), "subscriptionType": "contact.creation",
                            "attemptNumber": 0, "objectId": 90_000_000 + n, "changeFlag": "CREATED"}]).encode()
        stamp = str(int(time.time() * 1000))
        signature = base64.b64encode(hmac.new(SECRET.encode(), b"POST" + (base_url + path).encode() + body
                                              + stamp.encode(), hashlib.sha256).digest()).decode()
        start = time.perf_counter()
        response = session.post(base_url + path, data=body, headers={
            "Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Request-Timestamp": stamp})
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"door answered {response.status_code}: {response.text}")
    return _percentiles(samples)


def bench_routing(app, crm, count: int) -> dict:
    from connector.pipeline import jobs
    from connector.platform.db import get_db
    from connector.pipeline.inbox import IncomingLead, enqueue
    from connector.routing.store import save_version
    from connector.routing.starter import starter_config

    connections = app.extensions["leadrouter.connections"]
    rosters = {"hubspot": connections.adapter("hubspot").read_roster()}
    save_version(get_db(app), yaml.safe_dump(starter_config(rosters, exclude_emails=["admin@sandbox.example"])),
                 actor="bench")
    http = requests.Session()
    http.verify, http.trust_env = str(crm.ca_path), False
    ids = []
    for start in range(0, count, 100):
        inputs = [{"properties": {"email": f"b{n}@bench{n}.example", "firstname": f"B{n}", "country": "US"}}
                  for n in range(start, min(count, start + 100))]
        response = http.post(f"{crm.url}/crm/v3/objects/contacts/batch/create", json={"inputs": inputs},
                             headers={"Authorization": "Bearer sandbox-hubspot-token"})
        ids += [r["id"] for r in response.json()["results"]]
        crm.sandbox.clock.advance(10)
    with get_db(app).session() as session:
        enqueue(session, "hubspot", [IncomingLead(i, "webhook") for i in ids], datetime.now(timezone.utc))
    calls_before = _hubspot_calls(crm)
    start = time.perf_counter()
    report = jobs.drain(app, "bench")
    elapsed = time.perf_counter() - start
    calls = _hubspot_calls(crm) - calls_before
    return {"leads": count, "written": report.written, "seconds": round(elapsed, 2),
            "leads_per_s": round(report.written / elapsed, 1), "crm_calls": calls,
            "crm_calls_per_100_leads": round(calls * 100 / max(1, report.written), 2)}


def _hubspot_calls(crm) -> int:
    from sandbox.client import SandboxClient

    return int(SandboxClient(crm.url, ca=crm.ca_path).stats()["by_vendor"].get("hubspot", 0))


def main(door_requests: int = 500, leads: int = 1000) -> dict:
    from sandbox.server import start

    crm = start(tls=True, seed="demo")
    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda env, sr: holder["app"](env, sr), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with tempfile.TemporaryDirectory(prefix="leadrouter-bench-") as tmp:
        app = holder["app"] = _app(Path(tmp), crm, base_url)
        thread.start()
        try:
            bench_door(base_url, 50)  # warm-up
            door = bench_door(base_url, door_requests)
            routing = bench_routing(app, crm, leads)
        finally:
            server.shutdown()
            app.extensions["leadrouter.connections"].close()
            app.extensions["leadrouter.db"].dispose()
            crm.stop()
    return {"door": door, "routing": routing}


if __name__ == "__main__":
    print(json.dumps(main()))
