"""Every account read in pages (name matching needs the whole set), and the duplicate lookup with
names, company domain, last activity and the open-only filter, through the adapters against the
sandbox's vendor APIs; the calls are counted from the sandbox's request log."""
from __future__ import annotations

from datetime import datetime, timezone

N = 2300   # more than one Salesforce query batch (2000) and many HubSpot pages (100)


def calls(control, vendor: str, needle: str) -> int:
    return sum(1 for r in control.requests(vendor) if needle in r["path"])


def test_salesforce_lists_every_account_in_query_batches(make_salesforce, sandbox, control, salesforce_user):
    store = sandbox.vendor("salesforce").store
    seeded = len(store.rows("Account"))
    owner = salesforce_user("liam")
    for i in range(N):
        store.insert("Account", {"Name": f"Bulk Account {i}", "Website": f"https://www.bulk{i}.example",
                                 "OwnerId": owner}, system=True)
    adapter = make_salesforce()
    adapter.read_roster()   # log in first: only the account queries are counted below
    before = calls(control, "salesforce", "/query")
    accounts = adapter.list_accounts()
    assert len(accounts) == seeded + N
    bulk = next(a for a in accounts if a.name == "Bulk Account 7")
    assert (bulk.domain, bulk.owner_id) == ("https://www.bulk7.example", owner)
    assert bulk.account_id.startswith("001")
    assert calls(control, "salesforce", "/query") - before == 2   # 2,000 a batch, then nextRecordsUrl


def test_hubspot_lists_every_company_a_page_of_100(make_hubspot, sandbox, control, hubspot_owner):
    crm = sandbox.vendor("hubspot").crm
    seeded = len(list(crm.store("companies").live(False)))
    owner = hubspot_owner("sofia")
    for i in range(250):
        crm.create("companies", {"name": f"Bulk Company {i}", "domain": f"bulk{i}.example",
                                 "hubspot_owner_id": owner, "notes_last_updated": "2026-11-30T10:00:00Z"})
    adapter = make_hubspot()
    accounts = adapter.list_accounts()
    assert len(accounts) == seeded + 250
    bulk = next(a for a in accounts if a.name == "Bulk Company 3")
    assert (bulk.domain, bulk.owner_id) == ("bulk3.example", owner)
    assert bulk.last_activity == datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    assert calls(control, "hubspot", "/crm/v3/objects/companies") == -(-(seeded + 250) // 100)


def test_salesforce_duplicates_carry_names_and_open_only_skips_the_queue(make_salesforce, sandbox,
                                                                        salesforce_user):
    vendor = sandbox.vendor("salesforce")
    owned = vendor.create_lead({"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@gmail.com",
                                "Company": "ACME Corp.", "Website": "https://acme.example"})
    vendor.store.update("Lead", owned["Id"], {"OwnerId": salesforce_user("noah")}, auto_assign=False)
    queued = vendor.create_lead({"FirstName": "Jane", "LastName": "Doe", "Email": "Jane.Doe@gmail.com",
                                 "Company": "ACME Corp."})
    adapter = make_salesforce()
    everything = adapter.find_duplicates(["jane.doe@gmail.com"])["jane.doe@gmail.com"]
    assert {m.record_id for m in everything} == {owned["Id"], queued["Id"]}
    [match] = adapter.find_duplicates(["JANE.DOE@gmail.com"], open_only=True)["jane.doe@gmail.com"]
    assert (match.record_id, match.owner_id) == (owned["Id"], salesforce_user("noah"))
    assert (match.first_name, match.last_name, match.company_domain) == ("Jane", "Doe", "acme.example")


def test_hubspot_duplicates_carry_names_and_open_only_needs_an_owner(make_hubspot, sandbox, hubspot_owner):
    crm = sandbox.vendor("hubspot").crm
    owned = crm.create("contacts", {"email": "kim@initech.example", "firstname": "Kim", "lastname": "Lee",
                                    "hubspot_owner_id": hubspot_owner("maya")})
    crm.create("contacts", {"email": "unowned@initech.example", "firstname": "Un", "lastname": "Owned"})
    adapter = make_hubspot()
    found = adapter.find_duplicates(["kim@initech.example", "unowned@initech.example"], open_only=True)
    [match] = found["kim@initech.example"]
    assert (match.record_id, match.first_name, match.last_name) == (str(owned.id), "Kim", "Lee")
    assert "unowned@initech.example" not in found


def test_salesforce_finds_the_same_name_at_the_same_domain_in_one_query(make_salesforce, sandbox, control,
                                                                       salesforce_user):
    vendor = sandbox.vendor("salesforce")
    known = vendor.create_lead({"FirstName": "Mia", "LastName": "O'Brien", "Email": "mia@initech.example",
                                "Company": "Initech"})
    vendor.store.update("Lead", known["Id"], {"OwnerId": salesforce_user("sofia")}, auto_assign=False)
    other = vendor.create_lead({"FirstName": "Mia", "LastName": "O'Brien", "Email": "mia@elsewhere.example",
                                "Company": "Elsewhere"})
    vendor.store.update("Lead", other["Id"], {"OwnerId": salesforce_user("liam")}, auto_assign=False)
    adapter = make_salesforce()
    adapter.read_roster()
    before = calls(control, "salesforce", "/query")
    found = adapter.find_duplicates([], names=[("Mia", "O'Brien", "Initech.example"), ("Bo", "Li", "x_y%.example")],
                                    open_only=True)
    assert [m.record_id for ms in found.values() for m in ms] == [known["Id"]]
    assert calls(control, "salesforce", "/query") - before == 1


def test_hubspot_finds_the_same_name_at_the_same_domain(make_hubspot, sandbox, hubspot_owner):
    crm = sandbox.vendor("hubspot").crm
    known = crm.create("contacts", {"email": "mia.obrien@initech.example", "firstname": "Mia", "lastname": "OBrien",
                                    "hubspot_owner_id": hubspot_owner("sofia")})
    crm.create("contacts", {"email": "mia@elsewhere.example", "firstname": "Mia", "lastname": "OBrien",
                            "hubspot_owner_id": hubspot_owner("liam")})
    names = [("Mia", "OBrien", "initech.example"), *((f"N{i}", "Nobody", "x.example") for i in range(6))]
    found = make_hubspot().find_duplicates(["someone@else.example"], names=names, open_only=True)
    assert [m.record_id for ms in found.values() for m in ms] == [str(known.id)]
