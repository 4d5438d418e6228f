"""Outcomes and metrics in the running product: `python app.py run` on SQLite, set up as README
tells an admin, against the CRM sandbox over TLS; then the production layout (`web` under
gunicorn with 2 workers and 2 `worker`s on PostgreSQL), where every web process must answer
/metrics with the same figures, counted in the workers. Seen from outside only: /metrics as
Prometheus scrapes it, the metrics API, CRM records, Slack messages.

The tests of each product share it (module scope) and run in file order.
"""

from __future__ import annotations

import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.acceptance.conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, REPS, environment, new_product, routing_config,
                                       started_run, write_config)
from tests.acceptance.harness import Api, Browser, Crm, block_actions, free_port, slack_signed_post, wait_until
from tests.acceptance.test_production import database_url  # noqa: F401  (a fresh PostgreSQL database, a fixture)

pytestmark = pytest.mark.slow

TOKEN = "prometheus-scrape-token"
HUBSPOT_IDS = {r[2]: r[0] for r in REPS}
SALESFORCE_IDS = {r[3]: r[0] for r in REPS}


class Running:
    def __init__(self, product, process, crm) -> None:
        self.product, self.process = product, process
        self.url = process.url
        self.outside = Crm(crm)
        browser = Browser(self.url)
        browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.api = Api(self.url, browser.new_api_token())

    def scrape(self) -> dict[str, dict[tuple, float]]:
        response = requests.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert response.status_code == 200, response.text
        samples: dict[str, dict[tuple, float]] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
        return samples

    def hubspot_owner(self, contact_id: str) -> str | None:
        return HUBSPOT_IDS.get(self.outside.contact_owner(contact_id) or "")


