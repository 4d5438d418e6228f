"""sObject rows, sObject Collections, the assignment rule, limits and faults, driven through
the real simple-salesforce client."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from simple_salesforce.exceptions import (SalesforceExpiredSession, SalesforceGeneralError,
                                          SalesforceMalformedRequest, SalesforceRefusedRequest,
                                          SalesforceResourceNotFound)

from sandbox.salesforce import ids

NO_ASSIGN = {"Sforce-Auto-Assign": "FALSE"}


def _user_id(sf, email_prefix: str) -> str:
    return sf.query(f"SELECT Id FROM User WHERE Email LIKE '{email_prefix}%'")["records"][0]["Id"]


def _lead(sf, **extra) -> str:
    return sf.Lead.create({"LastName": "Doe", "Company": "Acme", **extra}, headers=NO_ASSIGN)["id"]


def test_create_read_update_keep_timestamps_and_answer_204(sf, fresh_sandbox):
    fresh_sandbox.clock.set(datetime(2024, 1, 1, tzinfo=timezone.utc))
    created = sf.Lead.create({"FirstName": "Jane", "LastName": "Doe", "Company": "Acme"})
    assert created == {"id": created["id"], "success": True, "errors": []}
    fresh_sandbox.clock.advance(90)
    assert sf.Lead.update(created["id"], {"Title": "CTO"}, headers=NO_ASSIGN) == 204
    lead = sf.Lead.get(created["id"])
    assert lead["attributes"] == {"type": "Lead",
                                  "url": f"/services/data/v59.0/sobjects/Lead/{created['id']}"}
    assert (lead["Name"], lead["Title"]) == ("Jane Doe", "CTO")
    assert lead["CreatedDate"] == "2024-01-01T00:00:00.000+0000"
    assert lead["LastModifiedDate"] == lead["SystemModstamp"] == "2024-01-01T00:01:30.000+0000"


def test_assignment_rule_overwrites_owner_unless_auto_assign_is_false(sf, fresh_sandbox):
    rep = _user_id(sf, "maya.patel")
    queue = sf.query("SELECT Id FROM Group WHERE DeveloperName = 'Inbound_Leads' "
                     "AND Type = 'Queue'")["records"][0]["Id"]
    lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme", "OwnerId": rep})["id"]
    assert sf.Lead.get(lead_id)["OwnerId"] == queue  # create without the header: rule wins
    sf.Lead.update(lead_id, {"OwnerId": rep})
    assert sf.Lead.get(lead_id)["OwnerId"] == queue  # update without the header: rule wins again
    sf.Lead.update(lead_id, {"OwnerId": rep}, headers=NO_ASSIGN)
    assert sf.Lead.get(lead_id)["OwnerId"] == rep


@pytest.mark.parametrize("owner, code, message", [
    ("not-an-id", "MALFORMED_ID", "Owner ID: id value of incorrect type: not-an-id"),
    ("0015g0000000001AAA", "FIELD_INTEGRITY_EXCEPTION",
     "Owner ID: id value of incorrect type: 0015g0000000001AAA"),
])
def test_owner_must_be_a_user_or_queue(sf, fresh_sandbox, owner, code, message):
    lead_id = _lead(sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(lead_id, {"OwnerId": owner}, headers=NO_ASSIGN)
    assert caught.value.content == [{"message": message, "errorCode": code, "fields": ["OwnerId"]}]


def test_inactive_owner_is_refused(sf, fresh_sandbox):
    grace = sf.query("SELECT Id FROM User WHERE IsActive = false")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(_lead(sf), {"OwnerId": grace}, headers=NO_ASSIGN)
    assert caught.value.content[0]["errorCode"] == "INACTIVE_OWNER_OR_USER"


def test_unknown_field_missing_record_and_malformed_path_id(sf, fresh_sandbox):
    lead_id = _lead(sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(lead_id, {"Shoe_Size": 9}, headers=NO_ASSIGN)
    assert caught.value.content == [{"message": "No such column 'Shoe_Size' on sobject of type "
                                                "Lead", "errorCode": "INVALID_FIELD"}]
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Lead.get("00Q5g0000000zzzAAA"[:15])
    assert missing.value.content == [{"message": "The requested resource does not exist",
                                      "errorCode": "NOT_FOUND"}]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get("bogus")
    with pytest.raises(SalesforceMalformedRequest) as required:
        sf.Lead.create({"FirstName": "No"})
    assert required.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_if_unmodified_since_refuses_a_stale_write_with_412(sf, fresh_sandbox):
    fresh_sandbox.clock.set(datetime(2024, 5, 1, 9, 0, 0, tzinfo=timezone.utc))
    lead_id = _lead(sf)
    read_at = fresh_sandbox.clock.now()
    fresh_sandbox.clock.advance(60)
    sf.Lead.update(lead_id, {"Title": "changed by a human"}, headers=NO_ASSIGN)
    stale = {**NO_ASSIGN, "If-Unmodified-Since": format_datetime(read_at, usegmt=True)}
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.Lead.update(lead_id, {"Title": "connector"}, headers=stale)
    assert caught.value.status == 412
    assert caught.value.content[0]["errorCode"] == "PRECONDITION_FAILED"
    fresh = {**NO_ASSIGN, "If-Unmodified-Since":
             format_datetime(read_at + timedelta(minutes=5), usegmt=True)}
    assert sf.Lead.update(lead_id, {"Title": "connector"}, headers=fresh) == 204


def _collection(sf, records, all_or_none, headers=NO_ASSIGN):
    return sf.restful("composite/sobjects", method="PATCH", headers=headers,
                      json={"allOrNone": all_or_none, "records": records})


def test_collections_partial_success_without_all_or_none(sf, fresh_sandbox):
    rep = _user_id(sf, "liam")
    a, b = _lead(sf), _lead(sf)
    result = _collection(sf, [{"attributes": {"type": "Lead"}, "id": a, "OwnerId": rep},
                              {"attributes": {"type": "Lead"}, "id": b, "OwnerId": "bad"}], False)
    assert result == [{"id": a, "success": True, "errors": []},
                      {"id": b, "success": False, "errors": [{
                          "statusCode": "MALFORMED_ID",
                          "message": "Owner ID: id value of incorrect type: bad",
                          "fields": ["OwnerId"]}]}]
    assert sf.Lead.get(a)["OwnerId"] == rep


def test_collections_all_or_none_rolls_back_every_record(sf, fresh_sandbox):
    rep = _user_id(sf, "liam")
    a, b = _lead(sf), _lead(sf)
    owner_before = sf.Lead.get(a)["OwnerId"]
    result = _collection(sf, [{"attributes": {"type": "Lead"}, "id": a, "OwnerId": rep},
                              {"attributes": {"type": "Lead"}, "id": b, "Nope": 1}], True)
    assert result[0] == {"id": a, "success": False, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was "
                   "using AllOrNone header", "fields": []}]}
    assert result[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert sf.Lead.get(a)["OwnerId"] == owner_before


def test_collections_refuse_201_records(sf, fresh_sandbox):
    records = [{"attributes": {"type": "Lead"}, "id": "00Q5g0000000001EAA"}] * 201
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _collection(sf, records, False)
    assert caught.value.content == [{"message": "record limit reached. cannot submit more than "
                                                "200 records into this call",
                                     "errorCode": "EXCEEDED_ID_LIMIT"}]


def test_collections_read_by_ids(sf, fresh_sandbox):
    a = _lead(sf)
    gone = ids.to18("00Q5g00000000zz")
    got = sf.restful("composite/sobjects/Lead", params={"ids": f"{a},{gone}",
                                                         "fields": "Id,LastName"})
    assert got == [{"attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{a}"},
                    "Id": a, "LastName": "Doe"}, None]


def test_expired_session_answers_401_until_the_client_logs_in_again(sf, fresh_sandbox, http,
                                                                     sandbox_server):
    from simple_salesforce import Salesforce

    http.post(f"{sandbox_server.url}/__sandbox__/salesforce/expire-sessions").raise_for_status()
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == [{"message": "Session expired or invalid",
                                     "errorCode": "INVALID_SESSION_ID"}]
    # A client that logged in (SOAP, username + password + token) refreshes by itself.
    soap = Salesforce(username="admin@sandbox.example", password="sandbox",
                      security_token="sandbox-token", session=http)
    soap.query("SELECT Id FROM Lead")
    http.post(f"{sandbox_server.url}/__sandbox__/salesforce/expire-sessions")
    assert soap.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_daily_limit_header_endpoint_and_exhaustion(sf, fresh_sandbox, http, sandbox_server):
    http.post(f"{sandbox_server.url}/__sandbox__/salesforce/limits",
              json={"daily_api_limit": 3, "used": 0})
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 3, "Remaining": 2}
    sf.query("SELECT Id FROM Lead")
    assert (sf.api_usage["api-usage"].used, sf.api_usage["api-usage"].total) == (2, 3)
    sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                     "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    last = fresh_sandbox.requests.list(vendor="salesforce")[-1]
    assert last["status"] == 403


def test_injected_503_and_latency_reach_the_client(sf, fresh_sandbox):
    import time

    fresh_sandbox.faults.add_error(503, count=1, vendor="salesforce", path="*/query/*")
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.status == 503
    assert caught.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0  # count=1: next call succeeds
    fresh_sandbox.faults.add_latency(150, vendor="salesforce")
    started = time.monotonic()
    sf.query("SELECT Id FROM Lead")
    assert time.monotonic() - started >= 0.15
    fresh_sandbox.faults.add_burst(1, vendor="salesforce")
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Lead")


def test_a_human_reassigns_a_lead_after_the_next_api_calls(sf, fresh_sandbox, http,
                                                          sandbox_server):
    lead_id = _lead(sf)
    rep = _user_id(sf, "sofia")
    http.post(f"{sandbox_server.url}/__sandbox__/salesforce/reassign",
              json={"lead_id": lead_id, "owner_id": rep, "after_calls": 2})
    assert sf.Lead.get(lead_id)["OwnerId"] != rep
    assert sf.Lead.get(lead_id)["OwnerId"] == rep
