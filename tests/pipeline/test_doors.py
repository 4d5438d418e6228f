"""Bad input at every door gets a clear 4xx, stores nothing and crashes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from connector.db import get_db
from connector.models import InboxEvent
from tests.conftest import make_test_app

SECRET = "app-secret-for-tests"
INBOUND = "inbound-secret-for-tests"
ORG = "00D5g000004SbxAEAS"
BASE = "http://localhost"


@pytest.fixture
def door(sqlite_url, tmp_path):
    app = make_test_app(sqlite_url, tmp_path / "var", LEADROUTER_BASE_URL=BASE,
                        LEADROUTER_HUBSPOT_TOKEN="pat-test", LEADROUTER_HUBSPOT_APP_SECRET=SECRET,
                        LEADROUTER_SALESFORCE_URL="https://login.example", LEADROUTER_SALESFORCE_CLIENT_ID="id",
                        LEADROUTER_SALESFORCE_CLIENT_SECRET="secret", LEADROUTER_SALESFORCE_ORG_ID=ORG,
                        LEADROUTER_INBOUND_SECRET=INBOUND)
    yield app
    get_db(app).dispose()


def stored(app) -> int:
    with get_db(app).session() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent))


def hubspot_headers(body: bytes, path="/webhooks/hubspot/hubspot", stamp_ms: int | None = None) -> dict:
    stamp = str(stamp_ms if stamp_ms is not None else int(time.time() * 1000))
    source = b"POST" + (BASE + path).encode() + body + stamp.encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), source, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}


def events(*ids: int, sub="contact.creation") -> bytes:
    return json.dumps([{"eventId": 1000 + i, "subscriptionId": 1, "portalId": 7, "appId": 9,
                        "occurredAt": int(time.time() * 1000), "subscriptionType": sub,
                        "attemptNumber": 0, "objectId": i, "changeFlag": "CREATED"} for i in ids]).encode()


def outbound(org: str = ORG, lead_id: str = "00Q5g00000AbCdEAAV") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId><ActionId>04k5g0000000001AAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://x.example/services/Soap/c/59.0/{org}</EnterpriseUrl>
   <PartnerUrl>https://x.example/services/Soap/u/59.0/{org}</PartnerUrl>
   <Notification><Id>04l5g0000000001AAA</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{lead_id}</sf:Id><sf:Company>Acme</sf:Company></sObject></Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


def test_a_signed_hubspot_batch_is_stored_once_even_when_replayed(door):
    client, body = door.test_client(), events(1, 2)
    first = client.post("/webhooks/hubspot/hubspot", data=body, headers=hubspot_headers(body),
                        content_type="application/json")
    assert first.status_code == 200 and first.get_json()["queued"] == 2
    replay = client.post("/webhooks/hubspot/hubspot", data=body, headers=hubspot_headers(body),
                         content_type="application/json")
    assert replay.get_json()["duplicates"] == 2 and stored(door) == 2


@pytest.mark.parametrize("case", ["no signature", "wrong signature", "stale", "future"])
def test_hubspot_door_refuses_bad_signatures(door, case):
    body = events(1)
    now_ms = int(time.time() * 1000)
    headers = {"no signature": {}, "wrong signature": hubspot_headers(b"[]"),
               "stale": hubspot_headers(body, stamp_ms=now_ms - 6 * 60_000),
               "future": hubspot_headers(body, stamp_ms=now_ms + 6 * 60_000)}[case]
    response = door.test_client().post("/webhooks/hubspot/hubspot", data=body, headers=headers,
                                       content_type="application/json")
    assert response.status_code == 401 and "error" in response.get_json()
    assert stored(door) == 0


@pytest.mark.parametrize("path, content_type, body, status", [
    ("/webhooks/hubspot/hubspot", "text/plain", b"[]", 415),
    ("/webhooks/hubspot/nope", "application/json", b"[]", 404),
    ("/webhooks/salesforce/salesforce", "application/json", b"{}", 415),
    ("/webhooks/hubspot/hubspot", "application/json", b"x" * (2 * 1024 * 1024), 413),
])
def test_doors_check_connection_type_and_size(door, path, content_type, body, status):
    response = door.test_client().post(path, data=body, content_type=content_type)
    assert response.status_code == status
    assert stored(door) == 0


def test_broken_json_with_a_valid_signature_is_a_400(door):
    body = b"[{not json"
    response = door.test_client().post("/webhooks/hubspot/hubspot", data=body, headers=hubspot_headers(body),
                                       content_type="application/json")
    assert response.status_code == 400 and stored(door) == 0


def test_salesforce_outbound_message_is_acked_after_storing(door):
    response = door.test_client().post("/webhooks/salesforce/salesforce", data=outbound(), content_type="text/xml")
    assert response.status_code == 200
    assert b"<Ack>true</Ack>" in response.data.replace(b" ", b"")
    assert stored(door) == 1


@pytest.mark.parametrize("body, status", [
    (outbound(org="00D000000000001AAA"), 403),
    (b"<not-xml", 400),
    (b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>""", 400),
    (b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>""", 400),
])
def test_salesforce_door_refuses_other_orgs_broken_xml_and_entity_bombs(door, body, status):
    response = door.test_client().post("/webhooks/salesforce/salesforce", data=body, content_type="text/xml")
    assert response.status_code == status, response.data
    assert stored(door) == 0


def inbound_headers(body: bytes, secret: str = INBOUND, age: float = 0, stamp: str | None = None) -> dict:
    """The documented scheme (README, Doors): HMAC-SHA256 of "<timestamp>.<raw body>"."""
    stamp = stamp if stamp is not None else str(int(time.time() - age))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Leadrouter-Timestamp": stamp, "X-Leadrouter-Signature": "sha256=" + digest}


def test_inbound_door_takes_a_signed_lead_id(door):
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV", "event_id": "flow-1"}).encode()
    response = door.test_client().post("/webhooks/inbound/salesforce", data=body, headers=inbound_headers(body),
                                       content_type="application/json")
    assert response.status_code == 200 and response.get_json()["queued"] == 1


@pytest.mark.parametrize("case", ["wrong secret", "stale", "no timestamp", "not json", "no id"])
def test_inbound_door_refuses_bad_requests(door, case):
    good = json.dumps({"lead_id": "1"}).encode()
    body = {"not json": b"{oops", "no id": b'{"lead": {}}'}.get(case, good)
    headers = {"wrong secret": inbound_headers(body, secret="other"), "stale": inbound_headers(body, age=600),
               "no timestamp": {"X-Leadrouter-Signature": inbound_headers(body)["X-Leadrouter-Signature"]}
               }.get(case, inbound_headers(body))
    response = door.test_client().post("/webhooks/inbound/hubspot", data=body, headers=headers,
                                       content_type="application/json")
    assert response.status_code == (400 if case in ("not json", "no id") else 401), response.data
    assert stored(door) == 0
