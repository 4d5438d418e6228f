"""A pass or an SLA breach re-routes a lead we assigned: to someone else, never back."""

from __future__ import annotations

from datetime import datetime, timezone

from connector.platform.db import get_db
from connector.pipeline.inbox import IncomingLead, InboxPayload, enqueue
from connector.routing.models import RepState
from tests.pipeline.test_end_to_end import owner_in_crm


def test_a_passed_lead_goes_to_someone_else_and_frees_the_first_reps_load(routed):
    (lead_id,) = routed.create_leads("hubspot", 1)
    routed.wait_for_inbox(1)
    assert routed.drain().written == 1
    (first,) = routed.assignments()
    with get_db(routed.app).session() as session:
        assert session.get(RepState, first.rep_id).open_load == 1
        enqueue(session, "hubspot", [IncomingLead(lead_id, "reroute", payload=InboxPayload(
            exclude=(first.rep_id,), reason=f"{first.rep_id} passed"))],
            datetime.now(timezone.utc), requeue=True)
    assert routed.drain().written == 1
    first_again, second = routed.assignments()
    assert second.rep_id != first.rep_id and second.status == "written"
    assert owner_in_crm(routed, "hubspot", lead_id) == second.owner_crm_id
    with get_db(routed.app).session() as session:
        assert session.get(RepState, first.rep_id).open_load == 0
        assert session.get(RepState, second.rep_id).open_load == 1


def test_a_lead_someone_else_took_meanwhile_is_not_rerouted(routed):
    (lead_id,) = routed.create_leads("hubspot", 1)
    routed.wait_for_inbox(1)
    routed.drain()
    (first,) = routed.assignments()
    connections = routed.app.extensions["leadrouter.connections"]
    other = next(u.id for u in connections.adapter("hubspot").read_roster()
                 if u.active and u.id != first.owner_crm_id and u.email != "admin@sandbox.example")
    routed.control.hubspot.reassign(contact_id=lead_id, owner_id=other)
    with get_db(routed.app).session() as session:
        enqueue(session, "hubspot", [IncomingLead(lead_id, "reroute", payload=InboxPayload(exclude=(first.rep_id,)))],
                datetime.now(timezone.utc), requeue=True)
    assert routed.drain().taken_by_human == 1
    assert owner_in_crm(routed, "hubspot", lead_id) == str(other)
