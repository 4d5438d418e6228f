"""The HubSpot adapter on the Leads object (0-136), through the real SDK against the sandbox:
unassigned leads found and read with their primary contact's fields (in batches), the owner
written on the lead and, with sync_contact_owner, on its contact; lead webhooks understood."""
from __future__ import annotations

import json

from adapters import AssignmentRequest, AssignOutcome, WebhookKind
from tests.adapters.test_call_counts import counted, route_all

N = 250


def make_leads(sandbox, count: int, **fields) -> list[dict]:
    vendor = sandbox.vendor("hubspot")
    return [vendor.create_lead({"first_name": "Kwame", "last_name": f"Okafor{i}", "email": f"k{i}@atlas.example",
                                "company": "Atlas Labs", "country": "DE", "employees": 420, "segment": "Mid-Market",
                                "product_interest": "Routing", "object": "leads", **fields})
            for i in range(count)]


def test_unassigned_leads_are_read_with_their_contact_fields(make_hubspot, sandbox):
    [made] = make_leads(sandbox, 1)
    adapter = make_hubspot(object_type="leads", extra_fields=["segment", "product_interest"])
    [record] = adapter.find_unassigned().leads
    lead = record.lead
    assert record.id == made["id"] and record.owner_id is None and not record.has_real_owner
    assert (lead.email, lead.first_name, lead.last_name) == ("k0@atlas.example", "Kwame", "Okafor0")
    assert (lead.company, lead.country, lead.employees) == ("Atlas Labs", "DE", 420)   # from the contact
    assert lead.raw["hs_lead_name"] == "Kwame Okafor0"
    assert lead.raw["segment"] == "Mid-Market" and lead.raw["contact.product_interest"] == "Routing"
    contact_id = lead.raw["contact.hs_object_id"]
    assert sandbox.vendor("hubspot").get_record("contacts", contact_id)["properties"]["email"] == "k0@atlas.example"
    [again] = adapter.read_leads([record.id])
    assert again.lead.country == "DE" and again.lead.raw["segment"] == "Mid-Market"


def test_the_lead_keeps_its_own_values_over_the_contacts(make_hubspot, sandbox):
    [made] = make_leads(sandbox, 1)
    vendor = sandbox.vendor("hubspot")
    with sandbox.lock:
        lead = vendor.crm.store("leads").find(made["id"])
        vendor.crm.update("leads", lead, {"hs_pipeline_stage": "attempting-stage-id"})
    [record] = make_hubspot(object_type="leads").find_unassigned().leads
    assert record.lead.status == "attempting-stage-id"   # the lead's stage, not the contact's hs_lead_status
    assert record.lead.company == "Atlas Labs"          # what the lead lacks still comes from the contact


def test_routing_leads_reads_contacts_in_batches_not_one_call_per_lead(make_hubspot, sandbox, control,
                                                                     hubspot_owner, capsys):
    make_leads(sandbox, N)
    before = counted(control, "hubspot")
    owners = [hubspot_owner(k) for k in ("maya", "liam")]
    records, results = route_all(make_hubspot(object_type="leads", page_size=N), owners)
    assert len(records) == N and {r.outcome for r in results} == {AssignOutcome.WRITTEN}
    assert all(r.lead.country == "DE" for r in records)
    counts = {k: v - before.get(k, 0) for k, v in counted(control, "hubspot").items() if v - before.get(k, 0)}
    with capsys.disabled():
        print("\nHubSpot calls for 250 Leads-object records:", json.dumps(counts))
    assert counts == {"POST /crm/v3/objects/leads/search": 2,                 # 200 a page
                      "POST /crm/v4/associations/leads/contacts/batch/read": 6,  # find 3 + read 3
                      "POST /crm/v3/objects/contacts/batch/read": 6,          # find 3 + read 3
                      "POST /crm/v3/objects/leads/batch/read": 6,             # read 3 + re-check 3
                      "POST /crm/v3/objects/leads/batch/update": 3}


