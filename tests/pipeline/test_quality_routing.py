"""Lead quality and matching through the pipeline against the sandbox: a known account found by
its company name, the same person's second form fill to the first owner (in one batch and in the
next), a junk lead that takes nobody's turn, and the CRM's accounts read once, not per lead."""

from __future__ import annotations

from urllib.parse import parse_qs

import yaml

from connector.connections.registry import get_connections
from connector.pipeline.models import InboxEvent, InboxStatus, LeadStatus
from connector.platform.db import get_db
from connector.routing.starter import starter_config
from connector.routing.store import save_version

def quality_config(routed, action: str = "hold") -> dict:
    connections = get_connections(routed.app)
    rosters = {name: connections.adapter(name).read_roster() for name in connections.names()}
    config = starter_config(rosters, exclude_emails=["admin@sandbox.example"])
    config["quality"] = {"invalid_email": True, "disposable_email": True, "test_values": True, "action": action}
    config["rules"] = [{"name": "same-person", "assign": "existing_owner"},
                       {"name": "known-account", "assign": "account_owner", "match": ["domain", "company"]},
                       *config["rules"][1:]]
    save_version(get_db(routed.app), yaml.safe_dump(config, sort_keys=False), actor="test")
    return config


def sf_lead(routed, first: str, email: str, company: str) -> str:
    return str(routed.control.create_lead("salesforce", first_name=first, last_name="Quality", email=email,
                                          company=company, country="US")["Id"])


def sf_user(routed, key: str) -> str:
    email = routed.crm.sandbox.demo_org.rep(key).email
    return next(u["Id"] for u in routed.crm.sandbox.vendor("salesforce").store.rows("User") if u["Email"] == email)


def by_lead(routed) -> dict:
    return {a.lead_id: a for a in routed.assignments()}


def soql(entry: dict) -> str:
    return parse_qs(entry.get("query") or "").get("q", [""])[0]


def test_company_name_finds_the_account_and_the_second_fill_goes_to_the_same_rep(routed):
    quality_config(routed)
    acme = sf_lead(routed, "Jane", "jane.quality@gmail.com", "ACME Corp.")
    again = sf_lead(routed, "Jane", "Jane.Quality@gmail.com", "Acme")   # the same person, same batch
    routed.wait_for_inbox(2)
    assert routed.drain().written == 2
    rows = by_lead(routed)
    maya = sf_user(routed, "maya")        # the demo org's Acme Corporation belongs to Maya
    assert rows[acme].owner_crm_id == maya and rows[acme].rule == "known-account"
    assert any("company name" in step["text"] and "Acme Corporation" in step["text"] for step in rows[acme].trace)
    assert rows[again].owner_crm_id == maya and rows[again].rule == "same-person"

    later = sf_lead(routed, "Jane", "jane.quality@gmail.com", "Unknown Widgets")   # the next batch
    routed.wait_for_inbox(3)
    routed.drain()
    assert by_lead(routed)[later].owner_crm_id == maya
    assert by_lead(routed)[later].rule == "same-person"


def test_the_same_name_at_the_same_company_domain_goes_to_the_known_owner(routed):
    quality_config(routed)
    vendor = routed.crm.sandbox.vendor("salesforce")
    known = sf_lead(routed, "Rosa", "rosa.quality@fabrikam-q.example", "Fabrikam Q")
    routed.wait_for_inbox(1)
    routed.drain()
    owner = by_lead(routed)[known].owner_crm_id
    routed.clock.advance(hours=2)   # not a recent assignment any more: only the CRM knows her
    assert vendor.store.get("Lead", known)["OwnerId"] == owner
    again = sf_lead(routed, "Rosa", "r.q@fabrikam-q.example", "Fabrikam")
    routed.wait_for_inbox(2)
    routed.drain()
    row = by_lead(routed)[again]
    assert row.owner_crm_id == owner and row.rule == "same-person"
    assert any("the same name Rosa Quality at fabrikam-q.example" in step["text"] for step in row.trace)


