"""The sandbox org's Contact, as Salesforce's Object Reference and REST API guide describe it,
driven through the real simple-salesforce client: its owner is a user (a lookup to User only,
queues cannot own contacts), its company fields are its Account's, it has no Status and is never
converted, and the lead assignment rule (``Sforce-Auto-Assign``) never touches it."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def _queue(sf) -> str:
    return sf.query("SELECT Id FROM Group WHERE Type = 'Queue'")["records"][0]["Id"]


def _user(sf, prefix: str) -> str:
    return sf.query(f"SELECT Id FROM User WHERE Email LIKE '{prefix}%'")["records"][0]["Id"]


def _admin(sf) -> str:
    return sf.query("SELECT Id FROM User WHERE Username = 'admin@sandbox.example'")["records"][0]["Id"]


def test_describe_lists_a_user_only_owner_the_account_lookup_and_no_status(sf, fresh_sandbox):
    described = sf.Contact.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert described["keyPrefix"] == "003"
    assert (fields["OwnerId"]["referenceTo"], fields["OwnerId"]["relationshipName"]) == (["User"], "Owner")
    assert (fields["AccountId"]["referenceTo"], fields["AccountId"]["relationshipName"]) == (["Account"], "Account")
    assert {"MailingCountry", "MailingState", "LeadSource", "Email"} <= set(fields)
    assert not {"Status", "IsConverted", "Company"} & set(fields)
    [lead_owner] = [f for f in sf.Lead.describe()["fields"] if f["name"] == "OwnerId"]
    assert set(lead_owner["referenceTo"]) == {"User", "Group"}   # a lead's owner may be a queue


def test_a_new_contact_is_owned_by_whoever_created_it_and_no_assignment_rule_moves_it(sf, fresh_sandbox):
    # No Sforce-Auto-Assign header (the default TRUE): the rule applies to Leads, not Contacts.
    contact = sf.Contact.create({"LastName": "Ito", "Email": "ito@example.com"})
    record = sf.Contact.get(contact["id"])
    assert contact["id"].startswith("003") and record["OwnerId"] == _admin(sf)
    assert record["Name"] == "Ito"
    maya = _user(sf, "maya.patel")
    assert sf.Contact.update(contact["id"], {"OwnerId": maya}) == 204
    assert sf.Contact.get(contact["id"])["OwnerId"] == maya


def test_a_queue_cannot_own_a_contact(sf, fresh_sandbox):
    contact = sf.Contact.create({"LastName": "Queue-less"})["id"]
    queue = _queue(sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Contact.update(contact, {"OwnerId": queue})
    assert caught.value.content == [{"message": f"Owner ID: id value of incorrect type: {queue}",
                                     "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["OwnerId"]}]
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.create({"LastName": "Q", "OwnerId": queue})


def test_a_collection_update_answers_each_contact_on_its_own(sf, fresh_sandbox):
    ids = [sf.Contact.create({"LastName": f"C{i}"})["id"] for i in range(3)]
    maya, queue = _user(sf, "maya.patel"), _queue(sf)
    owners = [maya, queue, maya]
    answer = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "id": i, "OwnerId": o} for i, o in zip(ids, owners)]})
    assert [a["success"] for a in answer] == [True, False, True]
    assert answer[1]["errors"] == [{"statusCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["OwnerId"],
                                    "message": f"Owner ID: id value of incorrect type: {queue}"}]
    assert [sf.Contact.get(i)["OwnerId"] for i in ids] == [maya, _admin(sf), maya]
    # A Lead id in a Contact collection is not a Contact id.
    lead = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    [wrong] = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": lead, "OwnerId": maya}]})
    assert wrong["errors"][0]["statusCode"] == "MALFORMED_ID"


def test_soql_reads_a_contacts_account_fields_and_knows_no_status(sf, fresh_sandbox):
    account = sf.Account.create({"Name": "Acme", "Website": "https://acme.example", "Industry": "Banking",
                                 "NumberOfEmployees": 40, "AnnualRevenue": 2.5e6})["id"]
    sf.Contact.create({"LastName": "Ng", "AccountId": account, "MailingCountry": "PT"})
    [row] = sf.query("SELECT Id, Account.Name, Account.AnnualRevenue, Owner.Name, MailingCountry FROM Contact "
                     "WHERE Account.Industry = 'Banking'")["records"]
    assert (row["Account"]["Name"], row["Account"]["AnnualRevenue"], row["MailingCountry"]) == ("Acme", 2.5e6, "PT")
    assert row["Owner"]["Name"] == "Ada Admin"
    for field in ("Status", "IsConverted", "Company"):
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.query(f"SELECT Id, {field} FROM Contact")
        assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_a_task_can_be_about_a_contact(sf, fresh_sandbox):
    contact = sf.Contact.create({"LastName": "Who"})["id"]
    sf.Task.create({"Subject": "Call", "WhoId": contact, "OwnerId": _user(sf, "maya.patel")})
    [row] = sf.query(f"SELECT WhoId, COUNT(Id) n FROM Task WHERE WhoId = '{contact}' GROUP BY WhoId")["records"]
    assert (row["WhoId"], row["n"]) == (contact, 1)
