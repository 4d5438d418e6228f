"""SOQL through the real simple-salesforce client: shapes, paging, aggregates, errors."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.salesforce import ids


def _make_leads(sandbox, count: int, **extra) -> list[str]:
    vendor = sandbox.vendor("salesforce")
    return [vendor.create_lead({"first_name": "Lead", "last_name": f"N{i:04d}",
                                "company": f"Co {i}", **extra})["Id"] for i in range(count)]


def test_query_returns_records_with_attributes_and_polymorphic_owner(sf, fresh_sandbox):
    _make_leads(fresh_sandbox, 1)
    result = sf.query("SELECT Id, Name, Owner.Type, Owner.Name FROM Lead")
    queue_id = fresh_sandbox.vendor("salesforce").store.assignment_owner_id
    record = result["records"][0]
    assert result["totalSize"] == 1 and result["done"] is True
    assert "nextRecordsUrl" not in result
    assert record == {
        "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{record['Id']}"},
        "Id": record["Id"], "Name": "Lead N0000",
        "Owner": {"attributes": {"type": "Name",
                                 "url": f"/services/data/v59.0/sobjects/Group/{queue_id}"},
                  "Type": "Queue", "Name": "Inbound Leads"}}
    assert len(record["Id"]) == 18 and record["Id"].startswith("00Q")


def test_query_all_iter_pages_to_the_end_with_the_requested_batch_size(sf, fresh_sandbox, http,
                                                                        sandbox_server):
    made = set(_make_leads(fresh_sandbox, 450))
    first = http.get(f"{sandbox_server.url}/services/data/v59.0/query/",
                     params={"q": "SELECT Id FROM Lead ORDER BY Name"},
                     headers={"Authorization": f"Bearer {sf.session_id}",
                              "Sforce-Query-Options": "batchSize=200"}).json()
    assert first["totalSize"] == 450 and first["done"] is False and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-200")
    seen = [r["Id"] for r in sf.query_all_iter("SELECT Id, Name FROM Lead ORDER BY Name",
                                               headers={"Sforce-Query-Options": "batchSize=200"})]
    assert len(seen) == 450 and set(seen) == made
    pages = [r for r in fresh_sandbox.requests.list(vendor="salesforce") if "01g" in r["path"]]
    assert [p["path"].rsplit("-", 1)[1] for p in pages] == ["200", "400"]  # two more pages


def test_aggregate_counts_by_owner_with_alias_and_expr_names(sf, fresh_sandbox):
    result = sf.query("SELECT OwnerId, COUNT(Id) cnt, MAX(NumberOfEmployees) FROM Account "
                      "GROUP BY OwnerId ORDER BY COUNT(Id) DESC, OwnerId")
    top = result["records"][0]
    assert set(top) == {"attributes", "OwnerId", "cnt", "expr0"}
    assert top["attributes"] == {"type": "AggregateResult"}
    assert top["cnt"] == 2 and result["totalSize"] == 8
    assert sf.query("SELECT COUNT() FROM User WHERE IsActive = true") == {
        "totalSize": 9, "done": True, "records": []}  # admin + 8 reps


def test_workload_query_of_the_contract_counts_user_owned_open_leads(sf, fresh_sandbox):
    ids_ = _make_leads(fresh_sandbox, 3)
    rep = sf.query("SELECT Id FROM User WHERE Email = 'maya.patel@demo.leadrouter.dev'")
    rep_id = rep["records"][0]["Id"]
    for lead_id in ids_[:2]:
        sf.Lead.update(lead_id, {"OwnerId": rep_id}, headers={"Sforce-Auto-Assign": "FALSE"})
    result = sf.query("SELECT OwnerId, COUNT(Id) cnt FROM Lead WHERE IsConverted = false AND "
                      "Owner.Type = 'User' GROUP BY OwnerId")
    assert result["records"] == [{"attributes": {"type": "AggregateResult"},
                                  "OwnerId": rep_id, "cnt": 2}]
    queued = sf.query("SELECT Id FROM Lead WHERE IsConverted = false AND Owner.Type = 'Queue'")
    assert [r["Id"] for r in queued["records"]] == [ids_[2]]


def test_escaped_quotes_backslashes_like_and_in(sf, fresh_sandbox):
    _make_leads(fresh_sandbox, 1, last_name="O'Brien", company="Back\\slash & Co")
    assert sf.query("SELECT Id FROM Lead WHERE LastName = 'O\\'Brien'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Lead WHERE LastName = 'o\\'brien'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Lead WHERE Company = 'Back\\\\slash & Co'")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Lead WHERE LastName LIKE 'O\\'B%'")["totalSize"] == 1
    users = sf.query("SELECT Name FROM User WHERE LastName IN ('O\\'Connor', 'Kim') "
                     "AND (NOT IsActive = false) ORDER BY Name DESC NULLS LAST")
    assert [u["Name"] for u in users["records"]] == ["Noah Kim", "Liam O'Connor"]


def test_datetime_literals_limit_offset_and_query_all_with_deleted_rows(sf, fresh_sandbox):
    fresh_sandbox.clock.set(__import__("datetime").datetime(2024, 3, 1, 12, 0, 0))
    old = _make_leads(fresh_sandbox, 2)
    fresh_sandbox.clock.advance(86400 * 3)
    new = _make_leads(fresh_sandbox, 3)
    since = sf.query("SELECT Id, CreatedDate FROM Lead WHERE CreatedDate > 2024-03-02T00:00:00Z "
                     "ORDER BY CreatedDate LIMIT 2 OFFSET 1")
    assert [r["Id"] for r in since["records"]] == new[1:3]
    assert since["records"][0]["CreatedDate"] == "2024-03-04T12:00:00.000+0000"
    assert sf.query("SELECT Id FROM Lead WHERE CreatedDate = TODAY")["totalSize"] == 3
    sf.Lead.delete(old[0])
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 4
    every = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    assert every["totalSize"] == 5
    assert {r["Id"]: r["IsDeleted"] for r in every["records"]}[old[0]] is True


@pytest.mark.parametrize("soql, code, tail", [
    ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
    ("SELECT Id FROM Lead WHERE A = 1 AND B = 2 OR C = 3", "MALFORMED_QUERY",
     "unexpected token: 'OR'"),
    ("SELECT Id, Name FROM Lead GROUP BY Id", "MALFORMED_QUERY",
     "Field must be grouped or aggregated: Name"),
    ("SELECT Nope FROM Lead", "INVALID_FIELD", "No such column 'Nope' on entity 'Lead'. If you are "
     "attempting to use a custom field, be sure to append the '__c' after the custom field name. "
     "Please reference your WSDL or the describe call for the appropriate names."),
    ("SELECT Boss.Name FROM Lead", "INVALID_FIELD", "Didn't understand relationship 'Boss'"),
    ("SELECT Id FROM Widget", "INVALID_TYPE", "sObject type 'Widget' is not supported."),
    ("SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01'", "INVALID_QUERY_FILTER_OPERATOR",
     "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not "
     "be enclosed in quotes"),
    ("SELECT Id FROM Lead WHERE Name = 'bad\\q'", "MALFORMED_QUERY", "Illegal character sequence"),
])
def test_malformed_and_invalid_queries_answer_salesforce_errors(sf, soql, code, tail):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert caught.value.status == 400
    [error] = caught.value.content
    assert error["errorCode"] == code
    assert tail in error["message"]
    assert "\nERROR at Row:1:Column:" in error["message"]


def test_error_points_at_the_offending_column(sf):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Nope FROM Lead")
    assert caught.value.content[0]["message"].startswith(
        "\nSELECT Nope FROM Lead\n       ^\nERROR at Row:1:Column:8\n")


def test_ids_are_18_chars_with_the_case_safe_checksum():
    assert ids.to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # documented example pair
    assert ids.is_valid("001A0000006Vm9rIAC") and not ids.is_valid("001A0000006Vm9rAAA")
    assert not ids.is_valid("not-an-id")
