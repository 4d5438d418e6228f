"""End to end through the app's pipeline (webhook door -> inbox -> routing -> owner written), with
connections built from their specs: (a) HubSpot's Leads object, owner written on the lead and, with
sync_contact_owner, on its contact; (b) Salesforce with the demo org's custom fields, routed by a
rule on raw.Segment__c and one on the mapped score."""
from __future__ import annotations

import yaml

from adapters.specs import HubSpotConnection, SalesforceConnection
from connector.connections.registry import Connections
from connector.platform.db import get_db
from connector.pipeline.models import LeadStatus
from connector.routing.store import get_version, save_version
from tests.pipeline.test_end_to_end import owner_in_crm


def use_connections(routed, *specs) -> None:
    old = routed.app.extensions["leadrouter.connections"]
    routed.app.extensions["leadrouter.connections"] = Connections(list(specs), sleep=lambda _s: None)
    old.close()


def hubspot_leads_spec(routed, **extra) -> HubSpotConnection:
    return HubSpotConnection(name="hubspot", token="sandbox-hubspot-token", app_secret="sandbox-app-secret",
                             base_url=routed.crm.url, ca_bundle=routed.crm.ca_path, object="leads", **extra)


def record(routed, kind: str, record_id: str) -> dict:
    return routed.control.record("hubspot", kind, record_id)


def test_hubspot_leads_object_routed_owner_on_the_lead_and_its_contact(routed):
    use_connections(routed, hubspot_leads_spec(routed, sync_contact_owner=True))
    lead_ids = routed.create_leads("hubspot", 3, object="leads")
    routed.wait_for_inbox(3)            # object.creation (0-136) events; the contacts' own are not ours
    report = routed.drain()
    assert report.written == 3, report
    assignments = {a.lead_id: a for a in routed.assignments()}
    assert sorted(assignments) == sorted(lead_ids)
    for lead_id in lead_ids:
        assignment = assignments[lead_id]
        assert assignment.status == LeadStatus.WRITTEN.value
        lead = record(routed, "leads", lead_id)
        assert lead["properties"]["hubspot_owner_id"] == assignment.owner_crm_id
        [contact_id] = routed.crm.sandbox.vendor("hubspot").crm.associated("leads", lead_id, "contacts")
        assert record(routed, "contacts", contact_id)["properties"]["hubspot_owner_id"] == assignment.owner_crm_id


def test_hubspot_leads_object_without_sync_leaves_the_contact_unowned(routed):
    use_connections(routed, hubspot_leads_spec(routed))
    [lead_id] = routed.create_leads("hubspot", 1, object="leads")
    routed.wait_for_inbox(1)
    assert routed.drain().written == 1
    [assignment] = routed.assignments()
    assert record(routed, "leads", lead_id)["properties"]["hubspot_owner_id"] == assignment.owner_crm_id
    [contact_id] = routed.crm.sandbox.vendor("hubspot").crm.associated("leads", lead_id, "contacts")
    assert not record(routed, "contacts", contact_id)["properties"].get("hubspot_owner_id")


def test_salesforce_custom_fields_route_by_raw_segment_and_by_mapped_score(routed):
    salesforce = routed.crm.sandbox.vendor("salesforce")
    use_connections(routed, SalesforceConnection(
        name="salesforce", url=routed.crm.url, client_id="sandbox", client_secret="sandbox",
        username="admin@sandbox.example", password="sandbox", ca_bundle=routed.crm.ca_path,
        org_id=salesforce.store.org_id, intake_queues=["Inbound Leads"],
        fields={"score": "Lead_Score__c"}, extra_fields=["Segment__c"]))
    config = yaml.safe_load(get_version(get_db(routed.app)).body)   # the fixture's starter config
    reps = [r["id"] for r in config["reps"] if "salesforce" in (r.get("crm") or {})]
    enterprise_rep, hot_rep = reps[0], reps[1]
    config["rules"] = [
        {"name": "enterprise-segment", "when": {"field": "raw.Segment__c", "op": "eq", "value": "Enterprise"},
         "to": f"rep:{enterprise_rep}"},
        {"name": "hot-score", "when": {"field": "score", "op": "gte", "value": 80}, "to": f"rep:{hot_rep}"},
        *config["rules"]]
    save_version(get_db(routed.app), yaml.safe_dump(config, sort_keys=False), actor="test")

    [enterprise] = routed.create_leads("salesforce", 1, segment="Enterprise", lead_score=10)
    [hot] = routed.create_leads("salesforce", 1, segment="SMB", lead_score=93)
    [cold] = routed.create_leads("salesforce", 1, segment="SMB", lead_score=40)
    routed.wait_for_inbox(3)
    assert routed.drain().written == 3
    assignments = {a.lead_id: a for a in routed.assignments()}
    assert assignments[enterprise].rule == "enterprise-segment" and assignments[enterprise].rep_id == enterprise_rep
    assert assignments[hot].rule == "hot-score" and assignments[hot].rep_id == hot_rep
    assert assignments[cold].rule not in ("enterprise-segment", "hot-score")
    for lead_id, assignment in assignments.items():
        assert owner_in_crm(routed, "salesforce", lead_id) == assignment.owner_crm_id

