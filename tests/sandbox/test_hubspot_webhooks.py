"""HubSpot webhooks from the sandbox: signed batches, retries, duplicates and reordering,
checked with the HubSpot SDK's own signature helper."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hubspot.utils.signature import Signature

from sandbox.server import start

SECRET = "sandbox-app-secret"
VENDORS = ("sandbox.hubspot:HubSpotVendor",)


class Receiver:
    """A local HTTP endpoint that records every POST and answers from a script of statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/hubspot?tenant=a%3Ab"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()

    def events(self) -> list[dict]:
        return [event for request in self.requests for event in json.loads(request["body"])]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.requests) >= count, f"{len(self.requests)} requests, wanted {count}"


@pytest.fixture(scope="module")
def running():
    server = start(seed="demo", vendors=VENDORS)
    yield server
    server.stop()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.server.shutdown()


@pytest.fixture
def hubspot(running, receiver):
    running.sandbox.reset()
    running.sandbox.deliveries.configure(delay_factor=0.001)  # a retry schedule in milliseconds
    vendor = running.sandbox.vendor("hubspot")
    vendor.webhooks.configure(url=receiver.url, batch_window_ms=30, seed=7)
    return vendor


def lead(n: int) -> dict:
    return {"first_name": "Kwame", "last_name": f"Okafor{n}", "email": f"kwame{n}@atlas.example",
            "country": "GB", "source": "Web"}


def test_a_new_contact_is_announced_in_a_signed_batch(hubspot, receiver):
    contact = hubspot.create_lead(lead(1))
    receiver.wait_for(1)
    request = receiver.requests[0]
    headers = request["headers"]
    assert Signature.is_valid(signature=headers["X-HubSpot-Signature-v3"], client_secret=SECRET,
                              request_body=request["body"], http_uri=receiver.url.replace("%3A", ":"),
                              http_method="POST", signature_version="v3",
                              timestamp=headers["X-HubSpot-Request-Timestamp"])
    assert headers["X-HubSpot-Signature-Version"] == "v1"
    assert Signature.is_valid(signature=headers["X-HubSpot-Signature"], client_secret=SECRET,
                              request_body=request["body"], signature_version="v1")
    [event] = json.loads(request["body"])
    assert event["subscriptionType"] == "contact.creation"
    assert event["objectId"] == int(contact["id"]) and event["changeFlag"] == "CREATED"
    assert event["attemptNumber"] == 0 and event["portalId"] == 24681357
    assert set(event) >= {"eventId", "subscriptionId", "appId", "occurredAt", "changeSource"}


def test_a_tampered_body_fails_the_v3_signature(hubspot, receiver):
    hubspot.create_lead(lead(2))
    receiver.wait_for(1)
    request = receiver.requests[0]
    assert not Signature.is_valid(signature=request["headers"]["X-HubSpot-Signature-v3"],
                                  client_secret=SECRET, request_body=request["body"] + " ",
                                  http_uri=receiver.url.replace("%3A", ":"), signature_version="v3",
                                  timestamp=request["headers"]["X-HubSpot-Request-Timestamp"])


def test_failed_deliveries_are_retried_with_a_growing_attempt_number(hubspot, receiver):
    receiver.statuses = [500, 404]
    hubspot.create_lead(lead(3))
    receiver.wait_for(3)
    attempts = [json.loads(r["body"])[0]["attemptNumber"] for r in receiver.requests]
    assert attempts == [0, 1, 2]
    assert len({json.loads(r["body"])[0]["eventId"] for r in receiver.requests}) == 1
    for request in receiver.requests:  # each attempt is signed afresh
        assert Signature.is_valid(signature=request["headers"]["X-HubSpot-Signature-v3"],
                                  client_secret=SECRET, request_body=request["body"],
                                  http_uri=receiver.url.replace("%3A", ":"), signature_version="v3",
                                  timestamp=request["headers"]["X-HubSpot-Request-Timestamp"])


def test_delivery_gives_up_after_ten_attempts(hubspot, receiver, running):
    running.sandbox.deliveries.configure(delay_factor=0.00001)  # 9 waits, ~4 h real: 0.14 s
    receiver.statuses = [503] * 12
    hubspot.create_lead(lead(4))
    hubspot.webhooks.flush()
    assert running.sandbox.deliveries.wait_idle(5)
    assert len(receiver.requests) == 10
    assert json.loads(receiver.requests[-1]["body"])[0]["attemptNumber"] == 9


def test_batches_carry_at_most_one_hundred_events(hubspot, receiver, running):
    with running.sandbox.lock:
        for n in range(250):
            hubspot.crm.create("contacts", {"email": f"bulk{n}@example.com"})
    receiver.wait_for(3)
    assert sorted(len(json.loads(r["body"])) for r in receiver.requests) == [50, 100, 100]


def test_an_owner_change_is_a_property_change_event(hubspot, receiver, running):
    contact = hubspot.create_lead(lead(5))
    receiver.wait_for(1)
    noah = hubspot.owners.by_key("noah").id
    record = hubspot.crm.store("contacts").find(contact["id"])
    with running.sandbox.lock:
        hubspot.crm.update("contacts", record, {"hubspot_owner_id": noah}, source="CRM_UI")
    receiver.wait_for(2)
    [event] = json.loads(receiver.requests[1]["body"])
    assert event["subscriptionType"] == "contact.propertyChange"
    assert (event["propertyName"], event["propertyValue"]) == ("hubspot_owner_id", noah)
    assert event["changeSource"] == "CRM_UI"


def test_duplicates_and_reordering_when_asked(hubspot, receiver):
    # A long window and an explicit flush: the 20 events go out as one batch however slow the
    # machine is, so the assertion is about reordering, not about timing.
    hubspot.webhooks.configure(duplicate_rate=1.0, reorder=True, batch_window_ms=60_000)
    for n in range(20):
        hubspot.create_lead(lead(100 + n))
    hubspot.webhooks.flush()
    receiver.wait_for(2)
    ids = [e["eventId"] for e in receiver.events()]
    assert len(ids) == 40 and len(set(ids)) == 20
    for request in receiver.requests:
        batch = [e["eventId"] for e in json.loads(request["body"])]
        assert len(batch) == 20 and batch != sorted(batch)
