"""How many CRM calls routing 1,000 leads costs through the adapters (recorded by the sandbox):
find the unassigned leads, read them in one batch pass, write the owners back."""
from __future__ import annotations

import json

from adapters import AssignmentRequest, AssignOutcome

N = 1000


def route_all(adapter, owners: list[str]) -> tuple[list, list]:
    found, cursor = [], None
    while True:
        page = adapter.find_unassigned(cursor)
        found += page.leads
        cursor = page.cursor
        if not page.has_more:
            break
    records = adapter.read_leads([r.id for r in found])
    results = adapter.assign([AssignmentRequest(r.id, owners[i % len(owners)], r.owner_id)
                              for i, r in enumerate(records)])
    return records, results


def counted(control, vendor: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in control.requests(vendor):
        key = f"{r['method']} {r['path'].split('/v59.0')[-1]}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_routing_1000_hubspot_leads_costs_about_ten_calls_per_pass(make_hubspot, sandbox, control,
                                                                  hubspot_owner, capsys):
    vendor = sandbox.vendor("hubspot")
    for i in range(N):
        vendor.create_lead({"email": f"bulk{i}@example.com", "last_name": "Bulk"})
    owners = [hubspot_owner(k) for k in ("maya", "liam", "sofia")]
    records, results = route_all(make_hubspot(page_size=N), owners)
    assert len(records) == N and {r.outcome for r in results} == {AssignOutcome.WRITTEN}
    counts = counted(control, "hubspot")
    with capsys.disabled():
        print("\nHubSpot calls for 1,000 leads:", json.dumps(counts))
    assert counts == {"POST /crm/v3/objects/contacts/search": 5,       # 200 a page
                      "POST /crm/v3/objects/contacts/batch/read": 20,  # read 10 + re-check 10
                      "POST /crm/v3/objects/contacts/batch/update": 10}


def test_routing_1000_salesforce_leads_costs_about_five_calls_per_pass(make_salesforce, sandbox,
                                                                      control, salesforce_user, capsys):
    vendor = sandbox.vendor("salesforce")
    for i in range(N):
        vendor.create_lead({"email": f"bulk{i}@example.com", "last_name": "Bulk", "company": "B"})
    owners = [salesforce_user(k) for k in ("maya", "liam", "sofia")]
    records, results = route_all(make_salesforce(), owners)
    assert len(records) == N and {r.outcome for r in results} == {AssignOutcome.WRITTEN}
    counts = counted(control, "salesforce")
    with capsys.disabled():
        print("\nSalesforce calls for 1,000 leads:", json.dumps(counts))
    assert counts == {"POST /services/oauth2/token": 1,
                      "GET /query/": 1 + 5 + 5,        # find (2000 a page) + read + re-check, 200 ids each
                      "PATCH /composite/sobjects": 5}
