"""Field checks (Salesforce describe, HubSpot properties API) and connection health (last call,
last error, API headroom from the CRM's own headers), against the sandbox through the SDKs."""
from __future__ import annotations

import pytest

from adapters import AuthError, build_adapter


def test_salesforce_names_each_mapped_field_the_org_does_not_have(make_salesforce, control):
    adapter = make_salesforce(field_overrides={"score": "Rating"}, extra_fields=["Segmnt__c", "Description"])
    assert adapter.unknown_fields() == ["Lead.Segmnt__c is not a field of Lead in this org"]
    [describe] = [r for r in control.requests("salesforce") if r["path"].endswith("/sobjects/Lead/describe")]
    assert describe["method"] == "GET" and describe["path"] == "/services/data/v59.0/sobjects/Lead/describe"


def test_salesforce_with_the_default_map_has_no_unknown_field(make_salesforce):
    assert make_salesforce().unknown_fields() == []


def test_hubspot_names_each_mapped_property_the_portal_does_not_have(make_hubspot, control):
    adapter = make_hubspot(field_overrides={"score": "hubspotscore"}, extra_fields=["segmnt", "lifecyclestage"])
    assert adapter.unknown_fields() == ["contacts.segmnt is not a property of contacts in this portal"]
    [call] = [r for r in control.requests("hubspot") if "/crm/v3/properties/" in r["path"]]
    assert (call["method"], call["path"]) == ("GET", "/crm/v3/properties/contacts")


def test_hubspot_health_reads_the_rate_limit_headers(make_hubspot, sandbox):
    adapter = make_hubspot()
    assert adapter.health().last_ok_at is None and adapter.health().headroom == {}
    adapter.read_roster()
    health = adapter.health()
    limits = sandbox.vendor("hubspot").limiter.snapshot_locked()
    assert health.last_ok_at is not None and health.last_error is None
    assert health.headroom["window_max"] == limits["ten_second_max"]
    assert health.headroom["daily_max"] == limits["daily_max"]
    assert health.headroom["daily_remaining"] == limits["daily_max"] - limits["daily_used"]
    assert 0 < health.headroom["window_remaining"] < limits["ten_second_max"]


def test_hubspot_health_keeps_the_last_error(hubspot_settings, sleeps):
    bad = build_adapter("hubspot", hubspot_settings, {"token": "wrong-token"}, sleep=sleeps,
                        monotonic=sleeps.clock)
    with pytest.raises(AuthError):
        bad.read_roster()
    health = bad.health()
    assert health.last_ok_at is None and health.last_error_at is not None
    assert health.last_error.startswith("HubSpot 401") and "wrong-token" not in health.last_error


def test_salesforce_health_reads_sforce_limit_info(make_salesforce, sandbox):
    adapter = make_salesforce()
    adapter.read_roster()
    health = adapter.health()
    vendor = sandbox.vendor("salesforce")
    assert health.last_ok_at is not None and health.last_error is None
    assert health.headroom == {"daily_used": vendor.api_used, "daily_max": vendor.daily_limit,
                               "daily_remaining": vendor.daily_limit - vendor.api_used}


def test_salesforce_health_keeps_a_refused_login(make_salesforce):
    adapter = make_salesforce(secrets={"password": "not-the-password"})
    with pytest.raises(AuthError):
        adapter.read_roster()
    health = adapter.health()
    assert health.last_ok_at is None and "login refused" in health.last_error
    assert "not-the-password" not in health.last_error
