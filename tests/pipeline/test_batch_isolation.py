"""One bad record never holds a batch: a malformed id goes alone to the dead letters with its
reason, and a record whose own read the CRM refuses is split out of the batch read."""

from __future__ import annotations

from datetime import datetime, timezone

from adapters import InvalidData
from connector.pipeline import inbox
from connector.platform.db import get_db
from connector.pipeline.models import LeadStatus
from tests.pipeline.test_end_to_end import owner_in_crm

INJECTION = "00Q' OR Id != '"


def _enqueue(routed, connection: str, lead_ids: list[str]) -> None:
    """What a poll or an outbound message that passed its door would store."""
    with get_db(routed.app).session() as session:
        inbox.enqueue(session, connection, [inbox.IncomingLead(i, "poll") for i in lead_ids],
                      datetime.now(timezone.utc))


def test_a_malformed_id_goes_alone_to_the_dead_letters_and_its_batch_is_written(routed):
    salesforce_ids = routed.create_leads("salesforce", 3)
    hubspot_ids = routed.create_leads("hubspot", 2)
    routed.wait_for_inbox(5)
    _enqueue(routed, "salesforce", [INJECTION])
    _enqueue(routed, "hubspot", ["12a", "²"])
    report = routed.drain()
    assert report.written == 5 and report.dead == 3 and report.waiting == 0, report
    by_lead = {a.lead_id: a for a in routed.assignments()}
    assert by_lead[INJECTION].status == LeadStatus.DEAD.value
    assert "not a Salesforce id" in by_lead[INJECTION].last_error
    assert "not a HubSpot record id" in by_lead["²"].last_error
    for vendor, ids in (("salesforce", salesforce_ids), ("hubspot", hubspot_ids)):
        for lead_id in ids:
            assert by_lead[lead_id].status == LeadStatus.WRITTEN.value
            assert owner_in_crm(routed, vendor, lead_id) == by_lead[lead_id].owner_crm_id
    assert routed.drain().claimed == 0   # nothing comes back to hold a later batch


def test_a_record_whose_own_read_fails_is_split_out_of_the_batch(routed, monkeypatch):
    salesforce_ids = routed.create_leads("salesforce", 5)
    routed.wait_for_inbox(5)
    adapter = routed.app.extensions["leadrouter.connections"].adapter("salesforce")
    poisoned, real_read, calls = salesforce_ids[3], adapter.read_leads, []

    def read_leads(ids):   # the CRM refuses any read that includes this one record
        calls.append(len(ids))
        if poisoned in ids:
            raise InvalidData("Salesforce 400 INVALID_QUERY_FILTER_OPERATOR: invalid ID field")
        return real_read(ids)

    monkeypatch.setattr(adapter, "read_leads", read_leads)
    report = routed.drain()
    assert report.written == 4 and report.dead == 1, report
    by_lead = {a.lead_id: a for a in routed.assignments()}
    assert by_lead[poisoned].status == LeadStatus.DEAD.value
    assert "INVALID_QUERY_FILTER_OPERATOR" in by_lead[poisoned].last_error
    assert calls[0] == 5 and len(calls) <= 7   # halves, not one read per lead
