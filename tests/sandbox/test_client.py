"""sandbox.client.SandboxClient, against the running sandbox: what each call changes is seen
through the vendors' own APIs (HubSpot CRM v3, Salesforce REST, Slack Web API), and a refusal of
the control plane raises SandboxError with its status and reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from sandbox.client import SandboxClient, SandboxError

T0 = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def control(crm, crm_control) -> SandboxClient:
    crm_control.reset()
    return crm_control


@pytest.fixture
def vendor_api(crm) -> requests.Session:
    session = requests.Session()
    session.verify, session.trust_env = str(crm.ca_path), False
    yield session
    session.close()


def hubspot_get(vendor_api, crm, path: str) -> requests.Response:
    return vendor_api.get(crm.url + path, headers={"Authorization": "Bearer sandbox-hubspot-token"}, timeout=10)


def test_it_freezes_moves_and_releases_the_sandbox_clock(control):
    assert control.set_clock(T0) == T0
    assert control.advance_clock(90) == T0 + timedelta(seconds=90)
    assert control.clock() == T0 + timedelta(seconds=90)
    control.reset()
    assert abs(control.clock() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_a_refusal_raises_with_the_status_and_the_control_planes_reason(control):
    with pytest.raises(SandboxError) as missing:
        control.record("salesforce", "Lead", "00Q5g00000NOPEAAA")
    assert missing.value.status == 404 and "00Q5g00000NOPEAAA" in missing.value.message
    with pytest.raises(SandboxError) as bad:
        control.add_fault("flood")
    assert bad.value.status == 400 and str(bad.value).startswith("POST /__sandbox__/faults: 400 ")


def test_a_fault_shows_in_the_vendor_api_and_in_the_request_log_until_removed(control, crm, vendor_api):
    rule = control.add_fault("error", status=503, rate=1.0, vendor="hubspot", method="GET", path="/crm/v3/owners*")
    assert [f["id"] for f in control.faults()] == [rule["id"]]
    assert hubspot_get(vendor_api, crm, "/crm/v3/owners").status_code == 503
    control.remove_fault(rule["id"])
    assert hubspot_get(vendor_api, crm, "/crm/v3/owners").status_code == 200

    log = control.requests(vendor="hubspot")
    assert [(e["path"], e["status"], e["fault"]) for e in log] == [
        ("/crm/v3/owners", 503, "error"), ("/crm/v3/owners", 200, None)]
    assert control.requests(vendor="hubspot", since=log[0]["seq"]) == log[1:]
    assert control.requests(vendor="salesforce") == []
    assert control.stats()   # counted
    control.add_fault("latency", fixed_ms=1)
    control.clear_faults()
    assert control.faults() == []


def test_a_person_reassigning_in_each_crm_is_what_the_crm_then_answers(control, crm, vendor_api):
    contact = control.create_lead("hubspot", first_name="Zoë", last_name="Novak", email="zoe@novak.example")
    liam = next(o for o in control.hubspot.owners() if o["key"] == "liam")
    control.hubspot.reassign(contact_id=str(contact["id"]), owner="liam")
    seen = hubspot_get(vendor_api, crm, f"/crm/v3/objects/contacts/{contact['id']}?properties=hubspot_owner_id")
    assert seen.json()["properties"]["hubspot_owner_id"] == str(liam["id"])

    lead = control.create_lead("salesforce", first_name="Ann", last_name="O'Hara", company="A&B")
    org = control.describe()["vendors"]["salesforce"]
    maya = next(u["Id"] for u in org["users"] if u["Username"].startswith("maya."))
    assert lead["OwnerId"] != maya
    assert control.salesforce.reassign(lead["Id"], maya)["done"] is True
    token = vendor_api.post(crm.url + "/services/oauth2/token", timeout=10, data={
        "grant_type": "password", "client_id": org["client_id"], "client_secret": org["client_secret"],
        "username": org["username"], "password": org["password"]}).json()["access_token"]
    seen = vendor_api.get(f"{crm.url}/services/data/v59.0/sobjects/Lead/{lead['Id']}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert seen.json()["OwnerId"] == maya


def test_another_portal_and_org_are_steered_apart_from_the_default_ones(control):
    portal = control.hubspot.add_portal(name="EMEA", region="eu1", seed=None)
    emea = control.hubspot.portal(portal["portal_id"])
    assert emea.configure_webhooks(url="http://127.0.0.1:9/emea")["url"] == "http://127.0.0.1:9/emea"
    assert emea.webhooks()["settings"]["url"] == "http://127.0.0.1:9/emea"
    assert control.hubspot.webhooks()["settings"]["url"] is None
    assert {p["portal_id"] for p in control.hubspot.portals()} >= {portal["portal_id"]}

    org = control.salesforce.add_org(name="Second", seed=None)
    second = control.salesforce.org(org["org_id"])
    second.set_outbound_url("http://127.0.0.1:9/second")
    assert second.outbound_url() == "http://127.0.0.1:9/second"
    assert control.salesforce.outbound_url() is None
    assert second.set_limits(daily_api_limit=7)["daily_api_limit"] == 7
    assert control.salesforce.limits()["daily_api_limit"] != 7


def test_slack_messages_posted_through_the_web_api_are_listed_by_channel(control, crm, vendor_api):
    assert control.slack.messages() == []
    answer = vendor_api.post(crm.url + "/api/chat.postMessage", timeout=10,
                             headers={"Authorization": "Bearer xoxb-sandbox"},
                             json={"channel": "#leads", "text": "a new lead"})
    assert answer.json()["ok"] is True, answer.text
    channel = answer.json()["channel"]
    assert [m["message"]["text"] for m in control.slack.messages(channel=channel)] == ["a new lead"]
    assert control.slack.messages(channel="C0NOWHERE") == []
    assert {u["key"] for u in control.slack.users()} >= {"maya"}
