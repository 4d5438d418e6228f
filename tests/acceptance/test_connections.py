"""Several CRM connections from a connections file, as docs/connections.md tells an admin:
two HubSpot portals (``hubspot-eu``, ``hubspot-us``) and one Salesforce org, each lead routed and
written with the owner ids of ITS portal (reps hold owner ids per connection name); a connection
with 50 unassigned records from before it was connected routes none of them until
``python app.py backfill NAME --since DATE``; a bad connections file stops ``python app.py run``
with exit code 2 and every problem listed. Seen only from outside: each portal's records read
with that portal's own token, the org's leads, the process's exit code and output."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

from tests.acceptance.conftest import environment, new_product, write_config
from tests.acceptance.harness import free_port, stop_cleanly, wait_until

pytestmark = pytest.mark.slow

TEAM = ("maya", "liam", "sofia")
SALESFORCE_IDS = {"maya": "0055g0000000002AAA", "liam": "0055g0000000003AAA", "sofia": "0055g0000000004AAA"}


class Portal:
    """One HubSpot account seen through its own private-app token."""

    def __init__(self, crm_url: str, ca_path: str, info: dict) -> None:
        self.info, self.url = info, crm_url
        self.id, self.token, self.secret = info["portal_id"], info["token"], info["app_secret"]
        self.owner_ids = {o["key"]: o["id"] for o in info["owners"]}
        self.http = requests.Session()
        self.http.verify, self.http.trust_env = ca_path, False
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, **body) -> dict:
        response = self.http.request(method, self.url + path, json=body or None, timeout=10)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def create_contact(self, tag: str) -> str:
        return self.call("POST", "/crm/v3/objects/contacts", properties={
            "email": f"{tag}@{tag}.example", "firstname": tag.title(), "lastname": "Prospect",
            "company": f"{tag.title()} GmbH", "country": "DE"})["id"]

    def owners_of_contacts(self) -> dict[str, str | None]:
        """Every contact of the portal -> its hubspot_owner_id (list endpoint: no search quota)."""
        out, after = {}, None
        while True:
            page = self.call("GET", "/crm/v3/objects/contacts?limit=100&properties=hubspot_owner_id"
                             + (f"&after={after}" if after else ""))
            out.update({r["id"]: r["properties"].get("hubspot_owner_id") or None for r in page["results"]})
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return out


def hubspot_connection(name: str, crm, portal: Portal, var: str) -> dict:
    return {"name": name, "kind": "hubspot", "token": f"${{{var}_TOKEN}}", "app_secret": f"${{{var}_SECRET}}",
            "base_url": crm.url, "ca_bundle": str(crm.ca_path), "portal_id": str(portal.id),
            "poll_interval_seconds": 5}


def product_env(crm, smtp, folder, port: int, connections_file, portals: dict[str, Portal]) -> dict[str, str]:
    env = environment(crm, smtp, folder, port, f"sqlite:///{folder / 'leadrouter.db'}")
    for key in [k for k in env if k.startswith(("LEADROUTER_HUBSPOT_", "LEADROUTER_SALESFORCE_"))]:
        del env[key]   # no single-connection shorthand: every connection comes from the file
    env["LEADROUTER_CONNECTIONS_FILE"] = str(connections_file)
    env.update({"SF_CLIENT_SECRET": "sandbox", "SF_PASSWORD": "sandbox"})
    for var, portal in portals.items():
        env.update({f"{var}_TOKEN": portal.token, f"{var}_SECRET": portal.secret})
    return env


def searches_with(crm, token: str) -> int:
    """Finished search calls the CRM has seen with this token (the poller's)."""
    return sum(1 for r in crm.sandbox.requests.list(vendor="hubspot")
               if r["path"].endswith("/search") and r["status"] == 200
               and r["headers"].get("Authorization") == f"Bearer {token}")


def test_two_portals_and_an_org_route_with_their_own_owner_ids_and_backfill_waits_for_the_command(
        crm, outside, smtp, tmp_path):
    started = time.monotonic()
    made = {var: Portal(crm.url, str(crm.ca_path), outside.sandbox.hubspot.add_portal(region=region, name=name, **extra))
            for var, region, name, extra in (("HUBSPOT_EU", "eu1", "EMEA", {}), ("HUBSPOT_US", "na1", "Americas", {}),
                                             ("HUBSPOT_APAC", "ap1", "APAC", {"leads": 50}))}
    eu, us, apac = made["HUBSPOT_EU"], made["HUBSPOT_US"], made["HUBSPOT_APAC"]
    assert not set(eu.owner_ids.values()) & set(us.owner_ids.values())   # each portal has its own owner ids
    backlog = {cid for cid, owner in apac.owners_of_contacts().items() if owner is None}
    assert len(backlog) == 50

    sf = crm.sandbox.vendor("salesforce").describe()
    connections = {"connections": [
        hubspot_connection("hubspot-eu", crm, eu, "HUBSPOT_EU"),
        hubspot_connection("hubspot-us", crm, us, "HUBSPOT_US"),
        hubspot_connection("hubspot-apac", crm, apac, "HUBSPOT_APAC"),
        {"name": "salesforce", "kind": "salesforce", "url": crm.url, "auth": "password", "client_id": "sandbox",
         "client_secret": "${SF_CLIENT_SECRET}", "username": "admin@sandbox.example", "password": "${SF_PASSWORD}",
         "ca_bundle": str(crm.ca_path), "org_id": sf["org_id"], "intake_queues": ["Inbound Leads"],
         "poll_interval_seconds": 5},
    ]}
    reps = [{"id": key, "name": key.title(), "email": f"{key}@demo.leadrouter.dev",
             "crm": {"hubspot-eu": eu.owner_ids[key], "hubspot-us": us.owner_ids[key],
                     "hubspot-apac": apac.owner_ids[key], "salesforce": SALESFORCE_IDS[key]}} for key in TEAM]
    config = {"version": 1, "timezone": "UTC", "reps": reps,
              "teams": [{"id": "inbound", "members": list(TEAM)}],
              "rules": [{"name": "inbound", "to": "team:inbound", "pick": "round_robin", "notify": []}]}

    port = free_port()
    folder = tmp_path / "product"
    folder.mkdir()
    connections_file = folder / "connections.yaml"
    connections_file.write_text(yaml.safe_dump(connections, sort_keys=False))
    product = new_product(folder, product_env(crm, smtp, folder, port, connections_file, made))
    product.cli("db", "upgrade")
    product.cli("rules", "import", str(write_config(folder, config)))
    process = product.start("run", "run", "--port", str(port), port=port)
    try:
        process.wait_ready()
        # What an admin does in each CRM: each portal's app webhooks and the org's outbound
        # message aimed at that connection's door.
        for name, portal in (("hubspot-eu", eu), ("hubspot-us", us), ("hubspot-apac", apac)):
            outside.sandbox.hubspot.portal(portal.id).configure_webhooks(url=f"{process.url}/webhooks/hubspot/{name}",
                                                                         batch_window_ms=50)
        outside.sandbox.salesforce.set_outbound_url(f"{process.url}/webhooks/salesforce/salesforce")

        eu_leads = [eu.create_contact(f"eu{i}") for i in range(3)]
        us_leads = [us.create_contact(f"us{i}") for i in range(3)]
        sf_leads = [outside.create_sf_lead(f"sf{i}") for i in range(2)]
        fresh_apac = apac.create_contact("apacnew")

        def owners(portal: Portal, ids: list[str]) -> dict[str, str | None] | None:
            found = portal.owners_of_contacts()
            return found if all(found.get(i) for i in ids) else None

        eu_owners = wait_until(lambda: owners(eu, eu_leads), 30, "the EU portal's leads owned")
        us_owners = wait_until(lambda: owners(us, us_leads), 30, "the US portal's leads owned")
        # Each lead carries an owner id of ITS portal (the same contact ids exist in both portals).
        assert {eu_owners[i] for i in eu_leads} <= set(eu.owner_ids[k] for k in TEAM)
        assert {us_owners[i] for i in us_leads} <= set(us.owner_ids[k] for k in TEAM)
        assert len({eu_owners[i] for i in eu_leads}) == 3   # round robin over the team, in that portal
        sf_owners = wait_until(lambda: (o := {i: outside.sf_owner(i) for i in sf_leads}) and
                               all(v and v.startswith("005") for v in o.values()) and o, 30, "the org's leads owned")
        assert set(sf_owners.values()) <= set(SALESFORCE_IDS.values())

        # The APAC connection is live (its new contact is routed) but leaves the 50 older ones.
        wait_until(lambda: owners(apac, [fresh_apac]), 30, "the APAC portal's new contact owned")
        assert apac.owners_of_contacts()[fresh_apac] in {apac.owner_ids[k] for k in TEAM}
        polls = searches_with(crm, apac.token)
        wait_until(lambda: searches_with(crm, apac.token) >= polls + 1, 20, "another poll of hubspot-apac")
        time.sleep(1)   # time to route whatever that poll would have queued
        still = apac.owners_of_contacts()
        assert all(still[cid] is None for cid in backlog), "a record from before the connection was routed"

        since = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
        done = product.cli("backfill", "hubspot-apac", "--since", since)
        assert "50 queued" in done.stdout, done.stdout + done.stderr
        routed = wait_until(lambda: owners(apac, sorted(backlog)), 40, "the 50 backfilled records owned")
        assert {routed[cid] for cid in backlog} <= {apac.owner_ids[k] for k in TEAM}
        assert routed[fresh_apac] == still[fresh_apac]   # the one already routed is left as it was
    finally:
        for portal in (eu, us, apac):
            outside.sandbox.hubspot.portal(portal.id).configure_webhooks(url=None)
        outside.sandbox.salesforce.set_outbound_url(None)
    stop_cleanly(product)
    crm.sandbox.deliveries.wait_idle(5)
    print(f"\nacceptance test_connections: {time.monotonic() - started:.1f}s")


def test_a_bad_connections_file_stops_run_with_exit_code_2_and_every_problem(crm, smtp, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    bad = folder / "connections.yaml"
    bad.write_text(yaml.safe_dump({"connections": [
        {"name": "hubspot-eu", "kind": "hubspot", "token": "${NOT_SET_ANYWHERE}", "objekt": "contacts"},
        {"name": "hubspot-eu", "kind": "hubspot", "token": "${HOME}"},
        {"name": "crm-3", "kind": "pipedrive"},
    ]}, sort_keys=False))
    port = free_port()
    product = new_product(folder, product_env(crm, smtp, folder, port, bad, {}))
    product.cli("db", "upgrade")
    done = product.cli("run", "--port", str(port), check=False, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert str(bad) in output and "not a valid connections file" in output
    for problem in ("connections[0].objekt", "connections[0].token", "NOT_SET_ANYWHERE", "connections[1].name",
                    "connections[2].kind"):
        assert problem in output, f"{problem!r} missing from:\n{output}"
    assert "Traceback" not in output


def test_custom_fields_and_the_hubspot_leads_object_route_as_written_in_the_running_product(
        crm, outside, smtp, tmp_path):
    """A connections file maps the demo org's custom fields (`fields: {score: Lead_Score__c}`,
    `extra_fields: [Segment__c]`) and routes HubSpot's Leads object (`object: leads`,
    `sync_contact_owner`); rules on `raw.Segment__c` and on the mapped `score` route as written."""
    from tests.acceptance.conftest import REPS

    (maya, _, maya_hs, maya_sf), (liam, _, liam_hs, liam_sf), (sofia, _, sofia_hs, sofia_sf) = REPS[:3]
    sf = crm.sandbox.vendor("salesforce").describe()
    connections = {"connections": [
        {"name": "hubspot-leads", "kind": "hubspot", "object": "leads", "sync_contact_owner": True,
         "token": "${HS_TOKEN}", "app_secret": "${HS_SECRET}", "base_url": crm.url, "ca_bundle": str(crm.ca_path),
         "poll_interval_seconds": 5},
        {"name": "salesforce", "kind": "salesforce", "url": crm.url, "auth": "password", "client_id": "sandbox",
         "client_secret": "${SF_CLIENT_SECRET}", "username": "admin@sandbox.example", "password": "${SF_PASSWORD}",
         "ca_bundle": str(crm.ca_path), "org_id": sf["org_id"], "intake_queues": ["Inbound Leads"],
         "fields": {"score": "Lead_Score__c"}, "extra_fields": ["Segment__c"], "poll_interval_seconds": 5},
    ]}
    reps = [{"id": key.split(".")[0], "name": name, "email": f"{key}@demo.leadrouter.dev",
             "crm": {"hubspot-leads": hs, "salesforce": sfid}}
            for key, name, hs, sfid in REPS[:3]]
    ids = [r["id"] for r in reps]
    config = {"version": 1, "timezone": "UTC", "reps": reps, "teams": [{"id": "inbound", "members": ids}],
              "rules": [
                  {"name": "enterprise", "when": {"field": "raw.Segment__c", "op": "eq", "value": "Enterprise"},
                   "to": f"rep:{ids[0]}", "notify": []},
                  {"name": "hot", "when": {"field": "score", "op": "gte", "value": 80}, "to": f"rep:{ids[1]}",
                   "notify": []},
                  {"name": "everyone", "to": f"rep:{ids[2]}", "notify": []}]}
    port = free_port()
    folder = tmp_path / "product"
    folder.mkdir()
    connections_file = folder / "connections.yaml"
    connections_file.write_text(yaml.safe_dump(connections, sort_keys=False))
    env = product_env(crm, smtp, folder, port, connections_file, {})
    env.update({"HS_TOKEN": "sandbox-hubspot-token", "HS_SECRET": "sandbox-app-secret"})
    product = new_product(folder, env)
    product.cli("db", "upgrade")
    product.cli("rules", "import", str(write_config(folder, config)))
    process = product.start("run", "run", "--port", str(port), port=port)
    try:
        process.wait_ready()
        outside.sandbox.hubspot.configure_webhooks(url=f"{process.url}/webhooks/hubspot/hubspot-leads",
                                                   batch_window_ms=50)
        outside.sandbox.salesforce.set_outbound_url(f"{process.url}/webhooks/salesforce/salesforce")
        enterprise = outside.create_sf_lead("bigco", segment="Enterprise", lead_score=10)
        hot = outside.create_sf_lead("hotco", segment="SMB", lead_score=93)
        cold = outside.create_sf_lead("coldco", segment="SMB", lead_score=40)
        lead = outside.sandbox.create_lead("hubspot", object="leads", first_name="Lena", last_name="Lead",
                                           email="lena@leadsobject.example", company="Leads Object AG")
        lead_id = str(lead.get("id") or lead.get("Id"))

        want = {enterprise: maya_sf, hot: liam_sf, cold: sofia_sf}
        got = wait_until(lambda: (o := {i: outside.sf_owner(i) for i in want}) == want and o, 40,
                         "the custom-field rules' owners in Salesforce")
        assert got == want
        record = wait_until(lambda: (r := outside.sandbox.record("hubspot", "leads", lead_id))
                            and r["properties"].get("hubspot_owner_id") and r, 40, "the Leads-object record owned")
        owner = record["properties"]["hubspot_owner_id"]
        assert owner == sofia_hs  # no segment or score on it: the last rule
        [contact_id] = crm.sandbox.vendor("hubspot").crm.associated("leads", lead_id, "contacts")
        assert outside.contact_owner(str(contact_id)) == owner  # sync_contact_owner: its contact too
    finally:
        outside.sandbox.hubspot.configure_webhooks(url=None)
        outside.sandbox.salesforce.set_outbound_url(None)
    stop_cleanly(product)
    crm.sandbox.deliveries.wait_idle(5)
