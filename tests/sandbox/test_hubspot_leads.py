"""The HubSpot Leads object (0-136), its association to a contact (v4), the portal's custom
contact properties and the properties API, driven by the real hubspot-api-client over TLS."""
from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.associations.v4 import (BatchInputPublicFetchAssociationsBatchRequest,
                                         PublicFetchAssociationsBatchRequest)
from hubspot.crm.objects import (ApiException, BatchInputSimplePublicObjectBatchInput,
                                 BatchReadInputSimplePublicObjectId, Filter, FilterGroup,
                                 PublicObjectSearchRequest, SimplePublicObjectBatchInput,
                                 SimplePublicObjectId, SimplePublicObjectInputForCreate)

from tests.sandbox.test_hubspot_webhooks import Receiver

TOKEN = "sandbox-hubspot-token"
PRIMARY = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]


@pytest.fixture
def hubspot(running, sandbox):
    return HubSpot(access_token=TOKEN, host=running.url, ssl_ca_cert=str(running.ca_path))


def contact(hubspot, n: int = 1, **props) -> str:
    return hubspot.crm.contacts.basic_api.create({"properties": {
        "email": f"ada{n}@lovelace.example", "firstname": "Ada", "lastname": f"Lovelace{n}", **props}}).id


def new_lead(hubspot, contact_id: str | None, name: str = "Ada's lead", **props):
    body = SimplePublicObjectInputForCreate(
        properties={"hs_lead_name": name, **props},
        associations=[{"to": {"id": contact_id}, "types": PRIMARY}] if contact_id else [])
    return hubspot.crm.objects.basic_api.create("leads", body)


def error_body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_a_lead_is_created_with_its_primary_contact_and_reads_the_contact_fields(hubspot):
    contact_id = contact(hubspot)
    lead = new_lead(hubspot, contact_id)
    assert lead.properties["hs_lead_name"] == "Ada's lead"
    # HubSpot calculates these from the primary contact: the default properties of a lead read
    read = hubspot.crm.objects.basic_api.get_by_id("leads", lead.id)
    assert read.properties["hs_associated_contact_email"] == "ada1@lovelace.example"
    assert read.properties["hs_associated_contact_lastname"] == "Lovelace1"
    assert read.properties["hs_lead_name"] == "Ada's lead" and "hubspot_owner_id" not in read.properties
    # ... and keeps them current when the contact changes
    hubspot.crm.contacts.basic_api.update(contact_id, {"properties": {"email": "ada@new.example"}})
    assert hubspot.crm.objects.basic_api.get_by_id("leads", lead.id).properties[
        "hs_associated_contact_email"] == "ada@new.example"


def test_a_lead_without_a_contact_or_a_name_is_refused(hubspot):
    with pytest.raises(ApiException) as no_contact:
        new_lead(hubspot, None)
    assert no_contact.value.status == 400
    assert error_body(no_contact.value)["category"] == "VALIDATION_ERROR"
    assert "associated with an existing contact" in error_body(no_contact.value)["message"]
    with pytest.raises(ApiException) as unknown_contact:
        new_lead(hubspot, "424242")
    assert unknown_contact.value.status == 400
    with pytest.raises(ApiException) as no_name:
        hubspot.crm.objects.basic_api.create("leads", SimplePublicObjectInputForCreate(
            properties={}, associations=[{"to": {"id": contact(hubspot)}, "types": PRIMARY}]))
    assert no_name.value.status == 400 and "hs_lead_name" in error_body(no_name.value)["message"]
    # the calculated contact properties cannot be written
    lead = new_lead(hubspot, contact(hubspot, 2), hs_associated_contact_email="spoof@example.com")
    assert hubspot.crm.objects.basic_api.get_by_id("leads", lead.id).properties[
        "hs_associated_contact_email"] == "ada2@lovelace.example"


def test_v4_batch_read_answers_each_lead_with_its_contacts_and_lists_the_unassociated(hubspot):
    contacts = [contact(hubspot, n) for n in range(3)]
    leads = [new_lead(hubspot, c, f"lead {n}").id for n, c in enumerate(contacts)]
    body = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in [*leads, "123"]])
    answer = hubspot.crm.associations.v4.batch_api.get_page("leads", "contacts", body)
    got = {r._from.id: r.to for r in answer.results}
    assert set(got) == set(leads)
    for lead_id, contact_id in zip(leads, contacts):
        [to] = got[lead_id]
        assert str(to.to_object_id) == contact_id
        assert sorted(t.type_id for t in to.association_types) == [578, 608]   # primary + unlabeled
        assert {t.category for t in to.association_types} == {"HUBSPOT_DEFINED"}
    assert answer.errors[0].context["fromObjectId"] == ["123"]   # a 207: "123" has no contact
    # the reverse direction, by objectTypeId
    back = hubspot.crm.associations.v4.batch_api.get_page("0-1", "0-136", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=contacts[0])]))
    assert [str(t.to_object_id) for t in back.results[0].to] == [leads[0]]
    assert sorted(t.type_id for t in back.results[0].to[0].association_types) == [579, 609]
    page = hubspot.crm.associations.v4.basic_api.get_page("leads", leads[1], "contacts")
    assert [str(r.to_object_id) for r in page.results] == [contacts[1]]


