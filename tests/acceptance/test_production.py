"""The production layout of README on PostgreSQL: a fresh database, the full environment including
`LEADROUTER_ROUTING_CONFIG`, `python app.py db upgrade`, then `python app.py web` (gunicorn) and
two `python app.py worker` processes. No CRM webhook is aimed at it: the pollers (run by the
workers' scheduler) are the door. Observed from outside: CRM records, Slack, the API."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.acceptance.conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, CHANNEL, REPS, environment, new_product,
                                       routing_config, write_config)
from tests.acceptance.harness import Api, Browser, Crm, free_port, stop_cleanly, wait_until

pytestmark = pytest.mark.slow
HUBSPOT_IDS = {r[2]: r[0] for r in REPS}
SALESFORCE_IDS = {r[3]: r[0] for r in REPS}
CHANNEL_ID = "C0LEADS01"
NOAH = REPS[3]


@pytest.fixture(scope="module")
def database_url(postgres_admin_url):
    name = f"lr_accept_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Cluster:
    def __init__(self, product, web, workers, outside: Crm) -> None:
        self.product, self.web, self.workers, self.outside = product, web, workers, outside
        self.url = web.url
        self.browser = Browser(self.url)
        self.browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.api = Api(self.url, self.browser.new_api_token())

    def row(self, lead_id: str, *statuses: str, timeout: float = 40) -> dict:
        return wait_until(lambda: next((r for r in self.api.log(q=lead_id)
                                        if r["lead_id"] == lead_id and r["status"] in statuses), None),
                          timeout, f"lead {lead_id} {statuses}")


@pytest.fixture(scope="module")
def cluster(crm, smtp, database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    port = free_port()
    crm.sandbox.reset()
    outside = Crm(crm)
    # Before leadrouter is installed, people in HubSpot already own open contacts: Noah five,
    # as many as his max_open. The load reconciliation (at start, then hourly) must see them.
    for n in range(5):
        outside.hubspot("POST", "/crm/v3/objects/contacts", properties={
            "email": f"owned{n}@customer{n}.example", "firstname": f"Owned{n}", "company": f"Owned {n}",
            "hubspot_owner_id": NOAH[2]})
    config = routing_config()
    next(r for r in config["reps"] if r["id"] == NOAH[0])["max_open"] = 5
    config = write_config(folder, config)
    env = environment(crm, smtp, folder, port, database_url, LEADROUTER_ROUTING_CONFIG=str(config),
                      LEADROUTER_POLL_INTERVAL_SECONDS="5", LEADROUTER_ROSTER_SYNC_SECONDS="5")
    product = new_product(folder, env)
    try:
        product.cli("db", "upgrade")
        product.cli("users", "create", ADMIN_EMAIL, "--role", "admin", "--password", ADMIN_PASSWORD)
        web = product.start("web", "web", "--port", str(port), "--workers", "2", port=port)
        workers = [product.start(f"worker{n}", "worker") for n in (1, 2)]
        web.wait_ready()
        yield Cluster(product, web, workers, outside)
    except BaseException:
        print(product.dump())
        raise
    finally:
        product.kill_all()


@pytest.fixture
def live(cluster):
    yield cluster
    cluster.product.assert_clean_logs()


def test_the_production_bootstrap_routes_leads_from_both_crms_through_the_pollers(live):
    outside = live.outside
    assert live.web.alive() and all(w.alive() for w in live.workers)
    ready = live.browser.http.get(live.url + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    contact = outside.create_contact("pgroute")
    lead = outside.create_sf_lead("pgsfroute")
    hubspot = wait_until(lambda: HUBSPOT_IDS.get(outside.contact_owner(contact) or ""), 40, "the HubSpot owner")
    salesforce = wait_until(lambda: SALESFORCE_IDS.get(outside.sf_owner(lead) or ""), 40, "the Salesforce owner")
    for lead_id, rep, title in ((contact, hubspot, "Pgroute Prospect"), (lead, salesforce, "Pgsfroute Prospect")):
        row = live.row(lead_id, "written", "notified")
        assert row["rep_id"] == rep and any(step.get("step") == "pick" and step.get("rep") == rep
                                            for step in row["trace"])
        wait_until(lambda: [m for m in outside.slack_messages(CHANNEL_ID) if title in (m["message"].get("text") or "")],
                   30, f"the {CHANNEL} post about {title}")
    # The rules page says who owns the rules: the file of LEADROUTER_ROUTING_CONFIG.
    assert "routing.yaml" in live.browser.get("/settings/rules/").text


def test_open_leads_people_own_in_the_crm_count_toward_max_open_after_the_load_reconciliation(live):
    outside = live.outside
    contacts = [outside.create_contact(f"loadcheck{n}") for n in range(4)]
    owners = [wait_until(lambda: HUBSPOT_IDS.get(outside.contact_owner(c) or ""), 40, "an owner") for c in contacts]
    assert NOAH[0] not in owners, owners
    skipped = [step for c in contacts for step in live.row(c, "written", "notified")["trace"]
               if step.get("rep") == NOAH[0] and step.get("result") == "skipped"]
    assert skipped and {step.get("reason") for step in skipped} == {"max_open"}, skipped


def salesforce_token(outside: Crm) -> str:
    answer = outside.http.post(f"{outside.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
        "username": "admin@sandbox.example", "password": "sandbox"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_a_user_deactivated_in_the_crm_stops_getting_leads_after_the_roster_sync(live):
    outside = live.outside
    leaving, _, hubspot_id, salesforce_id = REPS[0]
    answer = outside.http.patch(f"{outside.url}/services/data/v59.0/sobjects/User/{salesforce_id}",
                                json={"IsActive": False}, timeout=10,
                                headers={"Authorization": f"Bearer {salesforce_token(outside)}"})
    assert answer.status_code == 204, answer.text
    wait_until(lambda: not next(r for r in live.api.get("/roster")["items"] if r["id"] == leaving)["active"], 30,
               f"{leaving} inactive after the roster sync")
    contacts = [outside.create_contact(f"afterleave{n}") for n in range(6)]
    owners = [wait_until(lambda: HUBSPOT_IDS.get(outside.contact_owner(c) or ""), 40, "an owner") for c in contacts]
    assert leaving not in owners and set(owners) == {"liam.oconnor", "sofia.garcia"}, owners  # Noah is full


def test_every_process_stops_cleanly_on_sigterm(cluster):
    stop_cleanly(cluster.product)


def test_db_upgrade_on_a_fresh_database_with_a_routing_config_file(postgres_admin_url, tmp_path):
    """README's production order: the environment is complete (LEADROUTER_ROUTING_CONFIG included)
    before the first `db upgrade`. Migrating must not depend on the app's start-up work."""
    name = f"lr_accept_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
        config = write_config(tmp_path, routing_config())
        product = new_product(tmp_path / "install", {
            "LEADROUTER_DATABASE_URL": url, "LEADROUTER_ROUTING_CONFIG": str(config), "LEADROUTER_DEMO": "off",
            "LEADROUTER_VAR_DIR": str(tmp_path / "var")})
        product.cli("db", "upgrade")
        current = product.cli("db", "current").stdout
        found = re.search(r"current: (\S+)\s+head: (\S+)", current)
        assert found and found.group(1) == found.group(2) != "base", current
        product.assert_clean_logs(new_only=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
