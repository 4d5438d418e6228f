"""A Salesforce connection that routes Contacts (``object: Contact``), as docs/connections.md tells
an admin, through ``python app.py run`` on SQLite: an org of its own (its logins answer with its
own host, as a real org's My Domain), contacts created by the integration user are the unassigned
ones and get an owner from the team, a contact a person already owns keeps its owner even when it
is sent to leadrouter, the channel post links each contact on the org's own host, and
``connections test`` checks the mapped fields against the org's Contact describe. Seen only from
outside: the org's records and request log, Slack, and the commands' output."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import requests
import yaml

from tests.acceptance.conftest import environment, new_product, write_config
from tests.acceptance.harness import free_port, stop_cleanly, wait_until

pytestmark = pytest.mark.slow

TEAM = ("maya", "liam", "sofia")
INBOUND_SECRET = "contacts-inbound-secret"
CHANNEL_ID = "C0LEADS01"


class Org:
    """The org seen as its integration user sees it: OAuth at the login host, REST at its own host."""

    def __init__(self, crm, info: dict) -> None:
        self.info, self.crm = info, crm
        self.http = requests.Session()
        self.http.verify, self.http.trust_env = str(crm.ca_path), False
        token = self.http.post(f"{crm.url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": info["client_id"], "client_secret": info["client_secret"],
            "username": info["username"], "password": info["password"]}, timeout=10).json()
        self.url = token["instance_url"]
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"
        self.users = {u["Email"].split(".")[0]: u["Id"] for u in info["users"] if u["IsActive"]}

    def rest(self, method: str, path: str, **body) -> dict:
        response = self.http.request(method, f"{self.url}/services/data/v59.0{path}", json=body or None, timeout=10)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}

    def create_contact(self, tag: str, **fields) -> str:
        account = self.rest("POST", "/sobjects/Account", Name=f"{tag.title()} GmbH", Industry="Banking")["id"]
        return self.rest("POST", "/sobjects/Contact", FirstName=tag.title(), LastName="Prospect",
                         Email=f"{tag}@{tag}.example", MailingCountry="DE", AccountId=account, **fields)["id"]

    def owner(self, contact_id: str) -> str:
        return self.rest("GET", f"/sobjects/Contact/{contact_id}?fields=OwnerId")["OwnerId"]


def signed_inbound(app_url: str, connection: str, body: dict) -> requests.Response:
    """README's scheme: HMAC-SHA256 of "<unix seconds>.<raw body>" with the inbound secret."""
    raw, stamp = json.dumps(body).encode(), str(int(time.time()))
    signature = hmac.new(INBOUND_SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return requests.post(f"{app_url}/webhooks/inbound/{connection}", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Leadrouter-Timestamp": stamp,
        "X-Leadrouter-Signature": f"sha256={signature}"})


def test_a_contacts_connection_routes_unassigned_contacts_and_leaves_a_persons_contact_alone(
        crm, outside, smtp, tmp_path):
    info = outside.control("salesforce/orgs", "POST", name="Contacts org")
    org = Org(crm, info)
    assert org.url == info["instance_url"] != crm.url    # the org's own host, not the login host
    connection = {"name": "sf-contacts", "kind": "salesforce", "url": crm.url, "auth": "password",
                  "client_id": info["client_id"], "client_secret": "${SF_SECRET}", "username": info["username"],
                  "password": "${SF_PASSWORD}", "ca_bundle": str(crm.ca_path), "org_id": info["org_id"],
                  "object": "Contact", "poll_interval_seconds": 5, "extra_fields": ["Department"]}
    reps = [{"id": key, "name": key.title(), "email": f"{key}@demo.leadrouter.dev", "crm": {"sf-contacts": org.users[key]}}
            for key in TEAM]
    config = {"version": 1, "timezone": "UTC", "reps": reps,
              "teams": [{"id": "inbound", "members": list(TEAM), "channel": "#leads"}],
              "rules": [{"name": "inbound", "to": "team:inbound", "pick": "round_robin", "notify": ["slack:team"]}]}

    port = free_port()
    folder = tmp_path / "product"
    folder.mkdir()
    connections_file = folder / "connections.yaml"
    connections_file.write_text(yaml.safe_dump({"connections": [connection]}, sort_keys=False))
    env = environment(crm, smtp, folder, port, f"sqlite:///{folder / 'leadrouter.db'}",
                      LEADROUTER_INBOUND_SECRET=INBOUND_SECRET)
    for key in [k for k in env if k.startswith(("LEADROUTER_HUBSPOT_", "LEADROUTER_SALESFORCE_"))]:
        del env[key]   # every connection comes from the file
    env.update(LEADROUTER_CONNECTIONS_FILE=str(connections_file), SF_SECRET=info["client_secret"],
               SF_PASSWORD=info["password"])
    product = new_product(folder, env)
    product.cli("db", "upgrade")
    product.cli("rules", "import", str(write_config(folder, config)))
    checked = product.cli("connections", "test", "sf-contacts").stdout
    assert "✗" not in checked and "✓ mapped fields" in checked, checked

    process = product.start("run", "run", "--port", str(port), port=port)
    try:
        process.wait_ready()
        waiting = [org.create_contact(f"contact{i}") for i in range(3)]   # owned by the integration user
        noah = org.users["noah"]
        persons = org.create_contact("persons", OwnerId=noah)             # a person's contact from the start
        taken = org.create_contact("taken")   # ... and a person takes it (the UI) before it is routed
        outside.control(f"salesforce/reassign?org_id={info['org_id']}", "POST", record_id=taken, owner_id=noah)
        assert signed_inbound(process.url, "sf-contacts", {"lead_id": taken}).status_code == 200

        team_ids = {org.users[k] for k in TEAM}
        owners = wait_until(lambda: (o := {c: org.owner(c) for c in waiting}) and set(o.values()) <= team_ids and o,
                            60, "the waiting contacts owned by the team")
        assert set(owners.values()) == team_ids   # round robin over the three, one contact each

        # The contact sent through the inbound door was read, found owned by a person, and left.
        def read_by_leadrouter() -> bool:
            return any(taken in r["query"] for r in crm.sandbox.requests.list(vendor="salesforce")
                       if r["path"].endswith("/query/") and r["status"] == 200)
        wait_until(read_by_leadrouter, 30, "leadrouter reading the contact a person took")
        time.sleep(6)   # a poll later
        assert org.owner(taken) == noah and org.owner(persons) == noah
        writes = [r for r in crm.sandbox.requests.list(vendor="salesforce") if r["method"] == "PATCH"]
        assert writes and not [w for w in writes if {taken, persons} & set(w["path"].split("/")) or
                               taken in w["body"] or persons in w["body"]]
        assert all("Sforce-Auto-Assign" not in w["headers"] for w in writes)   # not a header for Contacts

        # Every REST call of the product went to the org's own host.
        host = info["instance_url"].partition("://")[2]
        data_calls = [r for r in crm.sandbox.requests.list(vendor="salesforce")
                      if r["path"].startswith("/services/data/")
                      and r["headers"].get("Authorization", "").startswith(f"Bearer {info['org_id'][:15]}!")]
        assert data_calls and {r["headers"]["Host"] for r in data_calls} == {host}

        # The team's channel post links each contact on the org's own host.
        links = wait_until(lambda: (found := [c for c in waiting if any(
            f"{info['instance_url']}/lightning/r/Contact/{c}/view" in json.dumps(m["message"])
            for m in outside.slack_messages(CHANNEL_ID))]) and len(found) == 3 and found, 30, "a post per contact")
        assert sorted(links) == sorted(waiting)
    finally:
        stop_cleanly(product)