def test_leads_are_searched_batch_read_and_owned_like_other_objects(hubspot, sandbox):
    owner = sandbox.vendor("hubspot").owners.by_key("maya").id
    leads = [new_lead(hubspot, contact(hubspot, n), f"lead {n}").id for n in range(3)]
    hubspot.crm.objects.batch_api.update("leads", BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=leads[0], properties={"hubspot_owner_id": owner})]))
    search = hubspot.crm.objects.search_api.do_search("leads", PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name="hubspot_owner_id",
                                                   operator="NOT_HAS_PROPERTY")])],
        properties=["hs_lead_name", "hubspot_owner_id"], limit=10))
    assert sorted(r.id for r in search.results) == sorted(leads[1:]) and search.total == 2
    read = hubspot.crm.objects.batch_api.read("leads", BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in leads], properties=["hubspot_owner_id", "segment"]))
    owners = {r.id: r.properties.get("hubspot_owner_id") for r in read.results}
    assert owners[leads[0]] == owner and owners[leads[1]] is None
    assert all("segment" not in r.properties for r in read.results)   # not a lead property: left out
    with pytest.raises(ApiException) as bad_owner:
        hubspot.crm.objects.batch_api.update("leads", BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id=leads[1], properties={"hubspot_owner_id": "999"})]))
    assert bad_owner.value.status == 400 and "INVALID_OWNER_ID" in bad_owner.value.body


def test_the_demo_portal_declares_its_custom_contact_properties(hubspot):
    contact_id = contact(hubspot, segment="Enterprise", product_interest="Routing")
    read = hubspot.crm.contacts.basic_api.get_by_id(contact_id, properties=["segment", "product_interest"])
    assert read.properties["segment"] == "Enterprise" and read.properties["product_interest"] == "Routing"
    with pytest.raises(ContactsApiException) as bad_option:
        contact(hubspot, 2, segment="Galactic")
    [problem] = json.loads(error_body(bad_option.value)["message"].split("valid: ", 1)[1])
    assert problem["error"] == "INVALID_OPTION" and problem["name"] == "segment"
    search = hubspot.crm.contacts.search_api.do_search({"filterGroups": [{"filters": [
        {"propertyName": "segment", "operator": "EQ", "value": "Enterprise"}]}], "properties": ["segment"]})
    assert [r.id for r in search.results] == [contact_id]
    props = {p.name: p for p in hubspot.crm.properties.core_api.get_all("contacts").results}
    assert props["segment"].type == "enumeration" and not props["segment"].hubspot_defined
    assert [o.value for o in props["segment"].options] == ["SMB", "Mid-Market", "Enterprise"]
    assert props["product_interest"].type == "string" and props["email"].hubspot_defined
    leads = {p.name for p in hubspot.crm.properties.core_api.get_all("leads").results}
    assert {"hs_lead_name", "hubspot_owner_id", "hs_associated_contact_email"} <= leads


def test_an_undeclared_custom_property_is_refused_in_a_portal_without_the_demo_seed(running, hubspot):
    running.sandbox.reset(reseed=False)
    try:
        with pytest.raises(ContactsApiException) as refused:
            hubspot.crm.contacts.basic_api.create({"properties": {"email": "x@y.example", "segment": "SMB"}})
        assert "PROPERTY_DOESNT_EXIST" in refused.value.body
    finally:
        running.sandbox.reset()


def test_lead_creation_and_owner_changes_are_announced_as_generic_object_events(running, sandbox):
    receiver = Receiver()
    try:
        sandbox.deliveries.configure(delay_factor=0.001)
        vendor = sandbox.vendor("hubspot")
        vendor.webhooks.configure(url=receiver.url, batch_window_ms=0)
        lead = vendor.create_lead({"first_name": "Grace", "last_name": "Hopper", "email": "g@navy.example",
                                   "object": "leads", "segment": "SMB"})
        receiver.wait_for(2)
        events = [e for r in receiver.requests for e in json.loads(r["body"])]
        kinds = [(e["subscriptionType"], e.get("objectTypeId")) for e in events]
        assert ("contact.creation", None) in kinds and ("object.creation", "0-136") in kinds
        created = next(e for e in events if e["subscriptionType"] == "object.creation")
        assert str(created["objectId"]) == lead["id"] and lead["properties"]["hs_lead_name"] == "Grace Hopper"
        with sandbox.lock:
            vendor.crm.update("leads", vendor.crm.store("leads").find(lead["id"]),
                              {"hubspot_owner_id": vendor.owners.by_key("liam").id})
        receiver.wait_for(3)
        events = [e for r in receiver.requests for e in json.loads(r["body"])]
        change = next(e for e in events if e["subscriptionType"] == "object.propertyChange")
        assert change["objectTypeId"] == "0-136" and change["propertyName"] == "hubspot_owner_id"
    finally:
        sandbox.vendor("hubspot").webhooks.configure(url=None)
        receiver.server.shutdown()
