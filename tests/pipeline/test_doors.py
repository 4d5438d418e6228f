"""Bad input at every door gets a clear 4xx, stores nothing and crashes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from connector.platform.db import get_db
from connector.pipeline.models import InboxEvent

SECRET = "app-secret-for-tests"
INBOUND = "inbound-secret-for-tests"
ORG = "00D5g000004SbxAEAS"
BASE = "http://localhost"


@pytest.fixture
def door(make_app):
    return make_app(LEADROUTER_BASE_URL=BASE,
                    LEADROUTER_HUBSPOT_TOKEN="pat-test", LEADROUTER_HUBSPOT_APP_SECRET=SECRET,
                    LEADROUTER_SALESFORCE_URL="https://login.example", LEADROUTER_SALESFORCE_CLIENT_ID="id",
                    LEADROUTER_SALESFORCE_CLIENT_SECRET="secret", LEADROUTER_SALESFORCE_ORG_ID=ORG,
                    LEADROUTER_INBOUND_SECRET=INBOUND)


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


# -- issue 18: one regression test per defect found at the doors --------------------------------
def post_hubspot(app, body: bytes, headers: dict | None = None):
    return app.test_client().post("/webhooks/hubspot/hubspot", data=body, content_type="application/json",
                                  headers=hubspot_headers(body) if headers is None else headers)


@pytest.mark.parametrize("header", ["X-HubSpot-Signature-v3", "X-HubSpot-Signature"])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_non_ascii_hubspot_signature_header_is_a_401(door, header, version):
    body = events(1)
    headers = {**hubspot_headers(body), header: "é" * 44}
    if header == "X-HubSpot-Signature":
        headers = {header: "ü" * 64, "X-HubSpot-Signature-Version": version}
    response = post_hubspot(door, body, headers)
    assert response.status_code == 401 and "malformed" in response.get_json()["error"]
    assert stored(door) == 0


def test_a_400_digit_hubspot_timestamp_is_a_401(door):
    body = events(1)
    headers = {**hubspot_headers(body), "X-HubSpot-Request-Timestamp": "9" * 400}
    response = post_hubspot(door, body, headers)
    assert response.status_code == 401 and "X-HubSpot-Request-Timestamp" in response.get_json()["error"]
    assert stored(door) == 0


def _event(**fields) -> dict:
    return {"eventId": 1, "subscriptionType": "contact.creation", "objectId": 5,
            "occurredAt": int(time.time() * 1000), **fields}


@pytest.mark.parametrize("body, named", [
    (b"[[true]]", "0"),
    (json.dumps([_event(occurredAt={"ms": 1})]).encode(), "occurredAt"),
    (json.dumps([_event(occurredAt=10 ** 30)]).encode(), "occurredAt"),
    (json.dumps([_event(objectId=10 ** 40)]).encode(), "objectId"),
    (json.dumps([_event(objectId="00Q' OR Id != '")]).encode(), "objectId"),
    (b"[" * 50_000 + b"]" * 50_000, "recursion"),
    (json.dumps([_event(extra=json.loads("[" * 500 + "]" * 500))]).encode(), "recursion"),
    (b"\xff\xfe[]", "JSON"),
])
def test_odd_but_validly_signed_hubspot_bodies_are_a_400_naming_what_is_wrong(door, body, named):
    response = post_hubspot(door, body)
    assert response.status_code == 400, response.data
    assert named in response.get_json()["error"]
    assert stored(door) == 0


@pytest.mark.parametrize("encoding", ["bogus", "utf-16", "x-mac-klingon"])
def test_an_outbound_message_declaring_another_encoding_is_a_400(door, encoding):
    body = outbound().replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())
    response = door.test_client().post("/webhooks/salesforce/salesforce", data=body, content_type="text/xml")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["error"]
    assert stored(door) == 0


@pytest.mark.parametrize("lead_id", ["00Q' OR Id != '", "003000000000001AAA", "00Q5g00000AbCd", "00Q5g00000AbCdEAA",
                                     "00Q5g00000AbCdÉAAV"])
def test_a_bad_salesforce_lead_id_is_refused_at_the_door(door, lead_id):
    response = door.test_client().post("/webhooks/salesforce/salesforce", data=outbound(lead_id=lead_id),
                                       content_type="text/xml")
    assert response.status_code == 400, response.data
    assert "Salesforce lead id" in response.get_json()["error"]
    assert stored(door) == 0


def test_a_15_character_salesforce_lead_id_is_taken(door):
    response = door.test_client().post("/webhooks/salesforce/salesforce", data=outbound(lead_id="00Q5g00000AbCdE"),
                                       content_type="text/xml")
    assert response.status_code == 200 and stored(door) == 1


def post_inbound(app, body: bytes, headers: dict | None = None, connection: str = "salesforce"):
    return app.test_client().post(f"/webhooks/inbound/{connection}", data=body, content_type="application/json",
                                  headers=inbound_headers(body) if headers is None else headers)


@pytest.mark.parametrize("connection, body, named", [
    ("salesforce", b'{"lead": [1]}', "lead"),
    ("salesforce", b'{"lead_id": "00Q\' OR Id != \'"}', "Salesforce lead id"),
    ("salesforce", b'{"lead_id": "001000000000001AAA"}', "Salesforce lead id"),
    ("hubspot", b'{"lead_id": "12a"}', "HubSpot record id"),
    ("hubspot", b'{"lead_id": 1e400}', "lead_id"),
    ("hubspot", b'{"lead_id": ' + b"9" * 30 + b"}", "HubSpot record id"),
    ("hubspot", b"[[true]]", "object"),
    ("hubspot", b'{"lead_id": "1", "lead": {"id": "2"}}', "exactly one"),
    ("hubspot", b'{"lead_id": "1", "leadId": "2"}', "leadId"),
    ("hubspot", b'{"lead": {"id": "1", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}", "recursion"),
])
def test_odd_but_validly_signed_inbound_bodies_are_a_400(door, connection, body, named):
    response = post_inbound(door, body, connection=connection)
    assert response.status_code == 400, response.data
    assert named in response.get_json()["error"]
    assert stored(door) == 0


@pytest.mark.parametrize("stamp", ["nan", "NaN", "inf", "1e3", "-1", " 1", "1.5", "9" * 400, "١٢٣"])
def test_an_inbound_timestamp_that_is_not_unix_seconds_is_a_401(door, stamp):
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV"}).encode()
    response = post_inbound(door, body, inbound_headers(body, stamp=stamp))
    assert response.status_code == 401 and "X-Leadrouter-Timestamp" in response.get_json()["error"]
    assert stored(door) == 0


@pytest.mark.parametrize("age", [-360, 360])
def test_an_inbound_timestamp_more_than_five_minutes_away_is_a_401(door, age):
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV"}).encode()
    response = post_inbound(door, body, inbound_headers(body, age=age))
    assert response.status_code == 401 and stored(door) == 0


def test_the_inbound_signature_covers_the_timestamp(door):
    """A captured request cannot be replayed later with a fresh timestamp."""
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV"}).encode()
    captured = inbound_headers(body, age=200)
    fresh = {**captured, "X-Leadrouter-Timestamp": str(int(time.time()))}
    response = post_inbound(door, body, fresh)
    assert response.status_code == 401 and "Signature" in response.get_json()["error"]
    assert stored(door) == 0


def test_an_inbound_request_replayed_to_another_web_process_is_refused(db_url, tmp_path, make_app):
    """Two apps on one database stand for two gunicorn workers: the second sees the replay."""
    settings = dict(LEADROUTER_BASE_URL=BASE, LEADROUTER_SALESFORCE_URL="https://login.example",
                    LEADROUTER_SALESFORCE_CLIENT_ID="id", LEADROUTER_SALESFORCE_CLIENT_SECRET="secret",
                    LEADROUTER_SALESFORCE_ORG_ID=ORG, LEADROUTER_INBOUND_SECRET=INBOUND)
    first = make_app(db_url, tmp_path / "var1", **settings)
    second = make_app(db_url, tmp_path / "var2", **settings)
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV"}).encode()
    headers = inbound_headers(body)
    assert post_inbound(first, body, headers).status_code == 200
    replay = post_inbound(second, body, headers)
    assert replay.status_code == 409 and "replay" in replay.get_json()["error"]
    again = post_inbound(first, body, headers)
    assert again.status_code == 409
    assert stored(first) == 1
    # the same lead signed afresh is a new request (and a duplicate in the inbox, not a 409)
    assert post_inbound(second, body, inbound_headers(body, age=30)).status_code == 200  # surely another second


@pytest.fixture
def served_door(door, serve):
    return door, serve(door).port


def _post_chunked(port: int, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    import http.client

    def chunks():
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=chunks(), encode_chunked=True,
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked", **headers})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


def test_a_chunked_body_over_one_mib_is_a_413_and_stores_nothing(served_door):
    """Before: the stream was cut at 1 MiB and its first MiB judged (here: a valid event list)."""
    app, port = served_door
    head = events(1)
    body = head[:-1] + b"," + b" " * (1024 * 1024) + b'{"eventId": 2, "subscriptionType": "contact.creation",' \
        b' "objectId": 2, "occurredAt": 1}]'
    headers = hubspot_headers(body, path="/webhooks/hubspot/hubspot")
    status, answer = _post_chunked(port, "/webhooks/hubspot/hubspot", body, headers)
    assert status == 413 and "larger than" in answer["error"]
    assert stored(app) == 0


def test_a_chunked_body_within_the_limit_is_read_whole(served_door):
    app, port = served_door
    body = json.dumps({"lead_id": "00Q5g00000AbCdEAAV", "event_id": "x" * 100}).encode() + b" " * 900_000
    status, answer = _post_chunked(port, "/webhooks/inbound/salesforce", body, inbound_headers(body))
    assert status == 200 and answer["queued"] == 1
    assert stored(app) == 1


def test_an_association_change_event_beside_a_creation_is_skipped_not_refused(door):
    """HubSpot's association-change events carry fromObjectId / toObjectId, no objectId."""
    association = {"eventId": 7, "subscriptionType": "contact.associationChange", "occurredAt": 1714564800000,
                   "fromObjectId": 5, "toObjectId": 9, "associationType": "CONTACT_TO_COMPANY"}
    body = json.dumps([association, *json.loads(events(3))]).encode()
    response = post_hubspot(door, body)
    assert response.status_code == 200 and response.get_json()["queued"] == 1
    assert stored(door) == 1
