"""The connections page walks an admin through each CRM's set-up with the values to paste (this
installation's webhook URLs, the subscriptions, scopes and Flow condition of docs/*-setup.md) and
checks what it can: the CRM answered, a webhook arrived N minutes ago (through the sandbox's real
deliveries to the app's doors), a secret is set. The guides are served, rendered, with their anchors."""

from __future__ import annotations

import lxml.html
import pytest

from tests.support.crm import unpoint_crm
from tests.support.waiting import wait_until
from tests.support.web import make_user, post, sign_in
from tests.web.sandboxed import served_app

HUBSPOT = {"kind": "hubspot", "name": "hubspot-eu", "base_url": "https://api.hubapi.com", "poll_interval_s": "120",
           "enabled": "1", "token": "pat-na1-secret"}


def _steps(client, name: str) -> dict[str, str]:
    page = lxml.html.fromstring(client.get("/settings/connections/").get_data(as_text=True))
    box = page.get_element_by_id(f"setup-{name}")
    return {li.xpath("./b")[0].text_content(): " ".join(li.text_content().split()) for li in box.xpath(".//li")}


def test_a_stored_hubspot_connection_lists_its_steps_with_the_values_to_paste(admin_client, app):
    post(admin_client, "/settings/connections/new?kind=hubspot", HUBSPOT)
    steps = _steps(admin_client, "hubspot-eu")
    token, hooks, secret = steps["An access token with these scopes"], steps["Webhook subscriptions"], \
        steps["The app secret"]
    for scope in ("crm.objects.contacts.write", "crm.objects.owners.read", "crm.objects.companies.read"):
        assert scope in token
    assert "no call seen yet" in token
    assert "http://127.0.0.1:8000/webhooks/hubspot/hubspot-eu" in hooks
    assert "contact.creation" in hooks and "contact.propertyChange, property hubspot_owner_id" in hooks
    assert "no webhook received yet" in hooks
    assert "✗ not set" in secret


def test_routing_hubspot_leads_asks_for_the_leads_scopes_and_object_events(admin_client):
    post(admin_client, "/settings/connections/new?kind=hubspot", {**HUBSPOT, "object": "leads", "app_secret": "s"})
    steps = _steps(admin_client, "hubspot-eu")
    assert "crm.objects.leads.write" in steps["An access token with these scopes"]
    assert "object.creation of the Leads object" in steps["Webhook subscriptions"]
    assert "✓ set" in steps["The app secret"]


def test_a_salesforce_connection_without_its_org_id_is_told_that_messages_are_refused(admin_client):
    post(admin_client, "/settings/connections/new?kind=salesforce",
         {"kind": "salesforce", "name": "sf", "url": "https://login.salesforce.com", "client_id": "abc",
          "client_secret": "s3cret", "intake_queues": "Inbound Leads", "enabled": "1"})
    steps = _steps(admin_client, "sf")
    outbound = steps["Outbound message from a record-triggered Flow"]
    assert "http://127.0.0.1:8000/webhooks/salesforce/sf" in outbound
    assert 'BEGINS({!$Record.OwnerId}, "00G")' in outbound and "org_id is not set" in outbound
    assert "Inbound Leads" in steps["Intake queues"]
    assert "Sforce-Auto-Assign: FALSE" in steps["Your assignment rule"]


def test_test_connection_turns_the_token_step_green(admin_client, crm):
    crm.sandbox.reset()
    post(admin_client, "/settings/connections/new?kind=hubspot",
         {**HUBSPOT, "base_url": crm.url, "ca_bundle": str(crm.ca_path), "token": "sandbox-hubspot-token"})
    post(admin_client, "/settings/connections/1/test", token_from="/settings/connections/")
    token = _steps(admin_client, "hubspot-eu")["An access token with these scopes"]
    assert "✓ HubSpot answered less than a minute ago" in token


@pytest.fixture
def live(crm, crm_control, make_app, serve):
    app, _url = served_app(crm, crm_control, make_app, serve)
    make_user(app.extensions["leadrouter.db"], "admin@example.com", "admin")
    client = app.test_client()
    sign_in(client, "admin@example.com")
    yield client
    unpoint_crm(crm_control, crm)


def test_a_webhook_and_an_outbound_message_are_seen_arriving(live, crm_control):
    before = _steps(live, "hubspot")
    assert "no webhook received yet" in before["Webhook subscriptions"]
    assert "✓ set" in before["The app secret"]
    crm_control.create_lead("hubspot", first_name="Ana", last_name="Lima", email="ana@lima.example", country="BR")
    crm_control.create_lead("salesforce", first_name="Rui", last_name="Mota", email="rui@mota.example",
                            company="Mota Lda", country="PT")
    wait_until(lambda: "received less than a minute ago" in _steps(live, "hubspot")["Webhook subscriptions"], 20,
               "the HubSpot webhook")
    wait_until(lambda: "an outbound message received less than a minute ago" in
               _steps(live, "salesforce")["Outbound message from a record-triggered Flow"], 20, "the outbound message")


def test_slack_and_email_steps_say_what_is_missing(admin_client):
    steps = _steps(admin_client, "notifications")
    assert "users:read.email" in steps["Slack app"] and "http://127.0.0.1:8000/slack/actions" in steps["Slack app"]
    assert "LEADROUTER_SLACK_BOT_TOKEN" in steps["Slack app"] and "LEADROUTER_SMTP_URL" in steps["Email (SMTP)"]


def test_the_guides_are_served_rendered_and_the_steps_link_their_sections(admin_client, manager_client):
    post(admin_client, "/settings/connections/new?kind=hubspot", HUBSPOT)
    page = lxml.html.fromstring(admin_client.get("/settings/connections/").get_data(as_text=True))
    link = page.xpath('//details[@id="setup-hubspot-eu"]//a[text()="Guide"]/@href')[1]
    assert link == "/settings/connections/guides/hubspot-setup.md#2-webhook-subscriptions"
    guide = lxml.html.fromstring(admin_client.get(link.split("#")[0]).get_data(as_text=True))
    assert guide.xpath('//h2[@id="2-webhook-subscriptions"]') and guide.xpath("//table")
    assert admin_client.get("/settings/connections/guides/../README.md").status_code == 404
    assert admin_client.get("/settings/connections/guides/secret.md").status_code == 404
    assert manager_client.get("/settings/connections/guides/hubspot-setup.md").status_code == 403
