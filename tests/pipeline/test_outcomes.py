"""Outcomes read back from the CRM: first touch and conversion, each recorded once."""

from __future__ import annotations

from connector.platform.db import get_db
from connector.routing.models import RepState
from connector.pipeline.outcomes import sync_outcomes


def test_first_activity_and_conversion_come_back_once(routed):
    lead_id, other_id = routed.create_leads("hubspot", 2)
    routed.wait_for_inbox(2)
    assert routed.drain().written == 2
    routed.crm.sandbox.clock.advance(60)
    routed.control("hubspot/activity", contact_id=lead_id)
    response = routed.http.patch(f"{routed.crm.url}/crm/v3/objects/contacts/{lead_id}",
                                 json={"properties": {"lifecyclestage": "customer"}},
                                 headers={"Authorization": "Bearer sandbox-hubspot-token"})
    assert response.status_code == 200, response.text
    first = sync_outcomes(routed.app, "hubspot")
    assert first == {"touched": 1, "converted": 1}
    assert sync_outcomes(routed.app, "hubspot") == {"touched": 0, "converted": 0}
    by_lead = {a.lead_id: a for a in routed.assignments()}
    assert by_lead[lead_id].first_touch_at is not None and by_lead[other_id].first_touch_at is None
    with get_db(routed.app).session() as session:
        stats = session.get(RepState, by_lead[lead_id].rep_id)
        assert stats.converted == 1 and stats.outcomes == 1 and stats.open_load == 0
