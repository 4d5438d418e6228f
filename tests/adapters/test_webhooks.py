"""Webhook verification and parsing: HubSpot signatures v1/v2/v3 and Salesforce outbound messages."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from adapters import WebhookKind, WebhookRejected, build_adapter
from adapters.hubspot_signature import sign_v1, sign_v2, sign_v3

SECRET = "app-secret"
URL = "https://router.example.com/hooks/hubspot?portal=1%3A2"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
EVENTS = [{"eventId": 101, "subscriptionId": 1, "portalId": 9, "appId": 5, "occurredAt": 1714564800000,
           "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 1001,
           "changeFlag": "CREATED", "changeSource": "CRM_UI"},
          {"eventId": 102, "subscriptionId": 2, "portalId": 9, "appId": 5, "occurredAt": 1714564801000,
           "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 1001,
           "propertyName": "hubspot_owner_id", "propertyValue": "61000001", "changeSource": "CRM_UI"},
          {"eventId": 103, "subscriptionType": "company.creation", "objectId": 5, "occurredAt": 1}]
BODY = json.dumps(EVENTS).encode()


@pytest.fixture
def hubspot():
    return build_adapter("hubspot", {"base_url": "https://api.hubapi.com"},
                         {"token": "t", "app_secret": SECRET}, now=lambda: NOW)


def v3_headers(at: datetime, body: bytes = BODY, url: str = URL) -> dict:
    ts = str(int(at.timestamp() * 1000))
    return {"X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", url, body, ts),
            "X-HubSpot-Request-Timestamp": ts}


def test_a_v3_signature_within_five_minutes_is_accepted(hubspot):
    hubspot.verify_webhook(v3_headers(NOW - timedelta(minutes=4)), "POST", URL, BODY)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=365)])
def test_a_v3_timestamp_too_old_or_in_the_future_is_rejected(hubspot, skew):
    with pytest.raises(WebhookRejected) as caught:
        hubspot.verify_webhook(v3_headers(NOW + skew), "POST", URL, BODY)
    assert caught.value.status == 401


def test_a_tampered_body_or_url_is_rejected(hubspot):
    headers = v3_headers(NOW)
    with pytest.raises(WebhookRejected):
        hubspot.verify_webhook(headers, "POST", URL, BODY + b" ")
    with pytest.raises(WebhookRejected):
        hubspot.verify_webhook(headers, "POST", URL.replace("portal=1", "portal=2"), BODY)


def test_v3_decodes_the_uri_escapes_hubspot_lists(hubspot):
    decoded = URL.replace("%3A", ":")
    hubspot.verify_webhook(v3_headers(NOW, url=decoded), "POST", URL, BODY)


def test_v1_and_v2_signatures_are_accepted(hubspot):
    hubspot.verify_webhook({"X-HubSpot-Signature": sign_v1(SECRET, BODY),
                            "X-HubSpot-Signature-Version": "v1"}, "POST", URL, BODY)
    hubspot.verify_webhook({"X-HubSpot-Signature": sign_v2(SECRET, "POST", URL, BODY),
                            "X-HubSpot-Signature-Version": "v2"}, "POST", URL, BODY)
    with pytest.raises(WebhookRejected):
        hubspot.verify_webhook({"X-HubSpot-Signature": sign_v1("other", BODY)}, "POST", URL, BODY)
    with pytest.raises(WebhookRejected):
        hubspot.verify_webhook({}, "POST", URL, BODY)


def test_hubspot_events_parse_into_lead_events_with_their_ids(hubspot):
    events = hubspot.parse_webhook(BODY)
    assert [(e.event_id, e.lead_id, e.kind) for e in events] == [
        ("101", "1001", WebhookKind.CREATED), ("102", "1001", WebhookKind.OWNER_CHANGED)]
    assert events[0].occurred_at == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    with pytest.raises(WebhookRejected):
        hubspot.parse_webhook(b"{not json")


def test_a_real_sandbox_delivery_verifies(make_hubspot, sandbox, running):
    """The sandbox signs as HubSpot does; our verifier accepts its v1 and v3 headers."""
    from sandbox.hubspot.webhooks import signature_v1, signature_v3
    body = json.dumps(EVENTS[:1], separators=(",", ":"))
    ts = str(int(datetime.now(timezone.utc).timestamp() * 1000))
    secret = sandbox.options["hubspot_app_secret"]
    url = "https://router.example.com/hooks/hubspot"
    headers = {"X-HubSpot-Signature": signature_v1(secret, body), "X-HubSpot-Signature-Version": "v1",
               "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, ts),
               "X-HubSpot-Request-Timestamp": ts}
    make_hubspot().verify_webhook(headers, "POST", url, body.encode())


# -- Salesforce outbound messages ------------------------------------------------------------------

ORG = "00D5g000004SbxAEAS"


def outbound(org: str = ORG, extra: str = "") -> bytes:
    from sandbox.salesforce.outbound import envelope
    return envelope(org_id=org, action_id="04k5g000000SbxA", enterprise_url="https://e",
                    partner_url="https://p", notifications=[
                        ("04l5g00000AAAA1", "Lead", {"Id": "00Q5g0000000001EAA", "Email": "a@b.com",
                                                     "SystemModstamp": "2024-05-01T12:00:00.000Z"}),
                        ("04l5g00000AAAA2", "Lead", {"Id": "00Q5g0000000002EAA"})])


@pytest.fixture
def salesforce():
    return build_adapter("salesforce", {"url": "https://login.salesforce.com", "client_id": "c",
                                        "username": "u", "org_id": ORG[:15]},
                         {"client_secret": "s", "password": "p"})


def test_an_outbound_message_from_our_org_is_accepted_and_parsed(salesforce):
    body = outbound()
    salesforce.verify_webhook({"Content-Type": "text/xml"}, "POST", "https://x/hooks/sf", body)
    events = salesforce.parse_webhook(body)
    assert [(e.event_id, e.lead_id, e.kind) for e in events] == [
        ("04l5g00000AAAA1", "00Q5g0000000001EAA", WebhookKind.NOTIFICATION),
        ("04l5g00000AAAA2", "00Q5g0000000002EAA", WebhookKind.NOTIFICATION)]
    assert events[0].payload["Email"] == "a@b.com" and events[0].occurred_at.year == 2024
    reply = salesforce.webhook_reply(events)
    assert reply.status == 200 and "<Ack>true</Ack>" in reply.body


def test_the_ack_is_what_the_sandbox_accepts_as_an_acknowledgement(salesforce):
    import requests
    from sandbox.salesforce.outbound import is_ack
    response = requests.Response()
    response.status_code, response._content = 200, salesforce.webhook_reply([]).body.encode()
    assert is_ack(response)


def test_an_outbound_message_from_another_org_is_rejected(salesforce):
    with pytest.raises(WebhookRejected) as caught:
        salesforce.verify_webhook({}, "POST", "https://x", outbound(org="00D000000000001AAA"))
    assert caught.value.status == 403


@pytest.mark.parametrize("body", [
    b"not xml",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
])
def test_malformed_or_entity_laden_xml_is_rejected(salesforce, body):
    with pytest.raises(WebhookRejected) as caught:
        salesforce.verify_webhook({}, "POST", "https://x", body)
    assert caught.value.status == 400