def value(samples, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


@pytest.fixture(scope="module")
def live(crm, crm_control, smtp, tmp_path_factory):
    folder = tmp_path_factory.mktemp("outcomes")
    port = free_port()
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    env = environment(crm, smtp, folder, port, f"sqlite:///{folder / 'leadrouter.db'}",
                      LEADROUTER_POLL_INTERVAL_SECONDS="5", LEADROUTER_METRICS_TOKEN=TOKEN)
    config = routing_config(rules=[{"name": "inbound", "to": "team:inbound", "pick": "round_robin",
                                    "notify": ["slack:rep"]}])
    with started_run(crm_control, crm, folder, env, config, port) as (product, process):
        yield Running(product, process, crm)
        product.assert_clean_logs(new_only=False)


def test_metrics_need_the_token_and_their_counters_move_as_the_process_routes(live):
    assert requests.get(f"{live.url}/metrics", timeout=10).status_code == 401
    before = live.scrape()
    contacts = [live.outside.create_contact(f"metrics{n}") for n in range(2)]
    lead = live.outside.create_sf_lead("metricssf")
    for contact in contacts:
        wait_until(lambda: live.hubspot_owner(contact), 30, "the HubSpot owner written")
    wait_until(lambda: SALESFORCE_IDS.get(live.outside.sf_owner(lead) or ""), 30, "the Salesforce owner written")

    def grown(name: str, **labels: str) -> float:
        return value(live.scrape(), name, **labels) - value(before, name, **labels)

    assert grown("leadrouter_leads_total", connection="hubspot", status="written") == 2
    assert grown("leadrouter_leads_total", connection="salesforce", status="written") == 1
    assert grown("leadrouter_time_to_assign_seconds_count", connection="hubspot") == 2
    # Counted inside the process and added to the database every few seconds:
    wait_until(lambda: grown("leadrouter_decision_seconds_count", connection="hubspot") == 2, 20,
               "the decisions counted")
    wait_until(lambda: grown("leadrouter_crm_requests_total", connection="hubspot", outcome="ok") >= 2, 20,
               "the CRM calls counted")
    assert value(live.scrape(), "leadrouter_inbox_pending", connection="hubspot") == 0


def test_not_a_fit_wrong_territory_in_slack_reroutes_and_the_new_owner_is_written(live):
    contact = live.outside.create_contact("unfit", company="Unfit Territory Inc")
    rep = wait_until(lambda: live.hubspot_owner(contact), 30, "the owner written")
    email = f"{rep}@demo.leadrouter.dev"
    user = next(u for u in live.outside.slack_users() if (u.get("profile") or {}).get("email") == email)
    dm = wait_until(lambda: next((m for m in live.outside.slack_messages()
                                  if "Unfit Prospect" in (m["message"].get("text") or "")
                                  and m["channel"].startswith("D")), None), 30, "the rep's DM")
    answer = slack_signed_post(live.url, block_actions(dm, "lead_not_a_fit_wrong_territory", user),
                               secret=Crm.SLACK_SECRET, timestamp=int(time.time()))
    assert answer.status_code == 200, answer.text
    new_rep = wait_until(lambda: (r := live.hubspot_owner(contact)) not in (None, rep) and r, 30,
                         "re-routed and the new owner written in HubSpot")
    assert new_rep in {r[0] for r in REPS}
    updated = next(m for m in live.outside.slack_messages(dm["channel"]) if m["ts"] == dm["ts"])
    assert "Not a fit (wrong territory)" in updated["message"]["text"]
    figures = {g["key"]: g for g in live.api.get("/metrics", by="rep", days="1")["groups"]}
    assert figures[rep]["not_a_fit"] == 1 and figures[rep]["passed"] == 1
    assert value(live.scrape(), "leadrouter_feedback_total", reason="wrong_territory") == 1


def test_a_loss_and_a_first_touch_in_the_crm_come_back_into_the_figures(live):
    contact = live.outside.create_contact("outcome", company="Outcome Lost Inc")
    rep = wait_until(lambda: live.hubspot_owner(contact), 30, "the owner written")
    live.outside.control("hubspot/activity", "POST", contact_id=contact)   # the rep calls
    live.outside.hubspot("PATCH", f"/crm/v3/objects/contacts/{contact}", properties={"hs_lead_status": "UNQUALIFIED"})
    wait_until(lambda: value(live.scrape(), "leadrouter_outcomes_total", connection="hubspot", result="lost") == 1,
               30, "the loss read back by outcome sync")
    figures = {g["key"]: g for g in live.api.get("/metrics", by="rep", days="1")["groups"]}
    assert figures[rep]["loss"]["count"] == 1 and figures[rep]["speed_to_lead"]["touched"] >= 1
    csv_text = live.api.http.get(f"{live.url}/api/v1/metrics", params={"by": "rep", "days": 1, "format": "csv"},
                                 timeout=15).text
    assert csv_text.startswith("key,leads,routed,") and f"\r\n{rep}," in csv_text


# -- several processes: web under gunicorn (2 workers) and 2 `worker`s on PostgreSQL -------------
@pytest.fixture(scope="module")
def cluster(crm, crm_control, smtp, database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("outcomes-cluster")
    port = free_port()
    crm_control.reset()
    env = environment(crm, smtp, folder, port, database_url, LEADROUTER_POLL_INTERVAL_SECONDS="5",
                      LEADROUTER_ROUTING_CONFIG=str(write_config(folder, routing_config())))
    product = new_product(folder, env)
    try:
        product.cli("db", "upgrade")
        web = product.start("web", "web", "--port", str(port), "--workers", "2", port=port)
        workers = [product.start(f"worker{n}", "worker") for n in (1, 2)]
        web.wait_ready()
        yield web.url, Crm(crm), workers
    except BaseException:
        print(product.dump())
        raise
    finally:
        product.kill_all()


def test_every_web_process_answers_the_same_figures_counted_in_the_workers(cluster):
    url, outside, _workers = cluster
    contacts = [outside.create_contact(f"cluster{n}") for n in range(3)]
    for contact in contacts:   # no webhook: the workers' pollers route them
        wait_until(lambda: HUBSPOT_IDS.get(outside.contact_owner(contact) or ""), 60, "the owner written")

    def scrape() -> dict[str, dict[tuple, float]]:
        response = requests.get(f"{url}/metrics", timeout=10)   # no token set: loopback is enough
        assert response.status_code == 200, response.text
        return {s.name + repr(sorted(s.labels.items())): s.value
                for family in text_string_to_metric_families(response.text) for s in family.samples}

    key = "leadrouter_decision_seconds_count" + repr([("connection", "hubspot")])
    wait_until(lambda: scrape().get(key) == 3, 30, "the workers' decisions counted")
    answers = [scrape() for _ in range(6)]   # gunicorn hands these to either web process
    written = "leadrouter_leads_total" + repr([("connection", "hubspot"), ("status", "written")])
    assert {a[written] for a in answers} == {3.0} and {a[key] for a in answers} == {3.0}
    assert requests.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.5"}, timeout=10).status_code == 403
