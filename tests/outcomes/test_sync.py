"""Outcomes read back from the CRM, by id, for the leads we routed: status changes, the first
touch, won and lost, each recorded once, and fed to the rep's figures (wins and losses)."""

from __future__ import annotations

from sqlalchemy import select

from connector.outcomes.models import LeadOutcome
from connector.outcomes.sync import sync_outcomes
from connector.pipeline.models import Assignment, AssignmentEvent
from connector.platform.db import get_db
from connector.routing.models import RepState

HUBSPOT = {"Authorization": "Bearer sandbox-hubspot-token"}


def _set(routed, contact_id: str, **properties) -> None:
    """A rep changes a contact in HubSpot (the public API, as the CRM's UI would)."""
    response = routed.http.patch(f"{routed.crm.url}/crm/v3/objects/contacts/{contact_id}",
                                 json={"properties": properties}, headers=HUBSPOT)
    assert response.status_code == 200, response.text


def _outcomes(routed) -> dict[str, LeadOutcome]:
    with get_db(routed.app).session() as session:
        rows = session.execute(select(LeadOutcome, Assignment.lead_id)
                               .join(Assignment, Assignment.id == LeadOutcome.assignment_id)).all()
    return {lead_id: row for row, lead_id in rows}


def test_first_touch_win_and_loss_come_back_once_and_feed_the_reps_figures(routed):
    won_id, lost_id, quiet_id = routed.create_leads("hubspot", 3)
    routed.wait_for_inbox(3)
    assert routed.drain().written == 3
    routed.crm.sandbox.clock.advance(60)
    routed.control.hubspot.activity(won_id)
    _set(routed, won_id, lifecyclestage="customer")
    _set(routed, lost_id, hs_lead_status="UNQUALIFIED")

    first = sync_outcomes(routed.app, "hubspot")
    assert (first.read, first.touched, first.won, first.lost) == (3, 1, 1, 1)
    again = sync_outcomes(routed.app, "hubspot")   # only the one without a result is read again
    assert (again.read, again.touched, again.won, again.lost) == (1, 0, 0, 0)

    by_lead = {a.lead_id: a for a in routed.assignments()}
    assert by_lead[won_id].first_touch_at is not None and by_lead[quiet_id].first_touch_at is None
    outcomes = _outcomes(routed)
    assert (outcomes[won_id].result, outcomes[lost_id].result, outcomes[quiet_id].result) == ("won", "lost", None)
    assert outcomes[lost_id].crm_status == "UNQUALIFIED" and outcomes[quiet_id].crm_status == "NEW"
    with get_db(routed.app).session() as session:   # one win and one loss: two outcomes, one converted
        figures = {r.rep_id: (r.converted, r.outcomes, r.open_load) for r in session.scalars(select(RepState))}
    assert sum(c for c, _, _ in figures.values()) == 1 and sum(o for _, o, _ in figures.values()) == 2
    assert figures[by_lead[quiet_id].rep_id][2] >= 1   # the open lead still counts toward its rep's load


def test_a_status_change_is_an_event_with_the_old_and_new_status(routed):
    (lead_id,) = routed.create_leads("hubspot", 1)
    routed.wait_for_inbox(1)
    assert routed.drain().written == 1
    sync_outcomes(routed.app, "hubspot")
    _set(routed, lead_id, hs_lead_status="ATTEMPTED_TO_CONTACT")
    assert sync_outcomes(routed.app, "hubspot").status_changes == 1
    with get_db(routed.app).session() as session:
        changes = session.scalars(select(AssignmentEvent.detail).where(AssignmentEvent.status == "crm_status")).all()
    assert changes == [{"from": "NEW", "to": "ATTEMPTED_TO_CONTACT"}]


def test_only_routed_leads_are_read_by_id(routed):
    routed.create_leads("hubspot", 2)
    routed.wait_for_inbox(2)
    assert routed.drain().written == 2
    routed.control.create_lead("hubspot", first_name="Not", last_name="Ours", email="x@elsewhere.example",
                               company="Elsewhere", owner="maya")   # owned by a person: never routed by us
    before = len(routed.control.requests("hubspot"))
    assert sync_outcomes(routed.app, "hubspot").read == 2
    calls = routed.control.requests("hubspot")[before:]
    assert [(c["method"], c["path"]) for c in calls] == [("POST", "/crm/v3/objects/contacts/batch/read")]
