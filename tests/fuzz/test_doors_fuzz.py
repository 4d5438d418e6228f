"""Property-based fuzzing of every door through the app's HTTP layer: HubSpot webhooks,
Salesforce outbound messages, the inbound door and Slack's interactivity requests.

Signed-body cases carry valid signatures, so the parsers behind the signature check are
reached. Every answer must be a 2xx or a 4xx with a JSON error; a 4xx stores nothing; no
traceback is logged (``Sender.post`` checks all three).
"""
from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from hypothesis import example, given, strategies as st

from tests.fuzz.conftest import FUZZ, ORG, hubspot_v3, inbound_signed, slack_signed

# -- building blocks ---------------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)
deep = st.integers(min_value=1, max_value=60_000).map(lambda n: "[" * n + "]" * n)
ids = st.one_of(st.integers(min_value=-(10 ** 25), max_value=10 ** 25), st.text(max_size=30),
                st.sampled_from(["00Q5g00000AbCdEAAV", "00Q5g00000AbCdE", "00Q' OR Id != '", "123", "²", "9" * 30]),
                json_values)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"), max_size=80)
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300),
                   deep.map(str.encode))


def _hubspot_event():
    return st.fixed_dictionaries({
        "eventId": st.one_of(st.integers(min_value=-5, max_value=2 ** 64), ids),
        "subscriptionType": st.sampled_from(["contact.creation", "contact.propertyChange", "contact.deletion",
                                             "object.creation", "company.creation"]) | st.text(max_size=20),
        "objectId": st.one_of(st.integers(min_value=-5, max_value=2 ** 64), ids),
        "occurredAt": st.one_of(st.integers(min_value=-(10 ** 20), max_value=10 ** 400),
                                st.just(int(time.time() * 1000)), json_values),
    }, optional={"propertyName": st.sampled_from(["hubspot_owner_id", "email"]) | st.text(max_size=10),
                 "propertyValue": json_values, "attemptNumber": st.integers(-2, 10 ** 20),
                 "portalId": ids, "changeSource": json_values})


def _valid_hubspot_event():
    """HubSpot's documented event, with unknown extra keys of any JSON: these must be taken."""
    return st.fixed_dictionaries({
        "eventId": st.integers(1, 2 ** 62), "objectId": st.integers(1, 2 ** 62),
        "subscriptionType": st.sampled_from(["contact.creation", "contact.propertyChange", "company.creation"]),
        "occurredAt": st.integers(0, 4_102_444_800_000)},
        optional={"propertyName": st.just("hubspot_owner_id"), "propertyValue": st.just("") | st.text(max_size=5),
                  "extra": json_values})


hubspot_bodies = st.one_of(st.lists(_hubspot_event(), max_size=4).map(lambda v: json.dumps(v).encode()),
                           st.lists(_valid_hubspot_event(), max_size=4).map(lambda v: json.dumps(v).encode()),
                           bodies)


# -- HubSpot -----------------------------------------------------------------------------------
@FUZZ
@given(body=hubspot_bodies)
@example(body=b"[[true]]")
@example(body=b"[" * 50_000 + b"]" * 50_000)
def test_hubspot_door_signed_bodies(sender, body):
    path = "/webhooks/hubspot/hubspot"
    sender.post("hubspot", path, body, hubspot_v3(body, path), "application/json")


@FUZZ
@given(signature=header_text, stamp=header_text, version=header_text, which=st.sampled_from(["v3", "v1v2"]))
@example(signature="é" * 44, stamp=str(int(time.time() * 1000)), version="v1", which="v3")
@example(signature="ü" * 64, stamp="", version="v2", which="v1v2")
@example(signature="x", stamp="9" * 400, version="v3", which="v3")
def test_hubspot_door_header_values(sender, signature, stamp, version, which):
    path, body = "/webhooks/hubspot/hubspot", b"[]"
    headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp} if which == "v3" else \
        {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}
    sender.post("hubspot", path, body, headers, "application/json")


# -- Salesforce outbound messages --------------------------------------------------------------
def outbound(org: str, lead_id: str, notification_id: str, declaration: str, extra: str) -> bytes:
    return (f"""{declaration}<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
 <notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>{org}</OrganizationId>
 <Notification><Id>{notification_id}</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
 <sf:Id>{lead_id}</sf:Id>{extra}</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>"""
            ).encode("utf-8", "surrogatepass")


xml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
declarations = st.sampled_from(['<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>', "",
                                '<?xml version="1.0" encoding="bogus"?>', '<?xml version="1.0" encoding="utf-16"?>',
                                '<?xml version="1.0" encoding="latin-1"?>', "<?xml encoding='x'?>"]) | \
    st.text(max_size=40).map(lambda t: f'<?xml version="1.0" encoding="{t}"?>')
sf_ids = st.from_regex(r"[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?", fullmatch=True)
outbound_bodies = st.one_of(
    st.builds(outbound, st.just(ORG), st.from_regex(r"00Q[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?", fullmatch=True),
              sf_ids, st.just('<?xml version="1.0" encoding="UTF-8"?>'),
              xml_text.map(lambda t: f"<sf:Company>{escape(t)}</sf:Company>")),
    st.builds(outbound, st.just(ORG) | xml_text, st.just("00Q5g00000AbCdEAAV") | xml_text,
              st.just("04l5g0000000001AAA") | xml_text, declarations,
              st.just("") | xml_text | st.integers(1, 3000).map(lambda n: "<a>" * n + "</a>" * n)),
    st.binary(max_size=300), deep.map(lambda s: s.replace("[", "<a>").replace("]", "</a>").encode()))