def test_the_owner_is_written_on_the_lead_and_with_sync_contact_owner_on_its_contact(make_hubspot, sandbox,
                                                                                  hubspot_owner, control):
    vendor = sandbox.vendor("hubspot")
    made = make_leads(sandbox, 2)
    plain = make_hubspot(object_type="leads")
    [first] = plain.read_leads([made[0]["id"]])
    [result] = plain.assign([AssignmentRequest(first.id, hubspot_owner("maya"), None)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert vendor.get_record("leads", first.id)["properties"]["hubspot_owner_id"] == hubspot_owner("maya")
    assert not vendor.get_record("contacts", first.lead.raw["contact.hs_object_id"])["properties"].get(
        "hubspot_owner_id")                                       # the contact is left alone by default

    synced = make_hubspot(object_type="leads", sync_contact_owner=True)
    [second] = synced.read_leads([made[1]["id"]])
    before = counted(control, "hubspot").get("POST /crm/v3/objects/contacts/batch/update", 0)
    [result] = synced.assign([AssignmentRequest(second.id, hubspot_owner("liam"), None)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert vendor.get_record("leads", second.id)["properties"]["hubspot_owner_id"] == hubspot_owner("liam")
    contact = vendor.get_record("contacts", second.lead.raw["contact.hs_object_id"])
    assert contact["properties"]["hubspot_owner_id"] == hubspot_owner("liam")
    assert counted(control, "hubspot")["POST /crm/v3/objects/contacts/batch/update"] == before + 1


def test_sync_contact_owner_never_takes_a_contact_a_person_owns(make_hubspot, sandbox, hubspot_owner, control):
    """A person who owns the contact keeps it: the lead gets the routed owner, its contact does
    not; a contact without an owner gets the lead's. The contacts' owners are re-read in one batch
    right before the write, so an owner set after the leads were read counts too."""
    vendor = sandbox.vendor("hubspot")
    made = make_leads(sandbox, 2)
    adapter = make_hubspot(object_type="leads", sync_contact_owner=True)
    owned, free = adapter.read_leads([m["id"] for m in made])
    owned_contact, free_contact = (r.lead.raw["contact.hs_object_id"] for r in (owned, free))
    # After the read, a person takes the first contact in the HubSpot UI.
    control.post("hubspot/reassign", contact_id=owned_contact, owner="sofia")
    since = len(control.requests("hubspot"))
    results = adapter.assign([AssignmentRequest(owned.id, hubspot_owner("maya"), None),
                              AssignmentRequest(free.id, hubspot_owner("liam"), None)])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.WRITTEN]
    assert vendor.get_record("leads", owned.id)["properties"]["hubspot_owner_id"] == hubspot_owner("maya")
    assert vendor.get_record("contacts", owned_contact)["properties"]["hubspot_owner_id"] == hubspot_owner("sofia")
    assert vendor.get_record("contacts", free_contact)["properties"]["hubspot_owner_id"] == hubspot_owner("liam")
    calls = control.requests("hubspot")[since:]
    [update] = [c for c in calls if c["path"] == "/crm/v3/objects/contacts/batch/update"]
    assert [i["id"] for i in json.loads(update["body"])["inputs"]] == [free_contact]   # only the free one
    reads = [c for c in calls if c["path"] == "/crm/v3/objects/contacts/batch/read"]
    assert len(reads) == 1 and {i["id"] for i in json.loads(reads[0]["body"])["inputs"]} == {owned_contact, free_contact}
    assert calls.index(reads[0]) < calls.index(update)


def test_sync_contact_owner_writes_no_contact_when_every_contact_is_owned(make_hubspot, sandbox, hubspot_owner,
                                                                        control):
    [made] = make_leads(sandbox, 1)
    adapter = make_hubspot(object_type="leads", sync_contact_owner=True)
    [record] = adapter.read_leads([made["id"]])
    contact = record.lead.raw["contact.hs_object_id"]
    control.post("hubspot/reassign", contact_id=contact, owner="noah")
    since = len(control.requests("hubspot"))
    [result] = adapter.assign([AssignmentRequest(record.id, hubspot_owner("maya"), None)])
    assert result.outcome is AssignOutcome.WRITTEN
    assert sandbox.vendor("hubspot").get_record("contacts", contact)["properties"]["hubspot_owner_id"] == \
        hubspot_owner("noah")
    assert not [c for c in control.requests("hubspot")[since:] if c["path"] == "/crm/v3/objects/contacts/batch/update"]


def test_a_refused_lead_write_leaves_its_contact_alone(make_hubspot, sandbox):
    [made] = make_leads(sandbox, 1)
    adapter = make_hubspot(object_type="leads", sync_contact_owner=True)
    [record] = adapter.read_leads([made["id"]])
    [result] = adapter.assign([AssignmentRequest(record.id, "99999", None)])   # no such owner
    assert result.outcome is AssignOutcome.INVALID_OWNER
    contact = sandbox.vendor("hubspot").get_record("contacts", record.lead.raw["contact.hs_object_id"])
    assert not contact["properties"].get("hubspot_owner_id")


def test_lead_webhooks_are_the_generic_object_events_of_type_0_136(make_hubspot):
    def event(n, subscription, type_id, **extra):
        return {"eventId": n, "subscriptionId": 1, "portalId": 24681357, "appId": 1, "occurredAt": 1_700_000_000_000,
                "subscriptionType": subscription, "attemptNumber": 0, "objectId": 900 + n,
                "objectTypeId": type_id, "changeSource": "CRM_UI", **extra}
    body = json.dumps([event(1, "object.creation", "0-136"), event(2, "object.creation", "0-1"),
                       event(3, "object.propertyChange", "0-136", propertyName="hubspot_owner_id",
                             propertyValue="61000001"),
                       {**event(4, "contact.creation", None)}]).encode()
    leads = make_hubspot(object_type="leads").parse_webhook(body)
    assert [(e.lead_id, e.kind) for e in leads] == [("901", WebhookKind.CREATED), ("903", WebhookKind.OWNER_CHANGED)]
    contacts = make_hubspot(object_type="contacts").parse_webhook(body)
    assert [e.lead_id for e in contacts] == ["902", "904"]
