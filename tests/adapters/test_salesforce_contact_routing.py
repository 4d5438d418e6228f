"""The Salesforce adapter routing Contacts (``object: Contact``) against the sandbox, through the
real simple-salesforce: unassigned means owned by an intake owner (default: the integration user,
since queues cannot own contacts); a person's owner is never overwritten; the company fields are
the contact's Account's; field checks describe Contact; links open the record on the org's own host."""
from __future__ import annotations

import pytest

from adapters import AssignmentRequest, AssignOutcome, InvalidData


def sf_calls(control, part: str) -> list[dict]:
    return [r for r in control.requests("salesforce") if part in r["path"] + "?" + r["query"]]


@pytest.fixture
def contacts(sandbox):
    """make(count, owner=None, **fields) -> contact ids, created as the integration user would
    (its owner: the creating user unless ``owner`` is given), each with an account."""
    vendor = sandbox.vendor("salesforce")

    def make(count: int, owner: str | None = None, tag: str = "c", **fields) -> list[str]:
        made = []
        with sandbox.lock:
            account = vendor.store.insert("Account", {"Name": f"{tag} Holdings", "Industry": "Banking",
                                                      "NumberOfEmployees": 120, "Website": f"https://{tag}.example"})
            for i in range(count):
                values = {"FirstName": f"C{i}", "LastName": "Contact", "Email": f"{tag}{i}@example.com",
                          "MailingCountry": "Germany", "LeadSource": "Web", "AccountId": account["Id"], **fields}
                if owner:
                    values["OwnerId"] = owner
                made.append(vendor.store.insert("Contact", values, user_id=vendor.store.admin_id)["Id"])
        return made
    return make


@pytest.fixture
def make_contacts_adapter(make_salesforce):
    return lambda **overrides: make_salesforce(**{"object": "Contact", "intake_queues": [], **overrides})


def owner(sandbox, contact_id: str) -> str:
    return sandbox.vendor("salesforce").get_record("Contact", contact_id)["OwnerId"]


def test_contacts_of_the_integration_user_are_the_unassigned_ones(make_contacts_adapter, contacts, salesforce_user):
    waiting = contacts(3)
    contacts(2, owner=salesforce_user("maya"), tag="owned")
    page = make_contacts_adapter().find_unassigned()
    assert sorted(r.id for r in page.leads) == sorted(waiting)
    record = page.leads[0]
    assert not record.has_real_owner and not record.converted
    lead = record.lead
    assert (lead.company, lead.industry, lead.employees, lead.country, lead.source) == \
        ("c Holdings", "Banking", 120, "DE", "Web")
    assert lead.raw["Account.Name"] == "c Holdings"


def test_intake_owners_are_named_by_username_or_id(make_contacts_adapter, contacts, salesforce_user, sandbox):
    liam = salesforce_user("liam")
    mine = contacts(2, owner=liam, tag="liam")
    contacts(1)   # the integration user's: not an intake owner now
    username = sandbox.vendor("salesforce").get_record("User", liam)["Username"]
    for intake in ([username], [liam]):
        adapter = make_contacts_adapter(intake_owners=intake)
        assert sorted(r.id for r in adapter.find_unassigned().leads) == sorted(mine)
        assert not adapter.read_leads(mine)[0].has_real_owner
    with pytest.raises(InvalidData, match="nobody@nowhere.example"):
        make_contacts_adapter(intake_owners=["nobody@nowhere.example"]).find_unassigned()


def test_owners_are_written_without_the_lead_assignment_header_and_a_person_wins(
        make_contacts_adapter, contacts, salesforce_user, sandbox, control):
    ids = contacts(3)
    maya, liam = salesforce_user("maya"), salesforce_user("liam")
    adapter = make_contacts_adapter()
    records = adapter.read_leads(ids)
    control.post("salesforce/reassign", record_id=ids[2], owner_id=liam)   # a person took it
    results = adapter.assign([AssignmentRequest(r.id, maya, r.owner_id) for r in records])
    assert [r.outcome for r in results] == [AssignOutcome.WRITTEN, AssignOutcome.WRITTEN, AssignOutcome.OWNER_CHANGED]
    assert [owner(sandbox, i) for i in ids] == [maya, maya, liam]
    [write] = [r for r in sf_calls(control, "/composite/sobjects") if r["method"] == "PATCH"]
    assert "Sforce-Auto-Assign" not in write["headers"] and '"type": "Contact"' in write["body"]
    checks = [r for r in sf_calls(control, "/query") if "FROM+Contact" in r["query"] and "OwnerId%2C+LastModifiedDate" in r["query"]]
    assert checks, "the owners were re-read right before the write"
    # A human-owned contact read again: owned by a person, so the pipeline leaves it alone.
    assert adapter.read_leads([ids[2]])[0].has_real_owner


def test_a_single_contact_is_written_conditionally(make_contacts_adapter, contacts, salesforce_user, sandbox, control):
    [contact] = contacts(1)
    adapter = make_contacts_adapter()
    record = adapter.read_leads([contact])[0]
    [result] = adapter.assign([AssignmentRequest(contact, salesforce_user("sofia"), record.owner_id, record.modified_at)])
    assert result.outcome is AssignOutcome.WRITTEN and owner(sandbox, contact) == salesforce_user("sofia")
    [patch] = [r for r in sf_calls(control, "/sobjects/Contact/") if r["method"] == "PATCH"]
    assert patch["headers"]["If-Unmodified-Since"] and "Sforce-Auto-Assign" not in patch["headers"]