@FUZZ
@given(body=outbound_bodies, content_type=st.sampled_from(["text/xml", "text/xml; charset=utf-8",
                                                           "application/soap+xml", "text/plain"]))
@example(body=outbound(ORG, "00Q5g00000AbCdEAAV", "04l5g0000000001AAA", '<?xml version="1.0" encoding="bogus"?>', ""),
         content_type="text/xml")
def test_salesforce_door(sender, body, content_type):
    sender.post("salesforce", "/webhooks/salesforce/salesforce", body, {}, content_type)


# -- the inbound door --------------------------------------------------------------------------
valid_lead_ids = st.sampled_from(["00Q5g00000AbCdEAAV", "00Q5g00000AbCdE"]) | \
    st.from_regex(r"00Q[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?", fullmatch=True) | st.integers(1, 2 ** 62)
inbound_bodies = st.one_of(
    st.fixed_dictionaries({"lead_id": valid_lead_ids}, optional={"event_id": st.text(min_size=1, max_size=20)}
                          ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"lead": st.fixed_dictionaries({"id": valid_lead_ids}, optional={"name": json_values})}
                          ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={"lead_id": ids, "lead": json_values | st.fixed_dictionaries({"id": ids}),
                                        "event_id": json_values, "extra": json_values}
                          ).map(lambda v: json.dumps(v).encode()),
    bodies)


@FUZZ
@given(body=inbound_bodies, connection=st.sampled_from(["salesforce", "hubspot"]))
@example(body=b'{"lead": [1]}', connection="salesforce")
@example(body=b'{"lead_id": "00Q\' OR Id != \'"}', connection="salesforce")
def test_inbound_door_signed_bodies(sender, body, connection):
    sender.post("inbound", f"/webhooks/inbound/{connection}", body, inbound_signed(body), "application/json")


@FUZZ
@given(stamp=header_text | st.sampled_from(["nan", "inf", "1e9", "-0", "9" * 400]), signature=header_text)
def test_inbound_door_header_values(sender, stamp, signature):
    body = b'{"lead_id": "00Q5g00000AbCdEAAV"}'
    headers = {"X-Leadrouter-Timestamp": stamp, "X-Leadrouter-Signature": signature}
    sender.post("inbound", "/webhooks/inbound/salesforce", body, headers, "application/json")


@FUZZ
@given(stamp=st.sampled_from(["nan", "NaN", "inf", "1e10", "-1", "9" * 400]) | header_text)
def test_inbound_door_timestamps_with_a_valid_signature(sender, stamp):
    body = b'{"lead_id": "00Q5g00000AbCdEAAV"}'
    response = sender.post("inbound", "/webhooks/inbound/salesforce", body, inbound_signed(body, stamp),
                           "application/json")
    assert response.status_code == 401   # never a fresh, well-formed unix time


# -- Slack interactivity -----------------------------------------------------------------------
slack_actions = st.fixed_dictionaries(
    {"action_id": st.sampled_from(["lead_accept", "lead_pass", "rep_unpause"]) | json_values},
    optional={"value": st.sampled_from(["1", "²", "9" * 30, "-1", "0"]) | json_values})
slack_payloads = st.fixed_dictionaries(
    {"type": st.just("block_actions") | json_values},
    optional={"actions": st.lists(slack_actions, max_size=2) | json_values,
              "user": st.fixed_dictionaries({"id": json_values}) | json_values,
              "container": st.fixed_dictionaries({"channel_id": json_values, "message_ts": json_values}) | json_values})
slack_valid = st.fixed_dictionaries({
    "type": st.just("block_actions"), "user": st.fixed_dictionaries({"id": st.text(max_size=12)}),
    "container": st.fixed_dictionaries({"channel_id": st.text(max_size=12), "message_ts": st.text(max_size=20)}),
    "actions": st.lists(st.fixed_dictionaries({"action_id": st.sampled_from(["lead_accept", "lead_pass", "rep_unpause",
                                                                             "other"]),
                                               "value": st.integers(0, 10 ** 20).map(str) | st.text(max_size=8)}),
                        min_size=1, max_size=2)})
slack_bodies = st.one_of(
    slack_valid.map(lambda p: urlencode({"payload": json.dumps(p)}).encode()),
    slack_payloads.map(lambda p: urlencode({"payload": json.dumps(p)}).encode()),
    json_values.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
    deep.map(lambda s: ("payload=" + quote(s)).encode()),
    st.binary(max_size=200))


@FUZZ
@given(body=slack_bodies)
@example(body=urlencode({"payload": json.dumps({"type": "block_actions",
                                                "actions": [{"action_id": "lead_accept", "value": "²"}]})}).encode())
def test_slack_door_signed_bodies(sender, body):
    sender.post("slack", "/slack/actions", body, slack_signed(body), "application/x-www-form-urlencoded")


@FUZZ
@given(stamp=header_text, signature=header_text)
@example(stamp="9" * 400, signature="v0=" + "0" * 64)
@example(stamp=str(int(time.time())), signature="v0=" + "é" * 64)
def test_slack_door_header_values(sender, stamp, signature):
    body = b"payload=%7B%7D"
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    sender.post("slack", "/slack/actions", body, headers, "application/x-www-form-urlencoded")
