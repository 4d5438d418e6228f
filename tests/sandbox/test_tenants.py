"""Several HubSpot portals and Salesforce orgs in one sandbox, each with its own credentials
and data, driven through the real SDKs: a private-app token reads only its own portal (owners,
records, properties, limits, webhooks carrying its portalId); a Salesforce login reaches only
its own org (users, queues, leads, identity, org id). The default portal and org stay as seeded."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest, SimplePublicObjectInputForCreate
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

DEFAULT_TOKEN = "sandbox-hubspot-token"


@pytest.fixture
def control(sandbox_server, fresh_sandbox):
    session = requests.Session()
    session.verify, session.trust_env = str(sandbox_server.ca_path), False

    def call(method: str, path: str, expect: int = 200, **body):
        response = session.request(method, f"{sandbox_server.url}/__sandbox__/{path}", json=body or None)
        assert response.status_code == expect, response.text
        return response.json()

    yield call
    session.close()


def hubspot(running, token: str) -> HubSpot:
    return HubSpot(access_token=token, host=running.url, ssl_ca_cert=str(running.ca_path))


# -- HubSpot -------------------------------------------------------------------------------------
def test_a_second_portal_has_its_own_token_owners_and_records(sandbox_server, control):
    created = control("POST", "hubspot/portals", 201, region="eu1", name="EMEA")
    assert created["token"].startswith("pat-eu1-") and created["portal_id"] != 24681357
    eu = hubspot(sandbox_server, created["token"])
    default = hubspot(sandbox_server, DEFAULT_TOKEN)

    eu_owners = {o.email: o for o in eu.crm.owners.owners_api.get_page(limit=100).results}
    default_owners = {o.email: o for o in default.crm.owners.owners_api.get_page(limit=100).results}
    assert set(eu_owners) == set(default_owners)   # the same team works in both accounts ...
    assert not {o.id for o in eu_owners.values()} & {o.id for o in default_owners.values()}  # ... with other ids
    assert not {o.user_id for o in eu_owners.values()} & {o.user_id for o in default_owners.values()}
    maya_eu = eu_owners["maya.patel@demo.leadrouter.dev"].id

    contact = eu.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={
        "email": "eu@eu.example", "firstname": "Eu", "hubspot_owner_id": maya_eu}))
    # A portal's owner id is not an owner in another portal: HubSpot refuses it there.
    with pytest.raises(ApiException) as caught:
        default.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={
            "email": "us@us.example", "hubspot_owner_id": maya_eu}))
    assert caught.value.status == 400 and "INVALID_OWNER_ID" in caught.value.body
    # The default token does not see the EU portal's contact, not by id, not in search.
    with pytest.raises(ApiException) as caught:   # (the default portal holds no contacts yet)
        default.crm.contacts.basic_api.get_by_id(contact.id, properties=["email"])
    assert caught.value.status == 404
    search = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "eu@eu.example"}]}])
    assert default.crm.contacts.search_api.do_search(search).total == 0
    assert eu.crm.contacts.search_api.do_search(search).total == 1
    assert eu.crm.contacts.basic_api.get_by_id(contact.id, properties=["hubspot_owner_id"]) \
        .properties["hubspot_owner_id"] == maya_eu
    # Custom properties come with the seed (each portal declares its own).
    assert "segment" in {p.name for p in eu.crm.properties.core_api.get_all("contacts").results}
    # The control plane reads the EU portal's records with ?portal_id=.
    record = control("GET", f"records/hubspot/contacts/{contact.id}?portal_id={created['portal_id']}")
    assert record["properties"]["email"] == "eu@eu.example"


def test_each_portal_counts_its_own_limits(sandbox_server, control):
    created = control("POST", "hubspot/portals", 201)
    control("POST", f"hubspot/limits?portal_id={created['portal_id']}", ten_second_max=3)
    session = requests.Session()
    session.verify, session.trust_env = str(sandbox_server.ca_path), False

    def get(token: str) -> requests.Response:
        return session.get(f"{sandbox_server.url}/crm/v3/objects/contacts",
                           headers={"Authorization": f"Bearer {token}"})

    answers = [get(created["token"]) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert str(created["app_id"]) in answers[3].json()["groupName"]
    other = get(DEFAULT_TOKEN)   # the default portal's window is untouched
    assert other.status_code == 200 and other.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert int(other.headers["X-HubSpot-RateLimit-Remaining"]) >= 185


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.raw: list[tuple[dict, str]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.raw.append((dict(self.headers), body))
                receiver.events += json.loads(body)
                receiver.arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def test_webhooks_of_a_portal_carry_its_portal_id_and_are_signed_with_its_secret(sandbox_server, control):
    from hubspot.utils.signature import Signature

    receiver = Receiver()
    try:
        created = control("POST", "hubspot/portals", 201, webhook_url=receiver.url)
        control("POST", f"hubspot/webhooks?portal_id={created['portal_id']}", batch_window_ms=0)
        control("POST", "leads", 201, vendor="hubspot", portal_id=created["portal_id"],
                first_name="Web", email="web@web.example")
        assert receiver.arrived.wait(10)
        [event] = receiver.events
        assert event["portalId"] == created["portal_id"] and event["appId"] == created["app_id"]
        assert event["subscriptionType"] == "contact.creation"
        deliveries = control("GET", f"hubspot/webhooks?portal_id={created['portal_id']}")["deliveries"]
        assert deliveries and control("GET", "hubspot/webhooks")["settings"]["url"] is None
        headers, body = receiver.raw[0]
        assert created["app_secret"] != "sandbox-app-secret"
        assert Signature.is_valid(signature=headers["X-HubSpot-Signature"], client_secret=created["app_secret"],
                                  request_body=body, signature_version="v1")
        assert not Signature.is_valid(signature=headers["X-HubSpot-Signature"], client_secret="sandbox-app-secret",
                                      request_body=body, signature_version="v1")
    finally:
        receiver.server.shutdown()


def test_reset_leaves_only_the_default_portal(sandbox_server, control, fresh_sandbox):
    created = control("POST", "hubspot/portals", 201)
    fresh_sandbox.reset()
    with pytest.raises(ApiException) as caught:
        hubspot(sandbox_server, created["token"]).crm.contacts.basic_api.get_page()
    assert caught.value.status == 401
    assert [p["portal_id"] for p in control("GET", "hubspot/portals")["portals"]] == [24681357]


def test_a_portal_can_start_with_unowned_contacts(sandbox_server, control):
    created = control("POST", "hubspot/portals", 201, leads=25)
    client = hubspot(sandbox_server, created["token"])
    search = PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]}], limit=100)
    assert client.crm.contacts.search_api.do_search(search).total == 25
    assert hubspot(sandbox_server, DEFAULT_TOKEN).crm.contacts.search_api.do_search(search).total == 0
    assert "another portal" in control("POST", "hubspot/portals", 400, token=created["token"])["error"]


# -- Salesforce ------------------------------------------------------------------------------------
def test_a_second_org_has_its_own_login_users_and_leads(http, control):
    created = control("POST", "salesforce/orgs", 201, name="EMEA org")
    default_org = control("GET", "")["vendors"]["salesforce"]["org_id"]
    assert created["org_id"].startswith("00D") and created["org_id"] != default_org
    assert created["client_id"].startswith("3MVG9")
    other = Salesforce(username=created["username"], password=created["password"],
                       consumer_key=created["client_id"], consumer_secret=created["client_secret"], session=http)
    default = Salesforce(username="admin@sandbox.example", password="sandbox",
                         consumer_key="sandbox", consumer_secret="sandbox", session=http)
    assert other.session_id.startswith(created["org_id"][:15] + "!")
    admin = next(u for u in created["users"] if u["Username"] == created["username"])
    me = http.get(f"{http.base_url}/id/{created['org_id']}/{admin['Id']}",
                  headers={"Authorization": f"Bearer {other.session_id}"}).json()
    assert (me["organization_id"], me["username"]) == (created["org_id"], created["username"])
    # The identity URL of the default org is not reachable with the other org's session.
    default_admin = default.query("SELECT Id FROM User WHERE Username = 'admin@sandbox.example'")["records"][0]["Id"]
    assert http.get(f"{http.base_url}/id/{default_org}/{default_admin}",
                    headers={"Authorization": f"Bearer {other.session_id}"}).status_code == 404

    users_other = {u["Email"]: u for u in other.query("SELECT Id, Email, Username FROM User")["records"]}
    users_default = {u["Email"]: u for u in default.query("SELECT Id, Email, Username FROM User")["records"]}
    maya = "maya.patel@demo.leadrouter.dev"
    assert maya in users_other and maya in users_default
    assert users_other[maya]["Id"] != users_default[maya]["Id"]
    assert users_other[maya]["Username"] != users_default[maya]["Username"]   # unique across Salesforce
    queues = other.query("SELECT Id, Name FROM Group WHERE Type = 'Queue'")["records"]
    assert [q["Name"] for q in queues] == ["Inbound Leads"] and queues[0]["Id"] == created["intake_queue_id"]

    lead = other.Lead.create({"LastName": "Only-In-Other", "Company": "Other Ltd"})
    assert other.Lead.get(lead["id"])["OwnerId"] == created["intake_queue_id"]   # its assignment rule
    with pytest.raises(SalesforceResourceNotFound):
        default.Lead.get(lead["id"])
    assert default.query("SELECT COUNT() FROM Lead WHERE LastName = 'Only-In-Other'")["totalSize"] == 0
    # An owner from the other org is no user here.
    with pytest.raises(Exception) as caught:
        default.Lead.create({"LastName": "X", "Company": "Y", "OwnerId": users_other[maya]["Id"]})
    assert "FIELD_INTEGRITY_EXCEPTION" in str(caught.value)
    record = control("GET", f"records/salesforce/Lead/{lead['id']}?org_id={created['org_id']}")
    assert record["LastName"] == "Only-In-Other"
    control("GET", f"records/salesforce/Lead/{lead['id']}", 404)


def test_org_logins_keep_to_their_own_credentials(http, control):
    created = control("POST", "salesforce/orgs", 201, leads=5)
    token_url = f"{http.base_url}/services/oauth2/token"
    # The other org's username with the default connected app's key: not that org's app.
    wrong = http.post(token_url, data={"grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
                                       "username": created["username"], "password": created["password"]})
    assert wrong.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}
    # Client credentials: the connected app's "run as" user, in its org.
    cc = http.post(token_url, data={"grant_type": "client_credentials", "client_id": created["client_id"],
                                    "client_secret": created["client_secret"]}).json()
    assert f"/id/{created['org_id']}/" in cc["id"]
    # SOAP partner login with password + security token.
    soap = Salesforce(username=created["username"], password=created["password"],
                      security_token=created["security_token"], session=http)
    assert soap.query("SELECT COUNT() FROM Lead")["totalSize"] == 5
    # Each org counts its own API calls.
    limits = control("GET", f"salesforce/limits?org_id={created['org_id']}")
    assert limits["used"] >= 1 and control("GET", "salesforce/limits")["used"] == 0
    # A username is unique across Salesforce.
    control("POST", "salesforce/orgs", 400, username=created["username"])


def test_each_org_has_a_host_of_its_own_and_its_sessions_work_only_there(sandbox_server, http, control):
    """As with a real org's My Domain: the shared login host answers an org's login with the org's
    own instance_url (OAuth and SOAP), the REST API answers that org's sessions there, and another
    org's host (or the login host) does not know the session (401 INVALID_SESSION_ID)."""
    created = control("POST", "salesforce/orgs", 201, leads=2)
    login = http.post(f"{sandbox_server.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": created["client_id"], "client_secret": created["client_secret"],
        "username": created["username"], "password": created["password"]}).json()
    own = login["instance_url"]
    assert own == created["instance_url"] != sandbox_server.url
    assert login["id"].startswith(sandbox_server.url + "/id/")   # identity stays on the login host
    query = "/services/data/v59.0/query/?q=SELECT+COUNT()+FROM+Lead"
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    assert http.get(own + query, headers=bearer).json()["totalSize"] == 2
    refused = http.get(sandbox_server.url + query, headers=bearer)
    assert (refused.status_code, refused.json()[0]["errorCode"]) == (401, "INVALID_SESSION_ID")
    default = Salesforce(username="admin@sandbox.example", password="sandbox", consumer_key="sandbox",
                         consumer_secret="sandbox", session=http)
    elsewhere = http.get(own + query, headers={"Authorization": f"Bearer {default.session_id}"})
    assert elsewhere.status_code == 401
    soap = Salesforce(username=created["username"], password=created["password"],
                      security_token=created["security_token"], session=http)
    assert f"https://{soap.sf_instance}" == own   # the partner login's serverUrl is the org's host
    # The host stays the org's after a reset: the same slot, the same address.
    control("POST", "reset")
    again = control("POST", "salesforce/orgs", 201)
    assert again["instance_url"] == own and again["org_id"] == created["org_id"]
