"""A lead created in the CRM ends with the right rep as owner, through the real SDKs, and the
log shows every step — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from connector.pipeline.models import AssignmentEvent, LeadStatus


def owner_in_crm(routed, vendor: str, lead_id: str) -> str | None:
    kind = "Lead" if vendor == "salesforce" else "contacts"
    record = routed.control.record(vendor, kind, lead_id)
    return record.get("OwnerId") if vendor == "salesforce" else record["properties"].get("hubspot_owner_id")


def test_webhooks_in_owners_written_back_and_every_step_logged(routed):
    hubspot_ids = routed.create_leads("hubspot", 6)
    salesforce_ids = routed.create_leads("salesforce", 6)
    routed.wait_for_inbox(12)

    report = routed.drain()
    assert report.written == 12, report

    assignments = {(a.connection, a.lead_id): a for a in routed.assignments()}
    assert len(assignments) == 12
    for vendor, ids in (("hubspot", hubspot_ids), ("salesforce", salesforce_ids)):
        reps = Counter()
        for lead_id in ids:
            assignment = assignments[(vendor, lead_id)]
            assert assignment.status == LeadStatus.WRITTEN.value
            assert assignment.rule == "round-robin"
            assert owner_in_crm(routed, vendor, lead_id) == assignment.owner_crm_id
            assert any("picked" in step["text"] or "next" in step["text"] for step in assignment.trace)
            reps[assignment.rep_id] += 1
        assert max(reps.values()) == 1  # 6 leads, 8 reps: round robin gives each a different rep
    steps = [e.status for e in _events(routed, assignments[("hubspot", hubspot_ids[0])].id)]
    assert steps == ["received", "decided", "written"]


def test_polling_catches_leads_no_webhook_announced(routed):
    routed.control.hubspot.configure_webhooks(url=None)
    routed.control.salesforce.set_outbound_url(None)
    from connector.pipeline import jobs

    from connector.connections.service import record_connections

    record_connections(routed.app)  # connected now (what every command's start-up does)
    hubspot_ids = routed.create_leads("hubspot", 3)
    salesforce_ids = routed.create_leads("salesforce", 3)

    assert jobs.poll(routed.app, "hubspot") == 3
    assert jobs.poll(routed.app, "salesforce") == 3
    assert jobs.poll(routed.app, "hubspot") == 0  # the cursor moved on; nothing twice
    assert routed.drain().written == 6
    for lead_id in hubspot_ids:
        assert owner_in_crm(routed, "hubspot", lead_id)
    for lead_id in salesforce_ids:
        assert owner_in_crm(routed, "salesforce", lead_id).startswith("005")


def _events(routed, assignment_id: int) -> list[AssignmentEvent]:
    from sqlalchemy import select

    from connector.platform.db import get_db

    with get_db(routed.app).session() as session:
        return list(session.scalars(select(AssignmentEvent).where(AssignmentEvent.assignment_id == assignment_id)
                                    .order_by(AssignmentEvent.id)))
