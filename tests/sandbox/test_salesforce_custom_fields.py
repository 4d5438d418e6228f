"""Custom fields of the demo org (Lead.Segment__c, a restricted picklist; Lead.Lead_Score__c,
Number(3, 0)) through simple-salesforce: describe, SOQL and writes know them; an org without
them (no demo seed) refuses them, as Salesforce refuses an undeclared custom field."""
from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.generator import LeadGenerator


def test_describe_lists_the_custom_fields_with_their_picklist_and_precision(sf):
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    segment, score = fields["Segment__c"], fields["Lead_Score__c"]
    assert segment["custom"] and segment["type"] == "picklist" and segment["restrictedPicklist"]
    assert [v["value"] for v in segment["picklistValues"]] == ["SMB", "Mid-Market", "Enterprise"]
    assert score["custom"] and score["type"] == "double" and (score["precision"], score["scale"]) == (3, 0)
    assert not fields["Company"]["custom"] and fields["Company"]["picklistValues"] == []


def test_custom_fields_are_written_queried_and_compared_by_type(sf):
    big = sf.Lead.create({"LastName": "Big", "Company": "Acme", "Segment__c": "Enterprise", "Lead_Score__c": 91})
    small = sf.Lead.create({"LastName": "Small", "Company": "Tiny", "Segment__c": "SMB", "Lead_Score__c": 12})
    rows = sf.query("SELECT Id, Segment__c, Lead_Score__c FROM Lead WHERE Lead_Score__c >= 50")["records"]
    assert [(r["Id"], r["Segment__c"], r["Lead_Score__c"]) for r in rows] == [(big["id"], "Enterprise", 91.0)]
    rows = sf.query("SELECT Id FROM Lead WHERE Segment__c IN ('SMB') ORDER BY Lead_Score__c")["records"]
    assert [r["Id"] for r in rows] == [small["id"]]
    sf.Lead.update(small["id"], {"Segment__c": "Mid-Market"})
    assert sf.Lead.get(small["id"])["Segment__c"] == "Mid-Market"


def test_a_value_outside_the_restricted_picklist_is_refused(sf):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Lead.create({"LastName": "X", "Company": "Y", "Segment__c": "Galactic"})
    [error] = refused.value.content
    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "bad value for restricted picklist field: Galactic" in error["message"]
    assert error["fields"] == ["Segment__c"]
    with pytest.raises(SalesforceMalformedRequest) as not_a_number:
        sf.Lead.create({"LastName": "X", "Company": "Y", "Lead_Score__c": "high"})
    assert not_a_number.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_generated_leads_carry_the_custom_fields(sandbox, sf):
    sandbox.generator.run("salesforce", count=5, seed=11)
    rows = sf.query("SELECT NumberOfEmployees, Segment__c, Lead_Score__c FROM Lead")["records"]
    assert len(rows) == 5
    for row in rows:
        assert row["Segment__c"] == LeadGenerator().custom_fields(row["NumberOfEmployees"])["segment"]
        assert 0 <= row["Lead_Score__c"] <= 100


def test_an_undeclared_custom_field_is_refused_in_describe_soql_and_writes(sf):
    assert "Region__c" not in {f["name"] for f in sf.Lead.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as soql:
        sf.query("SELECT Region__c FROM Lead")
    assert soql.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as write:
        sf.Lead.create({"LastName": "X", "Company": "Y", "Region__c": "EMEA"})
    assert write.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_an_org_without_the_demo_seed_has_no_custom_lead_fields(sandbox):
    from sandbox.salesforce.errors import SalesforceError
    from sandbox.salesforce.store import Store

    bare = Store(sandbox.clock)   # an org as created, before the demo declares its fields
    assert bare.object("Lead").field("Segment__c") is None
    with pytest.raises(SalesforceError) as refused:
        bare.insert("Lead", {"LastName": "X", "Company": "Y", "Segment__c": "SMB"}, system=True)
    assert refused.value.error_code == "INVALID_FIELD"
    assert sandbox.vendor("salesforce").store.object("Lead").field("segment__c").custom   # the demo org's