def test_junk_takes_no_turn_and_is_done_with_its_reasons(routed):
    quality_config(routed)
    first = sf_lead(routed, "Ola", "ola@northwind-q.example", "Northwind Q")
    routed.wait_for_inbox(1)
    routed.drain()
    junk = sf_lead(routed, "Spam", "spam@mailinator.com", "Spam Co")
    routed.wait_for_inbox(2)
    routed.drain()
    second = sf_lead(routed, "Ivo", "ivo@contoso-q.example", "Contoso Q")
    routed.wait_for_inbox(3)
    routed.drain()
    rows = by_lead(routed)
    assert rows[junk].status == LeadStatus.JUNK and rows[junk].rep_id is None
    assert "disposable_email" in rows[junk].reason
    assert any("disposable" in step["text"] for step in rows[junk].trace)
    assert routed.control.record("salesforce", "Lead", junk)["OwnerId"].startswith("00G")   # still the queue
    assert routed.count(InboxEvent, InboxEvent.lead_id == junk, InboxEvent.status == InboxStatus.DONE) == 1
    members = quality_config(routed)["teams"][0]["members"]
    after = members[(members.index(rows[first].rep_id) + 1) % len(members)]
    assert rows[second].rep_id == after      # the junk lead used nobody's turn


def test_accounts_are_read_once_for_many_leads_and_again_for_a_new_config(routed):
    quality_config(routed)
    before = max((r["seq"] for r in routed.control.requests("salesforce")), default=0)

    def account_queries() -> int:
        return sum("FROM Account" in soql(r) for r in routed.control.requests("salesforce", since=before))

    ids = [sf_lead(routed, f"Bulk{n}", f"bulk{n}@gmail.com", f"Bulk Buyer {n}") for n in range(20)]
    routed.wait_for_inbox(20)
    routed.drain()
    assert all(by_lead(routed)[i].status == LeadStatus.WRITTEN for i in ids)
    assert account_queries() == 1
    sf_lead(routed, "Next", "next@gmail.com", "Next Buyer")
    routed.wait_for_inbox(21)
    routed.drain()
    assert account_queries() == 1          # cached
    quality_config(routed)                 # a new config version: its reps may own other accounts
    sf_lead(routed, "Last", "last@gmail.com", "Last Buyer")
    routed.wait_for_inbox(22)
    routed.drain()
    assert account_queries() == 2


def test_a_junk_owner_gets_the_junk_lead_written_without_a_turn(routed):
    config = quality_config(routed)
    members = config["teams"][0]["members"]
    quality_config(routed, action=f"rep:{members[-1]}")
    first = sf_lead(routed, "Ada", "ada@tailspin-q.example", "Tailspin Q")
    routed.wait_for_inbox(1)
    routed.drain()
    junk = sf_lead(routed, "Asdf", "asdf@asdf.example", "asdf")
    second = sf_lead(routed, "Eve", "eve@woodgrove-q.example", "Woodgrove Q")
    routed.wait_for_inbox(3)
    routed.drain()
    rows = by_lead(routed)
    junk_owner = routed.control.record("salesforce", "Lead", junk)["OwnerId"]
    assert rows[junk].rep_id == members[-1] and junk_owner == rows[junk].owner_crm_id
    assert rows[junk].status == LeadStatus.WRITTEN and rows[junk].reason.startswith("junk: ")
    assert rows[second].rep_id == members[(members.index(rows[first].rep_id) + 1) % len(members)]


def test_hubspot_companies_are_matched_by_name(routed):
    quality_config(routed)
    liam = routed.crm.sandbox.vendor("hubspot").owners.by_key("liam").id   # owns Globex Financial
    lead = str(routed.control.create_lead("hubspot", first_name="Gil", last_name="Quality", email="gil.q@gmail.com",
                                          company="GLOBEX FINANCIAL, INC.", country="US")["id"])
    routed.wait_for_inbox(1)
    routed.drain()
    row = by_lead(routed)[lead]
    assert (row.owner_crm_id, row.rule) == (str(liam), "known-account")
    assert any("matched by company name" in step["text"] for step in row.trace)