def test_a_queue_never_becomes_a_contacts_owner(make_contacts_adapter, contacts, sandbox, control):
    [contact] = contacts(1)
    queue = sandbox.vendor("salesforce").describe()["intake_queue_id"]
    [result] = make_contacts_adapter().assign([AssignmentRequest(contact, queue)])
    assert result.outcome is AssignOutcome.INVALID_OWNER and "queues cannot own a Contact" in result.error
    assert not [r for r in sf_calls(control, "/composite/sobjects") if r["method"] == "PATCH"]


def test_ids_of_another_object_are_not_contacts(make_contacts_adapter, contacts, sandbox):
    [contact] = contacts(1)
    lead = sandbox.vendor("salesforce").create_lead({"last_name": "L", "company": "C"})["Id"]
    adapter = make_contacts_adapter()
    assert "not a Contact id" in adapter.lead_id_problem(lead) and adapter.lead_id_problem(contact) is None
    assert [r.id for r in adapter.read_leads([lead, contact])] == [contact]


def test_open_load_counts_a_reps_contacts_but_not_the_closed_ones(make_contacts_adapter, contacts, salesforce_user,
                                                                  sandbox):
    from sandbox.salesforce.schema import Field, FieldType, declare_custom_field

    with sandbox.lock:   # the admin's own "closed" field (a Contact has no Status)
        declare_custom_field(sandbox.vendor("salesforce").store.schema, "Contact",
                             Field("Stage__c", FieldType.PICKLIST, picklist=("Open", "Lost")))
    maya = salesforce_user("maya")
    contacts(3, owner=maya, Stage__c="Open")
    contacts(2, owner=maya, tag="lost", Stage__c="Lost")
    assert make_contacts_adapter().read_open_load([maya]) == {maya: 5}
    closed = make_contacts_adapter(field_overrides={"status": "Stage__c"}, closed_statuses=["Lost"])
    assert closed.read_open_load([maya]) == {maya: 3}


def test_field_checks_describe_contact(make_contacts_adapter):
    adapter = make_contacts_adapter(extra_fields=["Segmnt__c"], field_overrides={"status": "Status"})
    assert adapter.unknown_fields() == ["Contact.Status is not a field of Contact in this org",
                                        "Contact.Segmnt__c is not a field of Contact in this org"]
    assert make_contacts_adapter().unknown_fields() == []   # Account.Name & co: the Account lookup


def test_record_links_open_the_record_on_the_orgs_own_host(make_contacts_adapter, make_salesforce, contacts,
                                                           running):
    [contact] = contacts(1)
    adapter = make_contacts_adapter()
    assert adapter.record_url(contact) is None   # before the first login the org's host is unknown
    adapter.read_leads([contact])
    assert adapter.record_url(contact) == f"{running.url}/lightning/r/Contact/{contact}/view"
    lead_adapter = make_salesforce()
    lead_adapter.find_unassigned()
    assert lead_adapter.record_url("00Q5g0000000001AAA") == f"{running.url}/lightning/r/Lead/00Q5g0000000001AAA/view"


def test_backfill_starts_where_it_is_told(make_contacts_adapter, contacts, sandbox):
    """``backfill`` and a new connection's first poll start at ``cursor_since``: contacts from before
    that time wait, those after it are found; from the oldest, all of them."""
    from datetime import timedelta

    older = contacts(2, tag="older")
    sandbox.clock.advance(3600)
    cut = sandbox.clock.now() - timedelta(seconds=1)
    newer = contacts(1, tag="newer")
    adapter = make_contacts_adapter()
    assert [r.id for r in adapter.find_unassigned(adapter.cursor_since(cut)).leads] == newer
    assert sorted(r.id for r in adapter.find_unassigned(adapter.cursor_since(None)).leads) == sorted(older + newer)


def test_outbound_messages_about_contacts_are_the_contact_connections(make_contacts_adapter, make_salesforce, sandbox):
    from sandbox.salesforce.outbound import envelope

    org = sandbox.vendor("salesforce").describe()["org_id"]
    body = envelope(org_id=org, action_id="04k5g000000SbxA", enterprise_url="https://e", partner_url="https://p",
                    notifications=[("04l5g00000AAAA1", "Contact", {"Id": "0035g0000000001AAA"}),
                                   ("04l5g00000AAAA2", "Lead", {"Id": "00Q5g0000000001AAA"})])
    assert [e.lead_id for e in make_contacts_adapter().parse_webhook(body)] == ["0035g0000000001AAA"]
    assert [e.lead_id for e in make_salesforce().parse_webhook(body)] == ["00Q5g0000000001AAA"]


@pytest.mark.parametrize("keys, problem", [
    ({"object": "Contact", "intake_queues": ["Inbound Leads"]}, "object: Contacts take intake_owners"),
    ({"intake_owners": ["intake@acme.example"]}, "object: Leads take intake_queues"),
    ({"object": "Contact", "intake_owners": ["intake"]}, "intake_owners: 'intake' is neither a user id"),
    ({"object": "Contact", "closed_statuses": ["Lost"]}, "object: closed_statuses on Contacts needs fields.status"),
    ({"object": "Account"}, "object: Input should be 'Lead' or 'Contact'"),
])
def test_the_connection_model_says_what_a_contacts_connection_needs(keys, problem):
    from pydantic import ValidationError

    from adapters.specs import parse_spec, problems

    base = {"name": "sf", "kind": "salesforce", "url": "https://login.salesforce.com", "client_id": "c",
            "client_secret": "s"}
    with pytest.raises(ValidationError) as caught:
        parse_spec({**base, **keys})
    assert [p for p in problems(caught.value, "connections[0]") if p.startswith(f"connections[0].{problem}")]
    fine = parse_spec({**base, "object": "Contact", "intake_owners": ["intake@acme.example", "0055g0000000002AAA"],
                       "fields": {"status": "Stage__c"}, "closed_statuses": ["Lost"]})
    assert fine.adapter_settings()["object"] == "Contact"
