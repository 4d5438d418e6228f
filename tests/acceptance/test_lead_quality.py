"""Lead quality and matching in the running product: `python app.py run` on SQLite, set up as
README tells an admin, against the CRM sandbox over TLS (the demo org: its Account "Acme
Corporation" belongs to Maya). Seen from outside only: Salesforce records, the log API and page,
the sandbox's request log.

The tests share one running product (module scope) and run in file order.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest

from tests.acceptance.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, REPS, environment, routing_config, started_run
from tests.acceptance.harness import Api, Browser, Crm, free_port, wait_until

pytestmark = pytest.mark.slow

SALESFORCE_IDS = {r[3]: r[0] for r in REPS}
MEMBERS = [r[0] for r in REPS]


def quality_config() -> dict:
    return routing_config(
        quality={"invalid_email": True, "disposable_email": True, "test_values": True, "action": "hold"},
        rules=[{"name": "same-person", "assign": "existing_owner"},
               {"name": "known-account", "assign": "account_owner", "match": ["domain", "company"]},
               {"name": "inbound", "to": "team:inbound", "pick": "round_robin", "notify": []}])


class Running:
    def __init__(self, product, process, crm) -> None:
        self.product, self.process = product, process
        self.outside = Crm(crm)
        self.browser = Browser(process.url)
        self.browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.api = Api(process.url, self.browser.new_api_token())

    def lead(self, first: str, email: str, company: str, source: str = "Web") -> str:
        record = self.outside.sandbox.create_lead("salesforce", first_name=first, last_name="Quality", email=email,
                                                  company=company, country="US", source=source)
        return str(record.get("Id") or record.get("id"))

    def settled(self, lead_id: str, *statuses: str) -> dict:
        def found():
            rows = [r for r in self.api.log(q=lead_id) if r["lead_id"] == lead_id and r["status"] in statuses]
            return rows[0] if rows else None
        return wait_until(found, 60, f"lead {lead_id} {statuses}")

    def owner(self, lead_id: str) -> str | None:
        return SALESFORCE_IDS.get(self.outside.sf_owner(lead_id) or "")

    def soql_since(self, seq: int) -> list[str]:
        entries = self.outside.sandbox.requests("salesforce", since=seq)
        return [parse_qs(e.get("query") or "").get("q", [""])[0] for e in entries]

    def last_seq(self) -> int:
        return max((e["seq"] for e in self.outside.sandbox.requests("salesforce")), default=0)


@pytest.fixture(scope="module")
def live(crm, crm_control, smtp, tmp_path_factory):
    folder = tmp_path_factory.mktemp("quality")
    port = free_port()
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    env = environment(crm, smtp, folder, port, f"sqlite:///{folder / 'leadrouter.db'}",
                      LEADROUTER_POLL_INTERVAL_SECONDS="5")
    with started_run(crm_control, crm, folder, env, quality_config(), port) as (product, process):
        yield Running(product, process, crm)
        product.assert_clean_logs(new_only=False)


def test_a_gmail_lead_of_a_known_account_goes_to_its_owner_with_the_evidence(live):
    lead = live.lead("Jane", "jane.acme@gmail.com", "ACME Corp.")
    row = live.settled(lead, "written", "notified")
    assert live.owner(lead) == "maya.patel" and row["rule"] == "known-account"
    texts = [step["text"] for step in live.api.get(f"/log/{row['id']}")["trace"]]
    evidence = next(t for t in texts if "matched by company name" in t)
    assert "Acme Corporation" in evidence and "ACME Corp." in evidence
    score = float(evidence.rsplit("(", 1)[1].split(")")[0])
    assert 88 <= score <= 100
    page = live.browser.get(f"/settings/log/{row['id']}").text
    assert "matched by company name" in page
    assert len([q for q in live.soql_since(0) if "FROM Account" in q]) == 1   # every account, one listing


def test_a_second_form_fill_goes_to_the_first_owner(live):
    again = live.lead("Jane", "Jane.Acme@gmail.com", "Jane's side project")
    row = live.settled(again, "written", "notified")
    assert live.owner(again) == "maya.patel" and row["rule"] == "same-person"
    assert any("the same email" in step["text"] for step in row["trace"])


def test_a_mailinator_lead_takes_no_turn_and_shows_junk_with_its_reasons(live):
    first = live.lead("Ola", "ola@northwind-quality.example", "Northwind Quality")
    had_turn = live.owner(first) if live.settled(first, "written", "notified") else None
    junk = live.lead("Spam", "offers@mailinator.com", "Free Stuff", source="Purchased List")
    row = live.settled(junk, "junk")
    assert row["rep_id"] is None and "disposable_email" in row["reason"]
    assert any("mailinator.com is a disposable" in step["text"] for step in row["trace"])
    assert live.outside.sf_owner(junk).startswith("00G")   # still in the intake queue
    second = live.lead("Ivo", "ivo@contoso-quality.example", "Contoso Quality")
    live.settled(second, "written", "notified")
    assert live.owner(second) == MEMBERS[(MEMBERS.index(had_turn) + 1) % len(MEMBERS)]
    page = live.browser.get(f"/settings/log/{row['id']}").text
    assert "junk" in page and "disposable" in page
    dashboard = live.browser.get("/settings/").text
    junk_card = dashboard.split("Junk per source", 1)[1].split("</section>", 1)[0]
    assert '<th scope="row">Purchased List</th><td>1</td>' in junk_card


def test_accounts_are_read_in_batches_not_per_lead(live, capsys):
    seq = live.last_seq()
    leads = [live.lead(f"Bulk{n}", f"bulk{n}@gmail.com", f"Bulk Buyer {n}") for n in range(20)]
    for lead in leads:
        live.settled(lead, "written", "notified")
    queries = [q for q in live.soql_since(seq) if q]   # (a next page has no SOQL of its own)
    accounts = [q for q in queries if "FROM Account" in q]
    duplicates = [q for q in queries if re.search(r"FROM Lead WHERE \(?Email IN", q)]
    batches = [q for q in queries if q.startswith("SELECT Id, OwnerId, LastModifiedDate FROM Lead WHERE Id IN")]
    with capsys.disabled():
        print(f"\n20 leads in {len(batches)} batch(es): {len(queries)} SOQL queries, {len(accounts)} Account, "
              f"{len(duplicates)} Lead duplicate lookups:", *(q[:100] for q in queries), sep="\n  ")
    assert len(accounts) <= 1       # the index is cached: at most one listing, however many batches
    assert 1 <= len(duplicates) <= len(batches) < 20   # one duplicate lookup per batch, not one per lead
