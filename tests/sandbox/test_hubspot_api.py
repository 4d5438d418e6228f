"""HubSpot CRM v3 in the sandbox, driven by the real hubspot-api-client over TLS.

The sandbox runs with TLS (as the Salesforce half needs) and the SDK trusts its CA through each
API package's `ssl_ca_cert` configuration, which `HubSpot(**kwargs)` sets on every package.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.companies import PublicObjectSearchRequest as CompanySearch
from hubspot.crm.contacts import (ApiException, BatchInputSimplePublicObjectBatchInput,
                                  BatchInputSimplePublicObjectBatchInputForCreate,
                                  BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest,
                                  SimplePublicObjectInput, SimplePublicObjectInputForCreate)
from hubspot.crm.owners import ApiException as OwnersApiException


TOKEN = "sandbox-hubspot-token"
@pytest.fixture
def hubspot(running, sandbox):
    return HubSpot(access_token=TOKEN, host=running.url, ssl_ca_cert=str(running.ca_path))


@pytest.fixture
def control(running, sandbox):
    session = requests.Session()
    session.verify = str(running.ca_path)
    session.trust_env = False
    session.base = running.url + "/__sandbox__/hubspot"
    return session


def make_contacts(hubspot, count, **extra):
    inputs = [{"properties": {"email": f"lead{i}@example.com", "firstname": f"Lead{i}",
                              "lastname": "Test", "numberofemployees": str(10 * i), **extra}}
              for i in range(count)]
    ids = []
    for start_at in range(0, count, 100):
        batch = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs[start_at:start_at + 100])
        ids += [r.id for r in hubspot.crm.contacts.batch_api.create(batch).results]
    return ids


def search(hubspot, **body):
    return hubspot.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**body))


def error_body(exc) -> dict:
    return json.loads(exc.body)


def owner_id(sandbox, key):
    return sandbox.vendor("hubspot").owners.by_key(key).id


# -- search -----------------------------------------------------------------------------------

def test_search_pages_to_the_end_and_drops_paging_on_the_last_page(hubspot):
    created = make_contacts(hubspot, 25)
    seen, after, pages = [], None, 0
    while True:
        page = search(hubspot, limit=10, after=after, sorts=["hs_object_id"])
        pages += 1
        assert page.total == 25
        seen += [r.id for r in page.results]
        if page.paging is None:
            break
        assert page.paging.next.link == f"?after={page.paging.next.after}"
        after = page.paging.next.after
    assert pages == 3 and seen == created


def test_search_returns_the_default_properties_as_strings_when_none_are_requested(hubspot):
    make_contacts(hubspot, 1)
    result = search(hubspot).results[0]
    assert set(result.properties) == {"createdate", "email", "firstname", "hs_object_id",
                                      "lastmodifieddate", "lastname"}
    assert result.properties["hs_object_id"] == result.id
    assert result.properties["createdate"].endswith("Z") and "T" in result.properties["createdate"]


def test_search_combines_groups_with_or_and_filters_with_and(hubspot):
    make_contacts(hubspot, 6, country="US")
    hubspot.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "ana@globex.example", "country": "DE", "numberofemployees": "40"}))
    groups = [{"filters": [{"propertyName": "country", "operator": "EQ", "value": "us"},
                           {"propertyName": "numberofemployees", "operator": "BETWEEN",
                            "value": "20", "highValue": "40"}]},
              {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN",
                            "value": "*@globex.example"}]}]
    page = search(hubspot, filter_groups=groups, properties=["email", "numberofemployees"],
                  sorts=[{"propertyName": "numberofemployees", "direction": "DESCENDING"}])
    assert [r.properties["email"] for r in page.results] == [
        "lead4@example.com", "ana@globex.example", "lead3@example.com", "lead2@example.com"]
    assert page.results[0].properties == {"email": "lead4@example.com", "numberofemployees": "40"}


def test_search_compares_datetimes_given_as_epoch_ms_or_iso(hubspot, sandbox):
    sandbox.clock.set(datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc))
    make_contacts(hubspot, 2)
    sandbox.clock.advance(3600)
    late = hubspot.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "late@example.com"}))
    cutoff = datetime(2024, 3, 1, 12, 30, tzinfo=timezone.utc)
    for value in (str(int(cutoff.timestamp() * 1000)), "2024-03-01T12:30:00Z"):
        page = search(hubspot, filter_groups=[{"filters": [
            {"propertyName": "createdate", "operator": "GTE", "value": value}]}])
        assert [r.id for r in page.results] == [late.id]


def test_search_finds_unowned_contacts_with_not_has_property_and_in(hubspot, sandbox):
    maya = owner_id(sandbox, "maya")
    ids = make_contacts(hubspot, 3)
    hubspot.crm.contacts.basic_api.update(ids[0], SimplePublicObjectInput(
        properties={"hubspot_owner_id": maya}))
    unowned = search(hubspot, filter_groups=[{"filters": [
        {"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]}])
    owned = search(hubspot, filter_groups=[{"filters": [
        {"propertyName": "hubspot_owner_id", "operator": "IN", "values": [maya, "1"]}]}])
    assert [r.id for r in unowned.results] == ids[1:]
    assert [r.id for r in owned.results] == ids[:1]


@pytest.mark.parametrize("body", [
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6},
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}]},
    {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 5}] * 4},
    {"limit": 201},
    {"filterGroups": [{"filters": [{"propertyName": "createdate", "operator": "BETWEEN",
                                    "value": "1"}]}]},
], ids=["6 groups", "7 filters in a group", "20 filters", "limit 201", "BETWEEN without highValue"])
def test_search_answers_400_beyond_hubspots_documented_limits(hubspot, body):
    request = PublicObjectSearchRequest(filter_groups=body.get("filterGroups"), limit=body.get("limit"))
    with pytest.raises(ApiException) as caught:
        hubspot.crm.contacts.search_api.do_search(request)
    assert caught.value.status == 400
    assert error_body(caught.value)["category"] == "VALIDATION_ERROR"
    assert error_body(caught.value)["status"] == "error"


def test_search_stops_at_ten_thousand_results(hubspot, sandbox):
    crm = sandbox.vendor("hubspot").crm
    with sandbox.lock:
        for i in range(10_050):
            crm.create("contacts", {"email": f"bulk{i}@example.com"})
    page = search(hubspot, limit=100, after="9900")
    assert page.total == 10_050 and page.paging.next.after == "10000"
    with pytest.raises(ApiException) as caught:
        search(hubspot, limit=100, after="10000")
    assert caught.value.status == 400
    assert error_body(caught.value)["category"] == "VALIDATION_ERROR"


def test_companies_are_seeded_with_domains_and_owners_for_account_matching(hubspot, sandbox):
    request = CompanySearch(filter_groups=[{"filters": [
        {"propertyName": "domain", "operator": "EQ", "value": "globex.example"}]}],
        properties=["name", "domain", "hubspot_owner_id"])
    page = hubspot.crm.companies.search_api.do_search(request)
    assert page.total == 1
    assert page.results[0].properties == {"name": "Globex Financial", "domain": "globex.example",
                                          "hubspot_owner_id": owner_id(sandbox, "liam")}


# -- objects and batches -----------------------------------------------------------------------

def test_batch_read_answers_207_naming_the_ids_it_could_not_find(hubspot):
    ids = make_contacts(hubspot, 2)
    answer = hubspot.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": ids[0]}, {"id": "424242"}, {"id": ids[1]}], properties=["email"]))
    assert [r.id for r in answer.results] == ids
    assert answer.status == "COMPLETE" and answer.num_errors == 1
    error = answer.errors[0]
    assert error.category == "OBJECT_NOT_FOUND" and error.context == {"ids": ["424242"]}
    assert error.message.startswith("Could not get some CONTACT objects")


def test_batch_read_by_email_id_property(hubspot):
    make_contacts(hubspot, 2)
    answer = hubspot.crm.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": "LEAD1@example.com"}], id_property="email", properties=["firstname"]))
    assert [r.properties["firstname"] for r in answer.results] == ["Lead1"]


def test_batch_update_writes_owners_and_reports_missing_records_with_207(hubspot, sandbox):
    ids = make_contacts(hubspot, 2)
    sofia = owner_id(sandbox, "sofia")
    answer = hubspot.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        {"id": ids[0], "properties": {"hubspot_owner_id": sofia}},
        {"id": "999999", "properties": {"hubspot_owner_id": sofia}}]))
    assert answer.num_errors == 1 and answer.errors[0].context == {"ids": ["999999"]}
    assert answer.results[0].properties["hubspot_owner_id"] == sofia
    stored = hubspot.crm.contacts.basic_api.get_by_id(ids[0], properties=["hubspot_owner_id"])
    assert stored.properties["hubspot_owner_id"] == sofia
    assert stored.updated_at >= stored.created_at


def test_an_unknown_or_archived_owner_is_refused_with_hubspots_validation_error(hubspot, sandbox):
    contact_id = make_contacts(hubspot, 1)[0]
    grace = owner_id(sandbox, "grace")  # the archived (deactivated) owner
    for bad in ("12345", grace):
        with pytest.raises(ApiException) as caught:
            hubspot.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(
                inputs=[{"id": contact_id, "properties": {"hubspot_owner_id": bad}}]))
        body = error_body(caught.value)
        assert caught.value.status == 400 and body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Property values were not valid: ")
        assert f"{bad} is not a valid owner id" in body["message"]
        assert '"name":"hubspot_owner_id"' in body["message"]


def test_create_get_patch_and_404(hubspot):
    created = hubspot.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "New.Person@Example.com", "firstname": "New", "hubspotscore": "12"}))
    assert created.properties["email"] == "new.person@example.com"
    patched = hubspot.crm.contacts.basic_api.update(created.id, SimplePublicObjectInput(
        properties={"hs_lead_status": "OPEN"}))
    assert patched.properties["hs_lead_status"] == "OPEN"
    fetched = hubspot.crm.contacts.basic_api.get_by_id(created.id,
                                                       properties=["hs_lead_status", "hubspotscore"])
    assert fetched.properties == {"hs_lead_status": "OPEN", "hubspotscore": "12"}
    assert fetched.archived is False
    with pytest.raises(ApiException) as caught:
        hubspot.crm.contacts.basic_api.get_by_id("31337")
    assert caught.value.status == 404
    assert error_body(caught.value)["category"] == "OBJECT_NOT_FOUND"


def test_creating_a_contact_with_an_existing_email_conflicts(hubspot):
    make_contacts(hubspot, 1)
    with pytest.raises(ApiException) as caught:
        hubspot.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"email": "lead0@example.com"}))
    assert caught.value.status == 409
    assert error_body(caught.value)["message"].startswith("Contact already exists. Existing ID: ")


def test_list_pages_through_all_contacts(hubspot):
    created = make_contacts(hubspot, 7)
    seen, after = [], None
    while True:
        page = hubspot.crm.contacts.basic_api.get_page(limit=3, after=after)
        seen += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert seen == created


# -- owners ----------------------------------------------------------------------------------

def test_owners_page_with_trailing_slash_and_list_archived_ones_apart(hubspot, sandbox):
    active, after = [], None
    while True:
        page = hubspot.crm.owners.owners_api.get_page(limit=3, after=after)
        active += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(active) == 8 and all(not o.archived for o in active)
    maya = active[0]
    assert (maya.first_name, maya.last_name, maya.email) == ("Maya", "Patel",
                                                             "maya.patel@demo.leadrouter.dev")
    assert maya.teams[0].name == "Inbound Sales" and maya.teams[0].primary is True
    archived = hubspot.crm.owners.owners_api.get_page(archived=True).results
    assert [(o.first_name, o.archived, o.user_id) for o in archived] == [("Grace", True, None)]
    assert archived[0].user_id_including_inactive is not None
    by_email = hubspot.crm.owners.owners_api.get_page(email="liam.oconnor@demo.leadrouter.dev")
    assert [o.last_name for o in by_email.results] == ["O'Connor"]
    assert hubspot.crm.owners.owners_api.get_by_id(int(maya.id)).email == maya.email
    with pytest.raises(OwnersApiException) as caught:
        hubspot.crm.owners.owners_api.get_by_id(1)
    assert caught.value.status == 404


# -- auth, limits, faults -----------------------------------------------------------------------

def test_a_wrong_token_answers_401_with_hubspots_body(running, sandbox):
    client = HubSpot(access_token="pat-na1-wrong", host=running.url, ssl_ca_cert=str(running.ca_path))
    with pytest.raises(ApiException) as caught:
        client.crm.contacts.basic_api.get_page()
    body = error_body(caught.value)
    assert caught.value.status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")
    assert body["status"] == "error" and body["correlationId"]


def test_the_ten_second_window_answers_429_until_it_rolls(hubspot, sandbox, control):
    control.post(control.base + "/limits", json={"ten_second_max": 3})
    sandbox.clock.set(datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc))
    for remaining in ("2", "1", "0"):
        _, _, headers = hubspot.crm.contacts.basic_api.get_page_with_http_info()
        assert headers["X-HubSpot-RateLimit-Remaining"] == remaining
        assert headers["X-HubSpot-RateLimit-Max"] == "3"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) > 0
    with pytest.raises(ApiException) as caught:
        hubspot.crm.contacts.basic_api.get_page()
    body = error_body(caught.value)
    assert caught.value.status == 429
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    assert body["groupName"].startswith("publicapi:private_app-api-calls-ten-secondly:")
    sandbox.clock.advance(10)
    hubspot.crm.contacts.basic_api.get_page()


def test_search_has_its_own_per_second_limit_and_no_rate_headers(hubspot, sandbox, control):
    control.post(control.base + "/limits", json={"search_per_second": 2, "ten_second_max": 1})
    sandbox.clock.set(datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc))
    for _ in range(2):
        _, status, headers = hubspot.crm.contacts.search_api.do_search_with_http_info(
            PublicObjectSearchRequest())
        assert status == 200 and "X-HubSpot-RateLimit-Max" not in headers
    with pytest.raises(ApiException) as caught:
        search(hubspot)
    assert caught.value.status == 429
    assert error_body(caught.value)["message"] == "You have reached your secondly limit."
    hubspot.crm.owners.owners_api.get_page()  # search calls did not use the ten-second window
    sandbox.clock.advance(1)
    search(hubspot)


def test_injected_5xx_carries_a_hubspot_body_and_then_clears(hubspot, sandbox):
    sandbox.faults.add_error(502, count=1, vendor="hubspot", path="/crm/v3/objects/contacts/search")
    with pytest.raises(ApiException) as caught:
        search(hubspot)
    assert caught.value.status == 502
    assert error_body(caught.value)["status"] == "error"
    assert search(hubspot).total == 0


def test_a_human_reassignment_changes_the_owner(hubspot, sandbox, control):
    contact_id = make_contacts(hubspot, 1)[0]
    answer = control.post(control.base + "/reassign", json={"contact_id": contact_id,
                                                            "owner": "hiro"})
    assert answer.status_code == 200
    stored = hubspot.crm.contacts.basic_api.get_by_id(contact_id, properties=["hubspot_owner_id"])
    assert stored.properties["hubspot_owner_id"] == owner_id(sandbox, "hiro")


def test_created_leads_keep_sandbox_time(hubspot, sandbox):
    moment = datetime(2024, 11, 5, 8, 15, 30, 250000, tzinfo=timezone.utc)
    sandbox.clock.set(moment)
    lead = sandbox.vendor("hubspot").create_lead({"first_name": "Zoë", "last_name": "Novak",
                                                  "email": "zoe@novak.example", "country": "DE",
                                                  "employees": 40, "source": "Web"})
    assert lead["properties"]["createdate"] == "2024-11-05T08:15:30.250Z"
    assert lead["properties"]["hs_analytics_source"] == "ORGANIC_SEARCH"
    fetched = hubspot.crm.contacts.basic_api.get_by_id(lead["id"])
    assert fetched.created_at == moment.replace(microsecond=250000)
    assert fetched.updated_at == fetched.created_at
